"""Detection evaluation through the real pipeline and the command line (classic detectors: fast)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logsieve.detectors import load_detector
from logsieve.evaluate.detection import run_detection

CONTRACT_KEYS = ("precision", "recall", "f1", "train_sequences", "test_sequences", "test_anomalies",
                 "train_seconds", "score_sequences_per_s")


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args], capture_output=True, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(res.stderr.decode()[-2000:])
    return res


def test_run_detection_uses_the_chronological_splits(shared_data):
    run = run_detection("bgl-2k", "pca", data_dir=shared_data)
    d = run.as_dict()
    assert (d["train_sequences"], d["validation_sequences"], d["test_sequences"]) == (20, 10, 70)
    assert d["test_anomalies"] == d["splits"]["test"]["anomalous"]
    assert 0.0 <= d["f1"] <= 1.0 and d["score_sequences_per_s"] > 0


def test_count_detectors_refuse_to_transfer(shared_data):
    with pytest.raises(ValueError, match="mean nothing across data sets"):
        run_detection("hdfs-logai", "logreg", fit_on=["bgl-2k"], data_dir=shared_data)


def test_evaluate_detection_json_contract(shared_data):
    res = cli("evaluate", "detection", "--dataset", "bgl-2k", "--detector", "iforest", "--set", "trees=20",
              "--data-dir", str(shared_data), "--json")
    d = json.loads(res.stdout.decode().strip().splitlines()[-1])
    for key in CONTRACT_KEYS:
        assert key in d, key
    assert d["test_sequences"] == 70


def test_train_saves_a_loadable_model(shared_data, tmp_path):
    out = tmp_path / "model"
    res = cli("train", "--detector", "logreg", "--dataset", "hdfs-logai", "--out", str(out),
              "--data-dir", str(shared_data), "--json")
    d = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert d["model_dir"] == str(out) and (out / "detector.json").exists()
    assert load_detector(out).name == "logreg"


def test_train_on_an_event_id_set_says_why_no_model_and_what_to_do(shared_data, tmp_path):
    out = tmp_path / "model"
    res = cli("train", "--detector", "pca", "--dataset", "openstack-kalaki-ait", "--out", str(out),
              "--data-dir", str(shared_data), check=False)
    assert res.returncode != 0 and not out.exists()
    err = " ".join(res.stderr.decode().split())
    assert "event-id sequences" in err and "logsieve evaluate detection" in err and "Traceback" not in err


def test_bad_detector_names_and_settings_say_what_to_do(shared_data):
    res = cli("evaluate", "detection", "--dataset", "bgl-2k", "--detector", "nope", check=False)
    assert res.returncode == 2 and b"known:" in res.stderr
    res = cli("evaluate", "detection", "--dataset", "bgl-2k", "--detector", "pca", "--set", "bogus=1",
              "--data-dir", str(shared_data), check=False)
    assert res.returncode == 2 and b"bogus" in res.stderr
    res = cli("evaluate", "detection", "--dataset", "bgl-2k", "--detector", "pca", "--set", "novalue", check=False)
    assert res.returncode == 2 and b"KEY=VALUE" in res.stderr



def test_a_system_gets_the_threshold_best_on_its_own_validation(shared_data):
    """Several systems, one model: the tested system's cut is the best on its own validation part
    (per_system_threshold), and the combined one is kept in the report."""
    from logsieve.detectors import make_detector
    from logsieve.detectors.base import best_f1_threshold
    from logsieve.evaluate.datasets import load_dataset
    from logsieve.evaluate.detection import per_system_threshold, split_batches

    train, validation, _ = split_batches(load_dataset("hdfs-logai", shared_data))
    det = make_detector("pca", {})
    report = det.fit(train, validation)
    own = type(validation)(validation.sequences[: len(validation) // 2], validation.templates)
    moved = per_system_threshold(det, report, own)
    assert moved.extra["combined_threshold"] == report.threshold
    assert moved.threshold == best_f1_threshold(det.score(own).score, own.labels)[0]
    assert det.calibration.threshold == moved.threshold


def test_one_class_train_split_is_cross_fitted_and_says_so(shared_data):
    """openstack-kalaki-ait's train split is the source's 50 normal sessions: logreg and the tree
    cross-fit on train + validation, and the JSON names the out-of-fold threshold rule."""
    loaded: dict = {}
    runs = {det: run_detection("openstack-kalaki-ait", det, data_dir=shared_data, loaded=loaded).as_dict()
            for det in ("logreg", "decision-tree")}
    for d in runs.values():
        assert d["train_sequences"] == 50 and d["threshold_rule"].startswith("out-of-fold")
        assert d["cross_fit"]["sequences"] == 50 + d["validation_sequences"]
    assert runs["logreg"]["f1"] >= 0.99
    assert runs["decision-tree"]["f1"] >= 0.999  # LogLead's DT/RF/XGB: 0.9991
