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


@dataclass(slots=True, frozen=True)
class LineRef:
    """Where a line came from, so a verdict can point back at it."""

    source: str
    line_no: int


@dataclass(slots=True)
class Sequence:
    """An ordered group of parsed lines that is judged as one unit (a session or a window).

    ``key`` names it: the session id (``blk_-42``) or a window id (``<source>#w17``).
    ``template_ids[i]``, ``refs[i]``, ``timestamps[i]`` and ``params[i]`` describe its i-th line.
    ``contents`` holds the raw message contents only when the grouper was asked to keep them
    (prompts need them; counting does not). ``label`` is 1 abnormal, 0 normal, None unknown.
    """

    key: str
    template_ids: list[int] = field(default_factory=list)
    refs: list[LineRef] = field(default_factory=list)
    timestamps: list[float | None] = field(default_factory=list)
    params: list[tuple[str, ...]] = field(default_factory=list)
    contents: list[str] | None = None
    label: int | None = None

    def __len__(self) -> int:
        return len(self.template_ids)

    @property
    def start(self) -> float | None:
        """Time of the first timestamped line (None if no line had a time)."""
        return next((t for t in self.timestamps if t is not None), None)

    @property
    def end(self) -> float | None:
        return next((t for t in reversed(self.timestamps) if t is not None), None)

    def append(self, line: ParsedLine, keep_content: bool = False) -> None:
        """Add one parsed line at the end."""
        rec = line.record
        self.template_ids.append(line.template_id)
        self.refs.append(LineRef(rec.source, rec.line_no))
        self.timestamps.append(rec.timestamp)
        self.params.append(line.params)
        if keep_content:
            if self.contents is None:
                self.contents = []
            self.contents.append(rec.content)
