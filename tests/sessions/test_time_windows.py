"""Time windows: epoch-aligned keys, overlap, late and untimed lines, caps."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.records import LineRef
from logsieve.sessions import TimeWindowConfig, TimeWindowGrouper, time_window_indices
from sessions_helpers import keys, line, lines, memberships


def group(times, **config):
    grouper = TimeWindowGrouper(TimeWindowConfig(**config))
    return list(grouper.group(lines((f"m{i}" for i in range(len(times))), times=times))), grouper


def test_tumbling_windows_are_aligned_to_the_epoch() -> None:
    seqs, _ = group([5, 59, 61, 300], span=60, step=60)
    assert keys(seqs) == ["a.log#w0", "a.log#w1", "a.log#w5"]  # no empty windows in between
    assert [len(s) for s in seqs] == [2, 1, 1]


def test_overlapping_windows_hold_each_line_span_over_step_times() -> None:
    seqs, g = group([0, 10, 31, 95], span=60, step=30)
    assert keys(seqs) == ["a.log#w-1", "a.log#w0", "a.log#w1", "a.log#w2", "a.log#w3"]
    assert set(memberships(seqs).values()) == {2} and g.stats.memberships == 8


def test_windows_close_as_the_clock_passes_their_end() -> None:
    grouper = TimeWindowGrouper(TimeWindowConfig(span=10, step=10))
    assert grouper.push(line(ts=1)) == []
    assert keys(grouper.push(line(ts=10))) == ["a.log#w0"]
    assert grouper.open_count == 1


def test_late_lines_join_the_window_of_the_clock() -> None:
    seqs, g = group([100, 50, 130], span=60, step=60)
    assert [[r.line_no for r in s.refs] for s in seqs] == [[1, 2], [3]]
    assert g.stats.late == 1


def test_untimed_lines_carry_or_drop_and_are_counted() -> None:
    times = [None, 10, None, 70]
    seqs, g = group(times, span=60, step=60)
    assert [[r.line_no for r in s.refs] for s in seqs] == [[2, 3], [4]]
    assert g.stats.untimed == 2 and g.stats.skipped == 1  # line 1 came before any time
    seqs, g = group(times, span=60, step=60, untimed="drop")
    assert [[r.line_no for r in s.refs] for s in seqs] == [[2], [4]]
    assert g.stats.skipped == 2 and g.stats.lines == g.stats.grouped + g.stats.skipped


def test_max_lines_continues_a_burst() -> None:
    seqs, _ = group([1, 1, 1, 1, 1], span=60, step=60, max_lines=2)
    assert keys(seqs) == ["a.log#w0", "a.log#w0#p2", "a.log#w0#p3"]


def test_index_edges_are_exact() -> None:
    assert time_window_indices(60.0, 60, 60) == [1]
    assert time_window_indices(59.999, 60, 30) == [0, 1]
    assert time_window_indices(-1.0, 60, 60) == [-1]


@settings(max_examples=200, deadline=None)
@given(t=st.floats(-1e4, 1e4), step=st.sampled_from([0.1, 0.25, 1.0, 7.5]), mult=st.integers(1, 5))
def test_indices_match_the_window_predicate_on_floats(t: float, step: float, mult: int) -> None:
    span = step * mult
    got = time_window_indices(t, span, step)
    lo = int(t // step) - mult - 2
    assert got == [k for k in range(lo, lo + mult + 5) if k * step <= t < k * step + span]


@settings(max_examples=150, deadline=None)
@given(
    times=st.lists(st.one_of(st.none(), st.integers(0, 2000).map(float)), max_size=60),
    span=st.integers(1, 300), data=st.data(),
)
def test_each_line_lands_in_the_windows_of_its_time(times, span: int, data: st.DataObject) -> None:
    step = data.draw(st.integers(1, span))
    seqs, g = group(times, span=span, step=step)
    counts = memberships(seqs)
    clock = None
    for i, t in enumerate(times):
        clock = clock if t is None else (t if clock is None else max(clock, t))
        expected = 0 if clock is None else len(time_window_indices(clock, span, step))
        assert counts[LineRef("a.log", i + 1)] == expected
        if clock is not None:
            assert expected == sum(1 for k in range(-400, 2001) if k * step <= clock < k * step + span)
    assert g.stats.lines == g.stats.grouped + g.stats.skipped == len(times)
