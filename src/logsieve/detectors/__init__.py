"""Small detectors: a sequence of parsed lines -> anomaly score, status and normal-confidence.

One contract (:mod:`logsieve.detectors.base`), one registry (:mod:`logsieve.detectors.registry`),
one module per detector. Import the registry to list or build detectors without importing torch.
"""

from logsieve.detectors.registry import DETECTORS, detector_class, detector_names, load_detector, make_detector

__all__ = ["DETECTORS", "detector_class", "detector_names", "load_detector", "make_detector"]
