#!/usr/bin/env python3
"""Knowledge reuse: CoLA with and without the knowledge table, on the same stream.

A stretch of the test split (``--limit`` sequences evenly over its time: a stream where normal
workflows and common failures repeat) is judged twice by the CoLA pipeline with the same small
model, tau, LLM and prompts: once with a fresh knowledge table (answers reused by content key)
and once without. Reports throughput (sequences/s) of each, their ratio, F1 of each, LLM calls
and cache hits. The small model, tau and few-shot bank are fitted on train / validation only.

Usage: python benchmarks/knowledge_reuse.py [--dataset hdfs-sample] [--limit 600]
       [--sample even|contiguous] [--detector logmoe] [--llm embedded|URL] [--json]
``--sample contiguous`` takes the first ``--limit`` test sequences as they arrived (failures come
in bursts there); ``even`` (default) spreads them over the split's time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from logsieve.evaluate.collab_eval import FreshBackends, run_collab
from logsieve.llm import backend_config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="hdfs-sample")
    ap.add_argument("--limit", type=int, default=600)
    ap.add_argument("--sample", choices=("even", "contiguous"), default="even")
    ap.add_argument("--detector", default="logmoe")
    ap.add_argument("--llm", default="embedded")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    backends = FreshBackends(backend_config(args.llm))  # a fresh backend per mode: no mode timed on another's prompt cache

    runs = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, store in (("without", None), ("with", Path(tmp) / "knowledge.db")):
                runs[name] = run_collab(args.dataset, "cola", backends,
                                        detector=args.detector, limit=args.limit, store_path=store, reference=False,
                                        knowledge=store is not None,
                                        sample=args.sample)
                print(json.dumps({name: runs[name]}), flush=True)
    finally:
        backends.close()
    w, wo = runs["with"], runs["without"]
    out = {"dataset": args.dataset, "sample": args.sample, "sequences": w["sequences"], "anomalies": w["anomalies"],
           "throughput_with": round(w["sequences"] / w["seconds"], 3),
           "throughput_without": round(wo["sequences"] / wo["seconds"], 3),
           "throughput_ratio": round(wo["seconds"] / w["seconds"], 2),
           "f1_with": w["f1"], "f1_without": wo["f1"], "llm_calls_with": w["llm_calls"],
           "llm_calls_without": wo["llm_calls"], "cache_hits": w["cache_hits"],
           "seconds_with": w["seconds"], "seconds_without": wo["seconds"]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
