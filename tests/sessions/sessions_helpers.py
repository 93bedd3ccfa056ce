"""Small builders for parsed lines, so grouping tests state only what matters to them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence as Seq

from logsieve.records import LineRef, LogRecord, ParsedLine, Sequence


def line(content: str = "x", *, source: str = "a.log", line_no: int = 1, ts: float | None = None,
         template_id: int = 1) -> ParsedLine:
    return ParsedLine(LogRecord(source, line_no, content, {}, ts), template_id, content)


def lines(
    contents: Iterable[str], *, source: str = "a.log", times: Seq[float | None] | None = None
) -> list[ParsedLine]:
    """One parsed line per content, numbered from 1; ``times[i]`` is line i's timestamp."""
    out = []
    for i, content in enumerate(contents):
        out.append(line(content, source=source, line_no=i + 1, ts=None if times is None else times[i]))
    return out


def memberships(seqs: Iterable[Sequence]) -> Counter[LineRef]:
    """How many emitted sequences hold each line."""
    return Counter(ref for s in seqs for ref in s.refs)


def keys(seqs: Iterable[Sequence]) -> list[str]:
    return [s.key for s in seqs]
