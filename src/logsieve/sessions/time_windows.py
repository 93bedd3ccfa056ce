"""Time windows: ``span`` seconds every ``step`` seconds, in event time, per source by default.

Window ``k`` covers ``[k*step, k*step + span)`` POSIX seconds and is keyed ``<source>#w<k>``; a
line joins every window that covers its time (``span/step`` of them when ``step`` divides
``span``). Windows with no line are never created. Event time is the line's timestamp, but a
stream's clock never runs backwards: a line stamped earlier than one before it (``stats.late``)
is placed at the stream's clock, so windows that already closed stay closed and no line is lost.
A window closes once its stream's clock reaches its end. Lines without a timestamp follow
``config.untimed`` (see :class:`TimeWindowConfig`) and are counted in ``stats.untimed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from logsieve.records import ParsedLine, Sequence
from logsieve.sessions.base import Grouper, OpenSequence
from logsieve.sessions.config import TimeWindowConfig
from logsieve.sessions.windows import ALL_SOURCES, window_key


def time_window_indices(t: float, span: float, step: float) -> list[int]:
    """Indices ``k`` with ``k*step <= t < k*step + span``, ascending (exact on float edges)."""
    hi = math.floor(t / step)
    while hi * step > t:
        hi -= 1
    while (hi + 1) * step <= t:
        hi += 1
    out = []
    k = hi
    while k * step + span > t:
        out.append(k)
        k -= 1
    out.reverse()
    return out


@dataclass
class _Stream:
    """A stream's clock and its open windows by index (ascending, as the clock only advances)."""

    clock: float | None = None
    open: dict[int, OpenSequence] = field(default_factory=dict)


class TimeWindowGrouper(Grouper):
    """Groups lines into (possibly overlapping) event-time windows."""

    config: TimeWindowConfig

    def __init__(self, config: TimeWindowConfig | None = None) -> None:
        super().__init__(config or TimeWindowConfig())
        self._streams: dict[str, _Stream] = {}
        self._position = 0

    @property
    def open_count(self) -> int:
        return sum(len(s.open) for s in self._streams.values())

    def push(self, line: ParsedLine) -> list[Sequence]:
        self.stats.lines += 1
        self._position += 1
        name = line.record.source if self.config.per_source else ALL_SOURCES
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _Stream()
        t = self._event_time(stream, line.record.timestamp)
        if t is None:
            self.stats.skipped += 1
            return []
        self.stats.grouped += 1
        stream.clock = t
        closed = self._close_until(stream, t)
        for k in time_window_indices(t, self.config.span, self.config.step):
            self._add(stream, name, k, line, closed)
        self._note_open()
        return closed

    def flush(self) -> list[Sequence]:
        closed: list[Sequence] = []
        for stream in self._streams.values():
            for window in stream.open.values():
                self._emit(closed, window.take())
        self._streams.clear()
        self._position = 0
        return closed

    def _event_time(self, stream: _Stream, timestamp: float | None) -> float | None:
        """The time a line is placed at, or ``None`` when it joins no window."""
        if timestamp is None:
            self.stats.untimed += 1
            return stream.clock if self.config.untimed == "carry" else None
        if stream.clock is not None and timestamp < stream.clock:
            self.stats.late += 1
            return stream.clock
        return timestamp

    def _close_until(self, stream: _Stream, t: float) -> list[Sequence]:
        closed: list[Sequence] = []
        cfg = self.config
        while stream.open:
            k = next(iter(stream.open))
            if k * cfg.step + cfg.span > t:
                break
            self._emit(closed, stream.open.pop(k).take())
        return closed

    def _add(self, stream: _Stream, name: str, k: int, line: ParsedLine, closed: list[Sequence]) -> None:
        window = stream.open.get(k)
        if window is None:
            window = stream.open[k] = OpenSequence(window_key(name, k))
        full = window.add(line, self.config.max_lines, self._position)
        if full is not None:
            self.stats.split += 1
            self._emit(closed, full)
