"""Classic floors on template-count vectors, so every table shows what the deep models add.

* ``pca``: Xu et al.'s PCA detector (as in loglizer): counts weighted by TF-IDF over
  sequences, centred, projected; the score is the squared residual outside the principal
  subspace (SPE). Fitted on normal sequences.
* ``iforest``: scikit-learn's IsolationForest on raw counts; fitted on all train sequences,
  labels unused.
* ``logreg``: scikit-learn's logistic regression (balanced class weights) on log-scaled
  counts; supervised. When train holds one class and validation both, it is cross-fitted on
  train + validation (:mod:`logsieve.detectors.cross_fit`).

Counts come from :class:`~logsieve.features.counts.TemplateCounter`, fitted on the train
sequences' template ids: ids first seen later fall in its "unknown" column, which is itself
a strong signal of something new.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from pydantic import Field

from logsieve._optional import available, require
from logsieve.detectors.base import Detector, DetectorConfig, SequenceBatch
from logsieve.features.config import CountsConfig
from logsieve.features.counts import TemplateCounter

np = require("numpy", purpose="the classic detectors")
available("sklearn", purpose="the classic detectors")  # imported where a model is fitted

COUNTS_DIR = "counts"
MODEL_FILE = "model.pkl"


class CountDetector(Detector):
    """Shared part: a fitted template counter in front of a scikit-learn model."""

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.counter = TemplateCounter(CountsConfig())
        self.model: Any = None

    def _fit_features(self, train: SequenceBatch) -> None:
        self.counter.fit(train.sequences)

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        return np.asarray(self.counter.transform(batch.sequences), dtype=np.float64)

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, self.counter.dim)

    def _save_model(self, path: Path) -> dict[str, Any]:
        self.counter.save(path / COUNTS_DIR / "counts.json")
        # scikit-learn models have no format of their own; pickle is its documented way and
        # the file is only ever read back from a directory this user's own `train` wrote
        (path / MODEL_FILE).write_bytes(pickle.dumps(self._model_state()))
        return {}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        self.counter = TemplateCounter.load(path / COUNTS_DIR / "counts.json")
        self._set_model_state(pickle.loads((path / MODEL_FILE).read_bytes()))  # noqa: S301 - see _save_model

    def _model_state(self) -> Any:
        return self.model

    def _set_model_state(self, state: Any) -> None:
        self.model = state


class PcaConfig(DetectorConfig):
    variance: float = Field(default=0.95, gt=0, lt=1)


class PcaDetector(CountDetector):
    """Squared residual outside the principal subspace of normal TF-IDF count vectors."""

    name = "pca"
    config_type = PcaConfig

    def _weights(self, x: "np.ndarray") -> "np.ndarray":
        return x * self.idf

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        from sklearn.decomposition import PCA

        normal = x[y != 1]
        df = (normal > 0).sum(axis=0)
        self.idf = np.log((len(normal) + 1) / (df + 1)) + 1.0
        z = self._weights(normal)
        self.mean = z.mean(axis=0)
        pca = PCA(n_components=self.config.variance, svd_solver="full", random_state=self.config.seed)
        pca.fit(z - self.mean)
        self.components = pca.components_
        return {"components": int(self.components.shape[0])}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        z = self._weights(x) - self.mean
        residual = z - (z @ self.components.T) @ self.components
        return (residual**2).sum(axis=1)

    def _model_state(self) -> Any:
        return {"idf": self.idf, "mean": self.mean, "components": self.components}

    def _set_model_state(self, state: Any) -> None:
        self.idf, self.mean, self.components = state["idf"], state["mean"], state["components"]


class IsolationForestConfig(DetectorConfig):
    trees: int = Field(default=200, ge=1)


class IsolationForestDetector(CountDetector):
    name = "iforest"
    config_type = IsolationForestConfig

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        from sklearn.ensemble import IsolationForest

        self.model = IsolationForest(n_estimators=self.config.trees, random_state=self.config.seed, n_jobs=1)
        self.model.fit(x)
        return {}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        return -self.model.score_samples(x)


class LogRegConfig(DetectorConfig):
    c: float = Field(default=1.0, gt=0)


class LogRegDetector(CountDetector):
    name = "logreg"
    config_type = LogRegConfig
    supervised = True
    cross_fittable = True  # its fit never reads validation

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        known = y >= 0
        model = LogisticRegression(C=self.config.c, class_weight="balanced", max_iter=2000,
                                   random_state=self.config.seed)
        model.fit(np.log1p(x[known]), y[known])
        self.model = linear_state(model)
        return {}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        return logistic(np.log1p(x), self.model)

    def _set_model_state(self, state: Any) -> None:
        self.model = linear_state(state)


def linear_state(model: Any) -> dict[str, Any]:
    """A fitted binary logistic regression as plain arrays: ``{"coef", "intercept"}``.

    Why: scoring is one dot product, and unpickling scikit-learn's object would import
    scikit-learn (0.8 s on 2 cores) in every ``detect`` run. Models saved before this change
    (the object itself) are converted when loaded.
    """
    if isinstance(model, dict):
        return model
    return {"coef": np.asarray(model.coef_[0], dtype=np.float64), "intercept": float(model.intercept_[0])}


def logistic(x: "np.ndarray", state: dict[str, Any]) -> "np.ndarray":
    """P(abnormal) of a :func:`linear_state` model: what ``predict_proba(x)[:, 1]`` gives."""
    z = x @ state["coef"] + state["intercept"]
    return 1.0 / (1.0 + np.exp(-z))
