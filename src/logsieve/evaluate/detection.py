"""Detection evaluation: chronological splits, choices on validation, one pass over test.

``run_detection`` loads the data set(s) through the real pipeline (read -> Drain -> sessions or
windows, see :mod:`logsieve.evaluate.datasets`), fits a detector on the train split with the
validation split choosing its threshold (and epochs), then scores the test split once. Nothing
about the test split reaches ``fit``.

Several systems: ``fit_on`` names the data sets whose train and validation splits are
combined for fitting (their template ids are moved apart so they do not collide); the test
split is always the one of ``dataset``. ``fit_on=["bgl-2k"]`` with ``dataset="hdfs-sample"`` is
a transfer run (fit on one system, score another); only detectors that read template *texts*
can do that, since count vectors mean nothing across systems.
"""

from __future__ import annotations

import time
from dataclasses import replace
from collections.abc import Mapping, Sequence as Seq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logsieve._optional import require
from logsieve.detectors import make_detector
from logsieve.detectors.base import Detector, FitReport, SequenceBatch, prf
from logsieve.evaluate.datasets import LabelledDataset, load_dataset
from logsieve.evaluate.splits import SplitConfig

np = require("numpy", purpose="detection evaluation")


@dataclass
class DetectionRun:
    """One detector on one test split: the figures the issue's JSON contract names, and more."""

    dataset: str
    detector: str
    fit_on: list[str]
    precision: float
    recall: float
    f1: float
    train_sequences: int
    validation_sequences: int
    test_sequences: int
    test_anomalies: int
    train_seconds: float
    score_seconds: float
    report: FitReport
    splits: dict[str, Any] = field(default_factory=dict)
    model_dir: str | None = None

    @property
    def score_sequences_per_s(self) -> float:
        return self.test_sequences / self.score_seconds if self.score_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "detector": self.detector, "fit_on": self.fit_on,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
            "train_sequences": self.train_sequences, "validation_sequences": self.validation_sequences,
            "test_sequences": self.test_sequences, "test_anomalies": self.test_anomalies,
            "train_seconds": round(self.train_seconds, 3), "score_seconds": round(self.score_seconds, 4),
            "score_sequences_per_s": round(self.score_sequences_per_s, 1),
            "threshold": self.report.threshold, "epochs": self.report.epochs,
            "validation_f1": None if self.report.validation_f1 is None else round(self.report.validation_f1, 4),
            # how the threshold was chosen where it was not the best F1 on validation (label-free,
            # fixed, or out-of-fold scores of a cross-fit on train + validation) and the folds
            "threshold_rule": self.report.extra.get("threshold_rule"),
            "cross_fit": self.report.extra.get("cross_fit"),
            "splits": self.splits, "model_dir": self.model_dir,
        }


def split_batches(ds: LabelledDataset) -> tuple[SequenceBatch, SequenceBatch, SequenceBatch]:
    """Train, validation and test of a loaded data set as detector batches."""
    s = ds.splits
    return (SequenceBatch(s.train, ds.templates), SequenceBatch(s.validation, ds.templates),
            SequenceBatch(s.test, ds.templates))


def evaluate_detector(
    detector: Detector, train: SequenceBatch, validation: SequenceBatch, test: SequenceBatch, *,
    fitted: bool = False, report: FitReport | None = None,
) -> tuple[FitReport, dict[str, float], float]:
    """Fit (unless ``fitted``), then score ``test`` in one pass: report, P/R/F1, score seconds."""
    if not fitted:
        report = detector.fit(train, validation)
    elif report is None:
        report = FitReport(len(train), len(validation))
    start = time.perf_counter()
    scores = detector.score(test)
    seconds = time.perf_counter() - start
    return report, prf(scores.abnormal, test.labels), seconds


def run_detection(
    dataset: str,
    detector: str,
    config: Mapping[str, Any] | None = None,
    *,
    fit_on: Seq[str] | None = None,
    data_dir: Path | None = None,
    split: SplitConfig | None = None,
    save_to: Path | None = None,
    loaded: dict[str, LabelledDataset] | None = None,
    extra_specs: Seq[str | Path] = (),
) -> DetectionRun:
    """Load, fit on ``fit_on`` (default: ``dataset`` itself), test on ``dataset``'s test split.

    ``loaded`` caches data sets between calls (a benchmark runs many detectors on one load).
    ``save_to`` keeps the fitted detector there (``logsieve train`` uses it).
    """
    loaded = {} if loaded is None else loaded
    names = list(fit_on or [dataset])

    def get(name: str) -> LabelledDataset:
        if name not in loaded:
            loaded[name] = load_dataset(name, data_dir, split=split, extra_specs=extra_specs)
        return loaded[name]

    target = get(dataset)
    if save_to is not None and getattr(target.spec, "kind", None) == "event_ids":
        raise ValueError(
            f"{dataset} holds event-id sequences, not log lines: a model trained on it could not read a "
            f"log file, so none is saved. Measure a detector on it with `logsieve evaluate detection "
            f"--dataset {dataset} --detector {detector}`; for `logsieve detect`, train on a data set of raw "
            "logs (see `logsieve datasets`) or on your own logs with `logsieve learn`."
        )
    train, validation, test = _fit_batches([get(n) for n in names], names, dataset, target)
    det = make_detector(detector, config or {})
    if names != [dataset] and not _reads_texts(det):
        raise ValueError(f"{detector} reads template ids, which mean nothing across data sets; "
                         "fit it on the test data set alone (text-based detectors: logmoe, mlad, autoencoder, knn)")
    if len(names) > 1 and dataset in names:  # several systems: the tested one gets its own threshold
        report = per_system_threshold(det, det.fit(train, validation),
                                      SequenceBatch(target.splits.validation, train.templates))
        report, scores, seconds = evaluate_detector(det, train, validation, test, fitted=True, report=report)
    else:
        report, scores, seconds = evaluate_detector(det, train, validation, test)
    if save_to is not None:
        save_bundle(save_to, det, target, validation, names, train=train, examples=len(names) == 1)
    return DetectionRun(
        dataset=dataset, detector=detector, fit_on=names,
        precision=scores["precision"], recall=scores["recall"], f1=scores["f1"],
        train_sequences=len(train), validation_sequences=len(validation), test_sequences=len(test),
        test_anomalies=int((test.labels == 1).sum()), train_seconds=report.seconds, score_seconds=seconds,
        report=report, splits=target.splits.summary(), model_dir=None if save_to is None else str(save_to),
    )


def per_system_threshold(det: Detector, report: FitReport, own_validation: SequenceBatch) -> FitReport:
    """One model fitted on several systems, one threshold per system: the system under test gets
    the threshold that is best on *its own* validation part.

    Why: the systems' scores live on different scales (a system with few train sequences sees
    mostly unseen templates on validation, and all its sequences score high), so one threshold
    chosen on the combined validation split serves neither. The model and its epochs stay those
    chosen on the combined split; only the cut moves, and only validation data chooses it.
    """
    from logsieve.detectors.base import Calibration, best_f1_threshold

    val_scores = np.asarray(det.score(own_validation).score, dtype=np.float64)
    threshold, val_f1 = best_f1_threshold(val_scores, own_validation.labels)
    det.calibration = Calibration.fit(val_scores, threshold)
    return replace(report, threshold=threshold, validation_f1=val_f1,
                   extra={**report.extra, "combined_threshold": report.threshold,
                          "combined_validation_f1": report.validation_f1})


def save_bundle(path: Path, det: Detector, ds: LabelledDataset, validation: SequenceBatch, fit_on: list[str],
                train: SequenceBatch | None = None, examples: bool = True) -> None:
    """A trained model directory that ``logsieve detect`` can run (:func:`logsieve.engine.write_bundle`):
    the detector, the parser state it was trained with, the data set's format and grouping,
    CoLA's tau chosen on validation, the known templates and the few-shot example bank."""
    from logsieve.engine import write_bundle

    train = train if train is not None else SequenceBatch(ds.splits.train, ds.templates)
    write_bundle(path, det, train, validation, parser=ds.parser, dataset=ds.spec.name, fit_on=fit_on,
                 log_format=ds.spec.format, grouping=ds.spec.grouping, examples=examples)


def _fit_batches(
    sets: list[LabelledDataset], names: list[str], dataset: str, target: LabelledDataset
) -> tuple[SequenceBatch, SequenceBatch, SequenceBatch]:
    """Train/validation (combined over ``sets``) and the test split of ``target``, in one id space."""
    _, _, test = split_batches(target)
    if len(sets) == 1:
        train, validation, _ = split_batches(sets[0])
        return train, validation, test
    from logsieve.detectors.base import combine_batches

    # The test data set goes first so its ids stay as they are and its test batch fits as is.
    order = sorted(range(len(sets)), key=lambda i: names[i] != dataset)
    parts = [split_batches(sets[i]) for i in order]
    train = combine_batches([p[0] for p in parts])
    validation = combine_batches([p[1] for p in parts])
    if dataset in names:
        test = SequenceBatch(test.sequences, train.templates)
    return train, validation, test


def _reads_texts(det: Detector) -> bool:
    from logsieve.detectors.classic import CountDetector
    from logsieve.detectors.floors import FloorDetector

    return not isinstance(det, (CountDetector, FloorDetector))
