"""``decision-tree``: a supervised decision tree on template counts.

Why a tree beside ``logreg``: where an anomaly is "this template appears" or "that one appears
more than n times" (injected faults that add an event, or repeat one), a tree cuts exactly
there, while a linear model must weigh every count at once. On the OpenStack sessions of
Kalaki et al. (``openstack-kalaki-ait``) this is the gap between logreg's 0.992 and 0.999.

The tree is grown by scikit-learn (balanced class weights, seeded) and kept as plain arrays
(children, split feature, split value, P(abnormal) per node): scoring walks those arrays in
numpy, so ``detect`` never imports scikit-learn (0.8 s on 2 cores). The score of a sequence
is the weighted share of abnormal train sequences in its leaf; the threshold on it is chosen
on validation like every detector's (or out of fold, see :mod:`logsieve.detectors.cross_fit`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.base import DetectorConfig
from logsieve.detectors.classic import CountDetector

np = require("numpy", purpose="the decision-tree detector")

_LEAF = -1  # scikit-learn's child index of a leaf


class DecisionTreeConfig(DetectorConfig):
    """Growth limits; the defaults grow the tree until its leaves are pure."""

    max_depth: int | None = Field(default=None, ge=1)
    min_samples_leaf: int = Field(default=1, ge=1)


class DecisionTreeDetector(CountDetector):
    """P(abnormal) of the tree leaf a sequence's template counts fall in; supervised."""

    name = "decision-tree"
    config_type = DecisionTreeConfig
    supervised = True
    cross_fittable = True  # its fit never reads validation

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        from sklearn.tree import DecisionTreeClassifier

        known = y >= 0
        model = DecisionTreeClassifier(class_weight="balanced", max_depth=self.config.max_depth,
                                       min_samples_leaf=self.config.min_samples_leaf,
                                       random_state=self.config.seed)
        model.fit(x[known], y[known])
        self.model = tree_state(model)
        return {"tree_nodes": int(len(self.model["feature"])), "tree_depth": int(model.get_depth())}

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        return tree_predict(x, self.model)


def tree_state(model: Any) -> dict[str, "np.ndarray"]:
    """A fitted binary scikit-learn decision tree as plain arrays, one entry per node:
    ``left``/``right`` (child index, -1 at a leaf), ``feature``/``threshold`` (go left when
    ``x[feature] <= threshold``) and ``p_abnormal`` (the weighted abnormal share in the node)."""
    t = model.tree_
    value = np.asarray(t.value[:, 0, :], dtype=np.float64)
    totals = value.sum(axis=1)
    abnormal_col = int(np.flatnonzero(model.classes_ == 1)[0]) if (model.classes_ == 1).any() else None
    p = value[:, abnormal_col] / np.where(totals > 0, totals, 1.0) if abnormal_col is not None else np.zeros(len(value))
    return {"left": np.asarray(t.children_left, dtype=np.int64), "right": np.asarray(t.children_right, dtype=np.int64),
            "feature": np.asarray(t.feature, dtype=np.int64), "threshold": np.asarray(t.threshold, dtype=np.float64),
            "p_abnormal": p}


def tree_predict(x: "np.ndarray", state: dict[str, "np.ndarray"]) -> "np.ndarray":
    """P(abnormal) per row of ``x`` from a :func:`tree_state` tree: all rows walk down together,
    one level per step, so the cost is the tree's depth in numpy passes."""
    left, right, feature, threshold = state["left"], state["right"], state["feature"], state["threshold"]
    node = np.zeros(len(x), dtype=np.int64)
    rows = np.arange(len(x))
    active = left[node] != _LEAF
    while active.any():
        r, n = rows[active], node[active]
        go_left = x[r, feature[n]] <= threshold[n]
        node[r] = np.where(go_left, left[n], right[n])
        active = left[node] != _LEAF
    return np.asarray(state["p_abnormal"][node], dtype=np.float64)
