"""Sources ``logsieve serve`` reads by itself: followed files and standard input.

A followed file is read from the byte offset committed with the last lines taken from it, so
a restart neither skips nor repeats a line. Only whole lines are taken (an unfinished last line
waits for its newline). A file replaced by another (rotation: a new device:inode) or cut shorter
than the offset (truncation) is read again from its start; its line numbers keep counting up so
that verdict identities (sequence key + first line) never collide with the old file's.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from logsieve.ingest.splitter import RAW_PREFIX_BYTES
from logsieve.records import QuarantineReason, QuarantineRecord
from logsieve.service.state import ServiceState, SourcePosition

log = logging.getLogger("logsieve.serve")

READ_BYTES = 1 << 20


class FileFollower:
    """One thread following one file (like ``tail -F``), committing lines with their offset."""

    def __init__(self, path: Path, state: ServiceState, *, max_line_bytes: int, poll_s: float,
                 on_lines: Callable[[int, int], None], stop: threading.Event) -> None:
        self.path, self.name = path, str(path)
        self.state, self.max_line_bytes, self.poll_s = state, max_line_bytes, poll_s
        self.on_lines, self._stop = on_lines, stop
        self._thread = threading.Thread(target=self._run, name=f"logsieve-follow-{path.name}", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.poll_once():
                    self._stop.wait(self.poll_s)
        except Exception as exc:  # noqa: BLE001 - shown on /health; other sources go on
            self.error = f"{self.name}: {type(exc).__name__}: {exc}"
            log.exception("following %s failed", self.name)

    def poll_once(self) -> bool:
        """Take what the file has now; True when it took something (read again at once)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        pos = self.state.position(self.name)
        file_id = f"{st.st_dev}:{st.st_ino}"
        offset = pos.offset
        if (pos.file_id and pos.file_id != file_id) or st.st_size < offset:
            log.info("%s was rotated or truncated; reading it from the start", self.name)
            offset = 0
        if st.st_size <= offset and pos.file_id == file_id:
            return False
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(READ_BYTES)
        lines, bad, used, next_line = self._split(data, pos.next_line)
        if used == 0 and pos.file_id == file_id:
            return False
        self.state.append_numbered(self.name, "file", lines, bad, SourcePosition(next_line, offset + used, file_id))
        self.on_lines(len(lines), len(bad))
        return used > 0

    def _split(self, data: bytes, next_line: int) -> tuple[list[tuple[int, str]], list[QuarantineRecord], int, int]:
        """Whole lines of ``data``: (numbered lines, quarantined, bytes used, next line number)."""
        lines: list[tuple[int, str]] = []
        bad: list[QuarantineRecord] = []
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) <= self.max_line_bytes + 1:
                return lines, bad, 0, next_line  # an unfinished line: wait for the rest
            # a line longer than the limit and still growing: quarantine it, skip what is here
            bad.append(QuarantineRecord(self.name, next_line, QuarantineReason.TOO_LONG,
                                        f"line longer than {self.max_line_bytes} bytes", data[:RAW_PREFIX_BYTES]))
            return lines, bad, len(data), next_line + 1
        for raw in data[:end].split(b"\n"):
            n, next_line = next_line, next_line + 1
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if len(raw) > self.max_line_bytes:
                bad.append(QuarantineRecord(self.name, n, QuarantineReason.TOO_LONG,
                                            f"line longer than {self.max_line_bytes} bytes", raw[:RAW_PREFIX_BYTES]))
                continue
            try:
                lines.append((n, raw.decode("utf-8")))
            except UnicodeDecodeError as exc:
                bad.append(QuarantineRecord(self.name, n, QuarantineReason.DECODE_ERROR,
                                            f"not UTF-8 at byte {exc.start}", raw[:RAW_PREFIX_BYTES]))
        return lines, bad, end + 1, next_line


class StdinReader:
    """Standard input, a line batch at a time; line numbers continue across restarts."""

    NAME = "<stdin>"

    def __init__(self, state: ServiceState, *, max_line_bytes: int, on_lines: Callable[[int, int], None],
                 stream: BinaryIO | None = None) -> None:
        self.state, self.max_line_bytes, self.on_lines = state, max_line_bytes, on_lines
        self.stream = stream if stream is not None else sys.stdin.buffer
        self._thread = threading.Thread(target=self._run, name="logsieve-stdin", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        """``os.read`` returns whatever the pipe holds, so lines are committed as they come
        (one transaction per read, not per line) and a quiet pipe is never waited on."""
        carry, skipping = b"", False
        try:
            fd = self.stream.fileno()
            while chunk := os.read(fd, READ_BYTES):
                data = carry + chunk
                if skipping:
                    cut = data.find(b"\n")
                    if cut < 0:
                        carry = b""
                        continue
                    data, skipping = data[cut + 1:], False
                end = data.rfind(b"\n")
                carry = data[end + 1:] if end >= 0 else data
                if end >= 0:
                    self._commit(data[:end].split(b"\n"))
                if len(carry) > self.max_line_bytes + 1:
                    self._commit([carry])  # quarantined as too long; its rest is skipped
                    carry, skipping = b"", True
            if carry:
                self._commit([carry])
        except Exception as exc:  # noqa: BLE001
            self.error = f"stdin: {type(exc).__name__}: {exc}"
            log.exception("reading stdin failed")

    def _commit(self, raws: list[bytes]) -> None:
        next_line = self.state.position(self.NAME).next_line
        lines: list[tuple[int, str]] = []
        bad: list[QuarantineRecord] = []
        for raw in raws:
            n, next_line = next_line, next_line + 1
            raw = raw.rstrip(b"\n").removesuffix(b"\r")
            try:
                if len(raw) > self.max_line_bytes:
                    raise ValueError
                lines.append((n, raw.decode("utf-8")))
            except (UnicodeDecodeError, ValueError):
                reason = QuarantineReason.TOO_LONG if len(raw) > self.max_line_bytes else QuarantineReason.DECODE_ERROR
                bad.append(QuarantineRecord(self.NAME, n, reason, reason.value, raw[:RAW_PREFIX_BYTES]))
        self.state.append_numbered(self.NAME, "stdin", lines, bad, SourcePosition(next_line, 0, ""))
        self.on_lines(len(lines), len(bad))
