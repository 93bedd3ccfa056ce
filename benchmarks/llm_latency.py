#!/usr/bin/env python3
"""The embedded LLM as a judge: schema validity, latency and tokens per call.

Asks the expert about N test sequences of a data set (taken evenly over time, so anomalies
come in their natural share) through the engine that ``detect`` runs: a model bundle is saved
as ``logsieve train`` saves one (the example bank of labelled train and validation sequences
included), and the engine's LLM-only pipeline judges each sequence with its nearest examples
and the chosen prompt. Reports the share of answers that are valid verdicts, p50/p95 seconds
per verdict, and prompt / completion tokens per call.

Usage: python benchmarks/llm_latency.py [--dataset hdfs-sample] [--calls 200] [--examples 3]
       [--llm embedded|URL] [--llm-model qwen2.5-coder-0.5b] [--threads 2] [--verbose] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from logsieve.detectors import make_detector
from logsieve.engine import EngineConfig, build_engine, write_bundle
from logsieve.evaluate.collab_eval import evenly
from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.detection import split_batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="hdfs-sample")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--prompt", default="cola")
    ap.add_argument("--llm", default="embedded")
    ap.add_argument("--llm-model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--verbose", action="store_true", help="print every call")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    ds = load_dataset(args.dataset)
    train, validation, test = split_batches(ds)
    seqs = evenly(test.sequences, args.calls)
    config = ({"kind": "embedded", "model": args.llm_model, "threads": args.threads} if args.llm == "embedded"
              else {"kind": "openai", "base_url": args.llm})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        small = make_detector("logreg")  # the bundle needs a small model; LLM-only never asks it
        small.fit(train, validation)
        write_bundle(Path(tmp), small, train, validation, parser=ds.parser, dataset=args.dataset,
                     log_format=ds.spec.format, grouping=ds.spec.grouping, examples=args.examples > 0)
        loaded = time.perf_counter()
        engine = build_engine(Path(tmp), EngineConfig(mode="llm-only", llm=config, prompt=args.prompt,
                                                      examples=args.examples), templates=ds.templates)
        load_seconds = time.perf_counter() - loaded
        stats = engine.pipeline.stats
        try:
            for i, seq in enumerate(seqs):
                before = (stats.prompt_tokens, stats.completion_tokens, stats.llm_attempts)
                v = engine.judge([seq])[0]
                row = {"ok": v.source == "llm", "attempts": stats.llm_attempts - before[2], "seconds": v.llm_seconds,
                       "prompt": stats.prompt_tokens - before[0], "completion": stats.completion_tokens - before[1],
                       "label": seq.label, "said": v.llm_status or None, "error": v.note or None}
                rows.append(row)
                if args.verbose:
                    print(i, json.dumps(row), v.explanation, flush=True)
        finally:
            engine.close()
    print(json.dumps(summary(rows, args, load_seconds)))


def summary(rows: list[dict], args: argparse.Namespace, load_seconds: float) -> dict:
    secs = sorted(r["seconds"] for r in rows)
    valid = sum(r["ok"] for r in rows)
    first_try = sum(r["ok"] and r["attempts"] == 1 for r in rows)
    right = sum(r["said"] == ("abnormal" if r["label"] else "normal") for r in rows if r["ok"])
    n = max(1, len(rows))
    return {"dataset": args.dataset, "prompt": args.prompt, "llm": args.llm if args.llm != "embedded" else f"embedded:{args.llm_model}",
            "threads": args.threads, "examples": args.examples, "calls": len(rows),
            "schema_valid_rate": round(valid / n, 4), "valid_first_try_rate": round(first_try / n, 4),
            "p50_seconds": round(statistics.median(secs), 3) if secs else None,
            "p95_seconds": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))], 3) if secs else None,
            "mean_seconds": round(sum(secs) / n, 3),
            "prompt_tokens_per_call": round(sum(r["prompt"] for r in rows) / n, 1),
            "completion_tokens_per_call": round(sum(r["completion"] for r in rows) / n, 1),
            "accuracy_vs_labels": round(right / max(1, valid), 4),
            "anomalies": sum(1 for r in rows if r["label"]), "model_load_seconds": round(load_seconds, 2)}


if __name__ == "__main__":
    main()
