"""How well the noisy pseudo-label filter works: precision of what it keeps.

:func:`filter_precision` takes pseudo-labels (sequences with the labels the LLM gave), the
true labels, and optionally flips a further seeded share of them (injected noise), then runs
the same filter step as the Adapter (:mod:`logsieve.adapt.adapter`): a warm-up model fitted on
the train split plus the pseudo-labels, each pseudo-label's loss under it, the 2-component GMM
(:func:`~logsieve.adapt.noise.clean_mask`). It reports the share of right labels among the kept
ones (``filter_precision``) and among all (``keep_all_precision``).
"""

from __future__ import annotations

from collections.abc import Callable

from logsieve._optional import require
from logsieve.adapt.noise import NoiseFilterConfig, clean_mask, per_sample_loss
from logsieve.detectors.base import Detector, SequenceBatch
from logsieve.records import Sequence

np = require("numpy", purpose="filter precision")


def inject_noise(labels: "np.ndarray", noise: float, seed: int) -> "np.ndarray":
    """``labels`` with each flipped with probability ``noise`` (seeded)."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    return np.where(rng.random(len(labels)) < noise, 1 - labels, labels)


def filter_precision(make: Callable[[], Detector], train: SequenceBatch, validation: SequenceBatch,
                     pseudo: list[Sequence], truth: "np.ndarray", noise: float = 0.0, seed: int = 0,
                     config: NoiseFilterConfig | None = None) -> dict:
    """See the module docstring; ``pseudo`` carry the given labels, ``truth`` the right ones."""
    truth = np.asarray(truth)
    noisy = inject_noise(np.array([int(s.label or 0) for s in pseudo]), noise, seed)
    offered = SequenceBatch([Sequence(s.key, list(s.template_ids), label=int(y)) for s, y in zip(pseudo, noisy)],
                            train.templates)
    warm = make()
    warm.fit(SequenceBatch(train.sequences + offered.sequences, train.templates), validation)
    losses = per_sample_loss(warm.score(offered).confidence, offered.labels)
    result = clean_mask(losses, config)
    right, keep = noisy == truth, result.keep
    return {"injected_noise": noise, "offered": int(len(noisy)), "label_error": round(float(1 - right.mean()), 4),
            "kept": int(keep.sum()), "filter_precision": round(float(right[keep].mean()) if keep.any() else 0.0, 4),
            "keep_all_precision": round(float(right.mean()), 4),
            "kept_wrong": int((keep & ~right).sum()), "dropped_right": int((~keep & right).sum()),
            "gmm_fitted": result.fitted}
