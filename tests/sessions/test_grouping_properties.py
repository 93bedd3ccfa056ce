"""Properties of id sessions under every limit at once: nothing lost, nothing unbounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.records import LineRef
from logsieve.sessions import IdSessionGrouper, SessionConfig, base_key
from sessions_helpers import line, memberships

line_ids = st.lists(st.integers(0, 9), max_size=3)
configs = st.builds(
    SessionConfig,
    max_open=st.integers(1, 6),
    max_lines=st.integers(1, 8),
    idle_lines=st.one_of(st.none(), st.integers(1, 10)),
    idle_seconds=st.one_of(st.none(), st.integers(1, 20).map(float)),
)


def content_of(ids: list[int]) -> str:
    return "op " + " ".join(f"blk_{i}" for i in ids)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(line_ids, st.one_of(st.none(), st.integers(0, 100).map(float))), max_size=80),
       config=configs)
def test_every_line_lands_once_per_distinct_id_within_all_bounds(rows, config: SessionConfig) -> None:
    grouper = IdSessionGrouper(config)
    seqs = []
    for n, (ids, ts) in enumerate(rows, 1):
        seqs += grouper.push(line(content_of(ids), line_no=n, ts=ts))
        assert grouper.open_count <= config.max_open  # the memory bound holds after every line
    seqs += grouper.flush()

    counts = memberships(seqs)
    for n, (ids, _) in enumerate(rows, 1):
        assert counts[LineRef("a.log", n)] == len(set(ids))
    assert all(1 <= len(s) <= config.max_lines for s in seqs)
    for s in seqs:  # lines keep their input order, and a session holds only lines naming its id
        nums = [r.line_no for r in s.refs]
        assert nums == sorted(nums)
        assert all(base_key(s.key) in content_of(rows[k - 1][0]).split() for k in nums)
    stats = grouper.stats
    assert stats.lines == stats.grouped + stats.skipped == len(rows)
    assert stats.memberships == sum(len(s) for s in seqs) and stats.emitted == len(seqs)
    assert stats.peak_open <= config.max_open
