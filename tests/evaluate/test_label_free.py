"""Label-free evaluation: learn's path, and proof that no label is read before scoring."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.label_free import label_free_scores, run_label_free
from logsieve.jobs.learn import LearnConfig

_NO_LABELS = """
version: 1
datasets:
  hdfs-logai-unlabelled:
    description: "hdfs-logai with its labels removed"
    files: [logai/HDFS_20000.log]
    format: HDFS
    grouping: {kind: session, id_pattern: 'blk_-?\\d+', max_open: 50000, max_lines: 10000}
"""


def test_stripping_the_labels_gives_identical_scores(shared_data, tmp_path):
    spec = tmp_path / "unlabelled.yaml"
    spec.write_text(_NO_LABELS, "utf-8")
    labelled = load_dataset("hdfs-logai", shared_data)
    bare = load_dataset("hdfs-logai-unlabelled", shared_data, extra_specs=(spec,))
    assert any(s.label == 1 for s in labelled.splits.train + labelled.splits.validation)
    assert all(s.label is None for s in bare.splits.train + bare.splits.validation + bare.splits.test)
    config = LearnConfig()
    with_labels, fit_a, _ = label_free_scores(labelled, config)
    without, fit_b, _ = label_free_scores(bare, config)
    assert [s.key for s in labelled.splits.test] == [s.key for s in bare.splits.test]
    np.testing.assert_array_equal(with_labels.score, without.score)
    np.testing.assert_array_equal(with_labels.abnormal, without.abnormal)
    assert fit_a.report.threshold == fit_b.report.threshold
    # the caller's sequences keep their labels: the fit worked on copies
    assert any(s.label == 1 for s in labelled.splits.train + labelled.splits.validation)


def test_clean_history_drops_only_labelled_anomalies(shared_data):
    ds = load_dataset("hdfs-logai", shared_data)
    anomalies = sum(1 for s in ds.splits.train + ds.splits.validation if s.label == 1)
    run = run_label_free("hdfs-logai", data_dir=shared_data, clean_history=True, supervised=False, loaded=ds)
    assert run.history_anomalies_dropped == anomalies > 0
    assert run.as_dict()["history"].startswith("clean")


def test_label_free_json_contract(shared_data):
    res = subprocess.run([sys.executable, "-m", "logsieve", "evaluate", "detection", "--dataset", "bgl-2k",
                          "--label-free", "--data-dir", str(shared_data), "--json"], capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    doc = json.loads(res.stdout.decode().strip().splitlines()[-1])
    for key in ("f1", "precision", "recall", "supervised_f1"):
        assert 0.0 <= doc[key] <= 1.0
    assert doc["label_free"] is True and doc["detector"] == "self-trained"
    assert doc["history"] == "as logged (no label read)"


def test_supervised_detector_is_refused_with_the_label_free_ones_named(shared_data):
    res = subprocess.run([sys.executable, "-m", "logsieve", "evaluate", "detection", "--dataset", "bgl-2k",
                          "--label-free", "--detector", "logreg", "--data-dir", str(shared_data)],
                         capture_output=True, timeout=300)
    assert res.returncode == 2
    assert "needs labels" in res.stderr.decode() and "self-trained" in res.stderr.decode()
