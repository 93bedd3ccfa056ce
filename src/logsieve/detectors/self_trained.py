"""A label-free detector that makes its own labels: PCA and the log's severity seed them, a
logistic regression learns them.

Why: a label-free score needs a threshold, and a quantile of the history's scores (the stated
expected share) is only as good as that share. PCA's top scores are nearly all real anomalies,
though, and its lowest are nearly all normal; and a line whose own level says error or worse
(:mod:`logsieve.features.severity`) is the one statement of trouble a log makes itself. So the
history is pseudo-labelled from both ends,

* abnormal: the sequences PCA flags at the share (:func:`quantile_threshold`; see below), and
  those holding a line of level error or worse;
* normal: those scoring at or below the quantile ``1 - normal_band * share`` (with the
  defaults, the lowest 80%) that hold no such line;
* the band in between is left unlabelled (unsure, not taught either way),

and a logistic regression (balanced classes) is fitted on those pseudo-labels, on the template
counts plus the count of severe lines, then flags at its natural boundary, probability 0.5.
It generalises from the templates the pseudo-abnormal sequences share to those just under
PCA's cut, which is where the quantile rule loses recall. A sequence is abnormal when the
regression says so or when it holds a severe line; with ``pca_votes`` (default) PCA's own
flag counts too (a template never seen in the history lands in the counter's unknown column,
which no pseudo-label taught the regression about). With too few pseudo-labels for a
regression (a short history), PCA and severity decide alone.

The share is not taken on faith. The stated ``expected_share`` is a prior; the history shows its
own anomalous cluster in the templates it rarely holds. A template that fewer than the prior's
share of the history's sequences hold cannot be a step every normal sequence takes, so the
sequences holding one are candidates, and their share is what the history itself says
(:func:`rare_template_share`). PCA then flags the larger of the two (the prior is the floor,
``max_share`` a sanity cap), a block of equal scores at the cut going whole to the flagged side
when it is no larger than the share (:func:`whole_tie_threshold`). The estimate is dropped for
the prior when the model fitted at it flags far more of the history than it (``max_flag_ratio``):
the sign that PCA's ranking that deep reached a normal mode.

Why: with the prior alone the regression only learns the fault types inside PCA's top 2%; on
the OpenStack sessions (about 11% abnormal) that missed 44% of the anomalies. A history that
shows no such cluster keeps the prior (BGL's 30 windows: no template is rarer than one window).

No label is read: train and validation labels are ignored, whatever they hold. The measured
effect on every built-in data set is in benchmarks/RESULTS.md ("Your own logs, no labels").
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.base import (Calibration, DetectorConfig, FitReport, SequenceBatch, quantile_threshold,
                                     unlabelled)
from logsieve.detectors.classic import CountDetector, PcaConfig, PcaDetector, linear_state, logistic
from logsieve.features.severity import severe_lines

np = require("numpy", purpose="the self-trained detector")

DECISION = 0.5
"""The combined score's cut: PCA's own threshold and the regression's probability 0.5 both map here."""


class SelfTrainedConfig(DetectorConfig):
    variance: float = Field(default=0.95, gt=0, lt=1)
    """PCA's kept variance (as ``pca``)."""
    normal_band: float = Field(default=10.0, ge=1.0)
    """Pseudo-normal: scores at or below the quantile 1 - normal_band x the share PCA flags."""
    c: float = Field(default=1.0, gt=0)
    """The regression's inverse regularisation (as ``logreg``)."""
    pca_votes: bool = True
    """PCA's own flag counts in the final vote (beside the regression and the severity rule)."""
    share_from_rare: bool = True
    """Raise the share PCA flags to the history's rare-template share when that is larger
    (:func:`rare_template_share`), ties at the cut by :func:`whole_tie_threshold`; off, the
    stated ``expected_share`` and :func:`quantile_threshold` are used as they are (version 2)."""
    max_flag_ratio: float = Field(default=5.0, ge=1.0)
    """The estimate is kept only if the model fitted at it flags at most this many times the
    estimated share of the history; otherwise it is refitted at ``expected_share``. Why: when
    PCA's ranking at the estimate reaches a normal mode, the regression learns that mode and
    flags a large part of the history (the whole HDFS sample: 2.7% estimated, 21.6% flagged);
    a fit that agrees with its own pseudo-labels flags about 2x (1.9x on the OpenStack sessions
    and on hdfs-sample's history). 5 is the factor ``learn`` already uses to reject ALPHA's labels
    (``LearnConfig.alpha_max_share``), not a tuned value."""
    max_share: float = Field(default=0.25, gt=0, lt=0.5)
    """The most the rare-template estimate may raise the share to: a sanity bound for a history
    whose templates are nearly all rare (a parser splitting too finely), not a tuned value; it
    binds on none of the built-in data sets."""


def rare_template_share(counts: "np.ndarray", prior: float) -> float:
    """Share of the rows (sequences) that hold a column (template) fewer than ``prior`` of the
    rows hold.

    Why: if about ``prior`` of the sequences are abnormal, a template held by fewer than that
    share is not part of what normal sequences do; the sequences holding such templates are the
    anomalous cluster the history shows on its own, and their share is its estimate of how many
    anomalies it holds. Columns no row holds count for nothing.
    """
    if len(counts) == 0:
        return 0.0
    present = counts > 0
    rare = present.mean(axis=0) < prior
    return float((present[:, rare]).any(axis=1).mean())


def whole_tie_threshold(scores: "np.ndarray", share: float) -> float:
    """:func:`quantile_threshold`, except that a tie straddling the cut is flagged whole when it
    holds no more sequences than the share does (:func:`quantile_threshold` always keeps it
    normal).

    Why: equal scores are one behaviour (the same template counts), and an estimated share
    counts sequences, so it can end inside a block of identical ones. A behaviour shared by more
    sequences than the share is common, and stays normal, as before; a smaller one is a
    candidate cluster like the rare templates' ones. On the OpenStack sessions keeping such a
    block normal hid a whole fault type (20-26 identical sequences) from the regression on some
    random splits (recall 0.57). Taking the tie in at most doubles the flagged share.
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    k = int(np.floor(share * len(s)))
    if k <= 0 or k >= len(s) or s[k] != s[k - 1]:
        return quantile_threshold(scores, share)
    cut = s[k - 1]
    if int((s == cut).sum()) > k:
        return quantile_threshold(scores, share)
    below = s[s < cut]
    return float((cut + below.max()) / 2) if len(below) else float(cut) - max(abs(float(cut)) * 1e-6, 1e-9)


class SelfTrainedDetector(CountDetector):
    """PCA on template counts seeds pseudo-labels; a logistic regression learns from them."""

    name = "self-trained"
    config_type = SelfTrainedConfig
    version = 3  # 2: features template counts + severe lines; 3: the share PCA flagged is kept
    reads_versions = (2,)  # a version-2 state has no share: its share was the expected share

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.seed: PcaDetector | None = None
        self.seed_threshold, self.seed_scale = 0.0, 1.0
        self.student: Any = None
        self.share = self.config.expected_share

    def fit(self, train: SequenceBatch, validation: SequenceBatch) -> FitReport:
        """Fit with the labels ignored, then pin the cut at :data:`DECISION` (both parts map there)."""
        report = super().fit(_strip(train), _strip(validation))
        self.calibration = Calibration(DECISION, 0.1)
        report.extra["replaced_threshold"] = report.threshold
        prior = self.config.expected_share
        source = (f"the history's rare-template share, above the expected {prior:.1%}" if self.share > prior
                  else "the expected share")
        if report.extra.get("estimate_rejected"):
            source += (f"; the history's estimate {report.extra['estimated_share']:.1%} was dropped: the model "
                       f"fitted at it flagged {report.extra['flagged_at_estimate']:.1%} of the history")
        report.extra["threshold_rule"] = (f"self-trained: PCA flags the top {self.share:.1%} of the history "
                                          f"({source}), a logistic regression learns from both ends; either flags")
        report.threshold, report.validation_f1 = DECISION, None
        return report

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        """Template counts, then one column: the sequence's lines of level error or worse."""
        counts = super().featurize(batch)
        severe = np.array([severe_lines(s.header_fields) for s in batch.sequences], dtype=np.float64)
        return np.hstack([counts, severe[:, None]])

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, self.counter.dim + 1)

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        history = np.vstack([x, x_val]) if len(x_val) else x
        counts, severe = history[:, :-1], history[:, -1] > 0
        self.seed = PcaDetector(PcaConfig(variance=self.config.variance, seed=self.config.seed))
        self.seed._fit_arrays(counts, np.full(len(counts), -1), counts[:0], np.zeros(0, dtype=np.int64))
        scores = self.seed._score_array(counts)
        prior = self.config.expected_share
        estimate = self.estimate_share(counts)
        extra = self._fit_at(estimate, history, scores, severe)
        flagged = float((self._score_array(history) >= DECISION).mean())
        rejected = estimate > prior and flagged > self.config.max_flag_ratio * estimate
        if rejected:  # the estimate taught the regression a normal mode: back to the prior
            extra = self._fit_at(prior, history, scores, severe)
        return {**extra, "share": round(self.share, 4), "estimated_share": round(estimate, 4),
                "estimate_rejected": bool(rejected), "flagged_at_estimate": round(flagged, 4),
                "rare_template_share": round(rare_template_share(counts, prior), 4)}

    def _fit_at(self, share: float, history: "np.ndarray", scores: "np.ndarray", severe: "np.ndarray",
                ) -> dict[str, Any]:
        """Pseudo-label the history with PCA flagging ``share`` and fit the regression on it."""
        from sklearn.linear_model import LogisticRegression

        self.share = share
        self.seed_threshold = whole_tie_threshold(scores, share) if self.config.share_from_rare \
            else quantile_threshold(scores, share)
        self.seed_scale = Calibration.fit(scores, self.seed_threshold).scale
        abnormal = (scores >= self.seed_threshold) | severe
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
                "pseudo_severe": int(severe.sum()), "student": self.student is not None}

    def estimate_share(self, counts: "np.ndarray") -> float:
        """The share PCA flags on the history: the expected share, raised to the rare-template
        share (capped at ``max_share``) when that is larger and ``share_from_rare`` is on."""
        prior = self.config.expected_share
        if not self.config.share_from_rare:
            return prior
        return max(prior, min(self.config.max_share, rare_template_share(counts, prior)))

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        z = np.clip((self.seed._score_array(x[:, :-1]) - self.seed_threshold) / self.seed_scale, -50, 50)
        seed_part = 1.0 / (1.0 + np.exp(-z))  # PCA's threshold -> 0.5
        severe_part = np.where(x[:, -1] > 0, 0.75, 0.0)  # a severe line alone flags (0.75 > 0.5)
        if self.student is None:
            return np.maximum(seed_part, severe_part)
        student = logistic(np.log1p(x), self.student)
        votes = [student, severe_part] + ([seed_part] if self.config.pca_votes else [])
        return np.maximum.reduce(votes)

    def _model_state(self) -> Any:
        seed = self.seed
        return {"seed": {"idf": seed.idf, "mean": seed.mean, "components": seed.components},
                "seed_threshold": self.seed_threshold, "seed_scale": self.seed_scale, "student": self.student,
                "share": self.share}

    def _set_model_state(self, state: Any) -> None:
        self.seed = PcaDetector(PcaConfig(variance=self.config.variance, seed=self.config.seed))
        self.seed._set_model_state(state["seed"])
        self.seed_threshold, self.seed_scale = state["seed_threshold"], state["seed_scale"]
        self.student = None if state["student"] is None else linear_state(state["student"])
        self.share = float(state.get("share", self.config.expected_share))  # version 2 kept none


def _strip(batch: SequenceBatch) -> SequenceBatch:
    return SequenceBatch(unlabelled(batch.sequences), batch.templates)
