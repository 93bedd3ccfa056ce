#!/usr/bin/env python3
"""What the features cost in the stream, once their per-template caches are warm.

1. MiniLM throughput: distinct templates of the 16 loghub-2k systems (about 1,350 texts),
   embedded in batches of ``--batch`` (cold: every text is a miss), sentences per second.
   Then a fresh ``TemplateEmbeddings`` on the SQLite file written by that run: what a restart
   pays per template (store hits, no model call).
2. Per-Sequence cost with warm caches: the first ``--lines`` lines of the HDFS 2% sample are
   parsed with logsieve's Drain and grouped by block id (about 20 lines per block), then each
   feature maps every block ``--repeat`` times; the best round counts. Reported per Sequence,
   one at a time (the stream) and as one batch (``transform``), beside the parse cost per line.

Usage: python benchmarks/features_speed.py [--json] [--data-dir DIR] [--batch 64] [--lines 60000]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from logsieve.evaluate.loghub import default_data_dir
from logsieve.features.counts import TemplateCounter
from logsieve.features.embeddings import TemplateEmbeddings
from logsieve.features.semantic import SemanticVectors
from logsieve.features.sentence import SentenceEncoder
from logsieve.features.table import ParserTemplates
from logsieve.parsing import DrainParser
from logsieve.records import Sequence
from logsieve.store import Store
from parse_vs_drain3 import load_hdfs_contents  # this folder: the same HDFS contents as there

BLOCK = re.compile(r"blk_-?\d+")


def loghub_templates(data_dir: Path) -> list[str]:
    texts: dict[str, None] = {}
    for path in sorted((data_dir / "loghub_2k").glob("*/*_templates_corrected.csv")):
        with path.open(encoding="utf-8") as fh:
            texts.update((row["EventTemplate"], None) for row in csv.DictReader(fh))
    return list(texts)


def hdfs_blocks(data_dir: Path, n_lines: int) -> tuple[DrainParser, list[Sequence], float]:
    """Parse and group the first ``n_lines`` lines; also the parse seconds per line."""
    parser, blocks = DrainParser(), {}
    contents = load_hdfs_contents(data_dir)[:n_lines]
    start = time.perf_counter()
    ids = [parser.learn(c).template_id for c in contents]
    per_line = (time.perf_counter() - start) / len(contents)
    for content, tid in zip(contents, ids):
        m = BLOCK.search(content)
        if m:
            blocks.setdefault(m.group(), Sequence(m.group())).template_ids.append(tid)
    return parser, list(blocks.values()), per_line


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def minilm_speed(texts: list[str], batch: int, db: Path) -> dict[str, float]:
    encoder = SentenceEncoder(batch_size=batch)
    encoder.encode(texts[:8])  # load the model outside the timing
    with Store(db) as store:
        start = time.perf_counter()
        TemplateEmbeddings(encoder=encoder, store=store).vectors(range(len(texts)), texts)
        cold = time.perf_counter() - start
    with Store(db) as store:
        start = time.perf_counter()
        TemplateEmbeddings(encoder=encoder, store=store).vectors(range(len(texts)), texts)
        restart = time.perf_counter() - start
    return {
        "templates": len(texts),
        "minilm_sentences_per_s": len(texts) / cold,
        "store_hit_us_per_template": restart / len(texts) * 1e6,
    }


def per_sequence_costs(parser: DrainParser, seqs: list[Sequence], repeat: int) -> dict[str, float]:
    templates = ParserTemplates(parser)
    counter = TemplateCounter().fit(seqs)
    semantic = SemanticVectors().fit(t.text for t in parser.templates)
    sentence = TemplateEmbeddings()
    semantic.transform(seqs, templates)
    sentence.transform(seqs, templates)  # warm every cache
    cases: dict[str, Callable[[], object]] = {
        "counts.count": lambda: [counter.count(s) for s in seqs],
        "counts.transform(dense)": lambda: counter.transform(seqs),
        "counts.transform(sparse)": lambda: counter.transform(seqs, sparse=True),
        "semantic.sequence_matrix": lambda: [semantic.sequence_matrix(s, templates) for s in seqs],
        "semantic.sequence_mean": lambda: [semantic.sequence_mean(s, templates) for s in seqs],
        "semantic.transform": lambda: semantic.transform(seqs, templates),
        "sentence.sequence_mean": lambda: [sentence.sequence_mean(s, templates) for s in seqs],
        "sentence.transform": lambda: sentence.transform(seqs, templates),
    }
    return {name: best_of(repeat, fn) / len(seqs) * 1e6 for name, fn in cases.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lines", type=int, default=60_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()

    parser, seqs, parse_s = hdfs_blocks(data_dir, args.lines)
    lens = sorted(len(s) for s in seqs)
    report: dict[str, object] = {
        "hdfs": {"lines": args.lines, "blocks": len(seqs), "median_len": lens[len(lens) // 2],
                 "templates": len(parser), "parse_us_per_line": parse_s * 1e6},
        "us_per_sequence": per_sequence_costs(parser, seqs, args.repeat),
    }
    with tempfile.TemporaryDirectory() as tmp:
        report["minilm"] = minilm_speed(loghub_templates(data_dir), args.batch, Path(tmp) / "s.db")
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        for section, values in report.items():
            print(f"[{section}]")
            for k, v in values.items():  # type: ignore[union-attr]
                print(f"  {k:28s} {v:.2f}" if isinstance(v, float) else f"  {k:28s} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
