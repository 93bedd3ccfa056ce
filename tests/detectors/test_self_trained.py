"""The self-trained label-free detector: reads no label, makes its own from PCA's two ends."""

from __future__ import annotations

import numpy as np

from logsieve.detectors import load_detector, make_detector
from logsieve.detectors.base import SequenceBatch, prf
from logsieve.jobs.learn import unlabelled

from detector_data import splits


def _bare(batch: SequenceBatch) -> SequenceBatch:
    return SequenceBatch(unlabelled(batch.sequences), batch.templates)


def test_labels_are_ignored():
    train, val, test = splits()
    with_labels = make_detector("self-trained")
    with_labels.fit(train, val)
    without = make_detector("self-trained")
    without.fit(_bare(train), _bare(val))
    np.testing.assert_array_equal(with_labels.score(test).score, without.score(test).score)


def test_pseudo_labels_come_from_both_ends_and_the_cut_is_fixed(tmp_path):
    train, val, test = splits()
    det = make_detector("self-trained", {"expected_share": 0.05})
    report = det.fit(_bare(train), _bare(val))
    history = len(train) + len(val)
    assert report.extra["pseudo_abnormal"] <= int(0.05 * history)
    assert report.extra["pseudo_normal"] >= int(0.4 * history)
    assert report.extra["student"] is True and report.threshold == 0.5
    scores = det.score(test)
    assert prf(scores.abnormal, test.labels)["f1"] >= 0.7
    det.save(tmp_path / "m")
    np.testing.assert_array_equal(load_detector(tmp_path / "m").score(test).score, scores.score)


def test_too_few_pseudo_labels_falls_back_to_pca_alone():
    train, val, _ = splits()
    det = make_detector("self-trained", {"expected_share": 0.001})
    report = det.fit(_bare(train), _bare(val))
    assert report.extra["student"] is False and det.student is None


def test_scoring_a_saved_count_model_does_not_import_sklearn(tmp_path):
    """detect pays for scikit-learn's import (about 0.8 s) only where a model is fitted."""
    import subprocess
    import sys

    train, val, _ = splits()
    for name in ("self-trained", "logreg", "pca"):
        det = make_detector(name)
        det.fit(train, val) if name != "self-trained" else det.fit(_bare(train), _bare(val))
        det.save(tmp_path / name)
    code = ("import sys; sys.path.insert(0, %r); from detector_data import splits; "
            "from logsieve.detectors import load_detector; _, _, test = splits(); "
            "[load_detector(%r + '/' + n).score(test) for n in ('self-trained', 'logreg', 'pca')]; "
            "print('sklearn' in sys.modules)") % (str(__import__('pathlib').Path(__file__).parent), str(tmp_path))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "False"
