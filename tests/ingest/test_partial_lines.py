"""CRI partial lines (tag P) joined to the line that completes them."""

from __future__ import annotations

import io

from hypothesis import given, settings, strategies as st

from logsieve.ingest import IngestStats, read_records

FIXTURE = "tests/fixtures/formats/cri.log"


def test_the_fixture_reads_as_four_records_with_the_split_line_whole():
    stats = IngestStats()
    recs = list(read_records([FIXTURE], stats=stats))
    assert [r.content for r in recs] == ["log content 1", "log content 2", "a long line in two parts", "done"]
    assert recs[2].line_no == 3 and recs[2].fields["Tag"] == "F"
    assert stats.records + stats.quarantined == stats.lines_read and stats.joined_lines == 1


@settings(max_examples=50, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .:=_-]{0,58}[A-Za-z0-9]", fullmatch=True),
       st.lists(st.integers(1, 59), max_size=4, unique=True))
def test_any_split_joins_back(message, cuts):
    cuts = sorted(c for c in cuts if c < len(message))
    pieces = [message[a:b] for a, b in zip([0, *cuts], [*cuts, len(message)])]
    lines = [f"2024-01-01T00:00:0{i % 10}Z stdout {'P' if i < len(pieces) - 1 else 'F'} {p}"
             for i, p in enumerate(pieces)]
    data = ("\n".join(lines) + "\n2024-01-01T00:00:09Z stderr F other\n").encode()
    recs = list(read_records([io.BytesIO(data)], "cri"))
    assert [r.content for r in recs] == [message, "other"]  # the parts' own blanks are kept
