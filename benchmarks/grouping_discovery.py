#!/usr/bin/env python3
"""What grouping does discovery choose on each loghub 2k log, and how fast is it on the HDFS sample?

For each of the 16 ``loghub_2k`` logs: parse with the system's loghub format and Drain (the
project's parse path), run :func:`logsieve.sessions.discover_grouping` and print the kind, the
id pattern or the window span, and the chosen id shape's coverage (or the best rejected shape's
with the reason it was rejected). Then the same on the HDFS 2% sample (222,579 lines; discovery
reads its first 50,000), with the CPU seconds discovery took (best of ``--repeat``), and a check
that the proposed sessions are the 11,501 blocks of the ``hdfs-sample`` data set.

Usage: python benchmarks/grouping_discovery.py [--json] [--data-dir DIR] [--repeat N]
With --json the last line is ``{"choices": {system: GroupingChoice.as_dict() + {"seconds"}},
"hdfs_sample": {...}}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

from logsieve.evaluate.loghub import default_data_dir
from logsieve.ingest import get_format
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainParser
from logsieve.records import ParsedLine
from logsieve.sessions import GroupingChoice, TimeWindowConfig, discover_grouping, make_grouper
from logsieve.sessions.discover import format_duration

SYSTEMS = ("Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH",
           "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper")


def parsed(path: Path, fmt: str) -> list[ParsedLine]:
    job = ParseJobConfig((str(path),), get_format(fmt))
    return list(parse_stream(job, DrainParser(), ParseSummary()))


def timed(lines: list[ParsedLine], repeat: int) -> tuple[GroupingChoice, float]:
    """The choice and the least CPU seconds over ``repeat`` runs (CPU, not wall: the machine is shared)."""
    best = float("inf")
    choice = None
    for _ in range(repeat):
        start = time.process_time()
        choice = discover_grouping(lines)
        best = min(best, time.process_time() - start)
    assert choice is not None
    return choice, best


def row(system: str, choice: GroupingChoice) -> str:
    if choice.kind == "session":
        what = f"`{choice.grouping.id_pattern}`"  # type: ignore[attr-defined]
        cov = f"{choice.candidates[0].coverage:.0%}"
    elif isinstance(choice.grouping, TimeWindowConfig):
        what = f"{format_duration(choice.grouping.span)} windows ({choice.stats['median_window_lines']:g} lines median)"
        cov = _best_rejected(choice)
    else:
        what = f"{choice.grouping.describe()}"
        cov = _best_rejected(choice)
    return f"| {system} | {choice.kind} | {what} | {cov} |"


def _best_rejected(choice: GroupingChoice) -> str:
    if not choice.candidates:
        return "no id-like token"
    c = choice.candidates[0]
    return f"best id `{c.example}`: {c.coverage:.0%} ({c.note})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = args.data_dir or default_data_dir()

    choices: dict[str, dict] = {}
    print("| system | kind | pattern or span | coverage |")
    print("|---|---|---|---|")
    for system in SYSTEMS:
        lines = parsed(data / "loghub_2k" / system / f"{system}_2k.log", system)
        choice, seconds = timed(lines, 1)
        choices[system] = choice.as_dict() | {"seconds": round(seconds, 4)}
        print(row(system, choice))

    sample = data / "hdfs_sample" / "HDFS_sample.log.gz"
    lines = parsed(sample, "HDFS")
    choice, seconds = timed(lines, args.repeat)
    grouper = make_grouper(choice.grouping)
    keys = [s.key for s in grouper.group(lines)]
    with (sample.parent / "anomaly_label.csv").open() as fh:
        labelled = {r["BlockId"] for r in csv.DictReader(fh)}
    hdfs = {"lines": len(lines), "cpu_seconds": round(seconds, 3), "kind": choice.kind,
            "pattern": getattr(choice.grouping, "id_pattern", None), "reason": choice.reason,
            "sequences": len(keys), "same_blocks_as_dataset": len(keys) == len(labelled) and set(keys) == labelled}
    print(f"\nHDFS sample: {len(lines):,} lines, discovery {seconds:.3f} s CPU (best of {args.repeat}); "
          f"{choice.reason}; {len(keys):,} sequences, same blocks as hdfs-sample: {hdfs['same_blocks_as_dataset']}")
    if args.json:
        print(json.dumps({"choices": choices, "hdfs_sample": hdfs}))


if __name__ == "__main__":
    main()
