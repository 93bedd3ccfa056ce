#!/usr/bin/env python3
"""The collaboration table: small-only, CoLA, CollaborLog and LLM-only on the same test sequences.

Each row is `logsieve evaluate collab --dataset D --mode M --limit N` (the same N sequences,
taken evenly over the test split's time). CoLA and CollaborLog runs include LLM-only on the
same sequences in the same run (one LLM-only run serves every mode), so their speedup is
measured, not estimated. The LLM-only run is also the latency figure: per-call p50/p95 and the
schema-valid rate over all its calls. The embedded
Qwen2.5-Coder-0.5B is the LLM unless --llm names an OpenAI-compatible URL.

Usage: python benchmarks/collab.py [--dataset hdfs-sample] [--limit 200] [--detector logmoe]
       [--modes small-only,cola,collaborlog] [--llm embedded] [--json] [--write]
``--write`` replaces the block between the collab markers in benchmarks/RESULTS.md.
Needs a quiet machine: the LLM-only reference alone is N calls of a few seconds each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from logsieve.evaluate.collab_eval import FreshBackends, run_collab
from logsieve.llm import backend_config

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- collab-table:begin -->", "<!-- collab-table:end -->"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="hdfs-sample")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--detector", default="logmoe")
    ap.add_argument("--modes", default="small-only,cola,collaborlog")
    ap.add_argument("--llm", default="embedded")
    ap.add_argument("--no-knowledge", action="store_true",
                    help="run CoLA / CollaborLog without the knowledge table (by default each mode gets a fresh one)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    backends = FreshBackends(backend_config(args.llm))  # a fresh backend per mode: no mode timed on another's prompt cache

    results, llm_only = [], None
    tmp = tempfile.TemporaryDirectory()
    try:
        for mode in args.modes.split(","):
            store = None if args.no_knowledge else Path(tmp.name) / f"{mode}.db"
            r = run_collab(args.dataset, mode, backends,
                           detector=args.detector, limit=args.limit, store_path=store, llm_only=llm_only,
                           knowledge=not args.no_knowledge)
            llm_only = r.get("llm_only", llm_only)  # one LLM-only run serves every mode
            results.append(r)
            print(json.dumps(r), flush=True)
    finally:
        backends.close()
        tmp.cleanup()
    if llm_only is not None:  # the reference as a row of its own
        results.append({**llm_only, "mode": "llm-only", "sequences": results[0]["sequences"],
                        "anomalies": results[0]["anomalies"]})
    table = render(results)
    print(table)
    if args.write:
        text = RESULTS.read_text("utf-8")
        block = f"{BEGIN}\n{table}\n{END}"
        text = (text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]) if BEGIN in text \
            else text.rstrip("\n") + "\n\n" + block + "\n"
        RESULTS.write_text(text, "utf-8")
    if args.json:
        print(json.dumps({"runs": results}))


def render(results: list[dict]) -> str:
    head = ("| mode | sequences (anomalies) | F1 | precision | recall | LLM calls | call rate | cache hits "
            "| seconds | LLM-only F1 | LLM-only seconds | speedup | LLM p50 / p95 s | schema-valid |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    for r in results:
        ref = r.get("llm_only", {})
        rows.append(f"| {r['mode']} | {r['sequences']} ({r['anomalies']}) | **{r['f1']:.3f}** | {r['precision']:.3f} "
                    f"| {r['recall']:.3f} | {r['llm_calls']} | {r['llm_call_rate']:.1%} | {r['cache_hits']} "
                    f"| {r['seconds']:.1f} | {_num(ref.get('f1'), '.3f')} | {_num(ref.get('seconds'), '.1f')} "
                    f"| {r.get('speedup_vs_llm_only') or ''} | {_latency(r)} | {_valid(r)} |")
    return "\n".join([head, *rows])


def _num(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _latency(r: dict) -> str:
    return f"{r['llm_p50_seconds']:.1f} / {r['llm_p95_seconds']:.1f}" if r.get("llm_p50_seconds") is not None else ""


def _valid(r: dict) -> str:
    return f"{r['schema_valid_rate']:.1%}" if r.get("schema_valid_rate") is not None else ""


if __name__ == "__main__":
    main()
