"""combine_batches: several data sets' sequences in one id space, nothing else changed."""

from __future__ import annotations

from logsieve.detectors.base import SequenceBatch, combine_batches
from logsieve.records import Sequence


def test_later_batches_are_shifted_past_earlier_ids_and_keep_their_texts():
    a = SequenceBatch([Sequence("a1", [1, 2, 2], label=0), Sequence("a2", [3], label=1)],
                      {1: "open <*>", 2: "read <*>", 3: "crash"})
    b = SequenceBatch([Sequence("b1", [2, 1], label=None)], {1: "kernel panic", 2: "link up"})
    both = combine_batches([a, b])
    assert [s.key for s in both.sequences] == ["a1", "a2", "b1"]
    assert both.labels.tolist() == [0, 1, -1]
    assert both.sequences[0].template_ids == [1, 2, 2]  # the first batch keeps its ids
    assert both.sequences[2].template_ids == [5, 4]
    texts = [[both.templates[t] for t in s.template_ids] for s in both.sequences]
    assert texts == [["open <*>", "read <*>", "read <*>"], ["crash"], ["link up", "kernel panic"]]
    assert len(both.templates) == 5


def test_one_batch_comes_back_equal_and_inputs_are_untouched():
    a = SequenceBatch([Sequence("a", [1, 2], label=0)], {1: "x", 2: "y"})
    same = combine_batches([a, a])
    assert same.sequences[0].template_ids == [1, 2] and same.sequences[1].template_ids == [3, 4]
    assert a.sequences[0].template_ids == [1, 2]
    assert combine_batches([a]).templates == {1: "x", 2: "y"}
