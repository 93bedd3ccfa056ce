"""Readers: files, .gz files, directories, globs and stdin, as records or quarantine entries.

Lines are read as bytes with a bounded ``readline`` so a 10 MB (or 10 GB) line never sits in
memory whole; it becomes a ``too_long`` quarantine entry and reading goes on at the next line.
Every line read ends up as exactly one :class:`LogRecord` or one :class:`QuarantineRecord`, and
:class:`IngestStats` counts both, so ``records + quarantined == lines_read`` always holds. A
source that cannot be read at all (missing file, damaged archive tail) is one quarantine entry
and counts as one line read, which keeps that sum simple to check.
"""

from __future__ import annotations

import glob
import gzip
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from logsieve.ingest.formats import LogFormat
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord

GZIP_MAGIC = b"\x1f\x8b"
RAW_PREFIX = 256
DEFAULT_MAX_LINE_BYTES = 1_000_000
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class StreamSource:
    """An already-open binary stream with a name (stdin, an HTTP body, a test buffer)."""

    name: str
    stream: BinaryIO


@dataclass(frozen=True)
class RawLine:
    source: str
    line_no: int
    data: bytes


@dataclass
class IngestStats:
    lines_read: int = 0
    records: int = 0
    quarantined: int = 0
    by_reason: Counter = field(default_factory=Counter)

    def quarantine(self, reason: QuarantineReason) -> None:
        self.quarantined += 1
        self.by_reason[reason.value] += 1


Source = str | Path | StreamSource


def expand_sources(sources: Iterable[Source]) -> Iterator[Source | QuarantineRecord]:
    """Paths stay paths, directories become their files (sorted, recursive), globs expand."""
    for src in sources:
        if isinstance(src, StreamSource):
            yield src
            continue
        text = str(src)
        if text == "-":
            yield StreamSource("<stdin>", sys.stdin.buffer)
            continue
        path = Path(text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            yield from files
        elif path.exists():
            yield path
        elif any(ch in text for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file())
            if not matches:
                yield QuarantineRecord(text, 0, QuarantineReason.READ_ERROR, f"no file matches {text}")
            yield from matches
        else:
            yield QuarantineRecord(text, 0, QuarantineReason.READ_ERROR, f"file not found: {text}")


def _open(path: Path) -> BinaryIO:
    fh = path.open("rb")
    if fh.peek(2)[:2] == GZIP_MAGIC if hasattr(fh, "peek") else False:
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


def _bounded_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[bytes, bool]]:
    """Yield (line without newline, too_long); a too-long line yields only its prefix."""
    readline = stream.readline
    first = True
    while True:
        chunk = readline(limit + 1)
        if not chunk:
            return
        if first:
            first = False
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        if chunk.endswith(b"\n") or len(chunk) <= limit:
            yield chunk.rstrip(b"\r\n") if chunk.endswith(b"\n") else chunk.rstrip(b"\r"), False
            continue
        prefix = chunk[:RAW_PREFIX]
        while not chunk.endswith(b"\n"):  # skip the rest of the long line, a chunk at a time
            chunk = readline(limit + 1)
            if not chunk:
                break
        yield prefix, True


def read_lines(
    sources: Iterable[Source], *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[RawLine | QuarantineRecord]:
    """Raw byte lines of every source in order; problems come out as quarantine records."""
    for src in expand_sources(sources):
        if isinstance(src, QuarantineRecord):
            yield src
            continue
        yield from _read_one(src, max_line_bytes)


def _read_one(src: Path | StreamSource, limit: int) -> Iterator[RawLine | QuarantineRecord]:
    name = src.name if isinstance(src, StreamSource) else str(src)
    line_no = 0
    try:
        stream = src.stream if isinstance(src, StreamSource) else _open(src)
    except OSError as exc:
        yield QuarantineRecord(name, 0, QuarantineReason.READ_ERROR, f"cannot open {name}: {exc.strerror or exc}")
        return
    try:
        for data, too_long in _bounded_lines(stream, limit):
            line_no += 1
            if too_long:
                yield QuarantineRecord(name, line_no, QuarantineReason.TOO_LONG, f"line longer than {limit} bytes", data)
            else:
                yield RawLine(name, line_no, data)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield QuarantineRecord(
            name, line_no + 1, QuarantineReason.TRUNCATED_ARCHIVE,
            f"compressed file is damaged or cut short after line {line_no}: {exc}",
        )
    except OSError as exc:
        yield QuarantineRecord(name, line_no + 1, QuarantineReason.READ_ERROR, f"read failed after line {line_no}: {exc}")
    finally:
        if not isinstance(src, StreamSource):
            stream.close()


def read_records(
    sources: Iterable[Source],
    fmt: LogFormat,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    stats: IngestStats | None = None,
) -> Iterator[LogRecord | QuarantineRecord]:
    """Records for lines that decode and fit ``fmt``; everything else is quarantined."""
    stats = stats if stats is not None else IngestStats()
    parse, stamp = fmt.parse, fmt.timestamp_of
    has_time = fmt.timestamp is not None
    for item in read_lines(sources, max_line_bytes=max_line_bytes):
        stats.lines_read += 1
        if isinstance(item, QuarantineRecord):
            stats.quarantine(item.reason)
            yield item
            continue
        out = to_record(item, parse, stamp if has_time else None)
        if isinstance(out, QuarantineRecord):
            stats.quarantine(out.reason)
        else:
            stats.records += 1
        yield out


def to_record(item: RawLine, parse, stamp) -> LogRecord | QuarantineRecord:
    """Decode one raw line and split it by format; the single place a line can be rejected."""
    try:
        text = item.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return QuarantineRecord(
            item.source, item.line_no, QuarantineReason.DECODE_ERROR,
            f"not valid UTF-8 at byte {exc.start}", item.data[:RAW_PREFIX],
        )
    parsed = parse(text)
    if parsed is None:
        return QuarantineRecord(
            item.source, item.line_no, QuarantineReason.NO_FORMAT_MATCH,
            "line does not match the log format", item.data[:RAW_PREFIX],
        )
    fields, content = parsed
    return LogRecord(item.source, item.line_no, content, fields, stamp(fields) if stamp else None)
