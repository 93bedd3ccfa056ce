"""Follow a file like ``tail -F``: keep reading as it grows, across rotation and truncation.

Polling (not inotify) keeps it portable and simple. Rotation is noticed when the path names a
different file (device/inode changed): the old file is read to its end first, then the new one
from its start. Truncation (the file got shorter than what was read) restarts at the beginning.
A last line without its newline is held back until the newline arrives. Line numbers restart at
1 in each new file generation, so (source, line_no) names the line in the file as it was.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from logsieve.ingest.formats import LogFormat
from logsieve.ingest.readers import DEFAULT_MAX_LINE_BYTES, RAW_PREFIX, IngestStats, RawLine, to_record
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord


def follow(
    path: str | Path,
    fmt: LogFormat,
    *,
    poll_interval: float = 0.2,
    stop: threading.Event | None = None,
    from_start: bool = True,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    stats: IngestStats | None = None,
) -> Iterator[LogRecord | QuarantineRecord]:
    """Yield records as lines are appended to ``path``, until ``stop`` is set."""
    stop = stop or threading.Event()
    stats = stats if stats is not None else IngestStats()
    path = Path(path)
    name = str(path)
    fh, ident, line_no, pending = None, None, 0, b""
    parse, stamp = fmt.parse, (fmt.timestamp_of if fmt.timestamp else None)
    first_open = True
    while not stop.is_set():
        if fh is None:
            fh, ident = _try_open(path)
            if fh is None:
                stop.wait(poll_interval)
                continue
            if first_open and not from_start:
                fh.seek(0, os.SEEK_END)
            first_open = False
            line_no, pending = 0, b""
        chunk = fh.read(1 << 16)
        if chunk:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for data in lines:
                line_no += 1
                yield _emit(RawLine(name, line_no, data.rstrip(b"\r")), max_line_bytes, parse, stamp, stats)
            if len(pending) > max_line_bytes:  # an endless line: cut it off now
                line_no += 1
                stats.lines_read += 1
                stats.quarantine(QuarantineReason.TOO_LONG)
                yield QuarantineRecord(name, line_no, QuarantineReason.TOO_LONG,
                                       f"line longer than {max_line_bytes} bytes", pending[:RAW_PREFIX])
                pending = b""
                _skip_to_newline(fh)
            continue
        # At the end of the current file: truncated, rotated, or just nothing new yet?
        state = _file_state(path)
        if state is not None and state[0] == ident and state[1] < fh.tell():
            fh.seek(0)
            line_no, pending = 0, b""
            continue
        if state is not None and state[0] != ident:
            fh.close()
            fh = None
            continue
        stop.wait(poll_interval)
    if fh is not None:
        fh.close()


def _emit(raw: RawLine, limit: int, parse, stamp, stats: IngestStats):
    stats.lines_read += 1
    if len(raw.data) > limit:
        stats.quarantine(QuarantineReason.TOO_LONG)
        return QuarantineRecord(raw.source, raw.line_no, QuarantineReason.TOO_LONG,
                                f"line longer than {limit} bytes", raw.data[:RAW_PREFIX])
    out = to_record(raw, parse, stamp)
    if isinstance(out, QuarantineRecord):
        stats.quarantine(out.reason)
    else:
        stats.records += 1
    return out


def _skip_to_newline(fh) -> None:
    while True:
        chunk = fh.readline(1 << 16)
        if not chunk or chunk.endswith(b"\n"):
            return


def _file_state(path: Path) -> tuple[tuple[int, int], int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino), st.st_size


def _try_open(path: Path):
    try:
        fh = path.open("rb")
    except OSError:
        return None, None
    st = os.fstat(fh.fileno())
    return fh, (st.st_dev, st.st_ino)
