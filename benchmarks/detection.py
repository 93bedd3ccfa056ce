#!/usr/bin/env python3
"""The detection table: every detector on every labelled data set, plus MLAD across systems.

Each cell is `logsieve evaluate detection --dataset D --detector NAME` with default settings:
chronological split (20/10/70), threshold and epochs from validation, one pass over test.
Extra rows for the text-based detectors that read several systems:
* multi-system: fitted on the train splits of hdfs-sample and bgl-2k together, tested on
  each one's test split;
* transfer: fitted on bgl-2k alone, tested on hdfs-sample (and the other way round).

Usage: python benchmarks/detection.py [--json] [--write] [--detectors a,b] [--datasets a,b]
       [--data-dir DIR] [--threads N] [--no-cross] [--from-json FILE ...]
``--write`` replaces the block between the detection markers in benchmarks/RESULTS.md;
``--from-json`` renders (and with --write, writes) the runs saved by earlier ``--json`` runs,
in the order given, instead of running anything.
The last line with --json is {"runs": [...]} with the evaluate-detection JSON of every run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from logsieve.detectors.registry import detector_names
from logsieve.evaluate.detection import DetectionRun, run_detection  # noqa: F401

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- detection-table:begin -->", "<!-- detection-table:end -->"
DATASETS = ("hdfs-sample", "bgl-2k")
CROSS = ("mlad",)
"""Detectors that also get the multi-system and transfer rows (the issue asks it of MLAD)."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--write", action="store_true", help="update the table in benchmarks/RESULTS.md")
    ap.add_argument("--detectors", default=",".join(detector_names()))
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the deep detectors")
    ap.add_argument("--no-cross", action="store_true", help="skip the multi-system and transfer rows")
    ap.add_argument("--from-json", nargs="+", type=Path, default=None)
    args = ap.parse_args()
    if args.from_json:
        runs = [r for f in args.from_json for r in json.loads(f.read_text().strip().splitlines()[-1])["runs"]]
        table = render(runs)
        print(table)
        if args.write:
            write_results(table)
        return
    detectors = [d for d in args.detectors.split(",") if d]
    datasets = [d for d in args.datasets.split(",") if d]
    loaded: dict = {}
    runs: list[DetectionRun] = []
    for dataset in datasets:
        for det in detectors:
            runs.append(_one(dataset, det, None, args, loaded))
    for det in (d for d in detectors if d in CROSS and not args.no_cross):
        if set(DATASETS) <= set(datasets):
            for dataset in DATASETS:
                runs.append(_one(dataset, det, list(DATASETS), args, loaded))
            runs.append(_one("hdfs-sample", det, ["bgl-2k"], args, loaded))
            runs.append(_one("bgl-2k", det, ["hdfs-sample"], args, loaded))
    dicts = [r.as_dict() for r in runs]
    table = render(dicts)
    print(table)
    if args.write:
        write_results(table)
    if args.json:
        print(json.dumps({"runs": dicts}))


def _one(dataset: str, detector: str, fit_on: list[str] | None, args, loaded: dict) -> DetectionRun:
    from logsieve.detectors.registry import detector_class
    from logsieve.detectors.training import TorchConfig

    settings = {"threads": args.threads} if issubclass(detector_class(detector).config_type, TorchConfig) else {}
    start = time.perf_counter()
    run = run_detection(dataset, detector, settings, fit_on=fit_on, data_dir=args.data_dir, loaded=loaded)
    print(f"{dataset:12s} {detector:12s} fit on {'+'.join(run.fit_on):24s} F1 {run.f1:.3f} "
          f"({time.perf_counter() - start:.0f}s)", file=sys.stderr, flush=True)
    return run


def render(runs: list[dict]) -> str:
    """Markdown rows from the evaluate-detection JSON of each run."""
    head = ("| test data set | detector | fitted on | precision | recall | F1 | train / val / test (test anomalies) "
            "| validation F1 | train s | scored seq/s |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = [
        f"| {r['dataset']} | {r['detector']} | {' + '.join(r['fit_on'])} | {r['precision']:.3f} | {r['recall']:.3f} "
        f"| **{r['f1']:.3f}** | {r['train_sequences']} / {r['validation_sequences']} / {r['test_sequences']} "
        f"({r['test_anomalies']}) | {_fmt(r['validation_f1'])} | {r['train_seconds']:.1f} "
        f"| {r['score_sequences_per_s']:,.0f} |"
        for r in runs
    ]
    return "\n".join([head, *rows])


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def write_results(table: str) -> None:
    text = RESULTS.read_text("utf-8")
    block = f"{BEGIN}\n{table}\n{END}"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
