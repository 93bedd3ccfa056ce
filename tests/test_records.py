"""Sequence storage: lines come back whole, and stored rows stay out of the collector's way;
line references fold into spans and back."""

from __future__ import annotations

import gc

from hypothesis import given
from hypothesis import strategies as st

from logsieve.records import LineRef, LogRecord, ParsedLine, Sequence, Span, fold_span, unfold_span


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


def test_fold_span_joins_consecutive_lines_per_file_in_first_seen_order() -> None:
    refs = [LineRef("b.log", 7), LineRef("a.log", 10), LineRef("a.log", 11), LineRef("b.log", 8),
            LineRef("a.log", 12), LineRef("a.log", 20), LineRef("a.log", 11), LineRef("a.log", 5)]
    assert fold_span(refs) == [Span("b.log", 7, 8), Span("a.log", 5, 5), Span("a.log", 10, 12),
                               Span("a.log", 20, 20)]
    assert fold_span([]) == []
    assert Span("a.log", 10, 29).as_dict() == {"file": "a.log", "from": 10, "to": 29}
    assert Span.from_dict({"file": "a.log", "from": 10, "to": 29}) == Span("a.log", 10, 29)


@given(st.lists(st.tuples(st.sampled_from(["a.log", "b.log", "dir/c.log"]), st.integers(1, 60)), max_size=80))
def test_unfolding_a_span_gives_back_the_sorted_unique_refs_per_file(pairs: list[tuple[str, int]]) -> None:
    refs = [LineRef(f, n) for f, n in pairs]
    spans = fold_span(refs)
    files = list(dict.fromkeys(r.source for r in refs))
    assert list(unfold_span(spans)) == [LineRef(f, n) for f in files
                                        for n in sorted({r.line_no for r in refs if r.source == f})]
    for a, b in zip(spans, spans[1:]):  # folded as far as it goes: ranges of one file never touch
        assert a.first <= a.last
        assert a.file != b.file or b.first > a.last + 1


@given(st.lists(st.tuples(st.sampled_from(["a.log", "b.log"]), st.integers(1, 40)), max_size=40))
def test_a_sequence_folds_its_own_span_as_fold_span_of_its_refs(refs):
    lines = [ParsedLine(LogRecord(src, n, "m"), 1, "m") for src, n in refs]
    seq = Sequence("k", [1] * len(lines), lines)
    assert seq.span() == fold_span(seq.refs)
    assert seq.first_ref == (seq.refs[0] if refs else None)
