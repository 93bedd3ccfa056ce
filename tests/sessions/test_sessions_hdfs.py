"""Real HDFS lines (the bundled demo sample): ingest -> Drain -> block sessions."""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from pathlib import Path

from logsieve.ingest import get_format
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainParser
from logsieve.sessions import IdSessionGrouper, SessionConfig

DEMO = Path(__file__).resolve().parents[2] / "examples" / "hdfs"


def test_demo_blocks_become_one_session_each() -> None:
    log = DEMO / "HDFS_demo.log.gz"
    job = ParseJobConfig((str(log),), get_format("HDFS"))
    grouper = IdSessionGrouper(SessionConfig(max_open=5000))
    seqs = list(grouper.group(parse_stream(job, DrainParser(), ParseSummary())))

    with (DEMO / "anomaly_label.csv").open() as fh:
        labelled = {row["BlockId"] for row in csv.DictReader(fh)}
    assert len(seqs) == len(labelled) == 1200
    assert {s.key for s in seqs} == labelled

    # each session holds exactly the lines that name its block, as a plain grep counts them
    with gzip.open(log, "rt") as fh:
        expected = Counter(b for text in fh for b in set(re.findall(r"blk_-?\d+", text)))
    assert {s.key: len(s) for s in seqs} == expected
    assert grouper.stats.skipped == 0 and grouper.stats.evicted == grouper.stats.split == 0
    assert all(s.start is not None and s.start <= s.end for s in seqs)
    assert len({t for s in seqs for t in s.template_ids}) < 60
