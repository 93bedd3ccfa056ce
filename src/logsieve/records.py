"""Record types passed between pipeline layers.

Each layer takes a record type in and gives a record type out, so a reader never knows about a
parser and a parser never knows about files. Records are slotted dataclasses: they are created
once per log line, so they must be cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class QuarantineReason(str, Enum):
    """Why a raw line could not become a :class:`LogRecord`."""

    NO_FORMAT_MATCH = "no_format_match"
    DECODE_ERROR = "decode_error"
    TOO_LONG = "too_long"
    READ_ERROR = "read_error"
    TRUNCATED_ARCHIVE = "truncated_archive"


@dataclass(slots=True, frozen=True)
class LogRecord:
    """One log line that matched its format.

    ``timestamp`` is POSIX seconds when the header carried a parseable time, else ``None``.
    ``fields`` holds the header fields of the format (``Date``, ``Level``, ...), not ``Content``.
    """

    source: str
    line_no: int
    content: str
    fields: dict[str, str] = field(default_factory=dict)
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


@dataclass(slots=True, frozen=True)
class ParsedLine:
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


@dataclass(slots=True)
class Sequence:
    """An ordered group of parsed lines that is judged as one unit (a session or a window).

    ``key`` names it: the session id (``blk_-42``) or a window id (``<source>#w17``).
    ``template_ids`` is what counting models read, kept as its own list because it is the hot
    path; ``lines`` holds the :class:`ParsedLine` objects themselves (record, template, params),
    so refs, times, params and contents are views, not copies: appending a line is two list
    appends, which is what lets grouping keep up with the parser. A sequence built from template
    ids alone (e.g. a pre-parsed data set) has no lines and empty views. ``label`` is 1
    abnormal, 0 normal, None unknown.
    """

    key: str
    template_ids: list[int] = field(default_factory=list)
    lines: list[ParsedLine] = field(default_factory=list)
    label: int | None = None

    def __len__(self) -> int:
        return len(self.template_ids)

    @property
    def refs(self) -> list[LineRef]:
        """Where each line came from, for pointing a verdict at its lines."""
        return [_new_ref(LineRef, (p.record.source, p.record.line_no)) for p in self.lines]

    @property
    def timestamps(self) -> list[float | None]:
        return [p.record.timestamp for p in self.lines]

    @property
    def params(self) -> list[tuple[str, ...]]:
        return [p.params for p in self.lines]

    @property
    def contents(self) -> list[str]:
        """The raw message contents, in order (empty for a sequence built from ids alone)."""
        return [p.record.content for p in self.lines]

    @property
    def start(self) -> float | None:
        """Time of the first timestamped line (None if no line had a time)."""
        return next((p.record.timestamp for p in self.lines if p.record.timestamp is not None), None)

    @property
    def end(self) -> float | None:
        return next((p.record.timestamp for p in reversed(self.lines) if p.record.timestamp is not None), None)

    def append(self, line: ParsedLine) -> None:
        """Add one parsed line at the end."""
        self.template_ids.append(line.template_id)
        self.lines.append(line)


# LineRef(a, b) goes through a Python-level __new__; tuple.__new__ builds the same object in C.
_new_ref = tuple.__new__
