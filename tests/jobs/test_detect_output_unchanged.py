"""``detect`` on the whole HDFS sample gives, verdict for verdict, what it gave before the speed
work of issue 24 (a faster hot path must not change a single verdict, line reference or score).

The digest below was taken from the code before that work (commit 1ecb8c5's reader, parser and
grouper) with the models committed in tests/fixtures/models: hdfs-sample-pca (made by ``logsieve
learn ../shared/data/hdfs_sample/HDFS_sample.log.gz --detector pca``) and
hdfs-sample-self-trained (``logsieve learn`` with its default detector, version 2). It covers every verdict's
JSON line (key, status, score, span, times, line count) and each stored sequence's template ids.
If a change means to alter verdicts (a new parser default, a new grouping rule), say so in its
commit and take the new digest from :func:`verdicts_digest`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from logsieve.ingest import get_format
from logsieve.jobs.detect import DetectJobConfig, run_detect

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"
MODEL = MODELS / "hdfs-sample-pca"
BEFORE = "9cf88c2b4d35faa679980940f1f3ab71ce84b610c4f702b113aad80e4ba0518d"
SELF_TRAINED = MODELS / "hdfs-sample-self-trained"  # learn's default detector, version 2 (severity counts)
SELF_TRAINED_BEFORE = "34960cf59ae74fc27e292b755f90b43fd2cd36ccd5d43d9245166ba7368cce72"


def verdicts_digest(jsonl: Path, store: Path, source: str) -> str:
    """sha256 over the JSONL verdicts (the source path written as its file name) and the
    template ids of each stored verdict, in key order."""
    h = hashlib.sha256()
    for line in sorted(jsonl.read_text().splitlines()):
        h.update(line.replace(source, Path(source).name).encode())
    with sqlite3.connect(store) as db:
        for key, ids in db.execute("SELECT seq_key, template_ids FROM verdicts ORDER BY seq_key"):
            h.update(f"{key}:{ids}".encode())
    return h.hexdigest()


def test_detect_gives_the_same_verdicts_as_before_on_the_hdfs_sample(shared_data, tmp_path):
    source = str(shared_data / "hdfs_sample" / "HDFS_sample.log.gz")
    job = DetectJobConfig((source,), MODEL, get_format("HDFS"), tmp_path / "v.db", mode="small-only",
                          llm=None, jsonl=tmp_path / "v.jsonl", explain=False, adapt=False)
    summary = run_detect(job)
    assert summary.sequences == 11_501 and summary.lines == 222_579
    assert verdicts_digest(tmp_path / "v.jsonl", tmp_path / "v.db", source) == BEFORE


def test_detect_with_learns_default_model_gives_the_same_verdicts_as_before(shared_data, tmp_path):
    source = str(shared_data / "hdfs_sample" / "HDFS_sample.log.gz")
    job = DetectJobConfig((source,), SELF_TRAINED, get_format("HDFS"), tmp_path / "v.db", mode="small-only",
                          llm=None, jsonl=tmp_path / "v.jsonl", explain=False, adapt=False)
    assert run_detect(job).anomalies == 383
    assert verdicts_digest(tmp_path / "v.jsonl", tmp_path / "v.db", source) == SELF_TRAINED_BEFORE
