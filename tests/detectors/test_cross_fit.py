"""Cross-fitting a supervised detector whose train split holds one class only: folds,
threshold from out-of-fold scores, refit on train + validation, and when it is refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from logsieve.detectors import make_detector
from logsieve.detectors.base import DetectorInputError, SequenceBatch, best_f1_threshold, prf
from logsieve.detectors.cross_fit import CROSS_FIT_FOLDS, has_both_classes, stratified_folds

from detector_data import TEMPLATES, splits


def _normal_only(batch: SequenceBatch) -> SequenceBatch:
    return SequenceBatch([s for s in batch.sequences if s.label == 0], TEMPLATES)


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=200),
       k=st.integers(min_value=2, max_value=7), seed=st.integers(min_value=0, max_value=2**31))
def test_folds_deal_each_class_evenly_and_repeat_with_the_seed(labels, k, seed):
    y = np.array(labels, dtype=np.int64)
    folds = stratified_folds(y, k, seed)
    assert folds.shape == y.shape and ((folds >= 0) & (folds < k)).all()
    for cls in np.unique(y):
        per_fold = np.bincount(folds[y == cls], minlength=k)
        assert per_fold.max() - per_fold.min() <= 1, (cls, per_fold)
    np.testing.assert_array_equal(folds, stratified_folds(y, k, seed))


def test_has_both_classes():
    assert has_both_classes(np.array([0, 1, -1]))
    assert not has_both_classes(np.array([0, 0, -1]))
    assert not has_both_classes(np.array([], dtype=np.int64))


@pytest.mark.parametrize("name", ["logreg", "decision-tree"])
def test_normal_only_train_is_cross_fitted_on_train_plus_validation(name):
    train, val, test = splits()
    train = _normal_only(train)
    det = make_detector(name)
    report = det.fit(train, val)
    assert report.extra["threshold_rule"].startswith("out-of-fold")
    cf = report.extra["cross_fit"]
    assert cf == {"folds": CROSS_FIT_FOLDS, "seed": 0, "sequences": len(train) + len(val),
                  "out_of_fold_f1": cf["out_of_fold_f1"]}
    assert (report.train_sequences, report.validation_sequences) == (len(train), len(val))
    assert prf(det.score(test).abnormal, test.labels)["f1"] >= 0.9
    twin = make_detector(name)
    twin.fit(train, val)
    np.testing.assert_array_equal(det.score(test).score, twin.score(test).score)


def test_the_threshold_is_the_best_on_out_of_fold_scores():
    """Recomputed by hand: fresh models on k-1 folds score the held-out fold; the best F1 cut of
    those scores is the threshold (not the in-sample scores of the final model)."""
    train, val, _ = splits()
    train = _normal_only(train)
    det = make_detector("logreg")
    report = det.fit(train, val)
    pool = SequenceBatch(train.sequences + val.sequences, TEMPLATES)
    y = pool.labels
    folds = stratified_folds(y, CROSS_FIT_FOLDS, 0)
    oof = np.empty(len(pool))
    for f in range(CROSS_FIT_FOLDS):
        part = make_detector("logreg")
        fit_on = pool.subset(folds != f)
        part._fit_features(fit_on)
        x = part.featurize(fit_on)
        part._fit_arrays(x, fit_on.labels, x[:0], fit_on.labels[:0])
        oof[folds == f] = part._score_array(part.featurize(pool.subset(folds == f)))
    threshold, f1 = best_f1_threshold(oof, y)
    assert report.threshold == pytest.approx(threshold)
    assert report.extra["cross_fit"]["out_of_fold_f1"] == round(f1, 4)
    # the final model is the one fitted on the whole pool (train + validation)
    whole = make_detector("logreg")
    whole._fit_features(pool)
    x = whole.featurize(pool)
    whole._fit_arrays(x, y, x[:0], y[:0])
    np.testing.assert_allclose(det.model["coef"], whole.model["coef"])
    assert det.model["intercept"] == pytest.approx(whole.model["intercept"])


def test_a_single_anomaly_is_too_few_to_cross_fit():
    train, val, _ = splits()
    first = next(i for i, s in enumerate(val.sequences) if s.label == 1)
    one = SequenceBatch([s for i, s in enumerate(val.sequences) if s.label == 0 or i == first], TEMPLATES)
    with pytest.raises(DetectorInputError, match="cannot be cross-fitted"):
        make_detector("logreg").fit(_normal_only(train), one)


def test_train_with_both_classes_keeps_the_validation_threshold():
    train, val, _ = splits()
    report = make_detector("logreg").fit(train, val)
    assert "cross_fit" not in report.extra and "threshold_rule" not in report.extra
