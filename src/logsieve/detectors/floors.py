"""The trivial floors of Landauer et al.: a deep model only counts if it beats these.

Landauer, Skopik and Wurzenberger ("A critical review of common log data sets used for
evaluation of sequence-based anomaly detection techniques", FSE 2024) showed that on the usual
data sets a large share of the anomalies is caught by rules that need no model at all. Their
evaluation code (``evaluate.py`` of ait-aecid/anomaly-detection-log-datasets) flags a test
sequence when

* it holds an event type that no training sequence holds ("new event detection");
* its length lies outside ``[min, max]`` of the training lengths ("sequence length detection");
* its event count vector is not equal to one seen in training ("count vector clustering": the
  smallest normalised Manhattan distance to a training vector, cut at a threshold; at the
  cut "distance > 0" this is exact novelty of the count vector).

Each rule is a registered detector here. All three are fitted on the train sequences not
labelled abnormal (all of them when there are no labels), as the paper fits on its normal
``_train`` file. Their scores are 0 for "nothing new" and at least 1 for "something new",
so their threshold is fixed at 0.5 (``score > 0``, i.e. novel), whatever validation says:
these are the paper's rules, and letting validation move the cut would make them tuned
detectors instead of floors. The score beyond 0 grades *how* new a sequence is, which the
paper's binary rules do not, so the collaboration layer gets a confidence that falls with it.

Speed: featurizing is one pass over each sequence's ids; scoring is arithmetic on a column,
except count novelty, which looks every distinct count vector up in a hash set and measures
a distance only for the novel ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from logsieve._optional import require
from logsieve.detectors.base import (
    Calibration,
    Detector,
    DetectorInputError,
    FitReport,
    SequenceBatch,
    prf,
)
from logsieve.features.config import CountsConfig
from logsieve.features.counts import TemplateCounter

np = require("numpy", purpose="the floor detectors")

NOVEL_THRESHOLD = 0.5
"""Scores are 0 (nothing new) or >= 1 (something new): the cut sits between, so ``score > 0``."""
NOVEL_SCALE = 0.1
"""Calibration spread: score 0 -> confidence 0.993 that the sequence is normal, score 1 -> 0.007.
Fixed rather than fitted on validation, because validation scores of a novelty rule are mostly
0 and their spread says nothing about how sure the rule is."""

COUNTS_FILE = "counts.json"
_CHUNK_CELLS = 4_000_000  # queries x reference x columns per distance block (32 MB of float64)


class FloorDetector(Detector):
    """Shared part: fitted on the sequences not labelled abnormal, threshold fixed at novelty."""

    supervised: ClassVar[bool] = False

    def fit(self, train: SequenceBatch, validation: SequenceBatch, *args: Any, **kwargs: Any) -> FitReport:
        """Fit as every detector does, then pin the threshold at novelty (``score > 0``).

        The base class's choice (best validation F1, or a quantile of the history's scores
        without labels; ``expected_share`` is therefore unused here) is replaced, not used; it
        is kept in the report as ``replaced_threshold`` so a reader can see what a tuned cut
        would have been. The report's ``validation_f1`` is the one at the fixed cut (None when
        validation has no labels).
        """
        report = super().fit(train, validation, *args, **kwargs)
        self.calibration = Calibration(NOVEL_THRESHOLD, NOVEL_SCALE)
        labels = validation.labels
        val_f1 = prf(self.score(validation).abnormal, labels)["f1"] if (labels >= 0).any() else None
        report.extra["replaced_threshold"] = report.threshold
        report.extra["threshold_rule"] = "fixed: novelty (score > 0), validation not used"
        report.threshold, report.validation_f1 = NOVEL_THRESHOLD, val_f1
        return report

    @staticmethod
    def _reference(train: SequenceBatch) -> SequenceBatch:
        """The train sequences not labelled abnormal: what "seen" means for a floor."""
        keep = train.labels != 1
        if not keep.any():
            raise DetectorInputError("a floor detector needs at least one train sequence not labelled abnormal")
        return train.subset(keep)

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        return {}

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, 1)


class UnseenTemplateDetector(FloorDetector):
    """Score: how many distinct template ids of the sequence no fit sequence holds.

    The paper's "new event detection" flags a sequence with at least one; the count only
    grades how new it is (the decision at the fixed cut is the paper's).
    """

    name = "unseen-template"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.known: frozenset[int] = frozenset()

    def _fit_features(self, train: SequenceBatch) -> None:
        self.known = frozenset(t for s in self._reference(train).sequences for t in s.template_ids)

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        known = self.known
        unseen = (len(set(s.template_ids).difference(known)) for s in batch.sequences)
        return np.fromiter(unseen, dtype=np.float64, count=len(batch)).reshape(-1, 1)

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        return x[:, 0]

    def _save_model(self, path: Path) -> dict[str, Any]:
        return {"known_ids": sorted(self.known)}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        self.known = frozenset(int(t) for t in meta["known_ids"])


class SequenceLengthDetector(FloorDetector):
    """Score: how many lines the sequence's length lies outside ``[min, max]`` of the fit lengths.

    0 inside the range. The paper's "sequence length detection" flags a length below the
    minimum or above the maximum of its training lengths; we follow that range rule, not a
    frequency of each length (a length never seen but inside the range is normal, as there).
    The distance in lines grades how far out a sequence is.
    """

    name = "seq-length"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.min_length: int | None = None
        self.max_length: int | None = None

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        lengths = (len(s.template_ids) for s in batch.sequences)
        return np.fromiter(lengths, dtype=np.float64, count=len(batch)).reshape(-1, 1)

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        seen = x[y != 1, 0]
        if len(seen) == 0:
            raise DetectorInputError("seq-length needs at least one train sequence not labelled abnormal")
        self.min_length, self.max_length = int(seen.min()), int(seen.max())
        return {"min_length": self.min_length, "max_length": self.max_length}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        lengths = x[:, 0]
        return np.maximum(np.maximum(self.min_length - lengths, lengths - self.max_length), 0.0)

    def _save_model(self, path: Path) -> dict[str, Any]:
        return {"min_length": self.min_length, "max_length": self.max_length}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        self.min_length, self.max_length = int(meta["min_length"]), int(meta["max_length"])


class CountNoveltyDetector(FloorDetector):
    """Score: the L1 distance, in lines, from the sequence's template-count vector to the nearest
    count vector seen in fit; 0 when the vector was seen.

    The paper's "count vector clustering" scores the smallest *normalised* Manhattan distance to
    a training vector and tunes its cut; at the fixed cut ``> 0`` both give the same decision
    (the vector was never seen). We keep the distance unnormalised so that every novel vector
    scores at least 1 (one line added or removed), which is what the fixed cut at 0.5 needs.
    Template ids never seen in fit fall in the counter's unknown column, which no seen vector
    has, so a sequence with one is always novel.
    """

    name = "count-novelty"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.counter = TemplateCounter(CountsConfig())
        self.reference = np.zeros((0, 1), dtype=np.int64)
        self._seen: set[bytes] = set()

    def _fit_features(self, train: SequenceBatch) -> None:
        self.counter.fit(self._reference(train).sequences)

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        return np.asarray(self.counter.transform(batch.sequences), dtype=np.float64)

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, self.counter.dim)

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        self._set_reference(x[y != 1])
        return {"seen_count_vectors": int(len(self.reference))}

    def _set_reference(self, rows: "np.ndarray") -> None:
        self.reference = np.unique(np.rint(rows).astype(np.int64), axis=0)
        self._seen = {row.tobytes() for row in self.reference}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        rows = np.rint(x).astype(np.int64)
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
        out = np.zeros(len(distinct), dtype=np.float64)
        novel = np.array([row.tobytes() not in self._seen for row in distinct], dtype=bool)
        if novel.any():
            out[novel] = self._nearest_l1(distinct[novel])
        return out[inverse.ravel()]

    def _nearest_l1(self, queries: "np.ndarray") -> "np.ndarray":
        """Smallest L1 distance of each query row to the reference rows, in blocks of queries."""
        ref = self.reference
        if len(ref) == 0:
            return queries.sum(axis=1).astype(np.float64)
        step = max(1, _CHUNK_CELLS // max(1, ref.size))
        parts = [np.abs(queries[i:i + step, None, :] - ref[None, :, :]).sum(axis=2).min(axis=1)
                 for i in range(0, len(queries), step)]
        return np.concatenate(parts).astype(np.float64)

    def _save_model(self, path: Path) -> dict[str, Any]:
        self.counter.save(path / COUNTS_FILE)
        # sparse rows: [[column, count], ...] per seen vector, so the file stays small
        vectors = [[[int(c), int(row[c])] for c in np.flatnonzero(row)] for row in self.reference]
        return {"seen_vectors": vectors}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        self.counter = TemplateCounter.load(path / COUNTS_FILE)
        rows = np.zeros((len(meta["seen_vectors"]), self.counter.dim), dtype=np.int64)
        for i, pairs in enumerate(meta["seen_vectors"]):
            for col, count in pairs:
                rows[i, col] = count
        self._set_reference(rows)


class SeverityDetector(FloorDetector):
    """Score: how many of the sequence's lines say error or worse in their own level field.

    Not one of Landauer et al.'s floors, but the same kind: a rule with no threshold to tune,
    which a learned model has to beat. It reads the format's grammar (``Level``, syslog's
    ``<PRI>``; :mod:`logsieve.features.severity`), so a format without a level never flags.
    Nothing is fitted: the rule is the same for every system.
    """

    name = "severity"

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        from logsieve.features.severity import severe_lines

        counts = (severe_lines(s.header_fields) for s in batch.sequences)
        return np.fromiter(counts, dtype=np.float64, count=len(batch)).reshape(-1, 1)

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        return x[:, 0]

    def _save_model(self, path: Path) -> dict[str, Any]:
        return {}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        return None
