"""Record types passed between pipeline layers.

Each layer takes a record type in and gives a record type out, so a reader never knows about a
parser and a parser never knows about files. Records are slotted dataclasses: they are created
once per log line, so they must be cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


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
