"""The GMM filter keeps a cleaner share of noisy pseudo-labels than keeping all (toy data)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch
from logsieve.evaluate.label_noise import filter_precision, inject_noise
from logsieve.records import Sequence

TEMPLATES = {1: "open <*>", 2: "write <*>", 3: "close <*>", 4: "error writing <*>", 5: "retry <*>", 6: "sync <*>"}


def toy(n: int, seed: int, start: int) -> list[Sequence]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = int(rng.random() < 0.2)
        ids = [1] + [2] * rng.randint(1, 4) + ([6] if rng.random() < 0.5 else [])
        ids += [4, 5] * rng.randint(1, 2) if label else [3]
        out.append(Sequence(f"s{start + i}", ids, label=label))
    return out


def test_inject_noise_flips_about_the_share_asked_and_is_seeded():
    y = np.zeros(2000, dtype=int)
    flipped = inject_noise(y, 0.3, seed=1)
    assert 0.27 < flipped.mean() < 0.33
    np.testing.assert_array_equal(flipped, inject_noise(y, 0.3, seed=1))


@pytest.mark.parametrize("noise", [0.1, 0.3])
def test_filter_keeps_a_cleaner_set_than_keeping_all(noise):
    train, val = SequenceBatch(toy(200, 0, 0), TEMPLATES), SequenceBatch(toy(100, 1, 1000), TEMPLATES)
    pseudo = toy(300, 2, 2000)
    truth = np.array([s.label for s in pseudo])
    r = filter_precision(lambda: make_detector("logreg"), train, val, pseudo, truth, noise=noise, seed=3)
    assert r["gmm_fitted"]
    assert abs(r["keep_all_precision"] - (1 - noise)) < 0.06
    assert r["filter_precision"] > r["keep_all_precision"] + 0.05
    assert r["kept"] >= 0.5 * r["offered"]  # it drops the noise, not most of the data
