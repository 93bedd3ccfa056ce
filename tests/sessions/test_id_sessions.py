"""Sessions by id: grouping, several ids per line, timeouts, caps, counters, order."""

from __future__ import annotations

from logsieve.sessions import IdSessionGrouper, SessionConfig, base_key
from sessions_helpers import keys, line, lines, memberships


def group(contents, times=None, **config):
    grouper = IdSessionGrouper(SessionConfig(**config))
    return list(grouper.group(lines(contents, times=times))), grouper


def test_lines_join_the_session_of_their_block_id() -> None:
    seqs, g = group(["open blk_1", "open blk_-2", "noise", "write blk_1", "close blk_-2"])
    assert keys(seqs) == ["blk_1", "blk_-2"]
    assert [r.line_no for r in seqs[0].refs] == [1, 4]
    assert [r.line_no for r in seqs[1].refs] == [2, 5]
    assert g.stats.skipped == 1 and g.stats.grouped == 4 and g.stats.lines == 5
    assert seqs[0].contents == ["open blk_1", "write blk_1"]  # views of the parsed lines


def test_a_line_with_several_ids_joins_each_once() -> None:
    seqs, g = group(["delete blk_1 blk_2 blk_1", "x blk_2"])
    assert keys(seqs) == ["blk_1", "blk_2"]
    assert [len(s) for s in seqs] == [1, 2]
    assert g.stats.memberships == 3


def test_capture_group_names_the_id() -> None:
    seqs, _ = group(["GET req=ab1 ok", "req=zz9 start", "req=ab1 done"], id_pattern=r"req=(\w+)")
    assert keys(seqs) == ["ab1", "zz9"]


def test_idle_seconds_close_a_session_in_event_time() -> None:
    grouper = IdSessionGrouper(SessionConfig(idle_seconds=10))
    assert grouper.push(line("a blk_1", ts=0)) == []
    assert grouper.push(line("b blk_2", ts=5)) == []
    closed = grouper.push(line("c blk_2", ts=12))  # blk_1 idle 12 s > 10 s
    assert keys(closed) == ["blk_1"]
    closed = grouper.push(line("d blk_1", ts=30))  # blk_2 idle 18 s; blk_1 starts over
    assert keys(closed) == ["blk_2"] and grouper.stats.timed_out == 2
    assert [len(s) for s in grouper.flush()] == [1]


def test_untimed_lines_do_not_move_the_clock_but_count_for_idle_lines() -> None:
    grouper = IdSessionGrouper(SessionConfig(idle_seconds=10, idle_lines=3))
    grouper.push(line("a blk_1", ts=0))
    for _ in range(3):
        assert grouper.push(line("no id, no time")) == []
    assert keys(grouper.push(line("b blk_2"))) == ["blk_1"]  # 4 lines since blk_1's last


def test_late_timestamp_does_not_turn_the_clock_back() -> None:
    grouper = IdSessionGrouper(SessionConfig(idle_seconds=10))
    grouper.push(line("a blk_1", ts=100))
    grouper.push(line("b blk_2", ts=50))  # late line: clock stays at 100
    assert keys(grouper.push(line("c blk_3", ts=111))) == ["blk_1", "blk_2"]


def test_max_open_evicts_the_least_recently_active() -> None:
    grouper = IdSessionGrouper(SessionConfig(max_open=2))
    grouper.push(line("blk_1"))
    grouper.push(line("blk_2"))
    grouper.push(line("blk_1"))
    assert keys(grouper.push(line("blk_3"))) == ["blk_2"]
    assert grouper.open_count == 2 and grouper.stats.evicted == 1 and grouper.stats.peak_open == 2


def test_max_lines_splits_into_continuations() -> None:
    seqs, g = group(["blk_7"] * 5, max_lines=2)
    assert keys(seqs) == ["blk_7", "blk_7#p2", "blk_7#p3"]
    assert [len(s) for s in seqs] == [2, 2, 1]
    assert {base_key(k) for k in keys(seqs)} == {"blk_7"} and g.stats.split == 2


def test_full_session_leaves_no_empty_sequence_behind() -> None:
    seqs, _ = group(["blk_7"] * 4, max_lines=2)
    assert [len(s) for s in seqs] == [2, 2]


def test_contents_and_flush_order() -> None:
    grouper = IdSessionGrouper(SessionConfig())
    seqs = list(grouper.group(lines(["b blk_2", "a blk_1", "c blk_2"])))
    assert keys(seqs) == ["blk_2", "blk_1"]  # order of first line
    assert seqs[0].contents == ["b blk_2", "c blk_2"]
    assert grouper.open_count == 0 and grouper.flush() == []


def test_every_line_lands_once_per_id_and_output_is_deterministic() -> None:
    contents = [f"x blk_{i % 7} blk_{i % 3}" for i in range(100)]
    first, g = group(contents, max_open=3, max_lines=4)
    again, _ = group(contents, max_open=3, max_lines=4)
    assert keys(first) == keys(again)
    counts = memberships(first)
    assert all(counts[s.refs[0]] >= 1 for s in first)
    assert sum(counts.values()) == sum(len({i % 7, i % 3}) for i in range(100)) == g.stats.memberships


def test_lines_without_an_id_go_into_windows_when_asked() -> None:
    contents = ["open blk_1", "noise 1", "noise 2", "write blk_1", "noise 3", "close blk_1", "noise 4"]
    seqs, g = group(contents, unkeyed_lines=2)
    assert keys(seqs) == ["a.log#u", "a.log#u#p2", "blk_1"]  # windows emit when full, the session at flush
    assert [[r.line_no for r in s.refs] for s in seqs] == [[2, 3], [5, 7], [1, 4, 6]]
    assert g.stats.skipped == 0 and g.stats.grouped == g.stats.lines == 7
    assert sum(memberships(seqs).values()) == 7  # every line in exactly one sequence
