"""Sequence storage: lines come back whole, and stored rows stay out of the collector's way."""

from __future__ import annotations

import gc

from logsieve.records import LineRef, LogRecord, ParsedLine, Sequence


def _line(n: int, fields: dict[str, str] | None = None) -> ParsedLine:
    record = LogRecord("a.log", n, f"took {n} ms", fields if fields is not None else {"Level": "INFO"}, 10.0 + n)
    return ParsedLine(record, 7, "took <*> ms", (str(n),), n == 1)


def test_lines_round_trip_with_every_field() -> None:
    lines = [_line(1), _line(2, {}), _line(3, {"Level": "WARN", "Pid": "9"})]
    seq = Sequence("k")
    for line in lines:
        seq.append(line)
    assert seq.lines == lines
    assert seq.template_ids == [7, 7, 7]
    assert seq.refs == [LineRef("a.log", 1), LineRef("a.log", 2), LineRef("a.log", 3)]
    assert seq.contents == ["took 1 ms", "took 2 ms", "took 3 ms"]
    assert seq.params == [("1",), ("2",), ("3",)]
    assert (seq.start, seq.end) == (11.0, 13.0)
    assert Sequence("k", [7, 7, 7], lines) == seq


def test_ids_only_sequence_has_empty_views() -> None:
    seq = Sequence("k", [1, 2])
    assert len(seq) == 2 and seq.lines == [] and seq.refs == [] and seq.start is None


def test_stored_rows_are_untracked_by_the_garbage_collector() -> None:
    """An open session holds its lines; tracked rows made every full collection walk them all."""
    seq = Sequence("k")
    for n in range(50):
        seq.append(_line(n))
    gc.collect()  # a row is untracked once its params tuple is: that can take a second pass
    gc.collect()
    assert not any(gc.is_tracked(row) for row in seq._rows)
    assert not any(gc.is_tracked(fields) for fields in seq._fields)
