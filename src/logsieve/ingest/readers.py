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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from logsieve.ingest.formats import AUTO, AnyFormat, get_format, load_formats
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

if TYPE_CHECKING:
    from logsieve.ingest.detect import FormatGuess

DEFAULT_MAX_LINE_BYTES = 1_000_000
MAX_RECORD_LINES = 500
"""A multi-line record holds at most this many lines; further continuation lines are quarantined."""
MAX_RECORD_BYTES = 64 * 1024
"""... and at most this many characters of content."""

FormatHook = Callable[[str, "FormatGuess"], None]
"""Called with (source name, guess) each time ``auto`` resolves a source's format."""

_new_tuple = tuple.__new__


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
    joined_lines: int = 0
    """Continuation lines joined into the record before them (multi-line records). They are
    part of a record, not records themselves, so they are not in ``lines_read``."""

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
                "quarantined": self.quarantined, "by_reason": dict(self.by_reason),
                "joined_lines": self.joined_lines}


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
    fmt: AnyFormat | str = AUTO,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    stats: IngestStats | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    multiline: bool | None = None,
    extra_paths: Iterable[str | Path] = (),
    on_format: FormatHook | None = None,
) -> Iterator[LogRecord | QuarantineRecord]:
    """Records for lines that decode and fit ``fmt``; everything else is quarantined, in order.

    ``fmt`` is a format, the name of one (``extra_paths``: formats files to look in), or
    ``"auto"`` (the default): each source's format is detected from its first lines
    (:func:`logsieve.ingest.detect.detect_format`) and reported to ``on_format``.

    ``multiline``: join lines that do not fit the format to the record before them (stack
    traces), up to :data:`MAX_RECORD_LINES` lines and :data:`MAX_RECORD_BYTES`. ``None`` (the
    default) means: as detected with ``auto``, off with a named format, which so reads exactly
    as it always did (a line that does not fit is quarantined as ``no_format_match``).

    ``stats`` is updated as items are yielded, so it is exact whenever the caller looks.
    """
    auto = isinstance(fmt, str) and fmt.lower() == AUTO
    fixed = None if auto else get_format(fmt, extra_paths) if isinstance(fmt, str) else fmt
    candidates = list(load_formats(*tuple(extra_paths)).values()) if auto else None
    stats = stats if stats is not None else IngestStats()
    for item in _per_source(sources, max_line_bytes, chunk_bytes):
        if isinstance(item, QuarantineRecord):
            stats.quarantine(item.reason)
            yield item
            continue
        name, items = item
        if fixed is not None:
            use, join = fixed, bool(multiline)
        else:
            items, guess = _detect_head(name, items, candidates)  # type: ignore[arg-type]
            if on_format is not None:
                on_format(name, guess)
            use = next(f for f in candidates if f.name == guess.format)  # type: ignore[union-attr]
            join = guess.multiline if multiline is None else multiline
        if join and _can_join(use):
            yield from joined_records(name, items, use, stats)
            continue
        plain = _plain_records(name, items, use, stats)
        yield from (joined_partials(plain, stats) if getattr(use, "partial_lines", False) else plain)


def _plain_records(name: str, items: Iterable[Block | QuarantineRecord], fmt: AnyFormat,
                   stats: IngestStats) -> Iterator[LogRecord | QuarantineRecord]:
    for block in items:
        if isinstance(block, QuarantineRecord):
            stats.quarantine(block.reason)
            yield block
        else:
            yield from records_from_block(name, block, fmt, stats)


def joined_partials(records: Iterable[LogRecord | QuarantineRecord], stats: IngestStats,
                    *, max_bytes: int = MAX_RECORD_BYTES) -> Iterator[LogRecord | QuarantineRecord]:
    """Join a container runtime's partial lines (CRI tag ``P``) to the line that completes them.

    The runtime splits a long line into ``P`` parts and a final ``F``; the parts are one message
    (concatenated as is: the split falls anywhere, even inside a word). The record keeps its
    first part's line number, time and fields (with ``Tag`` ``F`` once complete); parts of
    different streams (stdout, stderr) are kept apart. A joined part counts in
    ``stats.joined_lines``, not as a record. Parts still open at a quarantined line, at the end,
    or past ``max_bytes`` are emitted as they are.
    """
    open_parts: dict[str, tuple[LogRecord, list[str], int]] = {}
    for rec in records:
        if isinstance(rec, QuarantineRecord):
            yield from (_close_partial(*v) for v in open_parts.values())
            open_parts.clear()
            yield rec
            continue
        stream = rec.fields.get("Stream", "")
        held = open_parts.pop(stream, None)
        if held is not None:
            first, parts, size = held
            stats.records -= 1
            stats.lines_read -= 1
            stats.joined_lines += 1
            parts.append(rec.content)
            size += len(rec.content)
            if rec.fields.get("Tag") == "P" and size < max_bytes:
                open_parts[stream] = (first, parts, size)
                continue
            yield first._replace(content="".join(parts), fields={**first.fields, "Tag": "F"})
            continue
        if rec.fields.get("Tag") == "P":
            open_parts[stream] = (rec, [rec.content], len(rec.content))
            continue
        yield rec
    yield from (_close_partial(*v) for v in open_parts.values())


def _close_partial(first: LogRecord, parts: list[str], size: int) -> LogRecord:
    return first._replace(content="".join(parts))


def _can_join(fmt: AnyFormat) -> bool:
    from logsieve.ingest.detect import supports_multiline

    return supports_multiline(fmt)


def _detect_head(
    name: str, items: Iterator[Block | QuarantineRecord], candidates: list[AnyFormat]
) -> tuple[Iterator[Block | QuarantineRecord], FormatGuess]:
    """Read blocks until the sample is full, guess, and hand back every block read so far
    followed by the rest: one pass over the source, so stdin and pipes work too."""
    from logsieve.ingest.detect import HEAD_BYTES, SAMPLE_LINES, decode_sample, detect_format

    head: list[Block | QuarantineRecord] = []
    sample: list[str] = []
    size = 0
    for item in items:
        head.append(item)
        if isinstance(item, QuarantineRecord):
            continue
        sample.extend(decode_sample(item[1].split(b"\n"), SAMPLE_LINES - len(sample)))
        size += len(item[1])
        if len(sample) >= SAMPLE_LINES or size >= HEAD_BYTES:
            break
    return chain(head, items), detect_format(sample, candidates, source=name)


def joined_records(
    name: str,
    items: Iterable[Block | QuarantineRecord],
    fmt: AnyFormat,
    stats: IngestStats,
    *,
    max_lines: int = MAX_RECORD_LINES,
    max_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[LogRecord | QuarantineRecord]:
    """One source's records with multi-line records joined (a separate loop, so the plain
    path keeps its speed).

    A line the format parses (with a time that parses, where it has one) starts a record; any
    other line is added to the open record's content after a ``"\n"`` and counted in
    ``stats.joined_lines``. The record keeps its first line's number, fields and time. A line
    with no open record before it (the top of a file), or past the size cap, is quarantined: the
    first as ``no_format_match``, the second as ``too_long`` saying so. A quarantined line
    (bad UTF-8, too long) closes the open record, so items stay in line order.
    """
    from logsieve.ingest.detect import time_ok

    parse = fmt.parse
    stamp = fmt.stamp_function
    no_match = QuarantineReason.NO_FORMAT_MATCH
    open_no, open_fields, parts, size = 0, None, [], 0
    capped = False

    def close() -> LogRecord:
        content = "\n".join(parts).rstrip("\n")
        stats.record()
        return LogRecord(name, open_no, content, open_fields, stamp(open_fields) if stamp is not None else None)  # type: ignore[arg-type]

    for item in items:
        if isinstance(item, QuarantineRecord):
            if open_fields is not None:
                yield close()
            open_fields, capped = None, False
            stats.quarantine(item.reason)
            yield item
            continue
        start, data = item
        try:
            lines: list[str] | list[str | QuarantineRecord] = _split_text(data.decode("utf-8"))
        except UnicodeDecodeError:
            lines = _decode_each(name, start, data)
        for line_no, line in enumerate(lines, start):
            if type(line) is not str:
                if open_fields is not None:
                    yield close()
                open_fields, capped = None, False
                stats.quarantine(line.reason)  # type: ignore[union-attr]
                yield line  # type: ignore[misc]
                continue
            parsed = parse(line)  # type: ignore[arg-type]
            if parsed is not None and time_ok(fmt, parsed[0]):
                if open_fields is not None:
                    yield close()
                open_no, (open_fields, first) = line_no, parsed
                parts, size, capped = [first], len(first), False
                continue
            if open_fields is None or len(parts) >= max_lines or size + len(line) + 1 > max_bytes:  # type: ignore[arg-type]
                if open_fields is not None:  # the cap: the record goes out as it is, in line order
                    yield close()
                    open_fields, capped = None, True
                if not capped:
                    reason, detail = no_match, f"line does not match format {fmt.name!r}"
                else:
                    reason = QuarantineReason.TOO_LONG
                    detail = (f"continuation of the multi-line record at line {open_no}, which reached "
                              f"{max_lines} lines or {max_bytes} characters")
                stats.quarantine(reason)
                yield QuarantineRecord(name, line_no, reason, detail, _raw(line))  # type: ignore[arg-type]
                continue
            parts.append(line)  # type: ignore[arg-type]
            size += len(line) + 1  # type: ignore[arg-type]
            stats.joined_lines += 1
    if open_fields is not None:
        yield close()


def records_from_block(
    name: str, block: Block, fmt: AnyFormat, stats: IngestStats
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
        # tuple.__new__ builds the named tuple in C (LogRecord(...) runs a Python-level __new__)
        yield _new_tuple(LogRecord, (name, line_no, content, fields, stamp(fields) if stamp is not None else None))


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
    for item in _per_source(sources, limit, chunk_bytes):
        if isinstance(item, QuarantineRecord):
            yield item
            continue
        name, items = item
        for block in items:
            yield block if isinstance(block, QuarantineRecord) else (name, block)


def _per_source(
    sources: Iterable[Source] | Source, limit: int, chunk_bytes: int
) -> Iterator[tuple[str, Iterator[Block | QuarantineRecord]] | QuarantineRecord]:
    """Each source as (name, its blocks and quarantine entries), or one entry for a name that
    cannot be expanded. Consume each source's iterator before the next (it closes its file)."""
    if limit < 1:
        raise ValueError(f"max_line_bytes must be at least 1, got {limit}")
    for src in expand_sources(as_source_list(sources)):
        if isinstance(src, QuarantineRecord):
            yield src
            continue
        name = src.name if isinstance(src, StreamSource) else str(src)
        yield name, _open_blocks(src, name, limit, chunk_bytes)


def _open_blocks(src: Path | StreamSource, name: str, limit: int, chunk_bytes: int
                 ) -> Iterator[Block | QuarantineRecord]:
    try:
        stream = src.stream if isinstance(src, StreamSource) else open_path(src)
    except OSError as exc:
        yield QuarantineRecord(name, 0, QuarantineReason.READ_ERROR, describe_open_error(src, exc))  # type: ignore[arg-type]
        return
    try:
        yield from _source_blocks(name, stream, limit, chunk_bytes)
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
