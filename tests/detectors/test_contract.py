"""The detector contract, checked for every registered detector (scikit-learn's estimator
checks in spirit): fit/score/save/load round trip, determinism, shape checks, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from logsieve.detectors import detector_names, load_detector, make_detector
from logsieve.detectors.base import DetectorError, DetectorInputError, SequenceBatch, best_f1_threshold, prf
from logsieve.records import Sequence

from detector_data import TEMPLATES, splits

# Small settings so the whole suite stays fast; the defaults are what benchmarks measure.
FAST: dict[str, dict] = {
    "logmoe": {"epochs": 3, "hidden": 16},
    "mlad": {"epochs": 4, "batch_size": 32},
    "autoencoder": {"epochs": 5},
    "knn": {"epochs": 3},
    "pca": {},
    "iforest": {"trees": 50},
    "logreg": {},
    "decision-tree": {},
    "self-trained": {},
    "severity": {},
    "unseen-template": {},
    "seq-length": {},
    "count-novelty": {},
}

# The synthetic anomalies differ from normal sequences in their templates, not their length
# (a cut-short sequence plus an exception line is as long as a normal one), so the length floor
# cannot see them by design; tests/detectors/test_floors.py checks it on lengths.
BLIND_TO_SYNTHETIC = {"seq-length", "severity"}  # severity: the synthetic lines have no level field


@pytest.fixture(scope="module")
def data():
    return splits()


@pytest.fixture(scope="module", params=detector_names())
def fitted(request, data, tmp_path_factory):
    name = request.param
    train, val, _ = data
    det = make_detector(name, FAST.get(name, {}))
    report = det.fit(train, val)
    return name, det, report


def test_every_detector_has_fast_test_settings():
    assert set(FAST) == set(detector_names())


def test_fit_reports_and_scores_are_well_formed(fitted, data):
    name, det, report = fitted
    _, _, test = data
    assert report.train_sequences == len(data[0]) and report.seconds > 0
    s = det.score(test)
    assert len(s) == len(test)
    assert s.score.dtype == np.float64 and np.isfinite(s.score).all()
    assert ((s.confidence >= 0) & (s.confidence <= 1)).all()
    # status and confidence agree: abnormal means confidence at most one half
    assert (s.confidence[s.abnormal] <= 0.5 + 1e-9).all()
    # the synthetic anomalies are easy: every detector must find most of them
    if name not in BLIND_TO_SYNTHETIC:
        assert prf(s.abnormal, test.labels)["f1"] >= 0.7, name


def test_save_load_round_trip_gives_identical_scores(fitted, data, tmp_path):
    name, det, _ = fitted
    _, _, test = data
    before = det.score(test)
    det.save(tmp_path / name)
    again = load_detector(tmp_path / name)
    after = again.score(test)
    assert type(again) is type(det)
    np.testing.assert_array_equal(before.score, after.score)
    np.testing.assert_array_equal(before.abnormal, after.abnormal)


def test_same_seed_same_scores(fitted, data):
    name, det, _ = fitted
    train, val, test = data
    twin = make_detector(name, FAST.get(name, {}))
    twin.fit(train, val)
    np.testing.assert_allclose(det.score(test).score, twin.score(test).score, rtol=1e-5, atol=1e-7)


def test_wrong_shapes_and_kinds_are_refused_clearly(fitted, data):
    name, det, _ = fitted
    x = det.featurize(data[2])
    bad = x[..., :-1] if x.shape[-1] > 1 else np.concatenate([x, x], axis=-1)
    with pytest.raises(DetectorInputError, match="shape"):
        det.score_array(bad)
    with pytest.raises(DetectorInputError, match="shape"):
        det.score_array(x[0])
    with pytest.raises(DetectorInputError, match="numpy array"):
        det.score_array(x.tolist())
    with pytest.raises(DetectorInputError, match="SequenceBatch"):
        det.score(data[2].sequences)
    with pytest.raises(DetectorInputError, match="no sequences"):
        det.score(SequenceBatch([], TEMPLATES))


@pytest.mark.parametrize("name", detector_names())
def test_unfitted_detectors_say_so(name, tmp_path):
    det = make_detector(name, FAST.get(name, {}))
    with pytest.raises(DetectorError, match="not fitted"):
        det.score(SequenceBatch([Sequence("a", [1, 2])], TEMPLATES))
    with pytest.raises(DetectorError, match="not fitted"):
        det.save(tmp_path)
    with pytest.raises(DetectorError, match="no saved detector"):
        load_detector(tmp_path / "nothing")


def test_supervised_detectors_need_both_labels(data):
    """One class in train and in validation: nothing to learn the other from, not even by
    cross-fitting (tests/detectors/test_cross_fit.py covers a validation with both)."""
    train, val, _ = data
    normal_only = SequenceBatch([s for s in train.sequences if s.label == 0], TEMPLATES)
    normal_val = SequenceBatch([s for s in val.sequences if s.label == 0], TEMPLATES)
    for name in detector_names():
        det = make_detector(name, FAST.get(name, {}))
        if det.supervised:
            with pytest.raises(DetectorInputError, match="supervised"):
                det.fit(normal_only, normal_val)
            if not det.cross_fittable:
                with pytest.raises(DetectorInputError, match="supervised"):
                    det.fit(normal_only, val)


def test_unknown_config_keys_and_names_fail():
    with pytest.raises(KeyError, match="known"):
        make_detector("nope")
    with pytest.raises(ValueError):
        make_detector("pca", {"no_such_setting": 1})


def test_best_f1_threshold_separates_and_sits_between_scores():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1])
    t, f1 = best_f1_threshold(scores, labels)
    assert f1 == 1.0 and 0.3 < t < 0.8
    t, f1 = best_f1_threshold(scores, np.zeros(5, dtype=int))
    assert f1 == 0.0 and t > 0.9
