"""Cut a byte stream, arriving in chunks of any size, into blocks of whole lines.

Why blocks and not lines: decoding and splitting 256 KiB at once costs a fraction of doing it per
line, and that is most of a Python reader's time. Why a class: follow mode feeds it whatever a
growing file has so far, so every piece of state (an unfinished line, a too-long line being
skipped, a possible BOM) must survive between chunks.

Memory stays bounded by ``limit``: an unfinished line is held only up to ``limit`` bytes; past
that it is reported as TOO_LONG at once (keeping a short prefix) and the rest of it is dropped as
it arrives, up to the next newline.
"""

from __future__ import annotations

from logsieve.records import QuarantineReason, QuarantineRecord

RAW_PREFIX_BYTES = 256
"""How much of a bad line a quarantine record keeps."""

UTF8_BOM = b"\xef\xbb\xbf"

Block = tuple[int, bytes]
"""(number of its first line, whole lines joined by ``\\n``); every line is <= ``limit`` bytes.
Lines keep a ``\\r`` before their ``\\n``: stripping it is the consumer's job."""


class LineSplitter:
    """Turns chunks into :data:`Block` s and TOO_LONG quarantine records, in stream order.

    ``limit`` counts a line's bytes without its terminator (``\\n`` or ``\\r\\n``). Line
    numbers are 1-based; a too-long line uses up its number like any other.
    """

    def __init__(self, source: str, limit: int, *, at_start: bool = True) -> None:
        if limit < 1:
            raise ValueError(f"max_line_bytes must be at least 1, got {limit}")
        self.source = source
        self.limit = limit
        self.line_no = 0
        self._pending: list[bytes] = []
        self._held = 0
        self._skipping = False
        self._head = b""
        self._at_start = at_start

    def feed(self, chunk: bytes) -> list[Block | QuarantineRecord]:
        """Everything that ``chunk`` completes; an unfinished last line is kept for later."""
        out: list[Block | QuarantineRecord] = []
        if self._at_start:
            chunk = self._strip_bom(chunk)
        if self._skipping:
            chunk = self._skip(chunk)
        if not chunk:
            return out
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._hold(chunk, out)
            return out
        block = b"".join(self._pending) + chunk[:cut] if self._pending else chunk[:cut]
        self._pending.clear()
        self._held = 0
        self._emit(block, out)
        if cut + 1 < len(chunk):
            self._hold(chunk[cut + 1 :], out)
        return out

    def finish(self) -> list[Block | QuarantineRecord]:
        """End of stream: an unfinished last line (no newline) is a line too."""
        out: list[Block | QuarantineRecord] = []
        if self._head:  # the stream was one or two bytes that merely looked like a BOM start
            self._pending.insert(0, self._head)
            self._held += len(self._head)
            self._head = b""
        if self._pending:
            self._emit(b"".join(self._pending), out)
        self._reset_line()
        return out

    def abandon(self) -> tuple[int, bytes]:
        """The stream broke: the number the lost line gets and a prefix of what arrived of it."""
        prefix = self._prefix(self._head) if self._head or self._pending else b""
        self.line_no += 1
        self._head = b""
        self._reset_line()
        return self.line_no, prefix

    def skip_partial_line(self) -> None:
        """Drop bytes up to the next newline without reporting them (follow from the end)."""
        self._at_start = False
        self._reset_line()
        self._skipping = True

    @property
    def has_partial_line(self) -> bool:
        return bool(self._pending or self._head)

    # -- internals ---------------------------------------------------------------------------

    def _strip_bom(self, chunk: bytes) -> bytes:
        """Drop a UTF-8 BOM at the very start; wait for three bytes to be sure."""
        data = self._head + chunk
        if len(data) < len(UTF8_BOM) and UTF8_BOM.startswith(data):
            self._head = data
            return b""
        self._head = b""
        self._at_start = False
        return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data

    def _skip(self, chunk: bytes) -> bytes:
        newline = chunk.find(b"\n")
        if newline < 0:
            return b""
        self._skipping = False
        return chunk[newline + 1 :]

    def _hold(self, piece: bytes, out: list[Block | QuarantineRecord]) -> None:
        self._pending.append(piece)
        self._held += len(piece)
        if self._held > self.limit + 1:  # do not wait for the end of an endless line (+1: a \r)
            self.line_no += 1
            out.append(self._too_long(self.line_no, self._prefix()))
            self._reset_line()
            self._skipping = True

    def _fits(self, line: bytes) -> bool:
        size = len(line)
        return size <= self.limit or (size == self.limit + 1 and line[-1:] == b"\r")

    def _emit(self, block: bytes, out: list[Block | QuarantineRecord]) -> None:
        if len(block) <= self.limit:  # no line inside can be too long: the common, fast case
            out.append((self.line_no + 1, block))
            self.line_no += block.count(b"\n") + 1
            return
        run: list[bytes] = []
        for line in block.split(b"\n"):
            self.line_no += 1
            if self._fits(line):
                run.append(line)
                continue
            if run:
                out.append((self.line_no - len(run), b"\n".join(run)))
                run = []
            out.append(self._too_long(self.line_no, line))
        if run:
            out.append((self.line_no - len(run) + 1, b"\n".join(run)))

    def _too_long(self, line_no: int, data: bytes) -> QuarantineRecord:
        return QuarantineRecord(
            self.source, line_no, QuarantineReason.TOO_LONG,
            f"line longer than {self.limit} bytes (kept its first {RAW_PREFIX_BYTES})",
            data[:RAW_PREFIX_BYTES],
        )

    def _prefix(self, first: bytes = b"") -> bytes:
        buf = first[:RAW_PREFIX_BYTES]
        for part in self._pending:
            if len(buf) >= RAW_PREFIX_BYTES:
                break
            buf += part[: RAW_PREFIX_BYTES - len(buf)]
        return buf

    def _reset_line(self) -> None:
        self._pending.clear()
        self._held = 0
        self._skipping = False
