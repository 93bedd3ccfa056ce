#!/usr/bin/env python3
"""The embedded LLM as a judge: schema validity, latency and tokens per call.

Asks the expert about N test sequences of a data set (taken evenly over time, so anomalies
come in their natural share), each with its nearest labelled examples from the train and
validation splits, exactly as the CoLA pipeline would. Reports the share of answers that are
valid verdicts, p50/p95 seconds per verdict, and prompt / cached / completion tokens per call.

Usage: python benchmarks/llm_latency.py [--dataset hdfs-sample] [--calls 200] [--examples 3]
       [--llm embedded|URL] [--llm-model qwen2.5-coder-0.5b] [--threads 2] [--verbose] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from logsieve.evaluate.collab_eval import _bank, evenly
from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.detection import split_batches
from logsieve.llm import Expert, ExpertConfig, make_backend


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
    bank = _bank(train, validation, args.examples)
    config = ({"kind": "embedded", "model": args.llm_model, "threads": args.threads} if args.llm == "embedded"
              else {"kind": "openai", "base_url": args.llm})
    loaded = time.perf_counter()
    backend = make_backend(config)
    load_seconds = time.perf_counter() - loaded
    expert = Expert(backend, ExpertConfig(prompt=args.prompt))
    rows = []
    try:
        for i, seq in enumerate(seqs):
            shots = bank.nearest(seq, ds.templates, args.examples) if bank else []
            a = expert.judge(seq, ds.templates, shots)
            row = {"ok": a.ok, "attempts": a.attempts, "seconds": a.seconds, "prompt": a.prompt_tokens,
                   "cached": a.cached_tokens, "completion": a.completion_tokens, "label": seq.label,
                   "said": a.verdict.status if a.verdict else None, "error": a.error}
            rows.append(row)
            if args.verbose:
                print(i, json.dumps(row), a.verdict.explanation if a.verdict else "", flush=True)
    finally:
        backend.close()
    print(json.dumps(summary(rows, args, load_seconds)))


def summary(rows: list[dict], args: argparse.Namespace, load_seconds: float) -> dict:
    secs = sorted(r["seconds"] for r in rows)
    valid = sum(r["ok"] for r in rows)
    first_try = sum(r["ok"] and r["attempts"] == 1 for r in rows)
    right = sum(r["said"] == ("abnormal" if r["label"] else "normal") for r in rows if r["ok"])
    n = max(1, len(rows))
    return {"dataset": args.dataset, "llm": args.llm if args.llm != "embedded" else f"embedded:{args.llm_model}",
            "threads": args.threads, "examples": args.examples, "calls": len(rows),
            "schema_valid_rate": round(valid / n, 4), "valid_first_try_rate": round(first_try / n, 4),
            "p50_seconds": round(statistics.median(secs), 3) if secs else None,
            "p95_seconds": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))], 3) if secs else None,
            "mean_seconds": round(sum(secs) / n, 3),
            "prompt_tokens_per_call": round(sum(r["prompt"] for r in rows) / n, 1),
            "cached_tokens_per_call": round(sum(r["cached"] for r in rows) / n, 1),
            "completion_tokens_per_call": round(sum(r["completion"] for r in rows) / n, 1),
            "accuracy_vs_labels": round(right / max(1, valid), 4),
            "anomalies": sum(1 for r in rows if r["label"]), "model_load_seconds": round(load_seconds, 2)}


if __name__ == "__main__":
    main()
