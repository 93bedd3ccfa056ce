"""Config name -> detector class: the one place that knows which detectors exist.

Modules are imported when a detector is asked for, so listing names needs neither numpy nor
torch; building one without the ``ml`` extra raises a MissingExtraError naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logsieve.detectors.base import Detector, DetectorConfig

DETECTORS: dict[str, tuple[str, str, str]] = {
    # name: (module, class, one line for --help and `logsieve detectors`)
    "logmoe": ("logsieve.detectors.logmoe", "LogMoE",
               "CoLA's small model: GloVe x TF-IDF lines -> Bi-LSTM -> 8 experts (top-2) -> MLP; supervised"),
    "mlad": ("logsieve.detectors.mlad", "MLAD",
             "MiniLM template embeddings -> entmax self-attention -> Gaussian mixture energy; normal data only"),
    "autoencoder": ("logsieve.detectors.autoencoder", "AutoencoderCoordinator",
                    "CollaborLog's coordinator: reconstruction error of the mean template embedding; normal data only"),
    "knn": ("logsieve.detectors.knn", "KnnSmallModel",
            "CollaborLog's small model: embedding network + KNN over labelled sequences; supervised"),
    "pca": ("logsieve.detectors.classic", "PcaDetector",
            "floor: PCA residual on TF-IDF template counts (Xu et al.); normal data only"),
    "iforest": ("logsieve.detectors.classic", "IsolationForestDetector",
                "floor: scikit-learn IsolationForest on template counts; unsupervised"),
    "severity": ("logsieve.detectors.floors", "SeverityDetector",
                 "floor: lines whose own level says error or worse (Level field, syslog PRI); flags any; "
                 "nothing fitted"),
    "self-trained": ("logsieve.detectors.self_trained", "SelfTrainedDetector",
                     "label-free (`learn`'s default): PCA pseudo-labels the history's two ends, a logistic "
                     "regression learns from them; either flags; reads no label"),
    "logreg": ("logsieve.detectors.classic", "LogRegDetector",
               "floor: scikit-learn logistic regression on template counts; supervised"),
    "decision-tree": ("logsieve.detectors.tree", "DecisionTreeDetector",
                      "floor: decision tree on template counts, scored from arrays (no scikit-learn at detect); "
                      "supervised"),
    "unseen-template": ("logsieve.detectors.floors", "UnseenTemplateDetector",
                        "floor (Landauer et al.): number of template ids never seen in fit; flags any; normal data only"),
    "seq-length": ("logsieve.detectors.floors", "SequenceLengthDetector",
                   "floor (Landauer et al.): lines outside the fit length range, min to max; flags any; normal data only"),
    "count-novelty": ("logsieve.detectors.floors", "CountNoveltyDetector",
                      "floor (Landauer et al.): L1 distance to the nearest count vector seen in fit; flags any "
                      "unseen vector; normal data only"),
}


def detector_names() -> list[str]:
    return list(DETECTORS)


def detector_class(name: str) -> type[Detector]:
    """The class registered as ``name``; an unknown name lists the known ones."""
    try:
        module, cls, _ = DETECTORS[name]
    except KeyError:
        raise KeyError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}") from None
    return getattr(import_module(module), cls)


def make_detector(name: str, config: DetectorConfig | Mapping[str, Any] | None = None) -> Detector:
    """A new, unfitted detector ``name`` with ``config`` (a mapping is validated; unknown keys fail)."""
    return detector_class(name)(config)


def load_detector(path: str | Path) -> Detector:
    """Load any saved detector: ``detector.json`` names its class."""
    from logsieve.detectors.base import read_meta

    doc = read_meta(Path(path))
    return detector_class(str(doc.get("name"))).load(path)
