"""Record types passed between pipeline layers.

Each layer takes a record type in and gives a record type out, so a reader never knows about a
parser and a parser never knows about files. The two per-line records, :class:`LogRecord` and
:class:`ParsedLine`, are named tuples: one of each is made per log line, and a tuple is cheaper
to build than a slotted dataclass. :class:`Sequence` stores its lines as flat plain tuples
instead, so that the garbage collector can stop tracking them (see its docstring).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple


class QuarantineReason(str, Enum):
    """Why a raw line could not become a :class:`LogRecord`."""

    NO_FORMAT_MATCH = "no_format_match"
    DECODE_ERROR = "decode_error"
    TOO_LONG = "too_long"
    READ_ERROR = "read_error"
    TRUNCATED_ARCHIVE = "truncated_archive"
    BAD_NDJSON = "bad_ndjson"  # an /ingest NDJSON line that is not a {"line": str} object


class LogRecord(NamedTuple):
    """One log line that matched its format.

    ``timestamp`` is POSIX seconds when the header carried a parseable time, else ``None``.
    ``fields`` holds the header fields of the format (``Date``, ``Level``, ...), not ``Content``;
    treat it as read-only (the default is shared).
    """

    source: str
    line_no: int
    content: str
    fields: dict[str, str] = {}  # noqa: RUF012 - never mutated; a NamedTuple cannot take a factory
    timestamp: float | None = None


@dataclass(slots=True, frozen=True)
class QuarantineRecord:
    """A line (or a read failure) kept aside with its reason instead of being dropped.

    ``raw`` is a bounded prefix of the offending bytes so a quarantine never holds a 10 MB line.
    ``line_no`` is 0 for failures that are not tied to one line (e.g. a missing file).
    """

    source: str
    line_no: int
    reason: QuarantineReason
    detail: str = ""
    raw: bytes = b""


class ParsedLine(NamedTuple):
    """A log record after template mining: which template it belongs to and its parameters."""

    record: LogRecord
    template_id: int
    template: str
    params: tuple[str, ...] = ()
    is_new_template: bool = False


class LineRef(NamedTuple):
    """Where a line came from, so a verdict can point back at it.

    A named tuple rather than a dataclass: one is made per line per sequence, and a tuple is
    several times cheaper to build while hashing and comparing the same way.
    """

    source: str
    line_no: int


class Span(NamedTuple):
    """Consecutive lines ``first`` to ``last`` (1-based, inclusive) of one file: how a verdict
    says which raw lines it covers without listing each one. Written as
    ``{"file", "from", "to"}`` (:meth:`as_dict`): ``from`` is a Python keyword, so the fields
    here are named ``first`` and ``last``."""

    file: str
    first: int
    last: int

    def as_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "from": self.first, "to": self.last}

    @classmethod
    def from_dict(cls, d: dict) -> Span:
        return cls(str(d["file"]), int(d["from"]), int(d["to"]))


def fold_span(refs: Iterable[tuple[str, int]]) -> list[Span]:
    """Fold line references into ranges of consecutive line numbers, per file.

    Files come in the order they first appear; within a file the ranges ascend and never touch
    (a repeated line is counted once). Why fold: a session's lines interleave with other
    sessions', so listing every line number of a long session is most of a verdict's size, while
    the ranges say the same in a few entries. One pass over the refs plus a sort per file that
    is linear when the lines arrive in order, as they do from a reader.
    """
    by_file: dict[str, list[int]] = {}
    for source, line_no in refs:
        numbers = by_file.get(source)
        if numbers is None:
            by_file[source] = [line_no]
        else:
            numbers.append(line_no)
    out: list[Span] = []
    for source, numbers in by_file.items():
        numbers.sort()
        first = last = numbers[0]
        for n in numbers:
            if n > last + 1:
                out.append(_new_ref(Span, (source, first, last)))
                first = n
            last = n if n > last else last
        out.append(_new_ref(Span, (source, first, last)))
    return out


def unfold_span(spans: Iterable[Span]) -> Iterator[LineRef]:
    """Every line a span list covers, as :class:`LineRef` s (the inverse of :func:`fold_span`
    up to order and repeats)."""
    for span in spans:
        for n in range(span.first, span.last + 1):
            yield LineRef(span.file, n)


# A stored line: the LogRecord without its header dict, then ParsedLine's fields after the record.
_Row = tuple
_SOURCE, _LINE_NO, _CONTENT, _TIME, _TID, _TEMPLATE, _PARAMS, _NEW = range(8)
_SOURCE_AND_LINE = operator.itemgetter(_SOURCE, _LINE_NO)


class Sequence:
    """An ordered group of parsed lines that is judged as one unit (a session or a window).

    ``key`` names it: the session id (``blk_-42``) or a window id (``<source>#w17``).
    ``template_ids`` is what counting models read, kept as its own list because it is the hot
    path. Each line is also kept whole (record, template, params) so that a verdict can quote
    and point at it; ``lines``, ``refs``, ``timestamps``, ``params`` and ``contents`` are views.
    A sequence built from template ids alone (e.g. a pre-parsed data set) has no lines and
    empty views. ``label`` is 1 abnormal, 0 normal, None unknown.

    Why lines are stored as flat plain tuples, not as the ParsedLine objects: an open session
    keeps its lines alive, and the garbage collector walks every live object it tracks on each
    full collection. CPython stops tracking an exact tuple of strings, numbers and such tuples,
    but never a named tuple, a dataclass or a tuple holding a dict. So a row is one flat tuple
    and the header dicts (untracked while they hold only strings) sit in a list beside the rows.
    On the HDFS sample this cut the collector's share of grouping from ~1 s to ~0.1 s
    (``benchmarks/stream_pipeline.py``).
    """

    __slots__ = ("key", "template_ids", "label", "_rows", "_fields")

    def __init__(
        self,
        key: str,
        template_ids: list[int] | None = None,
        lines: Iterable[ParsedLine] = (),
        label: int | None = None,
    ) -> None:
        self.key = key
        self.template_ids: list[int] = [] if template_ids is None else template_ids
        self.label = label
        self._rows: list[_Row] = []
        self._fields: list[dict[str, str]] = []
        for line in lines:
            self._rows.append(_row(line))
            self._fields.append(line[0][3])

    def __len__(self) -> int:
        return len(self.template_ids)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return (self.key, self.template_ids, self.label, self._rows, self._fields) == (
            other.key, other.template_ids, other.label, other._rows, other._fields)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (f"Sequence(key={self.key!r}, template_ids={self.template_ids!r}, "
                f"lines={len(self._rows)}, label={self.label!r})")

    @property
    def lines(self) -> list[ParsedLine]:
        """The parsed lines, rebuilt from storage (a new list each call)."""
        return [ParsedLine(LogRecord(r[0], r[1], r[2], f, r[3]), r[4], r[5], r[6], r[7])
                for r, f in zip(self._rows, self._fields)]

    @property
    def refs(self) -> list[LineRef]:
        """Where each line came from, for pointing a verdict at its lines."""
        return [_new_ref(LineRef, r[:_CONTENT]) for r in self._rows]

    @property
    def first_ref(self) -> LineRef | None:
        """Where the first line came from (None for a sequence built from ids alone)."""
        return _new_ref(LineRef, self._rows[0][:_CONTENT]) if self._rows else None

    def span(self) -> list[Span]:
        """Every line as folded ranges per file (:func:`fold_span` of :attr:`refs`, without
        building a :class:`LineRef` per line: this runs for every verdict)."""
        return fold_span(map(_SOURCE_AND_LINE, self._rows))

    @property
    def timestamps(self) -> list[float | None]:
        return [r[_TIME] for r in self._rows]

    @property
    def params(self) -> list[tuple[str, ...]]:
        return [r[_PARAMS] for r in self._rows]

    @property
    def contents(self) -> list[str]:
        """The raw message contents, in order (empty for a sequence built from ids alone)."""
        return [r[_CONTENT] for r in self._rows]

    @property
    def header_fields(self) -> list[dict[str, str]]:
        """Each line's header fields (``Level``, ``Component``, ...), in order; the stored dicts,
        not copies: read them, do not change them."""
        return self._fields

    @property
    def start(self) -> float | None:
        """Time of the first timestamped line (None if no line had a time)."""
        return next((r[_TIME] for r in self._rows if r[_TIME] is not None), None)

    @property
    def end(self) -> float | None:
        return next((r[_TIME] for r in reversed(self._rows) if r[_TIME] is not None), None)

    def head(self, n: int) -> Sequence:
        """A new sequence of the first ``n`` lines (same key and label)."""
        out = Sequence(self.key, self.template_ids[:n], label=self.label)
        out._rows, out._fields = self._rows[:n], self._fields[:n]
        return out

    def append(self, line: ParsedLine) -> None:
        """Add one parsed line at the end (the hot path: see the class doc)."""
        rec = line[0]
        self.template_ids.append(line[1])
        self._fields.append(rec[3])
        self._rows.append((rec[0], rec[1], rec[2], rec[4], line[1], line[2], line[3], line[4]))


def _row(line: ParsedLine) -> _Row:
    rec = line[0]
    return (rec[0], rec[1], rec[2], rec[4], line[1], line[2], line[3], line[4])


# LineRef(a, b) goes through a Python-level __new__; tuple.__new__ builds the same object in C
# (Span too: fold_span makes one per range, ~30% of its time on the HDFS demo's sessions).
_new_ref = tuple.__new__
