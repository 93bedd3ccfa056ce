"""Label-free evaluation: fit through ``learn``'s path, read labels only to score the test split.

``logsieve evaluate detection --dataset D --label-free`` runs this. The data set's train and
validation splits together are the history a user would give ``learn`` (their labels are
stripped by :func:`logsieve.jobs.learn.fit_label_free` itself); the test split is scored with
the threshold the history chose. Beside it, the best supervised detector on the same split
(``supervised_f1``), so the label-free figure has its ceiling in the same run.

``clean_history`` drops the history's labelled anomalies before fitting: a measurement of what
unclean history costs, never a product setting (the product has no labels to clean with).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logsieve.detectors.base import SequenceBatch, prf
from logsieve.evaluate.datasets import LabelledDataset, load_dataset
from logsieve.evaluate.splits import SplitConfig
from logsieve.jobs.learn import LearnConfig, fit_label_free

SUPERVISED_PEERS: tuple[str, ...] = ("logreg",)
"""Supervised detectors run beside, for ``supervised_f1``: logreg is the strongest of the cheap
ones on every built-in data set (benchmarks/RESULTS.md); the deep ones take minutes."""


@dataclass
class LabelFreeRun:
    dataset: str
    detector: str
    expected_share: float
    share: float | None
    """The share the threshold rule used, where the detector estimates one from the history."""
    precision: float
    recall: float
    f1: float
    supervised_f1: float
    supervised_detector: str
    flagged_share: float
    history_sequences: int
    history_anomalies_dropped: int
    test_sequences: int
    test_anomalies: int
    threshold: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "detector": self.detector, "label_free": True,
                "expected_share": self.expected_share, "share": self.share,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "supervised_f1": round(self.supervised_f1, 4), "supervised_detector": self.supervised_detector,
                "flagged_share": round(self.flagged_share, 4), "history_sequences": self.history_sequences,
                "history": "clean (labelled anomalies dropped: a measurement only)"
                if self.history_anomalies_dropped else "as logged (no label read)",
                "history_anomalies_dropped": self.history_anomalies_dropped,
                "test_sequences": self.test_sequences, "test_anomalies": self.test_anomalies,
                "threshold": self.threshold, "seconds": round(self.seconds, 3)}


def label_free_scores(ds: LabelledDataset, config: LearnConfig, clean_history: bool = False):
    """Fit on the history (train + validation, in time order) and score the test split.

    Returns (abnormal flags of the test split, the fit, how many history anomalies were dropped).
    """
    history = ds.splits.train + ds.splits.validation
    dropped = 0
    if clean_history:
        kept = [s for s in history if s.label != 1]
        dropped, history = len(history) - len(kept), kept
    fitted = fit_label_free(history, ds.templates, config)
    test = SequenceBatch(ds.splits.test, ds.templates)
    return fitted.detector.score(test), fitted, dropped


def run_label_free(dataset: str, config: LearnConfig | None = None, *, data_dir: Path | None = None,
                   split: SplitConfig | None = None, clean_history: bool = False,
                   extra_specs: tuple[str | Path, ...] = (), supervised: bool = True,
                   loaded: LabelledDataset | None = None) -> LabelFreeRun:
    """The label-free figure of ``dataset`` and, beside it, the supervised one on the same split."""
    from logsieve.evaluate.detection import run_detection

    config = config or LearnConfig()
    start = time.perf_counter()
    ds = loaded or load_dataset(dataset, data_dir, split=split, extra_specs=extra_specs)
    scores, fitted, dropped = label_free_scores(ds, config, clean_history)
    seconds = time.perf_counter() - start
    test_labels = SequenceBatch(ds.splits.test, ds.templates).labels
    measured = prf(scores.abnormal, test_labels)
    best_f1, best_name = 0.0, ""
    if supervised:
        cache = {dataset: ds}
        for name in SUPERVISED_PEERS:
            try:
                run = run_detection(dataset, name, data_dir=data_dir, split=split, loaded=cache,
                                    extra_specs=extra_specs)
            except ValueError:  # e.g. no anomaly in the train split: the supervised peer cannot fit
                continue
            if run.f1 >= best_f1:
                best_f1, best_name = run.f1, name
    return LabelFreeRun(
        dataset=dataset, detector=config.detector, expected_share=config.expected_share,
        share=fitted.report.extra.get("share"),
        precision=measured["precision"], recall=measured["recall"], f1=measured["f1"],
        supervised_f1=best_f1, supervised_detector=best_name, flagged_share=fitted.flagged_share,
        history_sequences=len(fitted.train) + len(fitted.validation), history_anomalies_dropped=dropped,
        test_sequences=len(test_labels), test_anomalies=int((test_labels == 1).sum()),
        threshold=fitted.report.threshold, seconds=seconds)
