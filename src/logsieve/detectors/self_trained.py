"""A label-free detector that makes its own labels: PCA seeds them, a logistic regression learns them.

Why: a label-free score needs a threshold, and a quantile of the history's scores (the stated
expected share) is only as good as that share. PCA's top scores are nearly all real anomalies,
though, and its lowest are nearly all normal. So the history is pseudo-labelled from both ends,

* abnormal: the sequences PCA flags at the expected share (:func:`quantile_threshold`);
* normal: those scoring at or below the quantile ``1 - normal_band * expected_share`` (with the
  defaults, the lowest 80%);
* the band in between is left unlabelled (unsure, not taught either way),

and a logistic regression (balanced classes) is fitted on those pseudo-labels, then flags at
its natural boundary, probability 0.5. It generalises from the templates PCA's flagged
sequences share to those just under PCA's cut, which is where the quantile rule loses recall.
A sequence is abnormal when either model says so: PCA keeps what the regression cannot weigh
(a template never seen in the history lands in the counter's unknown column, which no
pseudo-label taught the regression about).

No label is read: train and validation labels are ignored, whatever they hold. The measured
effect on every built-in data set is in benchmarks/RESULTS.md ("Your own logs, no labels").
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.base import Calibration, DetectorConfig, FitReport, SequenceBatch, quantile_threshold
from logsieve.detectors.classic import CountDetector, PcaConfig, PcaDetector, linear_state, logistic

np = require("numpy", purpose="the self-trained detector")

DECISION = 0.5
"""The combined score's cut: PCA's own threshold and the regression's probability 0.5 both map here."""


class SelfTrainedConfig(DetectorConfig):
    variance: float = Field(default=0.95, gt=0, lt=1)
    """PCA's kept variance (as ``pca``)."""
    normal_band: float = Field(default=10.0, ge=1.0)
    """Pseudo-normal: scores at or below the quantile 1 - normal_band x expected_share."""
    c: float = Field(default=1.0, gt=0)
    """The regression's inverse regularisation (as ``logreg``)."""


class SelfTrainedDetector(CountDetector):
    """PCA on template counts seeds pseudo-labels; a logistic regression learns from them."""

    name = "self-trained"
    config_type = SelfTrainedConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.seed: PcaDetector | None = None
        self.seed_threshold, self.seed_scale = 0.0, 1.0
        self.student: Any = None

    def fit(self, train: SequenceBatch, validation: SequenceBatch) -> FitReport:
        """Fit with the labels ignored, then pin the cut at :data:`DECISION` (both parts map there)."""
        report = super().fit(_strip(train), _strip(validation))
        self.calibration = Calibration(DECISION, 0.1)
        report.extra["replaced_threshold"] = report.threshold
        report.extra["threshold_rule"] = (f"self-trained: PCA flags the top {self.config.expected_share:.1%} of the "
                                          "history, a logistic regression learns from both ends; either flags")
        report.threshold, report.validation_f1 = DECISION, None
        return report

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        history = np.vstack([x, x_val]) if len(x_val) else x
        self.seed = PcaDetector(PcaConfig(variance=self.config.variance, seed=self.config.seed))
        self.seed._fit_arrays(history, np.full(len(history), -1), history[:0], np.zeros(0, dtype=np.int64))
        scores = self.seed._score_array(history)
        share = self.config.expected_share
        self.seed_threshold = quantile_threshold(scores, share)
        self.seed_scale = Calibration.fit(scores, self.seed_threshold).scale
        abnormal = scores >= self.seed_threshold
        low = np.quantile(scores, max(0.0, 1.0 - self.config.normal_band * share))
        normal = (scores <= low) & ~abnormal
        self.student = None
        if abnormal.sum() >= 2 and normal.sum() >= 2:
            keep = abnormal | normal
            student = LogisticRegression(C=self.config.c, class_weight="balanced", max_iter=2000,
                                         random_state=self.config.seed)
            student.fit(np.log1p(history[keep]), abnormal[keep].astype(np.int64))
            self.student = linear_state(student)
        return {"pseudo_abnormal": int(abnormal.sum()), "pseudo_normal": int(normal.sum()),
                "student": self.student is not None}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        z = np.clip((self.seed._score_array(x) - self.seed_threshold) / self.seed_scale, -50, 50)
        seed_part = 1.0 / (1.0 + np.exp(-z))  # PCA's threshold -> 0.5
        if self.student is None:
            return seed_part
        return np.maximum(seed_part, logistic(np.log1p(x), self.student))

    def _model_state(self) -> Any:
        seed = self.seed
        return {"seed": {"idf": seed.idf, "mean": seed.mean, "components": seed.components},
                "seed_threshold": self.seed_threshold, "seed_scale": self.seed_scale, "student": self.student}

    def _set_model_state(self, state: Any) -> None:
        self.seed = PcaDetector(PcaConfig(variance=self.config.variance, seed=self.config.seed))
        self.seed._set_model_state(state["seed"])
        self.seed_threshold, self.seed_scale = state["seed_threshold"], state["seed_scale"]
        self.student = None if state["student"] is None else linear_state(state["student"])


def _strip(batch: SequenceBatch) -> SequenceBatch:
    from logsieve.jobs.learn import unlabelled

    return SequenceBatch(unlabelled(batch.sequences), batch.templates)
