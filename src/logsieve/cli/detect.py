"""Commands that run detection: ``detect`` on logs and ``evaluate collab`` on a labelled data set;
``evaluate verdicts`` scores what a ``detect`` run wrote (no model)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from logsieve.cli._common import DATA_HELP, app, emit_json, err, evaluate_app, fail, llm_config, out

if TYPE_CHECKING:
    from logsieve.evaluate.verdict_scoring import VerdictScore


@app.command()
def detect(
    files: Annotated[list[str], typer.Argument(help="Log files, .gz files, directories, globs, or - for stdin.")],
    model: Annotated[Path, typer.Option(help="Trained model directory from `logsieve train`.")] = Path(".logsieve/models/logmoe-hdfs-sample"),
    log_format: Annotated[Optional[str], typer.Option("--format", "-f", help="Log format, or `auto` (each file's own, detected). Default: the one the model was trained on.")] = None,
    mode: Annotated[str, typer.Option(help="cola (small model, LLM for the unsure), collaborlog (coordinator routes unfamiliar logs to the LLM), small-only, llm-only.")] = "cola",
    llm: Annotated[str, typer.Option(help="embedded (llama.cpp in process, default), none, or an OpenAI-compatible base URL such as http://127.0.0.1:8080/v1 (key from $LOGSIEVE_LLM_API_KEY).")] = "embedded",
    llm_model: Annotated[Optional[str], typer.Option(help="Embedded: a packaged model name (qwen2.5-coder-0.5b, qwen2.5-coder-1.5b, smollm2-135m) or a GGUF path; HTTP: the server's model name.")] = None,
    tau: Annotated[Optional[float], typer.Option(help="CoLA: ask the LLM about normal verdicts less confident than this (default: chosen on validation at training).")] = None,
    coordinator: Annotated[Optional[Path], typer.Option(help="collaborlog: model directory of a trained `autoencoder`.")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep reading the file as it grows (like tail -F), judging sequences as they close; Ctrl-C judges what is open and stops.")] = False,
    max_llm_calls: Annotated[Optional[int], typer.Option(help="Ask the LLM at most this many times (cost control); later unsure sequences keep the small model's verdict, marked.")] = None,
    escalate_unseen: Annotated[Optional[bool], typer.Option("--escalate-unseen/--no-escalate-unseen", help="CoLA: also ask the LLM about sequences holding a template the small model never saw in training (after an upgrade it has no weight for it and may call it normal with confidence); counts against --max-llm-calls. Default: on while adaptation runs (--follow), where a template stops counting as never-seen once the model has learnt it; off otherwise, since a model trained on a log's first minutes has not seen its later phases and every later sequence would ask the LLM.")] = None,
    prompt: Annotated[str, typer.Option(help="The expert's prompt: a packaged name (cola, ...) or a YAML file.")] = "cola",
    explain: Annotated[Optional[bool], typer.Option("--explain/--no-explain", help="Explain each anomaly's root cause with the LLM after its batch, beside detection (one call per new anomaly pattern; see `logsieve explain`). Default: on when an LLM is configured.")] = None,
    max_explanations: Annotated[int, typer.Option(min=0, help="At most this many LLM calls for explanations in this job; later new patterns are left for `logsieve explain ID --generate`.")] = 20,
    adapt: Annotated[Optional[bool], typer.Option("--adapt/--no-adapt", help="Learn while running: the LLM's answers become pseudo-labels, a background retrain fits a candidate, and one not worse on the newest of them goes live as a new model version in --store (`logsieve models`). Default: on with --follow; off for one pass over files, which ends before a retrain could pay off (--adapt turns it on).")] = None,
    store: Annotated[Path, typer.Option(help="SQLite store for verdicts, the knowledge table and pseudo-labels.")] = Path(".logsieve/logsieve.db"),
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Also write every verdict as JSON lines here.")] = None,
    top: Annotated[int, typer.Option(help="How many anomalies the summary shows.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
    read_ahead: Annotated[bool, typer.Option("--read-ahead/--no-read-ahead", help="Read large files (1 MB and up) in a second process while this one parses and judges (Linux, 2 or more cores); --no-read-ahead reads in one process. The verdicts are the same either way.")] = True,
) -> None:
    """Find anomalies: parse, group into sequences, score with the small model, ask the LLM
    about what it is unsure of, and keep every verdict (with its source) in the store.

    Each anomaly names its lines (file and line numbers) and why. Sequences the LLM could not
    judge (down, slow, malformed answers) keep the small model's verdict, marked `fallback`.

    Example: logsieve detect app.log.gz --model .logsieve/models/logmoe-hdfs-sample --out verdicts.jsonl
    """
    from logsieve.ingest import get_format
    from logsieve.jobs.bundle import BundleError, ModelBundle
    from logsieve.jobs.detect import DetectJobConfig, run_detect

    if mode not in ("cola", "collaborlog", "small-only", "llm-only"):
        fail(f"--mode must be cola, collaborlog, small-only or llm-only, got {mode!r}")
    try:
        bundle = ModelBundle.load(model)
        name = log_format or bundle.format
        fmt = name if name == "auto" else get_format(name)  # auto: the readers detect each file's own
    except BundleError as exc:
        fail(str(exc))
    except (KeyError, ValueError) as exc:
        fail(str(exc).strip("'\""))
    job = DetectJobConfig(tuple(files), model, fmt, store, mode=mode, llm=llm_config(llm, llm_model), tau=tau,  # type: ignore[arg-type]
                          coordinator_dir=coordinator, jsonl=out_path, max_llm_calls=max_llm_calls,
                          escalate_unseen=escalate_unseen, follow=follow, explain=explain, max_explanations=max_explanations,
                          adapt=adapt, read_ahead=read_ahead,
                          prompt=prompt)
    if bundle.upgrade_note:
        err.print(f"[yellow]note:[/] {bundle.upgrade_note}")
    anomalies: list = []
    try:
        with err.status("detecting ...") as status:
            def seen(verdicts) -> None:
                anomalies.extend(v for v in verdicts if v.abnormal)
                status.update(f"detecting ... {len(anomalies)} anomalies so far")
            summary = run_detect(job, on_verdicts=seen)
    except (ImportError, RuntimeError, ValueError, OSError) as exc:
        fail(str(exc))
    if json_out:
        emit_json(summary.as_dict())
        return
    _print_anomalies(shown_first(anomalies)[:top], len(anomalies))
    s = summary.as_dict()
    out.print(f"[bold]{s['sequences']:,}[/] sequences, [bold red]{s['anomalies']:,}[/] anomalies; "
              f"LLM calls {s['llm_calls']} ({s['llm_failures']} failed, {s['llm_seconds']:.1f}s), cache hits "
              f"{s['cache_hits']}; {s['seconds']:.1f}s. Verdicts in {store}" + (f" and {out_path}" if out_path else ""))
    if s.get("explanations"):
        e = s["explanations"]
        out.print(f"explanations: {e['explained']} of {e['anomalies']} anomalies ({e['llm_calls']} LLM calls, "
                  f"{e['reused']} shared by pattern, {e['failed']} failed, {e['skipped']} over the cap); "
                  "`logsieve explain VERDICT_ID` prints one")


def where(v) -> str:
    """The lines an anomaly names: the ones the LLM cited, else the sequence's span (folded)."""
    if v.refs:
        return ", ".join(f"{Path(r.source).name}:{r.line_no}" for r in v.refs[:4])
    ranges = [f"{Path(s.file).name}:{s.first}" + (f"-{s.last}" if s.last != s.first else "") for s in v.span[:3]]
    return ", ".join(ranges) + (f" (+{len(v.span) - 3} ranges)" if len(v.span) > 3 else "")


def why(v) -> str:
    """The LLM's explanation when it was asked (saying where the trust rule kept the small
    model's verdict instead), else the small model's score."""
    small = f"small model score {v.score:.3g}, normal-confidence {v.confidence:.2f}" if v.score is not None else ""
    if v.explanation:
        disagreed = f" (LLM said {v.llm_status}; the small model's verdict stands)" \
            if v.llm_status and v.llm_status != v.status else ""
        return v.explanation + disagreed
    return "; ".join(x for x in (small, v.note) if x)


def _print_anomalies(items: list, total: int) -> None:
    """Each anomaly on two lines: key, who decided, where; then why. Those the LLM judged come
    first (they carry its explanation), then the small model's own."""
    if not items:
        out.print("no anomalies found")
        return
    out.print(f"[bold]anomalies[/] ({len(items)} of {total} shown, those the LLM judged first):")
    for v in items:
        out.print(f"  [bold red]{escape(v.key)}[/]  [dim]{v.source}[/]  {escape(where(v))}")
        out.print(f"      why: {escape(why(v))}")


def shown_first(anomalies: list) -> list:
    """Anomalies in the order the summary shows them: LLM-judged (with an explanation) first."""
    return sorted(anomalies, key=lambda v: (v.source not in ("llm", "cache"), not v.explanation))


@evaluate_app.command("collab")
def evaluate_collab_cmd(
    dataset: Annotated[str, typer.Option(help="Labelled data set (see `logsieve datasets`).")] = "hdfs-sample",
    mode: Annotated[str, typer.Option(help="cola, collaborlog, llm-only or small-only.")] = "cola",
    detector: Annotated[str, typer.Option(help="CoLA's small model (see `logsieve detectors`).")] = "logmoe",
    limit: Annotated[Optional[int], typer.Option(help="Judge this many test sequences (see --sample).")] = None,
    sample: Annotated[str, typer.Option(help="How --limit picks them: 'even' over the split's time (anomalies in their natural share) or 'contiguous' from its start (the stream as it came, bursts kept).")] = "even",
    llm: Annotated[str, typer.Option(help="embedded, or an OpenAI-compatible base URL.")] = "embedded",
    llm_model: Annotated[Optional[str], typer.Option(help="Packaged model name or GGUF path (embedded), or the server's model name.")] = None,
    max_call_rate: Annotated[float, typer.Option(help="CoLA: tau is the largest whose validation LLM-call rate stays within this.")] = 0.1,
    knowledge: Annotated[Optional[Path], typer.Option(help="SQLite store for the knowledge table (default: a new one in a temporary folder, as a first `detect` run has).")] = None,
    knowledge_table: Annotated[bool, typer.Option("--knowledge-table/--no-knowledge-table", help="Reuse earlier LLM answers for sequences of the same content, as `detect` does.")] = True,
    prompt: Annotated[str, typer.Option(help="The expert's prompt: a packaged name (cola, ...) or a YAML file.")] = "cola",
    calibrate: Annotated[bool, typer.Option("--calibrate/--no-calibrate", help="CoLA: measure the LLM on the validation split per routing situation and keep the trust rule it supports (as `logsieve train --llm` does); --no-calibrate keeps the default rule.")] = True,
    data_dir: Annotated[Optional[Path], typer.Option(help=DATA_HELP)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
) -> None:
    """F1, LLM calls and time of a collaboration mode on a data set's test split.

    The small model is trained and saved as `logsieve train` saves it, and every mode runs
    through the engine `detect` and `serve` run. The small model alone judges the same
    sequences (`small_only_f1`); for cola and collaborlog so does the LLM alone, and
    `speedup_vs_llm_only` compares the two. Thresholds, tau and the trust rule come from the
    train and validation splits only.

    Example: logsieve evaluate collab --dataset hdfs-sample --mode cola --limit 200 --json
    """
    from logsieve.evaluate.collab_eval import MODES, FreshBackends, run_collab

    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    backends = FreshBackends(llm_config(llm, llm_model))

    try:
        with err.status(f"evaluating {mode} on {dataset} ..."):
            result = run_collab(dataset, mode, backends, detector=detector, limit=limit, data_dir=data_dir,
                                store_path=knowledge, max_call_rate=max_call_rate, sample=sample, prompt=prompt,
                                calibrate=calibrate, knowledge=knowledge_table)
    except (ImportError, RuntimeError, ValueError, OSError, KeyError) as exc:
        fail(str(exc).strip("'\""))
    finally:
        backends.close()
    if json_out:
        emit_json(result)
        return
    table = Table(title=f"{mode} on {dataset}: {result['sequences']} test sequences ({result['anomalies']} anomalies)")
    for col in ("mode", "F1", "precision", "recall", "LLM calls", "call rate", "cache hits", "seconds"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    rows = [(mode, result)] + ([("llm-only", result["llm_only"])] if "llm_only" in result else [])
    if mode != "small-only":
        rows.append(("small-only", {**result["small_only"], "llm_calls": 0, "llm_call_rate": 0.0, "cache_hits": 0}))
    for name, r in rows:
        table.add_row(name, f"{r['f1']:.3f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}", str(r["llm_calls"]),
                      f"{r['llm_call_rate']:.1%}", str(r["cache_hits"]), f"{r['seconds']:.1f}")
    out.print(table)
    if result.get("speedup_vs_llm_only"):
        out.print(f"{result['speedup_vs_llm_only']}x faster than LLM-only on the same sequences")


@evaluate_app.command("verdicts")
def evaluate_verdicts_cmd(
    verdicts: Annotated[Path, typer.Argument(help="The verdicts JSONL that `logsieve detect --out` wrote.")],
    labels: Annotated[list[Path], typer.Option("--labels", help="Label file: an id,label CSV (session labels) or a log whose first token on each line is its label (line labels). Repeat for several files of one kind.")],
    labels_kind: Annotated[str, typer.Option(help="session, line, or auto: a .csv file, or one whose first line is comma-separated fields without spaces (a header such as BlockId,Label), holds session labels; anything else line labels.")] = "auto",
    id_column: Annotated[Optional[str], typer.Option(help="Session labels: the id column, by header name or 0-based position (default: the first).")] = None,
    label_column: Annotated[Optional[str], typer.Option(help="Session labels: the label column, by header name or 0-based position (default: one named label/status/anomaly, else the second).")] = None,
    anomaly_value: Annotated[Optional[list[str]], typer.Option("--anomaly-value", help="Session labels: a value meaning anomalous (repeatable, any case); every other value is then normal. Default: Anomaly, anomalous, abnormal, 1, true, yes are anomalous, Normal, 0, false, no, - normal, and any other value is an error.")] = None,
    normal: Annotated[str, typer.Option("--normal", help="Line labels: the first token that means normal (BGL: -); any other token marks an anomalous line.")] = "-",
    beside: Annotated[Optional[Path], typer.Option(help="A second verdicts JSONL (another run on the same logs, e.g. `--mode small-only --llm none`) scored against the same labels and shown beside; with --json its score is under \"beside\".")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is the score as JSON.")] = False,
) -> None:
    """Score a finished run against labels you have: precision, recall and F1 of its anomalies.

    Reads the verdicts file and the labels only: no model, no log. Each verdict names its
    session (key) and the lines it covers (span: file and line ranges).

    Session labels (an id,label CSV such as HDFS' anomaly_label.csv): a verdict's key is the
    id (a continuation part blk_1#p2 counts for blk_1). A session is flagged when any of its
    verdicts is abnormal. A labelled anomaly that no verdict covers counts as not found
    (unmatched); a verdict whose id the file does not list is left out (unlabelled).

    Line labels (a log whose first token is each line's label, as BGL's files: - is normal):
    a verdict is truly anomalous when any line in its span is labelled anomalous. Lines are
    numbered as logsieve's readers number them (1-based lines of the file, a .gz read
    decompressed), so give the labelled file itself or a line-for-line copy. A span names its
    file as the path given to detect; a label file is matched by that path, else by its
    absolute path, else by its file name alone. Anomalous lines no verdict covers are counted
    as unmatched and in line_recall.

    Examples:
      logsieve detect examples/hdfs/HDFS_demo.log.gz --model MODEL --mode small-only --llm none --out out/v.jsonl
      logsieve evaluate verdicts out/v.jsonl --labels examples/hdfs/anomaly_label.csv
      logsieve evaluate verdicts out/v.jsonl --labels ids.csv --id-column session --anomaly-value bad --json
      logsieve evaluate verdicts out/bgl.jsonl --labels BGL.log --json              # line labels, - is normal
      logsieve evaluate verdicts out/app.jsonl --labels tagged.log --normal OK      # lines tagged OK / FAIL
      logsieve evaluate verdicts out/cola.jsonl --labels ids.csv --beside out/small.jsonl   # two runs, one table
    """
    from logsieve.evaluate.verdict_scoring import ScoringConfig, ScoringError, score_verdicts

    from pydantic import ValidationError

    try:
        config = ScoringConfig(kind=labels_kind, id_column=id_column, label_column=label_column,  # type: ignore[arg-type]
                               anomaly_values=tuple(anomaly_value or ()), normal_token=normal)
    except ValidationError:
        fail(f"--labels-kind must be session, line or auto, got {labels_kind!r}")
    try:
        score = score_verdicts(verdicts, labels, config)
        other = score_verdicts(beside, labels, config) if beside is not None else None
    except (ScoringError, OSError) as exc:
        fail(str(exc))
    if json_out:
        emit_json(score.as_dict() | ({"beside": other.as_dict()} if other is not None else {}))
        return
    if other is not None:
        _print_pair(verdicts, score, beside, other)
        return
    _print_score(score)


def _print_pair(path: Path, score: VerdictScore, other_path: Path, other: VerdictScore) -> None:
    """One line per run: the run and the one beside it, against the same labels."""
    for p, s in ((path, score), (other_path, other)):
        out.print(f"[bold]{p.name}[/]: found {s.found} of {s.anomalies} anomalies, {s.false_alarms} false alarms "
                  f"(precision {s.precision:.3f}, recall {s.recall:.3f}, F1 {s.f1:.3f})")


def _print_score(s: VerdictScore) -> None:
    unit = "sessions" if s.kind == "session" else "verdicts"
    table = Table(title=f"{s.scored} {unit} scored against {', '.join(Path(p).name for p in s.labels)} ({s.kind} labels)")
    for col in ("F1", "precision", "recall", "flagged", "anomalies", "found", "false alarms"):
        table.add_column(col, justify="right")
    table.add_row(f"{s.f1:.3f}", f"{s.precision:.3f}", f"{s.recall:.3f}", str(s.flagged), str(s.anomalies),
                  str(s.found), str(s.false_alarms))
    out.print(table)
    if s.by_source:
        out.print("flagged by " + ", ".join(f"{src}: {c['flagged']} ({c['found']} anomalies)"
                                              for src, c in s.by_source.items()))
    if s.kind == "session" and s.unmatched:
        out.print(f"{s.unmatched} labelled anomalies have no verdict (counted as not found)")
    if s.kind == "line":
        out.print(f"anomalous lines: {s.anomalous_lines}, {s.lines_found} inside a flagged span "
                  f"(line recall {s.line_recall:.3f}), {s.unmatched} in no verdict's span")
    if s.unlabelled:
        out.print(f"{s.unlabelled} {unit} not in the labels were left out ({s.flagged_unlabelled} of them flagged)")
    if s.duplicates:
        out.print(f"{s.duplicates} repeated verdict lines ignored (the file was appended to by more than one run)")
