"""Follow a file like ``tail -F``: keep reading as it grows, across rotation and truncation.

Polling (not inotify) keeps it portable and dependency-free; ``poll_interval`` bounds the delay.

* **Rotation** (the path now names another file: device or inode changed, e.g. ``mv app.log
  app.log.1`` and a new ``app.log``): the old file is read to its end first (writers often add a
  last line after the rename), then the new file is read from its start.
* **Truncation** (the file is shorter than what was read, e.g. ``copytruncate`` or ``> app.log``):
  reading restarts at the beginning. A truncation followed by a rewrite past the old size before
  the next poll cannot be seen by size alone; ``tail -F`` has the same blind spot.
* **A missing file** is waited for. A file that cannot be opened for another reason
  (permission) is reported once as READ_ERROR and then waited for as well.
* **A last line without its newline** is held until the newline arrives. When the file is rotated
  or truncated the held bytes are the last line of that file and are emitted; when ``stop`` is
  set they are not, because the writer may still be in the middle of them.

Line numbers restart at 1 with each file generation (each new file after rotation, and after a
truncation), so ``(source, line_no)`` is the line's position in the file as it was when read.
With ``from_start=False`` the existing content is skipped and numbering starts at the first new
line.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from logsieve.ingest.formats import AUTO, AnyFormat, get_format
from logsieve.ingest.readers import DEFAULT_MAX_LINE_BYTES, IngestStats, records_from_block
from logsieve.ingest.sources import CHUNK_BYTES, describe_open_error, open_path
from logsieve.ingest.splitter import Block, LineSplitter
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord

FileId = tuple[int, int]


def _detect_existing(path: Path) -> str:
    """The detected format's name for a file that may not exist yet."""
    from logsieve.ingest.detect import detect_file_format

    try:
        return detect_file_format(path).format
    except OSError:
        return "raw"


def follow(
    path: str | os.PathLike[str],
    fmt: AnyFormat | str = AUTO,
    *,
    poll_interval: float = 0.2,
    stop: threading.Event | None = None,
    from_start: bool = True,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    stats: IngestStats | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[LogRecord | QuarantineRecord]:
    """Yield records as lines are appended to ``path``, until ``stop`` is set.

    ``fmt`` is a format, a format's name, or ``"auto"``: detected once from the head of the file
    as it is when following starts (``raw`` when it is missing or empty). Multi-line records
    are not joined while following. Without ``stop`` it runs until the
    consumer stops iterating. ``stop`` is checked at least every ``poll_interval`` seconds while
    idle, and between chunks while catching up.
    """
    if isinstance(fmt, str) and fmt.lower() == AUTO:
        fmt = _detect_existing(Path(path))
    fmt = get_format(fmt) if isinstance(fmt, str) else fmt
    if poll_interval <= 0:
        raise ValueError(f"poll_interval must be positive, got {poll_interval}")
    tail = _Tail(Path(path), max_line_bytes, chunk_bytes, from_start)
    stop = stop if stop is not None else threading.Event()
    stats = stats if stats is not None else IngestStats()
    try:
        while not stop.is_set():
            items = tail.poll()
            if items is None:
                stop.wait(poll_interval)
                continue
            for item in items:
                if isinstance(item, QuarantineRecord):
                    stats.quarantine(item.reason)
                    yield item
                else:
                    yield from records_from_block(tail.name, item, fmt, stats)
    finally:
        tail.close()


class _Tail:
    """The state of one followed path: the open file, its identity, its line splitter."""

    def __init__(self, path: Path, limit: int, chunk_bytes: int, from_start: bool) -> None:
        self.path = path
        self.name = str(path)
        self.limit = limit
        self.chunk_bytes = chunk_bytes
        self.skip_existing = not from_start
        self.fh: BinaryIO | None = None
        self.ident: FileId | None = None
        self.splitter = LineSplitter(self.name, limit)
        self.reported_error: str | None = None

    def poll(self) -> list[Block | QuarantineRecord] | None:
        """What is new since the last call, or ``None`` when there is nothing to do but wait."""
        if self.fh is None:
            return self._open()
        try:
            chunk = self.fh.read(self.chunk_bytes)
        except OSError as exc:  # e.g. a stale network file: start over with whatever the path names
            line_no, prefix = self.splitter.abandon()
            self.close()
            return [QuarantineRecord(self.name, line_no, QuarantineReason.READ_ERROR,
                                     f"read failed at line {line_no}: {exc.strerror or exc}", prefix)]
        if chunk:
            return self.splitter.feed(chunk)
        return self._check_at_end()

    def _open(self) -> list[Block | QuarantineRecord] | None:
        skip, self.skip_existing = self.skip_existing, False  # a file that shows up later is all new
        try:
            fh = open_path(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._report_once(describe_open_error(self.path, exc))
        st = os.fstat(fh.fileno())
        self.fh, self.ident = fh, (st.st_dev, st.st_ino)
        self.reported_error = None
        self.splitter = LineSplitter(self.name, self.limit)
        if skip:
            self._seek_to_end(st.st_size)
        return []

    def _seek_to_end(self, size: int) -> None:
        assert self.fh is not None
        if size == 0:
            return
        self.fh.seek(size - 1)
        if self.fh.read(1) != b"\n":
            self.splitter.skip_partial_line()  # the writer is mid-line: start at the next one
        else:
            self.splitter = LineSplitter(self.name, self.limit, at_start=False)

    def _check_at_end(self) -> list[Block | QuarantineRecord] | None:
        """At the end of the open file: rotated, truncated, or simply nothing new yet?"""
        assert self.fh is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return None  # gone for now (mid-rotation): keep the old file until a new one shows
        if (st.st_dev, st.st_ino) != self.ident:
            return self._finish_generation()
        if st.st_size < self.fh.tell():
            out = self.splitter.finish()
            self.fh.seek(0)
            self.splitter = LineSplitter(self.name, self.limit)
            return out
        return None

    def _finish_generation(self) -> list[Block | QuarantineRecord]:
        """Drain the rotated-away file, end its last line, and let the next poll open the new one."""
        assert self.fh is not None
        out: list[Block | QuarantineRecord] = []
        for chunk in iter(lambda: self.fh.read(self.chunk_bytes), b""):  # type: ignore[union-attr]
            out.extend(self.splitter.feed(chunk))
        out.extend(self.splitter.finish())
        self.close()
        return out

    def _report_once(self, detail: str) -> list[Block | QuarantineRecord] | None:
        if detail == self.reported_error:
            return None
        self.reported_error = detail
        return [QuarantineRecord(self.name, 0, QuarantineReason.READ_ERROR, f"{detail} (waiting for it)")]

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
        self.fh, self.ident = None, None
