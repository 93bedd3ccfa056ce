"""The GMM noisy-label filter on synthetic losses: it must raise the precision of what it keeps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.adapt import NoiseFilterConfig, clean_mask, per_sample_loss


def noisy_pseudo_labels(n: int, noise: float, seed: int):
    """A model that is right with confidence around 0.9; a share ``noise`` of labels is flipped."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n) < 0.3).astype(int)
    p_abnormal = np.clip(np.where(truth == 1, rng.normal(0.85, 0.1, n), rng.normal(0.1, 0.08, n)), 0.001, 0.999)
    flipped = rng.random(n) < noise
    labels = np.where(flipped, 1 - truth, truth)
    return labels, truth, 1 - p_abnormal


@pytest.mark.parametrize("noise", [0.1, 0.3])
def test_the_filter_raises_precision_over_keeping_all(noise):
    labels, truth, confidence = noisy_pseudo_labels(2000, noise, seed=1)
    result = clean_mask(per_sample_loss(confidence, labels), NoiseFilterConfig(tau_c=0.5))
    right = labels == truth
    keep_all = right.mean()
    kept = right[result.keep].mean()
    assert result.fitted and result.clean_mean < result.noisy_mean
    assert kept > keep_all + 0.5 * noise  # most of the flipped labels are dropped
    assert result.kept > 0.6 * len(labels)  # and most clean ones stay


def test_before_warmup_or_without_spread_everything_is_kept():
    assert clean_mask(np.array([0.1, 5.0, 0.2]), NoiseFilterConfig(warmup=10)).keep.all()
    flat = clean_mask(np.full(100, 0.3))
    assert flat.keep.all() and not flat.fitted


def test_loss_is_the_cross_entropy_of_the_label():
    loss = per_sample_loss(np.array([0.9, 0.9, 0.0]), np.array([0, 1, 1]))
    assert loss[0] == pytest.approx(-np.log(0.9)) and loss[1] == pytest.approx(-np.log(0.1))
    assert np.isfinite(loss[2]) and loss[2] < 1e-5


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=0, max_size=200), st.floats(0, 1))
def test_any_losses_give_a_mask_of_the_same_length(losses, tau):
    result = clean_mask(np.array(losses), NoiseFilterConfig(tau_c=tau, warmup=2))
    assert result.keep.shape == (len(losses),) and result.keep.dtype == bool


def test_same_seed_same_mask():
    labels, _, confidence = noisy_pseudo_labels(500, 0.2, seed=3)
    losses = per_sample_loss(confidence, labels)
    a, b = clean_mask(losses), clean_mask(losses)
    assert (a.keep == b.keep).all()
