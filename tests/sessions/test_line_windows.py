"""Fixed and sliding line windows: keys, partial tails, sources, and the count formula."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.records import LineRef
from logsieve.sessions import (
    FixedWindowConfig,
    FixedWindowGrouper,
    SlidingWindowConfig,
    SlidingWindowGrouper,
    window_count,
)
from sessions_helpers import keys, line, lines, memberships


def test_fixed_windows_and_their_short_tail() -> None:
    seqs = list(FixedWindowGrouper(FixedWindowConfig(size=3)).group(lines("abcdefg")))
    assert keys(seqs) == ["a.log#w0", "a.log#w1", "a.log#w2"]
    assert [len(s) for s in seqs] == [3, 3, 1]


def test_sliding_windows_drop_tails_that_repeat_lines() -> None:
    grouper = SlidingWindowGrouper(SlidingWindowConfig(size=4, step=2))
    assert [len(s) for s in grouper.group(lines("abcdef"))] == [4, 4]  # w2 = lines 5,6 already in w1
    seqs = list(grouper.group(lines("abcdefg")))
    assert keys(seqs) == ["a.log#w0", "a.log#w1", "a.log#w2"]
    assert [[r.line_no for r in s.refs] for s in seqs] == [[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7]]


def test_windows_are_per_source_unless_configured_otherwise() -> None:
    mixed = [line("a", source="x.log"), line("b", source="y.log"), line("c", source="x.log")]
    seqs = list(FixedWindowGrouper(FixedWindowConfig(size=2)).group(mixed))
    assert keys(seqs) == ["x.log#w0", "y.log#w0"]
    seqs = list(FixedWindowGrouper(FixedWindowConfig(size=2, per_source=False)).group(mixed))
    assert keys(seqs) == ["*#w0", "*#w1"]


def test_sequences_carry_their_contents() -> None:
    seqs = list(FixedWindowGrouper(FixedWindowConfig(size=2)).group(lines(["p", "q"])))
    assert seqs[0].contents == ["p", "q"]


def test_window_count_formula() -> None:
    assert window_count(0, 4, 2) == 0
    assert window_count(3, 4, 2) == 1
    assert window_count(6, 4, 2) == 2
    assert window_count(7, 4, 2) == 3
    assert window_count(10, 5, 5) == 2


def expected_windows(i: int, n: int, size: int, step: int) -> int:
    """Windows j < window_count holding line i: j*step <= i < j*step + size."""
    return sum(1 for j in range(window_count(n, size, step)) if j * step <= i < j * step + size)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 120), size=st.integers(1, 12), data=st.data())
def test_sliding_windows_properties(n: int, size: int, data: st.DataObject) -> None:
    step = data.draw(st.integers(1, size))
    grouper = SlidingWindowGrouper(SlidingWindowConfig(size=size, step=step))
    items = lines(str(i) for i in range(n))
    seqs = []
    for item in items:
        seqs += grouper.push(item)
        assert grouper.open_count <= math.ceil(size / step)
    seqs += grouper.flush()
    assert len(seqs) == window_count(n, size, step)
    counts = memberships(seqs)
    for i, item in enumerate(items):
        assert counts[LineRef(item.record.source, item.record.line_no)] == expected_windows(i, n, size, step)
    for s in seqs:
        nums = [r.line_no for r in s.refs]
        assert 1 <= len(s) <= size and nums == list(range(nums[0], nums[0] + len(nums)))
    assert grouper.stats.memberships == sum(counts.values()) and grouper.stats.lines == n


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 100), size=st.integers(1, 15))
def test_fixed_windows_hold_every_line_exactly_once(n: int, size: int) -> None:
    seqs = list(FixedWindowGrouper(FixedWindowConfig(size=size)).group(lines(str(i) for i in range(n))))
    assert len(seqs) == math.ceil(n / size)
    assert set(memberships(seqs).values()) == {1} and sum(len(s) for s in seqs) == n
