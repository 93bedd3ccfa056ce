#!/usr/bin/env python3
"""logsieve's Drain against drain3, in one run, on the same input with the same masking.

1. Throughput on the HDFS 2% sample (about 222k lines): both parsers get the same list of
   message contents (the header is cut off once, outside the timed loop) and the same masking
   rules (logsieve's default YAML patterns handed to drain3 as MaskingInstructions). drain3 runs
   at its own defaults (depth 4, sim 0.4), where it finds about as many templates as logsieve;
   at logsieve's similarity (0.6) drain3 splits HDFS into thousands of clusters and slows down
   by more than 10x, which would flatter the ratio (``--drain3-settings same`` measures that).
   Each parser runs ``--repeat`` times from empty, interleaved; the best time counts.
   The ratio is drain3 seconds / logsieve seconds.
2. Grouping accuracy on the 16 loghub-2k systems, side by side: logsieve with its defaults,
   drain3 with the same masking at logsieve's depth/similarity, and drain3 at its own defaults
   (depth 4, sim 0.4) with the same masking.
3. Leave-one-system-out check of the defaults: for each system, pick the grid setting with the
   best mean GA on the *other* 15 systems and score it on the held-out one.

Usage: python benchmarks/parse_vs_drain3.py [--json] [--data-dir DIR] [--repeat N] [--no-loso]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import time
from pathlib import Path

from logsieve.evaluate.loghub import default_data_dir, resolve_parsing_datasets
from logsieve.evaluate.metrics import parsing_scores
from logsieve.evaluate.parsing_eval import evaluate_dataset
from logsieve.ingest import get_format
from logsieve.parsing import DrainConfig, DrainParser


def load_hdfs_contents(data_dir: Path) -> list[str]:
    fmt = get_format("HDFS")
    contents = []
    with gzip.open(data_dir / "hdfs_sample" / "HDFS_sample.log.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            parsed = fmt.parse(line.rstrip("\n"))
            if parsed is not None:
                contents.append(parsed[1])
    return contents


def make_drain3(cfg: DrainConfig, depth: int | None = None, sim: float | None = None):
    from drain3.masking import MaskingInstruction
    from drain3.template_miner import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    tc = TemplateMinerConfig()
    tc.profiling_enabled = False
    tc.drain_depth = depth or cfg.depth
    tc.drain_sim_th = sim if sim is not None else cfg.similarity
    tc.drain_max_children = cfg.max_children
    tc.mask_prefix, tc.mask_suffix = "<", ">"
    if any(r.kind == "token" for r in cfg.masking.rules):
        raise SystemExit("drain3 only takes regex masking rules; use regex/span rules for this benchmark")
    # logsieve runs span rules first (on the whole line), then the per-token rules in order.
    rules = sorted(cfg.masking.rules, key=lambda r: r.kind != "span")
    tc.masking_instructions = [MaskingInstruction(r.pattern, "*") for r in rules]
    return TemplateMiner(config=tc)


def time_logsieve(contents: list[str], cfg: DrainConfig) -> tuple[float, int]:
    parser = DrainParser(cfg)
    learn = parser.learn
    start = time.perf_counter()
    for c in contents:
        learn(c)
    return time.perf_counter() - start, len(parser)


def time_drain3(contents: list[str], cfg: DrainConfig, same: bool) -> tuple[float, int]:
    miner = make_drain3(cfg) if same else make_drain3(cfg, depth=4, sim=0.4)
    add = miner.add_log_message
    start = time.perf_counter()
    for c in contents:
        add(c)
    return time.perf_counter() - start, len(miner.drain.clusters)


def throughput(contents: list[str], cfg: DrainConfig, repeat: int, same: bool = False) -> dict:
    ours, theirs = [], []
    for _ in range(repeat):  # interleaved, so drift of the machine's speed hits both alike
        t, n_ours = time_logsieve(contents, cfg)
        ours.append(t)
        t, n_theirs = time_drain3(contents, cfg, same)
        theirs.append(t)
    best_ours, best_theirs = min(ours), min(theirs)
    return {
        "lines": len(contents),
        "logsieve_lines_per_s": round(len(contents) / best_ours, 1),
        "drain3_lines_per_s": round(len(contents) / best_theirs, 1),
        "logsieve_templates": n_ours,
        "drain3_templates": n_theirs,
        "ratio": round(best_theirs / best_ours, 3),
        "drain3_settings": "same as logsieve" if same else "drain3 defaults (depth 4, sim 0.4)",
    }


def ga_logsieve(ds, cfg: DrainConfig) -> float:
    return evaluate_dataset(ds, lambda: DrainParser(cfg)).scores.ga


def ga_drain3(ds, cfg: DrainConfig, depth: int | None = None, sim: float | None = None) -> float:
    miner = make_drain3(cfg, depth, sim)
    ids = [miner.add_log_message(c)["cluster_id"] for c in ds.contents]
    return parsing_scores(ds.templates, ids, group_keys=ids).ga


def accuracy(datasets, cfg: DrainConfig) -> dict:
    rows = {}
    for ds in datasets:
        rows[ds.name] = {
            "logsieve": round(ga_logsieve(ds, cfg), 4),
            "drain3_same_settings": round(ga_drain3(ds, cfg), 4),
            "drain3_defaults": round(ga_drain3(ds, cfg, depth=4, sim=0.4), 4),
        }
    n = len(rows)
    avg = {k: round(sum(r[k] for r in rows.values()) / n, 4) for k in next(iter(rows.values()))}
    worst = min(rows, key=lambda s: rows[s]["logsieve"] - rows[s]["drain3_same_settings"])
    return {"average": avg, "per_system": rows, "largest_gap_vs_drain3": {
        "system": worst, "gap": round(rows[worst]["logsieve"] - rows[worst]["drain3_same_settings"], 4)}}


GRID = {
    "depth": (4, 5, 6),
    "similarity": (0.4, 0.5, 0.6),
    "max_word_changes": (0, 1, None),
    "freeze_words_after": (None, 30, 100, 300),
}


def leave_one_system_out(datasets, base: DrainConfig) -> dict:
    keys = list(GRID)
    settings = [dict(zip(keys, vals)) for vals in itertools.product(*GRID.values())]
    table = {i: {ds.name: ga_logsieve(ds, base.model_copy(update=s)) for ds in datasets} for i, s in enumerate(settings)}
    chosen, scores = {}, {}
    for ds in datasets:
        others = [d.name for d in datasets if d.name != ds.name]
        best = max(table, key=lambda i: sum(table[i][o] for o in others))
        chosen[ds.name] = settings[best]
        scores[ds.name] = round(table[best][ds.name], 4)
    default_key = {k: getattr(base, k) for k in keys}
    return {
        "ga": round(sum(scores.values()) / len(scores), 4),
        "per_system": scores,
        "systems_choosing_the_default": sum(1 for c in chosen.values() if c == default_key),
        "chosen": chosen,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="last line of stdout is a JSON object")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-loso", action="store_true", help="skip the leave-one-system-out check")
    ap.add_argument("--drain3-settings", choices=("defaults", "same"), default="defaults",
                    help="drain3's depth/similarity in the throughput run (masking is always the same)")
    args = ap.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    cfg = DrainConfig()
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    contents = load_hdfs_contents(data_dir)
    speed = throughput(contents, cfg, args.repeat, same=args.drain3_settings == "same")
    log(f"HDFS sample, {speed['lines']:,} lines: logsieve {speed['logsieve_lines_per_s']:,.0f} lines/s "
        f"({speed['logsieve_templates']} templates), drain3 {speed['drain3_lines_per_s']:,.0f} lines/s "
        f"({speed['drain3_templates']} templates, {speed['drain3_settings']}), ratio {speed['ratio']:.2f}x")

    datasets = resolve_parsing_datasets("loghub2k/all", data_dir)
    acc = accuracy(datasets, cfg)
    log(f"{'system':12s} {'logsieve':>9s} {'drain3 same':>12s} {'drain3 dflt':>12s}")
    for name, r in acc["per_system"].items():
        log(f"{name:12s} {r['logsieve']:9.3f} {r['drain3_same_settings']:12.3f} {r['drain3_defaults']:12.3f}")
    a = acc["average"]
    log(f"{'average':12s} {a['logsieve']:9.3f} {a['drain3_same_settings']:12.3f} {a['drain3_defaults']:12.3f}")

    result = {**speed, "ga": acc, "settings": {k: getattr(cfg, k) for k in GRID}}
    if not args.no_loso:
        result["leave_one_system_out"] = loso = leave_one_system_out(datasets, cfg)
        log(f"leave-one-system-out GA: {loso['ga']:.3f} "
            f"({loso['systems_choosing_the_default']}/16 folds chose the shipped default)")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
