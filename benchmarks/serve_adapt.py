#!/usr/bin/env python3
"""Live adaptation measured through `logsieve serve` itself (issue 18): a software upgrade is
streamed into a real server, which learns from its LLM's answers while it runs.

1. A small model (``--detector``, logreg by default) is trained on the start of a labelled
   HDFS log (train 20% / validation 10% of the sessions, in time order) and saved as
   `logsieve train` saves it, example bank included.
2. The rest of the log is rewritten from its first line on, as `benchmarks/evolution.py`
   does (``logsieve.evaluate.evolution``: a seeded ``--ratio`` of the templates get renamed,
   inserted or removed words, swapped parameters, merged or split events), so the deployed
   model meets templates it never saw.
3. `logsieve serve` runs as a child process on a free port (mode cola, adaptation on, with
   the small ``adapt:`` numbers below so it retrains within a few hundred sessions), and the
   rewritten lines are POSTed to /ingest in ``--chunks`` bodies. After each body the benchmark
   waits until detection has caught up and no retrain is running (a live HDFS stream arrives
   far slower than a logreg retrain takes), so the run does not depend on this machine's speed.
4. It reads back, through the API, every verdict (``GET /anomalies?status=all``), the model
   versions (``GET /models``) and /health, stops the server and lists the versions with
   ``logsieve models --store S --json``.

The judge: ``--llm simulated`` (default) is :class:`logsieve.evaluate.word_judge.WordJudge`
behind an OpenAI-compatible endpoint on 127.0.0.1 (the server reaches it as it would any
``--llm http://...``). It reads the judged section of each prompt and calls a sequence abnormal
when it holds one of the log's failure events (templates that occur only in anomalous sessions
of the labelled log), matched by words so a rewritten event still matches. It answers in
milliseconds and always the same way: fast and deterministic, but simulated; its own accuracy
is reported (``judge``). ``--llm embedded`` runs the embedded model instead (seconds a call;
use ``--limit-lines``).

Reported (last line, JSON): ``versions_created`` (registry versions the run added, live or
kept aside) and ``versions_live``; ``llm_call_rate_first`` and ``llm_call_rate_last``: the
share of sequences the LLM was asked about in the first and last of ``--slices`` equal slices
of the verdicts in the order they were judged; per slice F1 against the labels too.

Usage: python benchmarks/serve_adapt.py [--json] [--llm simulated|embedded] [--ratio 0.3] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_common import REPO, Serve, write_config  # noqa: E402

from logsieve.detectors.base import prf  # noqa: E402
from logsieve.evaluate.datasets import get_dataset_spec, load_dataset, resolve_data_dir  # noqa: E402
from logsieve.evaluate.evolution import describe, upgraded_after_training  # noqa: E402
from logsieve.evaluate.word_judge import JudgeServer, WordJudge, failure_events  # noqa: E402

EXAMPLES = REPO / "examples"
ADAPT = {"warmup": 30, "retrain_every": 60, "retrain_after_drift": 15, "known_after": 5, "drift_window": 100,
         "retrain_interval": 400, "interval_min_labels": 10, "filter": {"warmup": 20}}
"""Small numbers (the defaults wait for 50-200 labels and a 500-sequence drift window; the
bundled log's post-training part holds ~840 sessions)."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def settle(serve: Serve, wait_s: float, timeout_s: float = 600.0) -> dict:
    """Wait until every line sent is parsed, closed sequences are judged and no retrain runs
    or waits to be recorded; the last /health."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        h = serve.client.get("/health").json()
        a = h.get("adapt") or {}
        quiet = h["backlog"] == 0 and not a.get("retraining") and not a.get("unrecorded")
        if quiet and last is not None and h["sequences"] == last:
            return h
        last = h["sequences"] if quiet else None
        time.sleep(wait_s)
    raise RuntimeError("serve did not settle in time (see the server log)")


def all_verdicts(serve: Serve) -> list[dict]:
    items: list[dict] = []
    while True:
        page = serve.client.get("/anomalies", params={"status": "all", "limit": 1000, "offset": len(items)}).json()
        items.extend(page["items"])
        if len(page["items"]) < 1000:
            return sorted(items, key=lambda v: v["id"])


def slices(verdicts: list[dict], labels: dict[str, int], n: int) -> list[dict]:
    rows = []
    for k, part in enumerate(np.array_split(np.arange(len(verdicts)), n)):
        vs = [verdicts[i] for i in part]
        truth = np.array([labels.get(v["key"], 0) for v in vs])
        pred = np.array([v["status"] == "abnormal" for v in vs])
        p = prf(pred, truth)
        calls = sum(v["source"] == "llm" for v in vs)
        hits = sum(v["source"] == "cache" for v in vs)
        rows.append({"slice": k + 1, "sequences": len(vs), "llm_calls": calls, "cache_hits": hits,
                     "llm_call_rate": round(calls / len(vs), 4) if vs else 0.0,
                     "escalation_rate": round((calls + hits) / len(vs), 4) if vs else 0.0,
                     "anomalies": int(truth.sum()), "f1": round(p["f1"], 4),
                     "model_versions": sorted({v["model_version"] for v in vs if v.get("model_version") is not None})})
    return rows


def run_arm(args, work: Path, model: Path, stream: list[str], settings: dict, llm: str, adapt: bool) -> dict:
    """One `logsieve serve` over the stream (adaptation on or off); what it judged and made."""
    work.mkdir(parents=True, exist_ok=True)
    store = work / "serve.db"
    config = write_config(work / "serve.yaml", **settings)
    server_log = work / "serve.log"
    extra = ("--adapt" if adapt else "--no-adapt",) + (("--llm-model", args.llm_model) if args.llm_model else ())
    serve = Serve(model, store, config, llm=llm, log=server_log, extra=extra)
    log(f"serve ({'adapting' if adapt else 'not adapting'}) at {serve.url}, log {server_log}")
    first = serve.client.get("/health").json()
    versions_before = {m["version"] for m in serve.client.get("/models").json()["items"]}
    try:
        bounds = np.linspace(0, len(stream), args.chunks + 1).round().astype(int)
        for k in range(args.chunks):
            body = "\n".join(stream[bounds[k]:bounds[k + 1]]) + "\n"
            serve.client.post("/ingest", params={"source": "hdfs"}, content=body.encode(),
                              headers={"Content-Type": "text/plain; charset=utf-8"}).raise_for_status()
            h = settle(serve, settings["max_wait_s"])
            a = h["adapt"]
            log(f"  body {k + 1}/{args.chunks}: {h['sequences']} sequences, live version {a.get('live_version')}, "
                f"{a.get('pseudo_labels', '-')} pseudo-labels, {a.get('retrains', '-')} retrains, "
                f"{a.get('swaps', '-')} swaps")
        serve.client.post("/admin/flush", params={"timeout_s": 600}).raise_for_status()
        health = settle(serve, settings["max_wait_s"])
        verdicts = all_verdicts(serve)
        models = serve.client.get("/models").json()["items"]
    finally:
        serve.stop()
    listed = json.loads(subprocess.run([sys.executable, "-m", "logsieve", "models", "--store", str(store), "--json"],
                                       capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    created = [m for m in models if m["version"] not in versions_before]
    return {"verdicts": verdicts, "keys": [v["key"] for v in verdicts], "sequences": len(verdicts),
            "llm_calls": sum(v["source"] == "llm" for v in verdicts),
            "versions_created": len(created), "versions_live": sum(m["status"] != "aside" for m in created),
            "live_version_at_start": first["model_version"], "live_version_at_end": health["model_version"],
            "adapt_state": health["adapt"], "models_api": models, "models_cli": listed["models"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="hdfs-demo", help="a labelled HDFS data set (default: the bundled demo)")
    ap.add_argument("--data-dir", type=Path, default=None, help="where --dataset lives (default: examples/ for hdfs-demo)")
    ap.add_argument("--detector", default="logreg", help="the small model (each retrain fits it twice)")
    ap.add_argument("--ratio", type=float, default=0.3, help="share of templates the upgrade rewrites")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=24, help="bodies the stream is POSTed in")
    ap.add_argument("--slices", type=int, default=5, help="equal slices of the verdicts for the call rates")
    ap.add_argument("--llm", choices=("simulated", "embedded"), default="simulated")
    ap.add_argument("--llm-model", default=None, help="embedded: a packaged model name or GGUF path")
    ap.add_argument("--limit-lines", type=int, default=None, help="stream only this many lines (for --llm embedded)")
    ap.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                    help="also run serve --no-adapt on the same stream, to see what the knowledge table alone does")
    ap.add_argument("--keep", type=Path, default=None, help="keep the model, store and server log here")
    ap.add_argument("--json", action="store_true", help="print only the JSON summary")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()
    started = time.perf_counter()
    work = args.keep or Path(tempfile.mkdtemp(prefix="logsieve-serve-adapt-"))
    work.mkdir(parents=True, exist_ok=True)
    specs = [EXAMPLES / "datasets.yaml"]
    data_dir = args.data_dir or (EXAMPLES if args.dataset == "hdfs-demo" else resolve_data_dir(None))

    from logsieve.evaluate.detection import run_detection

    model = work / "model"
    log(f"training {args.detector} on the start of {args.dataset}")
    trained = run_detection(args.dataset, args.detector, data_dir=data_dir, extra_specs=specs, save_to=model)
    ds = load_dataset(args.dataset, data_dir, extra_specs=specs)
    spec = get_dataset_spec(args.dataset, specs)
    src = spec.resolve(data_dir, spec.files[0])
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", errors="replace") as fh:
        raw = fh.read().splitlines()
    stream, rules, rewrite = upgraded_after_training(raw, spec.parser, args.ratio, args.seed, whole_sessions=True)
    stream = stream[:args.limit_lines] if args.limit_lines else stream
    labels = {s.key: int(s.label or 0) for s in ds.sequences if s.label is not None}
    judge = WordJudge(failure_events(ds.sequences, ds.templates))
    log(f"{len(stream)} lines after training, {rewrite.as_dict()['rewritten_share']:.0%} rewritten; "
        f"{len(judge.events)} failure events known to the judge")

    judged = ds.splits.test
    rule = np.array([any(judge.matches(ds.templates[t]) for t in set(s.template_ids)) for s in judged])
    judge_quality = {k: round(v, 4) for k, v in prf(rule, np.array([s.label or 0 for s in judged])).items()
                     if k in ("precision", "recall", "f1")}

    settings = {"batch_size": 16, "max_wait_s": 0.3, "checkpoint_s": 1.0, "adapt": ADAPT,
                "grouping": {"kind": "session", "idle_lines": 200}}
    judge_server = JudgeServer(judge) if args.llm == "simulated" else None
    if judge_server is not None:
        judge_server.__enter__()
    try:
        llm = judge_server.url if judge_server is not None else "embedded"
        arms = {"adapt": run_arm(args, work / "adapt", model, stream, settings, llm, adapt=True)}
        if args.baseline:
            arms["no_adapt"] = run_arm(args, work / "no-adapt", model, stream, settings, llm, adapt=False)
    finally:
        if judge_server is not None:
            judge_server.__exit__(None, None, None)

    for arm in arms.values():
        verdicts = arm.pop("verdicts")
        arm["f1"] = round(prf(np.array([v["status"] == "abnormal" for v in verdicts]),
                              np.array([labels.get(v["key"], 0) for v in verdicts]))["f1"], 4)
        arm["slices"] = slices(verdicts, labels, args.slices)
    main_arm = arms["adapt"]
    rows = main_arm["slices"]
    summary = {
        "dataset": args.dataset, "detector": args.detector, "ratio": args.ratio, "seed": args.seed,
        "llm": args.llm, "chunks": args.chunks, "adapt": ADAPT, "train_f1": trained.f1,
        "stream_lines": len(stream), "stream_sessions": len(set(main_arm["keys"])),
        "rewrites": describe(rules), "rewritten_share": rewrite.as_dict()["rewritten_share"],
        "llm_call_rate_first": rows[0]["llm_call_rate"], "llm_call_rate_last": rows[-1]["llm_call_rate"],
        "escalation_rate_first": rows[0]["escalation_rate"], "escalation_rate_last": rows[-1]["escalation_rate"],
        "f1_first": rows[0]["f1"], "f1_last": rows[-1]["f1"],
        "versions_created": main_arm["versions_created"], "versions_live": main_arm["versions_live"],
        "judge": ({"kind": "WordJudge (simulated)", "failure_events": len(judge.events),
                   "on_test_sessions_before_rewrite": judge_quality, "calls_answered": judge_server.calls}
                  if judge_server is not None else {"kind": "embedded", "model": args.llm_model or "default"}),
        "arms": {name: {k: v for k, v in arm.items() if k != "keys"} for name, arm in arms.items()},
        "seconds": round(time.perf_counter() - started, 1),
        "work_dir": str(work) if args.keep else None,
    }
    if "no_adapt" in arms:
        base = arms["no_adapt"]["slices"]
        summary["no_adapt_llm_call_rate_first"] = base[0]["llm_call_rate"]
        summary["no_adapt_llm_call_rate_last"] = base[-1]["llm_call_rate"]
        summary["no_adapt_f1_last"] = base[-1]["f1"]
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    if not args.json:
        for name, arm in arms.items():
            print(f"{name}: {arm['versions_created']} versions created ({arm['versions_live']} live), "
                  f"F1 {arm['f1']:.3f}, {arm['llm_calls']} LLM calls")
            for r in arm["slices"]:
                print(f"  slice {r['slice']}: {r['sequences']:4d} sequences, LLM-call rate {r['llm_call_rate']:.3f} "
                      f"(with cache hits {r['escalation_rate']:.3f}), F1 {r['f1']:.3f}, versions {r['model_versions']}")
        for m in main_arm["models_api"]:
            print(f"v{m['version']} {m['status']:8s} validation {m['validation']} trained on {m['trained_on']}: {m['note']}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
