"""Readers: files, .gz files, directories, globs, stdin and open streams -> lines -> records.

Every line read ends up as exactly one :class:`LogRecord` or one :class:`QuarantineRecord`
(reasons: not UTF-8, longer than ``max_line_bytes``, not matching the format), and
:class:`IngestStats` counts both. A source that fails as a whole or part-way (missing file,
unreadable file, archive cut short) is one quarantine entry too, so nothing vanishes silently
and a run goes on with the next source.

Lines end at ``\\n``; one ``\\r`` before it is dropped too (CRLF files). A UTF-8 byte-order mark
at the start of a source is ignored. Line numbers are 1-based per source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from logsieve.ingest.formats import LogFormat, get_format
from logsieve.ingest.sources import (
    CHUNK_BYTES,
    ArchiveDamaged,
    Source,
    StreamSource,
    as_source_list,
    describe_open_error,
    expand_sources,
    iter_chunks,
    open_path,
)
from logsieve.ingest.splitter import RAW_PREFIX_BYTES, Block, LineSplitter
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord

DEFAULT_MAX_LINE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line as bytes, before decoding: without its ``\\n`` (and ``\\r``), at most the limit."""

    source: str
    line_no: int
    data: bytes


@dataclass
class IngestStats:
    """Counts for one ingest run; pass one in to read them after (or during) the run.

    Invariant: ``records + quarantined == lines_read``. A failure not tied to one line (missing
    file, unreadable directory, damaged archive tail) is one quarantine entry and also counts as
    one line read: that keeps the sum exact with no special case, at the price of
    ``lines_read`` being "lines and failures". ``by_reason`` is keyed by the reason's value
    (``"too_long"``, ...).
    """

    lines_read: int = 0
    records: int = 0
    quarantined: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)

    def record(self) -> None:
        self.lines_read += 1
        self.records += 1

    def quarantine(self, reason: QuarantineReason) -> None:
        self.lines_read += 1
        self.quarantined += 1
        self.by_reason[reason.value] += 1

    @property
    def consistent(self) -> bool:
        return self.records + self.quarantined == self.lines_read == self.records + sum(self.by_reason.values())

    def as_dict(self) -> dict[str, object]:
        return {"lines_read": self.lines_read, "records": self.records,
                "quarantined": self.quarantined, "by_reason": dict(self.by_reason)}


def read_lines(
    sources: Iterable[Source] | Source,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[RawLine | QuarantineRecord]:
    """Raw byte lines of every source in order; lines and sources that fail are quarantined.

    Sources: paths, ``.gz`` files (recognised by content), directories (every file below, in
    path order), glob patterns, ``"-"`` for stdin, and open binary streams (as is, or wrapped in
    :class:`StreamSource` to name them).
    """
    for item in _blocks(sources, max_line_bytes, chunk_bytes):
        if isinstance(item, QuarantineRecord):
            yield item
            continue
        name, (start, data) = item
        for line_no, line in enumerate(data.split(b"\n"), start):
            yield RawLine(name, line_no, line[:-1] if line[-1:] == b"\r" else line)


def read_records(
    sources: Iterable[Source] | Source,
    fmt: LogFormat | str,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    stats: IngestStats | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[LogRecord | QuarantineRecord]:
    """Records for lines that decode and fit ``fmt``; everything else is quarantined, in order.

    ``fmt`` is a :class:`LogFormat` or the name of a preset. ``stats`` is updated as items are
    yielded, so it is exact whenever the caller looks.
    """
    fmt = get_format(fmt) if isinstance(fmt, str) else fmt
    stats = stats if stats is not None else IngestStats()
    for item in _blocks(sources, max_line_bytes, chunk_bytes):
        if isinstance(item, QuarantineRecord):
            stats.quarantine(item.reason)
            yield item
            continue
        name, block = item
        yield from records_from_block(name, block, fmt, stats)


def records_from_block(
    name: str, block: Block, fmt: LogFormat, stats: IngestStats
) -> Iterator[LogRecord | QuarantineRecord]:
    """The hot loop: one block of lines -> records. Kept flat because it runs per line."""
    start, data = block
    try:
        lines: list[str] | list[str | QuarantineRecord] = _split_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        lines = _decode_each(name, start, data)
    parse = fmt.parse
    stamp = fmt.stamp_function
    no_match = QuarantineReason.NO_FORMAT_MATCH
    for line_no, line in enumerate(lines, start):
        if type(line) is not str:  # a DECODE_ERROR record made by _decode_each
            stats.quarantine(line.reason)  # type: ignore[union-attr]
            yield line  # type: ignore[misc]
            continue
        parsed = parse(line)  # type: ignore[arg-type]
        if parsed is None:
            stats.quarantine(no_match)
            yield QuarantineRecord(name, line_no, no_match, f"line does not match format {fmt.name!r}",
                                   _raw(line))  # type: ignore[arg-type]
            continue
        fields, content = parsed
        stats.lines_read += 1  # what stats.record() does, without a call per line
        stats.records += 1
        yield LogRecord(name, line_no, content, fields, stamp(fields) if stamp is not None else None)


def _split_text(text: str) -> list[str]:
    lines = text.split("\n")
    if "\r" in text:
        return [ln[:-1] if ln[-1:] == "\r" else ln for ln in lines]
    return lines


def _decode_each(name: str, start: int, data: bytes) -> list[str | QuarantineRecord]:
    """The slow path for a block holding invalid UTF-8: decide line by line."""
    out: list[str | QuarantineRecord] = []
    for line_no, raw in enumerate(data.split(b"\n"), start):
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            out.append(QuarantineRecord(name, line_no, QuarantineReason.DECODE_ERROR,
                                        f"not valid UTF-8 at byte {exc.start}", raw[:RAW_PREFIX_BYTES]))
    return out


def _raw(line: str) -> bytes:
    """A bounded byte prefix of a decoded line, for a quarantine record."""
    return line[:RAW_PREFIX_BYTES].encode("utf-8")[:RAW_PREFIX_BYTES]


def _blocks(
    sources: Iterable[Source] | Source, limit: int, chunk_bytes: int
) -> Iterator[tuple[str, Block] | QuarantineRecord]:
    """Every source's blocks of lines, tagged with its name, and its quarantine entries."""
    if limit < 1:
        raise ValueError(f"max_line_bytes must be at least 1, got {limit}")
    for src in expand_sources(as_source_list(sources)):
        if isinstance(src, QuarantineRecord):
            yield src
            continue
        name = src.name if isinstance(src, StreamSource) else str(src)
        try:
            stream = src.stream if isinstance(src, StreamSource) else open_path(src)
        except OSError as exc:
            yield QuarantineRecord(name, 0, QuarantineReason.READ_ERROR, describe_open_error(src, exc))  # type: ignore[arg-type]
            continue
        try:
            for item in _source_blocks(name, stream, limit, chunk_bytes):
                yield item if isinstance(item, QuarantineRecord) else (name, item)
        finally:
            if not isinstance(src, StreamSource):
                stream.close()


def _source_blocks(name: str, stream: BinaryIO, limit: int, chunk_bytes: int) -> Iterator[Block | QuarantineRecord]:
    """One source's blocks; a failure part-way ends it with one quarantine entry."""
    splitter = LineSplitter(name, limit)
    try:
        for chunk in iter_chunks(stream, chunk_bytes):
            yield from splitter.feed(chunk)
    except ArchiveDamaged as exc:
        line_no, prefix = splitter.abandon()
        yield QuarantineRecord(name, line_no, QuarantineReason.TRUNCATED_ARCHIVE,
                               f"{exc}; lines before line {line_no} were read", prefix)
        return
    except OSError as exc:
        line_no, prefix = splitter.abandon()
        yield QuarantineRecord(name, line_no, QuarantineReason.READ_ERROR,
                               f"read failed at line {line_no}: {exc.strerror or exc}", prefix)
        return
    yield from splitter.finish()
