"""Chronological splits: shares, order, coverage, and windows that never straddle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from logsieve.evaluate.splits import (
    SplitConfig,
    chronological_split,
    split_counts,
    split_lines,
    split_then_group,
    time_order_key,
)
from logsieve.records import LogRecord, ParsedLine, Sequence
from logsieve.sessions import FixedWindowConfig, SlidingWindowConfig, make_grouper, window_count


def seq(key: str, start: float | None, label: int | None = 0, n: int = 1) -> Sequence:
    lines = [ParsedLine(LogRecord("a.log", i + 1, "m", {}, start), 1, "m") for i in range(n)]
    return Sequence(key, [1] * n, lines, label)


def parsed(n: int, times: list[float | None] | None = None, source: str = "a.log") -> list[ParsedLine]:
    return [ParsedLine(LogRecord(source, i + 1, f"m{i}", {}, None if times is None else times[i]), 1, "m")
            for i in range(n)]


def test_defaults_are_the_cola_shares() -> None:
    cfg = SplitConfig()
    assert (cfg.train, cfg.validation, cfg.test) == (0.2, 0.1, 0.7)
    assert split_counts(10, cfg) == (2, 1, 7)
    assert split_counts(11501, cfg) == (2300, 1150, 8051)
    assert SplitConfig.parse("0.6, 0.2, 0.2") == SplitConfig(train=0.6, validation=0.2, test=0.2)


@pytest.mark.parametrize("text", ["0.5,0.5", "a,b,c", "0.5,0.5,0.5"])
def test_bad_shares_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        SplitConfig.parse(text)
    with pytest.raises(ValidationError):
        SplitConfig(train=0.9, validation=0.9, test=0.0)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 5000), a=st.integers(0, 100), b=st.integers(0, 100))
def test_split_counts_cover_everything(n: int, a: int, b: int) -> None:
    if a + b > 100:
        a, b = a // 2, b // 2
    cfg = SplitConfig(train=a / 100, validation=b / 100, test=(100 - a - b) / 100)
    counts = split_counts(n, cfg)
    assert sum(counts) == n and min(counts) >= 0


def test_sessions_are_ordered_by_start_then_key_in_natural_order() -> None:
    seqs = [seq("s#w10", 5.0), seq("s#w9", 5.0), seq("late", None), seq("first", 1.0)]
    assert [s.key for s in sorted(seqs, key=time_order_key)] == ["first", "s#w9", "s#w10", "late"]


@settings(max_examples=100, deadline=None)
@given(starts=st.lists(st.one_of(st.none(), st.integers(0, 50).map(float)), max_size=60))
def test_chronological_split_covers_each_sequence_once_in_time_order(starts) -> None:
    seqs = [seq(f"k{i}", t, label=i % 2) for i, t in enumerate(starts)]
    splits = chronological_split(seqs)
    parts = splits.parts()
    assert [len(p) for p in parts.values()] == list(split_counts(len(seqs), SplitConfig()))
    assert sorted(s.key for s in splits.sequences()) == sorted(s.key for s in seqs)
    ordered = [time_order_key(s) for s in splits.sequences()]
    assert ordered == sorted(ordered)
    summary = splits.summary()
    assert sum(p["anomalous"] for p in summary.values()) == sum(s.label for s in seqs)
    assert sum(p["sequences"] for p in summary.values()) == len(seqs)


def test_split_lines_orders_by_time_and_carries_untimed_lines() -> None:
    lines = parsed(10, [5, None, 1, 2, 3, 4, 6, 7, 8, 9])
    train, val, test = split_lines(lines)
    assert [ln.record.line_no for ln in train] == [3, 4]
    assert [ln.record.line_no for ln in val] == [5]
    assert [ln.record.line_no for ln in test] == [6, 1, 2, 7, 8, 9, 10]  # line 2 rides with line 1


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 300), size=st.integers(1, 30), data=st.data())
def test_windows_never_straddle_two_splits(n: int, size: int, data: st.DataObject) -> None:
    step = data.draw(st.integers(1, size))
    cfg = SlidingWindowConfig(size=size, step=step)
    lines = parsed(n, [float(i // 3) for i in range(n)])
    splits = split_then_group(lines, lambda: make_grouper(cfg))
    line_parts = split_lines(lines)
    assert splits.method == "lines"
    seen = set()
    for part_lines, windows in zip(line_parts, splits.parts().values()):
        refs = {(ln.record.source, ln.record.line_no) for ln in part_lines}
        assert len(windows) == window_count(len(part_lines), size, step)
        for w in windows:
            assert {(r.source, r.line_no) for r in w.refs} <= refs
            seen.update((r.source, r.line_no) for r in w.refs)
    assert len(seen) == n  # every line is in some window
    ends = [max((s.end for s in p), default=None) for p in splits.parts().values()]
    starts = [min((s.start for s in p), default=None) for p in splits.parts().values()]
    for i in range(2):
        for j in range(i + 1, 3):
            if ends[i] is not None and starts[j] is not None:
                assert ends[i] <= starts[j]


def test_fixed_windows_after_split_match_the_formula() -> None:
    lines = parsed(2000, [float(i) for i in range(2000)])
    splits = split_then_group(lines, lambda: make_grouper(FixedWindowConfig(size=20)))
    assert [len(p) for p in splits.parts().values()] == [20, 10, 70]


def test_earlier_sessions_lose_the_lines_a_model_could_not_have_seen():
    """A train session that goes on into the validation period keeps only its earlier lines."""
    def session(key: str, times: list[float]) -> Sequence:
        lines = [ParsedLine(LogRecord("a.log", int(t), "m", {}, t), 1, "m") for t in times]
        return Sequence(key, [1] * len(times), lines, 0)

    seqs = [session(f"s{i}", [float(i), float(i) + 0.5]) for i in range(10)]
    seqs[0] = session("s0", [0.0, 1.0, 2.5, 7.5, 9.5])  # lives into validation and test
    splits = chronological_split(seqs)  # 2 / 1 / 7 by start: validation starts at 2.0, test at 3.0
    assert splits.train[0].timestamps == [0.0, 1.0]
    assert [s.key for s in splits.validation] == ["s2"] and splits.validation[0].timestamps == [2.0, 2.5]
    assert all(len(s) == 2 for s in splits.test)
    uncut = chronological_split(seqs, cut_future=False)
    assert len(uncut.train[0]) == 5
