"""The label-free threshold rule: a quantile of the history's own scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from logsieve.detectors.base import quantile_threshold


def test_flags_the_stated_share_of_distinct_scores():
    scores = np.arange(1000, dtype=float)
    t = quantile_threshold(scores, 0.02)
    assert int((scores >= t).sum()) == 20
    assert not np.isin(t, scores)  # midway, never a sample


def test_a_tie_across_the_cut_stays_normal():
    scores = np.array([0.0] * 990 + [5.0] * 10)
    t = quantile_threshold(scores, 0.02)  # 20 wanted, only 10 stand above the tie
    assert int((scores >= t).sum()) == 10


def test_nothing_above_the_tie_flags_nothing():
    assert (np.zeros(50) >= quantile_threshold(np.zeros(50), 0.1)).sum() == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300), st.floats(0.001, 0.49))
def test_never_flags_more_than_the_share(values, share):
    scores = np.array(values)
    t = quantile_threshold(scores, share)
    assert (scores >= t).sum() <= max(0, int(np.floor(share * len(scores))))


def test_fit_without_labels_uses_the_quantile(shared_data):
    from logsieve.detectors import make_detector
    from logsieve.detectors.base import SequenceBatch
    from logsieve.evaluate.datasets import load_dataset
    from logsieve.jobs.learn import unlabelled

    ds = load_dataset("hdfs-logai", shared_data)
    train = SequenceBatch(unlabelled(ds.splits.train), ds.templates)
    val = SequenceBatch(unlabelled(ds.splits.validation), ds.templates)
    det = make_detector("pca", {"expected_share": 0.05})
    report = det.fit(train, val)
    assert report.validation_f1 is None and "label-free" in report.extra["threshold_rule"]
    flagged = det.score(SequenceBatch(train.sequences + val.sequences, ds.templates)).abnormal.mean()
    assert 0.0 < flagged <= 0.05 + 1e-9
    with pytest.raises(ValueError):
        make_detector("pca", {"expected_share": 0.7})
