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


# --------------------------------------------------------------------------- the share from the history

from hypothesis import given, settings, strategies as st  # noqa: E402

from logsieve.detectors.self_trained import rare_template_share  # noqa: E402
from logsieve.records import Sequence  # noqa: E402


def test_rare_template_share_counts_rows_holding_a_column_rarer_than_the_prior():
    counts = np.array([[3, 1, 0, 0], [2, 1, 0, 0], [1, 1, 1, 0], [4, 1, 0, 0], [1, 0, 0, 0]], dtype=float)
    # column 2 is held by 1 row of 5 (20%), column 3 by none (it counts for nothing)
    assert rare_template_share(counts, 0.25) == 0.2
    assert rare_template_share(counts, 0.2) == 0.0  # not strictly rarer than the prior
    assert rare_template_share(counts[:0], 0.25) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), min_size=1, max_size=40),
       st.floats(0.001, 0.49), st.floats(0.001, 0.49))
def test_rare_template_share_is_a_share_and_grows_with_the_prior(rows, a, b):
    counts = np.array(rows, dtype=float)
    low, high = sorted((a, b))
    share_low, share_high = rare_template_share(counts, low), rare_template_share(counts, high)
    assert 0.0 <= share_low <= share_high <= 1.0
    if low <= 1 / len(counts):  # no held column can be rarer than one row
        assert share_low == 0.0


def _history_with_rare_faults(seed: int = 0) -> tuple[SequenceBatch, SequenceBatch, SequenceBatch]:
    """Normal runs share templates 1-5; 8% of sequences fail, each fault type (templates 10-17)
    held by 1% of them: no fault template reaches the 2% prior, together they are 8%."""
    rng = np.random.default_rng(seed)
    templates = {i: f"step {i} <*>" for i in range(1, 6)} | {i: f"fault {i} <*>" for i in range(10, 18)}

    def make(n: int, start: int) -> list[Sequence]:
        out = []
        for i in range(n):
            ids = [1, 2, 3] * int(rng.integers(1, 3)) + ([4] if rng.random() < 0.5 else []) + [5]
            label = i % 25 < 2  # 8%
            if label:
                ids = ids[:3] + [10 + (i // 25) % 8] * int(rng.integers(1, 3))
            out.append(Sequence(f"s{start + i}", ids, label=int(label)))
        return out

    history = make(400, 0)
    return (SequenceBatch(history[:320], templates), SequenceBatch(history[320:], templates),
            SequenceBatch(make(400, 1000), templates))


def test_the_share_rises_to_the_rare_template_cluster_and_keeps_the_prior_as_floor():
    train, val, test = _history_with_rare_faults()
    det = make_detector("self-trained", {"expected_share": 0.02})
    report = det.fit(_bare(train), _bare(val))
    assert report.extra["rare_template_share"] == 0.08 and det.share == 0.08
    assert "rare-template share" in report.extra["threshold_rule"]
    raised = prf(det.score(test).abnormal, test.labels)
    fixed = make_detector("self-trained", {"expected_share": 0.02, "share_from_rare": False})
    fixed.fit(_bare(train), _bare(val))
    assert fixed.share == 0.02
    assert raised["recall"] >= prf(fixed.score(test).abnormal, test.labels)["recall"]
    assert raised["f1"] >= 0.9
    # a prior above the estimate is the floor; the cap bounds the estimate
    assert make_detector("self-trained", {"expected_share": 0.2}).estimate_share(
        det.featurize(train)[:, :-1]) == 0.2
    capped = make_detector("self-trained", {"expected_share": 0.02, "max_share": 0.05})
    capped.fit(_bare(train), _bare(val))
    assert capped.share == 0.05


def test_a_version_2_model_still_loads_with_the_expected_share(tmp_path):
    import json
    import pickle

    train, val, test = _history_with_rare_faults()
    det = make_detector("self-trained", {"expected_share": 0.02, "share_from_rare": False})
    det.fit(_bare(train), _bare(val))
    path = det.save(tmp_path / "m")
    meta = json.loads((path / "detector.json").read_text())
    assert meta["version"] == 3
    meta["version"] = 2  # as version 2 wrote it: no share in the state, no share settings in the config
    for key in ("share_from_rare", "max_share"):
        meta["config"].pop(key)
    (path / "detector.json").write_text(json.dumps(meta))
    model = next(p for p in path.iterdir() if p.suffix == ".pkl")
    state = pickle.loads(model.read_bytes())
    state.pop("share")
    model.write_bytes(pickle.dumps(state))
    old = load_detector(path)
    assert old.share == 0.02
    np.testing.assert_array_equal(old.score(test).score, det.score(test).score)


def test_a_tie_at_the_cut_is_flagged_whole_only_when_it_is_no_larger_than_the_share():
    from logsieve.detectors.base import quantile_threshold
    from logsieve.detectors.self_trained import whole_tie_threshold

    small_tie = np.array([9.0, 8.0, 7.0, 5.0, 5.0, 5.0] + [1.0] * 14)  # share 0.2 -> k 4, tie of 3
    assert (small_tie >= quantile_threshold(small_tie, 0.2)).sum() == 3  # the plain rule keeps it out
    assert (small_tie >= whole_tie_threshold(small_tie, 0.2)).sum() == 6
    big_tie = np.array([9.0] + [5.0] * 6 + [1.0] * 13)  # k 4, tie of 6 > 4: a common behaviour
    assert (big_tie >= whole_tie_threshold(big_tie, 0.2)).sum() == 1
    clean = np.arange(20, dtype=float)  # no tie at the cut: the plain rule
    assert whole_tie_threshold(clean, 0.2) == quantile_threshold(clean, 0.2)


def test_an_estimate_whose_model_flags_far_more_than_it_falls_back_to_the_prior():
    train, val, _ = _history_with_rare_faults()
    kept = make_detector("self-trained", {"expected_share": 0.02})
    report = kept.fit(_bare(train), _bare(val))
    assert report.extra["estimate_rejected"] is False and report.extra["flagged_at_estimate"] <= 5 * 0.08
    collapsed = make_detector("self-trained", {"expected_share": 0.02})
    # stand-in for a regression that learnt a normal mode: it flags the whole history
    collapsed._score_array = lambda x: np.ones(len(x))
    report = collapsed.fit(_bare(train), _bare(val))
    assert report.extra["estimated_share"] == 0.08 and report.extra["estimate_rejected"] is True
    assert collapsed.share == 0.02 and report.extra["share"] == 0.02
