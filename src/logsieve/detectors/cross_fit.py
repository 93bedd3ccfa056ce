"""Cross-fitting: a supervised detector whose train split holds one class only.

Why: some data sets hand over their train split as "the source's normal sessions" and put the
first anomalies in validation (the AIT review's OpenStack and Hadoop sessions). Fitting on train
alone is then impossible for a supervised model, and fitting on train + validation leaves no
unseen labelled data to choose the threshold on. Cross-fitting keeps both honest:

1. pool train + validation, and cut the pool into ``k`` stratified folds (seeded: the same
   seed gives the same folds);
2. for each fold, fit a fresh detector of the same class and config on the other ``k - 1``
   folds (its features included) and score the held-out fold: every pooled sequence gets an
   *out-of-fold* score from a model that never saw it;
3. the threshold is the one with the best F1 on those out-of-fold scores, and the confidence
   curve is fitted on them too;
4. the detector itself is then refitted on the whole pool, and keeps that threshold.

Test data never enters. Only detectors whose ``_fit_arrays`` does not read its validation
arguments (``Detector.cross_fittable``) are fitted this way: a model that chooses epochs on
validation would need that held-out fold for the choice as well, and its out-of-fold scores
would no longer be out of sample.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from logsieve._optional import require
from logsieve.detectors.base import Calibration, DetectorInputError, FitReport, SequenceBatch, best_f1_threshold, prf

if TYPE_CHECKING:
    from logsieve.detectors.base import Detector

np = require("numpy", purpose="cross-fitting")

CROSS_FIT_FOLDS = 5
"""Folds when both classes have at least this many sequences; fewer when the rarer class is
smaller (every fold needs one of it), and at least 2."""


def has_both_classes(labels: "np.ndarray") -> bool:
    """True when ``labels`` (0/1/-1) hold at least one normal and one abnormal sequence."""
    return bool((labels == 0).any() and (labels == 1).any())


def stratified_folds(labels: "np.ndarray", k: int, seed: int) -> "np.ndarray":
    """A fold number in ``[0, k)`` per row: each class shuffled (seeded) and dealt round-robin,
    so every fold holds about ``1/k`` of each class. Rows labelled -1 are dealt as a class of
    their own (they are fitted on but never choose the threshold)."""
    rng = np.random.default_rng(seed)
    folds = np.empty(len(labels), dtype=np.int64)
    for cls in np.unique(labels):
        rows = np.flatnonzero(labels == cls)
        folds[rng.permutation(rows)] = np.arange(len(rows)) % k
    return folds


def cross_fit(det: "Detector", train: SequenceBatch, validation: SequenceBatch) -> FitReport:
    """Fit ``det`` on train + validation; its threshold from out-of-fold scores (module doc).

    The report's ``validation_f1`` is the out-of-fold F1 on the validation rows at the chosen
    threshold; ``extra`` holds ``threshold_rule`` (in words) and ``cross_fit`` (folds, seed,
    pooled size, out-of-fold F1 over the whole pool).
    """
    start = time.perf_counter()
    pool = SequenceBatch(train.sequences + validation.sequences, {**train.templates, **validation.templates})
    y = pool.labels
    rarer = int(min((y == 0).sum(), (y == 1).sum()))
    if not det.cross_fittable or rarer < 2:
        why = "its fit reads validation" if not det.cross_fittable else "fewer than 2 sequences of a class"
        raise DetectorInputError(f"{det.name} cannot be cross-fitted on train + validation ({why})")
    k = min(CROSS_FIT_FOLDS, rarer)
    seed = det.config.seed
    folds = stratified_folds(y, k, seed)
    oof = np.empty(len(pool), dtype=np.float64)
    for f in range(k):
        held = folds == f
        part = type(det)(det.config)
        oof[held] = _fit_and_score(part, pool.subset(~held), pool.subset(held))
    labelled = y >= 0
    threshold, pool_f1 = best_f1_threshold(oof, y)
    # refit on everything; the threshold chosen out of fold stays
    det._fit_features(pool)
    x = det.featurize(pool)
    det.check_array(x)
    extra = det._fit_arrays(x, y, x[:0], y[:0])
    det.calibration = Calibration.fit(oof[labelled], threshold)
    val_rows = np.r_[np.zeros(len(train), dtype=bool), np.ones(len(validation), dtype=bool)]
    val_f1 = prf(oof[val_rows] >= threshold, y[val_rows])["f1"]
    extra["threshold_rule"] = (f"out-of-fold: {k}-fold stratified cross-fit (seed {seed}) on train + validation "
                               f"({len(pool)} sequences) chose it; the model was then refitted on all of them")
    extra["cross_fit"] = {"folds": k, "seed": seed, "sequences": len(pool), "out_of_fold_f1": round(pool_f1, 4)}
    return FitReport(len(train), len(validation), time.perf_counter() - start, threshold,
                     extra.pop("epochs", None), val_f1, extra)


def _fit_and_score(det: "Detector", fit_on: SequenceBatch, held_out: SequenceBatch) -> "np.ndarray":
    """Fit ``det`` (features and model) on ``fit_on`` alone and score ``held_out`` raw."""
    det._fit_features(fit_on)
    x, y = det.featurize(fit_on), fit_on.labels
    det.check_array(x)
    det._fit_arrays(x, y, x[:0], y[:0])
    return np.asarray(det._score_array(det.featurize(held_out)), dtype=np.float64)
