"""The contract every detector follows (in the spirit of scikit-learn and River).

A detector turns :class:`SequenceBatch`es (sequences plus the id -> text map of their
templates) into :class:`Scores`: an anomaly score per sequence (higher is more abnormal), a
status (abnormal or not, at the detector's own threshold) and a confidence that the sequence
is normal, in [0, 1]. The collaboration layer reads status and confidence: a sequence that is
abnormal or whose confidence is below tau goes to the LLM.

The split of work, so every detector is the same where it can be:

* :meth:`Detector.featurize` -> a numpy array (the only place that reads Sequences);
* :meth:`Detector._fit_arrays` / :meth:`Detector._score_array` -> the model on arrays;
* the base class checks shapes (:class:`DetectorInputError` says what was expected), picks the
  threshold on validation (:func:`best_f1_threshold`), maps scores to confidence
  (:class:`Calibration`), and saves/loads ``detector.json`` (name, format version, config,
  threshold, calibration) next to whatever the detector writes itself.

``fit(train, validation)``: the train labels are used only by supervised detectors; the
unsupervised ones fit on the train sequences labelled normal (or all of them when there are no
labels). Validation labels choose the threshold, and the epochs of the deep models (early
stopping); with no label at all (as ``logsieve learn`` fits), a quantile of the history's own
scores at the config's ``expected_share`` sets the threshold. A supervised detector whose train
split holds one class while validation holds both is cross-fitted on train + validation when it
can be (``cross_fittable``): out-of-fold scores choose the threshold, then it is refitted on all
of them (:mod:`logsieve.detectors.cross_fit`). Test data never enters ``fit``.
Same seed, same data -> same scores.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence as Seq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require
from logsieve.persist import read_json_marked, write_json_atomic
from logsieve.records import Sequence

np = require("numpy", purpose="the detectors")

META_FILE = "detector.json"
_FORMAT = "logsieve-detector"


class DetectorError(RuntimeError):
    """A detector cannot do what was asked (not fitted, a saved model of another version)."""


class DetectorInputError(ValueError):
    """Data of the wrong shape or kind; the message says what the detector expected."""


class DetectorConfig(BaseModel):
    """Settings every detector has. Subclasses add theirs; unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    expected_share: float = Field(default=0.02, gt=0.0, lt=0.5)
    """The share of sequences expected to be abnormal, used only when validation holds no labels
    (``logsieve learn``): the threshold then flags that share of the history's own scores. With
    labels the threshold is the one with the best validation F1 and this is ignored."""


@dataclass(frozen=True)
class SequenceBatch:
    """Sequences to fit on or score, with the text of every template id they use."""

    sequences: list[Sequence]
    templates: Mapping[int, str]

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def labels(self) -> "np.ndarray":
        """Labels as 0/1 (-1 where unknown)."""
        return np.array([-1 if s.label is None else int(s.label) for s in self.sequences], dtype=np.int64)

    def subset(self, mask: "np.ndarray") -> SequenceBatch:
        return SequenceBatch([s for s, keep in zip(self.sequences, mask) if keep], self.templates)


@dataclass(frozen=True)
class Scores:
    """Per sequence: ``score`` (higher = more abnormal), ``abnormal`` status, ``confidence``
    that the sequence is normal (in [0, 1])."""

    score: "np.ndarray"
    abnormal: "np.ndarray"
    confidence: "np.ndarray"

    def __len__(self) -> int:
        return len(self.score)


@dataclass
class FitReport:
    """What fitting did: sizes, seconds, the chosen threshold and epochs, validation F1."""

    train_sequences: int
    validation_sequences: int
    seconds: float = 0.0
    threshold: float = 0.0
    epochs: int | None = None
    validation_f1: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"train_sequences": self.train_sequences, "validation_sequences": self.validation_sequences,
                "train_seconds": round(self.seconds, 3), "threshold": self.threshold, "epochs": self.epochs,
                "validation_f1": None if self.validation_f1 is None else round(self.validation_f1, 4),
                **self.extra}


@dataclass
class Calibration:
    """Score -> confidence that the sequence is normal: a logistic curve through the threshold.

    ``confidence = 1 / (1 + exp((score - threshold) / scale))`` so a score at the threshold is
    0.5, well below it near 1. ``scale`` is the spread of the validation scores (their
    interquartile range / 4), so confidences mean the same on every detector's score scale.
    """

    threshold: float = 0.0
    scale: float = 1.0

    @classmethod
    def fit(cls, scores: "np.ndarray", threshold: float) -> Calibration:
        q75, q25 = np.percentile(scores, [75, 25]) if len(scores) else (1.0, 0.0)
        spread = float(q75 - q25) / 4 or float(np.std(scores)) / 4 or 1.0
        return cls(float(threshold), max(spread, 1e-6))

    def confidence(self, scores: "np.ndarray") -> "np.ndarray":
        z = np.clip((scores - self.threshold) / self.scale, -50, 50)
        return 1.0 / (1.0 + np.exp(z))


def best_f1_threshold(scores: "np.ndarray", labels: "np.ndarray") -> tuple[float, float]:
    """The threshold (``score >= t`` is abnormal) with the best F1 on labelled data, and that F1.

    Candidates are the midpoints between consecutive distinct scores, so the threshold does not
    sit on a validation sample. With no anomaly in ``labels`` there is nothing to choose from:
    the threshold goes just above the highest score (everything seen was normal).
    """
    known = labels >= 0
    scores, labels = scores[known].astype(np.float64), labels[known]
    if len(scores) == 0 or labels.sum() == 0:
        top = float(scores.max()) if len(scores) else 0.0
        return top + max(abs(top) * 1e-6, 1e-9), 0.0
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    tp = np.cumsum(y)
    fp = np.cumsum(1 - y)
    # only cut where the score changes: ties are all in or all out
    last_of_run = np.r_[s[1:] != s[:-1], True]
    tp, fp, cut = tp[last_of_run], fp[last_of_run], s[last_of_run]
    f1 = 2 * tp / (tp + fp + y.sum())
    best = int(np.argmax(f1))
    below = s[s < cut[best]]
    threshold = (cut[best] + below.max()) / 2 if len(below) else cut[best]
    return float(threshold), float(f1[best])


def quantile_threshold(scores: "np.ndarray", share: float) -> float:
    """The threshold (``score >= t`` is abnormal) that flags about ``share`` of ``scores``.

    Why a quantile: with no labels, the only thing known about the anomalies is how many a user
    expects, and the history's own scores say where that many begin. It sits midway between the
    last score kept normal and the first flagged one, so it is not a sample itself; where ties
    straddle the cut, the whole tie stays normal (a flood of equal scores is the normal case).
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if len(s) == 0:
        return 0.0
    k = int(np.floor(share * len(s)))
    if k <= 0:
        return float(s[0]) + max(abs(float(s[0])) * 1e-6, 1e-9)
    cut = s[k - 1]
    below = s[s < cut]
    if k < len(s) and s[k] == cut:  # a tie across the cut: flag only what is strictly above it
        above = s[s > cut]
        if len(above) == 0:
            return float(cut) + max(abs(float(cut)) * 1e-6, 1e-9)
        return float((above.min() + cut) / 2)
    return float((cut + below.max()) / 2) if len(below) else float(cut)


def prf(abnormal: "np.ndarray", labels: "np.ndarray") -> dict[str, float]:
    """Precision, recall and F1 of the abnormal class (sequences with unknown labels ignored)."""
    known = labels >= 0
    pred, y = abnormal[known].astype(bool), labels[known].astype(bool)
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


class Detector(ABC):
    """Base of every detector; see the module docstring for the contract."""

    name: ClassVar[str]
    config_type: ClassVar[type[DetectorConfig]] = DetectorConfig
    supervised: ClassVar[bool] = False
    cross_fittable: ClassVar[bool] = False
    """True where ``_fit_arrays`` never reads its validation arguments, so a supervised fit can be
    cross-fitted when train holds one class (see :mod:`logsieve.detectors.cross_fit`)."""
    version: ClassVar[int] = 1
    reads_versions: ClassVar[tuple[int, ...]] = ()
    """Older format versions this class still loads (its ``_set_model_state`` upgrades them)."""

    def __init__(self, config: DetectorConfig | Mapping[str, Any] | None = None) -> None:
        if config is None:
            config = self.config_type()
        elif not isinstance(config, self.config_type):
            config = self.config_type.model_validate(dict(config) if isinstance(config, Mapping) else config.model_dump())
        self.config = config
        self.calibration: Calibration | None = None

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        """Sequences -> the array the model reads (fitted feature state is the detector's)."""

    @abstractmethod
    def _fit_arrays(self, x: "np.ndarray", y: "np.ndarray", x_val: "np.ndarray", y_val: "np.ndarray") -> dict[str, Any]:
        """Fit the model. ``y`` is 0/1/-1; return extras for the report (e.g. ``epochs``)."""

    @abstractmethod
    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        """Anomaly score per row, higher = more abnormal."""

    def _fit_features(self, train: SequenceBatch) -> None:
        """Fit feature state (vocabulary, IDF) on the train sequences; default: nothing."""

    @abstractmethod
    def _expected_shape(self) -> tuple[int | None, ...]:
        """The shape ``featurize`` gives, ``None`` where any size goes (the batch axis at least)."""

    @abstractmethod
    def _save_model(self, path: Path) -> dict[str, Any]:
        """Write model files into ``path``; return metadata to keep in ``detector.json``."""

    @abstractmethod
    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        """Read back what :meth:`_save_model` wrote."""

    # ------------------------------------------------------------------ the contract
    @property
    def fitted(self) -> bool:
        return self.calibration is not None

    def fit(self, train: SequenceBatch, validation: SequenceBatch) -> FitReport:
        """Fit on ``train``; choose threshold (and epochs, where a model has them) on ``validation``.

        A supervised, ``cross_fittable`` detector whose train split holds one class while
        validation holds both is cross-fitted on train + validation instead (the threshold then
        comes from out-of-fold scores; the report's ``threshold_rule`` says so).
        """
        _check_batch(train, "train")
        _check_batch(validation, "validation")
        start = time.perf_counter()
        y = train.labels
        if self.supervised and not ((y == 0).any() and (y == 1).any()):
            from logsieve.detectors.cross_fit import cross_fit, has_both_classes

            if self.cross_fittable and has_both_classes(validation.labels):
                return cross_fit(self, train, validation)
            raise DetectorInputError(f"{self.name} is supervised: the train sequences need both normal and "
                                     "abnormal labels" + (" (or validation both, to cross-fit on train + "
                                     "validation)" if self.cross_fittable else ""))
        self._fit_features(train)
        x, x_val = self.featurize(train), self.featurize(validation)
        self.check_array(x)
        extra = self._fit_arrays(x, y, x_val, validation.labels)
        val_scores = self._score_array(x_val)
        if (validation.labels >= 0).any():
            threshold, val_f1 = best_f1_threshold(val_scores, validation.labels)
            self.calibration = Calibration.fit(val_scores, threshold)
        else:  # no label anywhere: the history's own scores and the stated share decide
            history = np.concatenate([np.asarray(self._score_array(x), dtype=np.float64), val_scores])
            threshold, val_f1 = quantile_threshold(history, self.config.expected_share), None
            self.calibration = Calibration.fit(history, threshold)
            extra["threshold_rule"] = f"label-free: top {self.config.expected_share:.1%} of {len(history)} history scores"
        return FitReport(len(train), len(validation), time.perf_counter() - start, threshold,
                         extra.pop("epochs", None), val_f1, extra)

    def score(self, batch: SequenceBatch) -> Scores:
        """Score a batch (any size, one pass); the model must be fitted or loaded."""
        if self.calibration is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        _check_batch(batch, "scored")
        return self.score_array(self.featurize(batch))

    def score_array(self, x: "np.ndarray") -> Scores:
        """Score already featurized rows (what :meth:`score` does after :meth:`featurize`)."""
        if self.calibration is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        self.check_array(x)
        raw = np.asarray(self._score_array(x), dtype=np.float64)
        cal = self.calibration
        return Scores(raw, raw >= cal.threshold, cal.confidence(raw))

    def check_array(self, x: Any) -> None:
        """Refuse arrays of the wrong kind or shape, saying what was expected."""
        want = self._expected_shape()
        if not isinstance(x, np.ndarray):
            raise DetectorInputError(f"{self.name} expects a numpy array, got {type(x).__name__}")
        if x.ndim != len(want) or any(w is not None and w != got for w, got in zip(want, x.shape)):
            shown = tuple("any" if w is None else w for w in want)
            raise DetectorInputError(f"{self.name} expects an array of shape {shown}, got {x.shape}")
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise DetectorInputError(f"{self.name}: the input holds NaN or infinite values")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted detector to a directory (model files first, ``detector.json`` last)."""
        if self.calibration is None:
            raise DetectorError(f"nothing to save: {self.name} is not fitted")
        target = Path(path)
        target.mkdir(parents=True, exist_ok=True)
        extra = self._save_model(target)
        doc = {"format": _FORMAT, "version": self.version, "name": self.name,
               "config": self.config.model_dump(mode="json"),
               "calibration": {"threshold": self.calibration.threshold, "scale": self.calibration.scale},
               "model": extra}
        write_json_atomic(target / META_FILE, doc)
        return target

    @classmethod
    def load(cls, path: str | Path) -> Detector:
        """Restore a saved detector of this class (use :func:`load_detector` for any)."""
        target = Path(path)
        doc = read_meta(target)
        if doc.get("name") != cls.name:
            raise DetectorError(f"{target} holds a {doc.get('name')!r} detector, not {cls.name!r}")
        if doc.get("version") != cls.version and doc.get("version") not in cls.reads_versions:
            raise DetectorError(f"{target}: saved with {cls.name} format version {doc.get('version')}, this "
                                f"logsieve reads version {cls.version}; retrain with `logsieve train`")
        det = cls(cls.config_type.model_validate(doc["config"]))
        det._load_model(target, doc.get("model", {}))
        det.calibration = Calibration(**doc["calibration"])
        return det


def read_meta(path: Path) -> dict[str, Any]:
    """``detector.json`` of a saved detector (format marker checked; the class checks version)."""
    meta = path / META_FILE
    if not meta.exists():
        raise DetectorError(f"{path} holds no saved detector ({META_FILE} missing); "
                            "train one with `logsieve train --detector NAME --dataset D --out DIR`")
    return read_json_marked(meta, _FORMAT, what="a saved logsieve detector", error=DetectorError)


def _check_batch(batch: Any, what: str) -> None:
    if not isinstance(batch, SequenceBatch):
        raise DetectorInputError(f"the {what} data must be a SequenceBatch (sequences + template texts), "
                                 f"got {type(batch).__name__}")
    if len(batch) == 0:
        raise DetectorInputError(f"the {what} data holds no sequences")


def pad_ids(seqs: Seq[Sequence], max_len: int) -> tuple["np.ndarray", "np.ndarray"]:
    """Template-id matrix (n, L) right-padded with -1, L = min(longest, max_len), and lengths.

    A sequence longer than ``max_len`` keeps its *last* ``max_len`` lines: the end of a session
    is where failures show.
    """
    lens = np.array([min(len(s.template_ids), max_len) for s in seqs], dtype=np.int64)
    width = max(1, int(lens.max()) if len(lens) else 1)
    out = np.full((len(seqs), width), -1, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids = s.template_ids[-max_len:]
        out[i, : len(ids)] = ids
    return out, lens


def unlabelled(seqs: Seq[Sequence]) -> list[Sequence]:
    """Copies of ``seqs`` with no label (new lists, the same lines): what a label-free fit works
    on, whatever it was given, so no label can leak into it."""
    out = []
    for s in seqs:
        copy = s.head(len(s))
        copy.label = None
        out.append(copy)
    return out


def combine_batches(batches: Seq[SequenceBatch]) -> SequenceBatch:
    """One batch from several data sets, so one model can be fitted on many systems.

    Each data set numbers its templates from 1, so the same id means different templates in
    two of them. The first batch keeps its ids; every later one has its ids (in its sequences
    and its ``templates``) shifted past the largest id so far. Keys and labels are kept; the
    new sequences carry template ids only (no lines), which is all the detectors read.
    """
    sequences: list[Sequence] = []
    templates: dict[int, str] = {}
    for batch in batches:
        offset = max(templates, default=0)
        templates.update({tid + offset: text for tid, text in batch.templates.items()})
        sequences.extend(Sequence(s.key, [t + offset for t in s.template_ids], label=s.label)
                         for s in batch.sequences)
    return SequenceBatch(sequences, templates)
