"""The trivial floors (Landauer et al.): what each flags, the fixed novelty cut, persistence, speed."""

from __future__ import annotations

import json
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from logsieve.detectors import load_detector, make_detector
from logsieve.detectors.base import DetectorInputError, SequenceBatch
from logsieve.detectors.floors import NOVEL_THRESHOLD
from logsieve.records import Sequence

from detector_data import TEMPLATES, splits

FLOORS = ("unseen-template", "seq-length", "count-novelty")


def _batch(seqs: list[list[int]], labels: list[int | None] | None = None) -> SequenceBatch:
    labels = labels or [None] * len(seqs)
    return SequenceBatch([Sequence(f"s{i}", ids, label=lab) for i, (ids, lab) in enumerate(zip(seqs, labels))],
                         TEMPLATES)


HISTORY = _batch([[1, 2, 3, 4], [1, 2, 3, 4, 5], [1, 2, 3, 4, 2, 3, 4], [1, 2, 3, 4, 5, 8]])


def _fitted(name: str, history: SequenceBatch = HISTORY, validation: SequenceBatch = HISTORY):
    det = make_detector(name)
    return det, det.fit(history, validation)


def test_a_never_seen_template_is_flagged_and_counted():
    det, _ = _fitted("unseen-template")
    s = det.score(_batch([[1, 2, 3, 4], [1, 2, 6], [1, 6, 7, 6]]))
    assert s.score.tolist() == [0.0, 1.0, 2.0]  # distinct unseen ids: 6 once, then 6 and 7
    assert s.abnormal.tolist() == [False, True, True]


def test_lengths_within_the_seen_range_are_not_flagged():
    det, report = _fitted("seq-length")
    assert (report.extra["min_length"], report.extra["max_length"]) == (4, 7)
    # 5 was never a seen length but lies inside [4, 7]: normal, as in the paper's range rule
    s = det.score(_batch([[1] * 4, [1] * 5, [1] * 7, [1] * 3, [1] * 10, [1]]))
    assert s.score.tolist() == [0.0, 0.0, 0.0, 1.0, 3.0, 3.0]
    assert s.abnormal.tolist() == [False, False, False, True, True, True]


def test_count_novelty_ignores_order_and_measures_lines_to_the_nearest_seen_vector():
    det, report = _fitted("count-novelty")
    assert report.extra["seen_count_vectors"] == 4
    s = det.score(_batch([[4, 3, 2, 1],            # a seen vector in another order
                          [1, 2, 3, 4, 5, 5],      # one line more than [1, 2, 3, 4, 5]
                          [1, 2, 3],               # one line less than [1, 2, 3, 4]
                          [1, 2, 3, 4, 6]]))       # an unseen id: unknown column, one line away
    assert s.score.tolist() == [0.0, 1.0, 1.0, 1.0]
    assert s.abnormal.tolist() == [False, True, True, True]


@pytest.mark.parametrize("name", FLOORS)
def test_the_threshold_stays_at_novelty_whatever_validation_says(name):
    # validation labels the novel sequences normal and a seen one abnormal: a tuned cut would
    # move; the floor's does not
    validation = _batch([[1, 2, 3, 4], [1, 6, 7] * 5, [1]], [1, 0, 0])
    det, report = _fitted(name, HISTORY, validation)
    assert report.threshold == NOVEL_THRESHOLD == det.calibration.threshold
    assert report.extra["threshold_rule"].startswith("fixed: novelty")
    assert report.validation_f1 == 0.0  # honest: at the fixed cut this validation is all wrong
    # unlabelled validation: the same cut, no F1
    det, report = _fitted(name, HISTORY, _batch([[1, 2, 3, 4], [1]]))
    assert report.threshold == NOVEL_THRESHOLD and report.validation_f1 is None


@pytest.mark.parametrize("name", FLOORS)
def test_confidence_is_high_for_nothing_new_and_low_for_novelty(name):
    det, _ = _fitted(name)
    s = det.score(_batch([[1, 2, 3, 4], [1, 6, 7] * 5]))
    assert s.confidence[0] > 0.99 and s.confidence[1] < 0.01


@pytest.mark.parametrize("name", FLOORS)
def test_train_sequences_labelled_abnormal_are_not_part_of_what_was_seen(name):
    train = _batch([[1, 2, 3, 4], [1, 2, 3, 4, 5], [1, 6, 7] * 5], [0, 0, 1])
    det, _ = _fitted(name, train)
    assert det.score(_batch([[1, 6, 7] * 5])).abnormal.all()
    with pytest.raises(DetectorInputError, match="not labelled abnormal"):
        make_detector(name).fit(_batch([[1, 2]], [1]), HISTORY)


@pytest.mark.parametrize("name", FLOORS)
def test_save_load_round_trip_gives_the_same_scores_from_json_only(name, tmp_path):
    train, val, test = splits()
    det = make_detector(name)
    det.fit(train, val)
    det.save(tmp_path / name)
    assert {p.suffix for p in (tmp_path / name).iterdir()} == {".json"}
    json.loads((tmp_path / name / "detector.json").read_text())
    again = load_detector(tmp_path / name)
    before, after = det.score(test), again.score(test)
    np.testing.assert_array_equal(before.score, after.score)
    np.testing.assert_array_equal(before.abnormal, after.abnormal)
    np.testing.assert_array_equal(before.confidence, after.confidence)


ids = st.lists(st.integers(1, 8), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(history=st.lists(ids, min_size=1, max_size=15), other=st.lists(ids, min_size=1, max_size=15))
def test_a_floor_never_flags_what_it_was_fitted_on_and_scores_are_non_negative(history, other):
    for name in FLOORS:
        det, _ = _fitted(name, _batch(history), _batch(other))
        assert not det.score(_batch(history)).abnormal.any(), name
        s = det.score(_batch(other))
        assert (s.score >= 0).all() and (s.abnormal == (s.score > 0)).all(), name


@pytest.mark.parametrize("name", FLOORS)
def test_scoring_ten_thousand_hdfs_sized_sequences_is_fast(name):
    rng = random.Random(0)

    def block() -> list[int]:
        ids = [1] + [2, 3, 4] * rng.randint(1, 6) + [5] * rng.randint(0, 3) + [8] * rng.randint(0, 4)
        return ids + [rng.choice([6, 7])] if rng.random() < 0.05 else ids

    det, _ = _fitted(name, _batch([block() for _ in range(3000)]))
    test = _batch([block() for _ in range(10_000)])
    start = time.perf_counter()
    det.score(test)
    assert time.perf_counter() - start < 1.0
