"""``logsieve explain``: the root-cause explanation of one verdict, or the latest anomalies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from logsieve.cli._common import app, emit_json, err, fail, llm_config, out


@app.command()
def explain(
    verdict_id: Annotated[Optional[int], typer.Argument(help="The verdict's id in the store (without one: list the latest anomalies and their ids).")] = None,
    store: Annotated[Path, typer.Option(help="The SQLite store `logsieve detect` wrote.")] = Path(".logsieve/logsieve.db"),
    generate: Annotated[bool, typer.Option("--generate", help="Ask the LLM now (again, if one was stored) and store the answer for every verdict of the same pattern.")] = False,
    model: Annotated[Path, typer.Option(help="--generate: the model directory whose parser state names the templates (the one detect used).")] = Path(".logsieve/models/logmoe-hdfs-sample"),
    llm: Annotated[str, typer.Option(help="--generate: embedded, or an OpenAI-compatible base URL.")] = "embedded",
    llm_model: Annotated[Optional[str], typer.Option(help="--generate: packaged model name or GGUF path (embedded), or the server's model name.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Without VERDICT_ID: how many of the latest anomalies to list.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Why an anomaly happened: the LLM's root cause, the lines it rests on and a next step.

    `logsieve detect` explains anomalies after each batch when an LLM is configured (one call
    per anomaly pattern, shared by every anomaly of the same pattern, capped by
    --max-explanations). This prints a stored explanation with the verdict's lines, the
    cited ones marked `>`; --generate asks the LLM now.

    Example: logsieve explain            (the latest anomalies and their ids)

    Example: logsieve explain 42 --store .logsieve/logsieve.db --json
    """
    from logsieve.explain import root_cause
    from logsieve.store import Store, StoreError

    if not store.exists():
        fail(f"no store at {store}; give the one `logsieve detect --store` wrote")
    try:
        db = Store(store)
    except StoreError as exc:
        fail(str(exc))
    try:
        if verdict_id is None:
            _list(db, limit, json_out)
            return
        verdict = _verdict(db, verdict_id)
        if verdict is None:
            fail(f"no verdict {verdict_id} in {store}; `logsieve explain --store {store}` lists the latest anomalies")
        if generate:
            _generate(db, verdict, model, llm, llm_model)
        doc = root_cause(db, verdict_id)
    finally:
        db.close()
    if json_out:
        emit_json({"verdict": verdict, "explanation": doc})
        return
    _print(verdict, doc, store)


def _verdict(db, verdict_id: int) -> dict[str, Any] | None:
    row = db.connection.execute(
        "SELECT id, seq_key, status, source, score, confidence, explanation, template_ids, start_time "
        "FROM verdicts WHERE id = ?", (verdict_id,)).fetchone()
    if row is None:
        return None
    keys = ("id", "key", "status", "source", "score", "confidence", "explanation", "template_ids", "start")
    doc = dict(zip(keys, row))
    doc["template_ids"] = json.loads(doc["template_ids"])
    return doc


def _list(db, limit: int, json_out: bool) -> None:
    rows = db.connection.execute(
        "SELECT v.id, v.seq_key, v.source, e.status, x.cause, e.reason FROM verdicts v "
        "LEFT JOIN verdict_explanations e ON e.verdict_id = v.id LEFT JOIN explanations x ON x.pattern = e.pattern "
        "WHERE v.status = 'abnormal' ORDER BY v.id DESC LIMIT ?", (limit,)).fetchall()
    items = [{"id": r[0], "key": r[1], "source": r[2], "explanation": r[3] or "none", "cause": r[4], "reason": r[5]}
             for r in rows]
    if json_out:
        emit_json({"anomalies": items})
        return
    if not items:
        out.print("No anomalies in this store yet: `logsieve detect` writes them.")
        return
    table = Table("id", "sequence", "source", "explanation", "cause / reason", title=f"latest {len(items)} anomalies")
    for i in items:
        table.add_row(str(i["id"]), i["key"], i["source"], i["explanation"], i["cause"] or i["reason"] or "")
    out.print(table)
    out.print("`logsieve explain ID` prints one; `--generate` asks the LLM for one that has none.")


def _generate(db, verdict: dict[str, Any], model: Path, llm: str, llm_model: Optional[str]) -> None:
    from logsieve.explain import Anomaly, ExplainConfig, Explainer
    from logsieve.llm import make_backend

    config = llm_config(llm, llm_model)
    if config is None:
        fail("--generate needs an LLM: --llm embedded or an http(s) URL")
    seq = _sequence(db, verdict)
    templates = _templates(model, verdict["template_ids"])
    try:
        backend = make_backend(config)
    except (ImportError, FileNotFoundError, RuntimeError, ValueError) as exc:
        fail(f"cannot start the LLM: {exc}")
    try:
        with err.status("asking the LLM for a root cause ..."):
            flagged = verdict["explanation"] or (f"the small model scored it {verdict['score']:.3g}"
                                                 if verdict["score"] is not None else "")
            Explainer(backend, db, ExplainConfig(max_calls=1)).explain(
                [Anomaly(verdict["id"], seq, flagged)], templates, force=True)
    finally:
        backend.close()


def _sequence(db, verdict: dict[str, Any]):
    """The verdict's sequence with its lines where the store has them: the service's copy of
    every line, else the lines an earlier (failed or skipped) explanation kept."""
    from logsieve.explain.records import ExplanationStore
    from logsieve.records import LogRecord, ParsedLine, Sequence

    ids = verdict["template_ids"]
    seq = Sequence(verdict["key"], [])
    try:
        rows = db.connection.execute("SELECT source, line_no, text, template_id FROM service_verdict_lines "
                                     "WHERE verdict_id = ? ORDER BY pos", (verdict["id"],)).fetchall()
    except Exception:  # noqa: BLE001 - a store without the service's tables
        rows = []
    if not rows:
        link = ExplanationStore(db).link_of(verdict["id"])
        if link is not None and len(link.lines) == len(ids):
            rows = [(ln.source, ln.line_no, ln.text, tid) for ln, tid in zip(link.lines, ids)]
    if len(rows) != len(ids):
        return Sequence(verdict["key"], list(ids))
    for source, line_no, text, tid in rows:
        seq.append(ParsedLine(LogRecord(source, line_no, text), tid, "", ()))
    return seq


def _templates(model: Path, ids: list[int]) -> dict[int, str]:
    from logsieve.parsing import DrainParser

    state = model / "parser"
    if not state.exists():
        fail(f"no parser state in {model}; give --model the model directory `logsieve detect` used")
    parser = DrainParser.load(state)
    out_: dict[int, str] = {}
    for tid in set(ids):
        t = parser.get(tid)
        if t is not None:
            out_[tid] = t.text
    return out_


def _print(verdict: dict[str, Any], doc: dict[str, Any] | None, store: Path) -> None:
    vid = verdict["id"]
    out.print(f"[bold]verdict {vid}[/]: {escape(verdict['key'])}, {verdict['status']} (decided by {verdict['source']})"
              + (f"; flagged because: {escape(verdict['explanation'])}" if verdict["explanation"] else ""))
    if doc is None:
        out.print(f"No explanation stored. `logsieve explain {vid} --store {store} --generate` asks the LLM now; "
                  "`logsieve detect` explains anomalies as it finds them when an LLM is configured.")
        return
    if doc["status"] != "explained":
        out.print(f"No explanation ({doc['status']}): {escape(doc['reason'])}")
        out.print(f"`logsieve explain {vid} --store {store} --generate` asks the LLM again.")
    else:
        out.print(f"[bold]cause:[/] {escape(doc['cause'])}")
        out.print(f"[bold]next step:[/] {escape(doc['next_step'])}")
        out.print(f"[bold]evidence:[/] items {', '.join(map(str, doc['cited_items']))}"
                  + (f" ({len(doc['evidence'])} line(s) of this verdict)" if doc["evidence"] else "")
                  + "; the items as the LLM was shown them (first anomaly of the pattern), > cited:")
        for i, text in enumerate(doc["items"]):
            mark = ">" if i in doc["cited_items"] else " "
            out.print(f" {mark} [{i}] {escape(text)}", highlight=False)
    if doc["lines"]:
        out.print("[bold]lines[/] (> cited):")
        for ln in doc["lines"]:
            mark = ">" if ln["cited"] else " "
            out.print(f" {mark} [{ln['item']}] {escape(Path(ln['source']).name)}:{ln['line']}  {escape(ln['text'])}",
                      highlight=False)
    if doc["status"] == "explained":
        out.print(f"[dim]{doc['prompt']} on {doc['backend']}; pattern {doc['pattern']} shared by "
                  f"{doc['shared_by']} verdict(s)[/]")
