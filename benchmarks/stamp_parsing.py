#!/usr/bin/env python3
"""LogStamp against Drain: accuracy on the 16 loghub-2k systems, online speed on a long stream.

1. Accuracy: for each system, Drain parses all 2,000 lines online from empty; LogStamp trains
   on the first 10% (200 lines), then parses all 2,000 lines online (the training head
   included), exactly as ``logsieve evaluate parsing --parser stamp`` does. RandIndex and GA
   side by side, and their averages over the systems.
2. Speed: LogStamp trains on the first 10% of a long stream (the HDFS 2% sample, about 222k
   lines, by default), then parses the whole stream online; Drain parses the same list of
   contents in the same run. Headers are cut once, outside the timing; training is timed
   apart. Best of ``--repeat`` parses each (a fresh parser every time; LogStamp's trained
   state is reloaded, so every repeat starts with empty caches).

All LogStamp settings are the shipped defaults (chosen on the even-indexed half of the 16
systems; see benchmarks/RESULTS.md), one MiniLM and one GloVe shared by all runs.

Usage: python benchmarks/stamp_parsing.py [--json] [--data-dir DIR] [--stream hdfs|linux] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from logsieve.evaluate.loghub import (
    LOGHUB_2K_SYSTEMS,
    default_data_dir,
    load_structured_csv,
    resolve_parsing_datasets,
)
from logsieve.evaluate.parsing_eval import evaluate_dataset
from logsieve.ingest import read_records
from logsieve.parsing import DrainParser
from logsieve.parsing.stamp import StampConfig, StampFactory
from logsieve.records import LogRecord

DEV_SYSTEMS = LOGHUB_2K_SYSTEMS[0::2]
"""Systems the LogStamp defaults were chosen on; the other eight are held out."""


def stream_contents(data_dir: Path, which: str) -> list[str]:
    """Message contents of the long stream, headers already cut."""
    if which == "linux":
        return load_structured_csv(data_dir / "synlogplus" / "Linux" / "Linux_full.log_structured.csv").contents
    records = read_records(str(data_dir / "hdfs_sample" / "HDFS_sample.log.gz"), "HDFS")
    return [r.content for r in records if isinstance(r, LogRecord)]


def accuracy(datasets, make_stamp) -> dict:
    """Per-system RI and GA of both parsers, plus LogStamp's training seconds."""
    rows = {}
    for ds in datasets:
        drain = evaluate_dataset(ds, DrainParser)
        stamp = evaluate_dataset(ds, make_stamp)
        rows[ds.name.split("/")[-1]] = {
            "stamp_ri": round(stamp.scores.ri, 4), "drain_ri": round(drain.scores.ri, 4),
            "stamp_ga": round(stamp.scores.ga, 4), "drain_ga": round(drain.scores.ga, 4),
            "stamp_train_seconds": round(stamp.train_seconds or 0.0, 2),
        }
    return rows


def average(rows: dict, key: str, systems=None) -> float:
    vals = [r[key] for name, r in rows.items() if systems is None or name in systems]
    return round(sum(vals) / len(vals), 4) if vals else 0.0


def timed_parse(parser, contents: list[str]) -> float:
    start = time.perf_counter()
    for _ in parser.learn_many(contents):
        pass
    return time.perf_counter() - start


def speed(contents: list[str], make_stamp: StampFactory, repeat: int) -> dict:
    """Train once on the head, then time full online parses of both parsers, interleaved."""
    stamp = make_stamp()
    report = stamp.fit_head(contents)
    with tempfile.TemporaryDirectory() as tmp:
        trained = stamp.save(Path(tmp) / "stamp")
        stamp_s, drain_s = [], []
        for _ in range(repeat):
            fresh = make_stamp.load(trained)
            stamp_s.append(timed_parse(fresh, contents))
            drain_s.append(timed_parse(DrainParser(), contents))
    return {
        "stream_lines": len(contents),
        "stream_train_lines": report.lines,
        "stream_train_seconds": round(report.seconds, 2),
        "stamp_lines_per_s": round(len(contents) / min(stamp_s), 1),
        "drain_lines_per_s": round(len(contents) / min(drain_s), 1),
        "stamp_templates": len(fresh),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="last line of stdout is a JSON object")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--stream", choices=("hdfs", "linux"), default="hdfs")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    start = time.perf_counter()
    make_stamp = StampFactory(StampConfig())
    load_seconds = time.perf_counter() - start
    rows = accuracy(resolve_parsing_datasets("loghub2k/all", data_dir), make_stamp)
    log(f"{'system':12s} {'stamp RI':>9s} {'drain RI':>9s} {'stamp GA':>9s} {'drain GA':>9s} {'train s':>8s}")
    for name, r in rows.items():
        held = "" if name in DEV_SYSTEMS else "  (held out)"
        log(f"{name:12s} {r['stamp_ri']:9.4f} {r['drain_ri']:9.4f} {r['stamp_ga']:9.3f} {r['drain_ga']:9.3f} "
            f"{r['stamp_train_seconds']:8.2f}{held}")
    keys = ("stamp_ri", "drain_ri", "stamp_ga", "drain_ga")
    result = {k: average(rows, k) for k in keys}
    held_out = [s for s in LOGHUB_2K_SYSTEMS if s not in DEV_SYSTEMS]
    result["held_out"] = {k: average(rows, k, held_out) for k in keys}
    log(f"{'average':12s} " + " ".join(f"{result[k]:9.4f}" for k in keys))
    log(f"{'held out 8':12s} " + " ".join(f"{result['held_out'][k]:9.4f}" for k in keys))

    fast = speed(stream_contents(data_dir, args.stream), make_stamp, args.repeat)
    result["stamp_train_seconds"] = round(sum(r["stamp_train_seconds"] for r in rows.values()), 2)
    result["stamp_lines_per_s"] = fast["stamp_lines_per_s"]
    result.update(stream=args.stream, model_load_seconds=round(load_seconds, 2), speed=fast, per_system=rows)
    log(f"training: {result['stamp_train_seconds']:.1f}s over 16 systems (models loaded once in "
        f"{load_seconds:.1f}s); {args.stream} stream: {fast['stream_train_lines']:,} training lines in "
        f"{fast['stream_train_seconds']:.1f}s, then {fast['stream_lines']:,} lines online: LogStamp "
        f"{fast['stamp_lines_per_s']:,.0f} lines/s, Drain {fast['drain_lines_per_s']:,.0f} lines/s")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
