"""The decision-tree detector: array scoring equals scikit-learn's, and detect stays free of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st

from logsieve.detectors import make_detector
from logsieve.detectors.tree import tree_predict, tree_state

from detector_data import splits


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), depth=st.one_of(st.none(), st.integers(1, 6)))
def test_array_walk_matches_predict_proba(seed, depth):
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(seed)
    x = rng.poisson(1.5, size=(120, 6)).astype(np.float64)
    y = (x[:, 0] + rng.normal(0, 1, 120) > 2).astype(np.int64)
    y[:2] = [0, 1]  # both classes, always
    model = DecisionTreeClassifier(class_weight="balanced", max_depth=depth, random_state=seed).fit(x, y)
    probe = rng.poisson(1.5, size=(50, 6)).astype(np.float64)
    np.testing.assert_allclose(tree_predict(probe, tree_state(model)), model.predict_proba(probe)[:, 1], atol=1e-12)


def test_fit_reports_the_tree_size():
    train, val, _ = splits()
    report = make_detector("decision-tree").fit(train, val)
    assert report.extra["tree_nodes"] >= 3 and report.extra["tree_depth"] >= 1


def test_scoring_a_saved_tree_does_not_import_sklearn(tmp_path):
    """The tree is kept as arrays, so a `detect` run pays no scikit-learn import."""
    train, val, _ = splits()
    det = make_detector("decision-tree")
    det.fit(train, val)
    det.save(tmp_path / "tree")
    code = ("import sys; sys.path.insert(0, %r); from detector_data import splits; "
            "from logsieve.detectors import load_detector; _, _, test = splits(); "
            "load_detector(%r).score(test); print('sklearn' in sys.modules)") % (
        str(Path(__file__).parent), str(tmp_path / "tree"))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "False"
