"""Line-count windows: fixed (tumbling) and sliding, per source unless configured otherwise.

Window ``k`` of a stream holds its lines ``k*step .. k*step + size - 1`` (0-based, in arrival
order) and is keyed ``<source>#w<k>`` (``*#w<k>`` when windows span all sources). A window is
emitted the moment it is full. At the end of input only the oldest open window is emitted, and
only if it holds a line no emitted window holds: the younger open windows are its suffixes and
would repeat its lines. So a stream of ``n > 0`` lines gives :func:`window_count` windows and
every line lands in at least one. Memory: ``ceil(size/step)`` open windows per stream.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from logsieve.records import ParsedLine, Sequence
from logsieve.sessions.base import Grouper
from logsieve.sessions.config import FixedWindowConfig, SlidingWindowConfig

ALL_SOURCES = "*"
"""Stream name (and key prefix) of windows that are not kept per source."""


def window_count(n: int, size: int, step: int) -> int:
    """How many windows ``n`` lines make: ``1 + ceil((n - size) / step)`` for ``n > size``."""
    if n <= 0:
        return 0
    return 1 + max(0, -(-(n - size) // step))


def window_key(stream: str, index: int) -> str:
    return f"{stream}#w{index}"


@dataclass
class _Stream:
    """One stream's open windows (oldest first), lines seen, and lines already emitted."""

    seen: int = 0
    covered: int = 0
    open: deque[Sequence] = field(default_factory=deque)


class SlidingWindowGrouper(Grouper):
    """Windows of ``size`` lines every ``step`` lines; :class:`FixedWindowGrouper` is ``step = size``."""

    config: SlidingWindowConfig | FixedWindowConfig

    def __init__(self, config: SlidingWindowConfig | None = None) -> None:
        super().__init__(config or SlidingWindowConfig())
        self._size = self.config.size
        self._step = self.config.stride
        self._streams: dict[str, _Stream] = {}

    @property
    def open_count(self) -> int:
        return sum(len(s.open) for s in self._streams.values())

    def push(self, line: ParsedLine) -> list[Sequence]:
        self.stats.lines += 1
        self.stats.grouped += 1
        name = line.record.source if self.config.per_source else ALL_SOURCES
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _Stream()
        if stream.seen % self._step == 0:
            stream.open.append(Sequence(window_key(name, stream.seen // self._step)))
        for seq in stream.open:
            seq.append(line)
        stream.seen += 1
        self._note_open()
        closed: list[Sequence] = []
        if len(stream.open[0]) == self._size:  # windows start at distinct lines: one fills at a time
            self._emit(closed, stream.open.popleft())
            stream.covered = stream.seen
        return closed

    def flush(self) -> list[Sequence]:
        closed: list[Sequence] = []
        for stream in self._streams.values():  # first-seen order
            if stream.open and stream.seen > stream.covered:
                self._emit(closed, stream.open[0])
        self._streams.clear()
        return closed


class FixedWindowGrouper(SlidingWindowGrouper):
    """Consecutive windows of ``size`` lines with no overlap."""

    def __init__(self, config: FixedWindowConfig | None = None) -> None:
        super().__init__(config or FixedWindowConfig())  # type: ignore[arg-type]
