"""Anomalies -> alerts: grouped by pattern, one alert per pattern per window.

The first anomaly of a pattern opens a window and waits ``group_wait_s`` for repeats; then one
alert goes out with the count so far. Repeats later in the window are counted, not sent, and
the next window's alert says how many were held back (``suppressed_before``), so nothing is
hidden, only folded. Not thread-safe on purpose: one thread (the alert worker) owns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logsieve.alerts.payloads import KEYS_SHOWN, Alert
from logsieve.alerts.pattern import distinct_in_order, pattern_key
from logsieve.collab.verdicts import SequenceVerdict

MAX_PATTERNS = 10_000
"""Patterns remembered at once; the oldest closed windows are forgotten first."""


@dataclass
class _Window:
    opened: float
    due: float
    alert: Alert
    sent: bool = False
    held: int = 0
    """Repeats after the alert went out (reported with the next window's alert)."""
    keys: list[str] = field(default_factory=list)


class Grouper:
    def __init__(self, window_s: float, group_wait_s: float) -> None:
        self.window_s = window_s
        self.group_wait_s = group_wait_s
        self._windows: dict[str, _Window] = {}

    def add(self, v: SequenceVerdict, now: float) -> None:
        pattern = pattern_key(v.template_ids)
        w = self._windows.get(pattern)
        seen_at = v.start if v.start is not None else now
        if w is None or (w.sent and now - w.opened >= self.window_s):
            before = w.held if w is not None else 0
            alert = Alert(pattern=pattern, count=1, first_seen=seen_at, last_seen=v.end or seen_at, key=v.key,
                          keys=[v.key], explanation=v.explanation or v.note, source=v.source, score=v.score,
                          confidence=v.confidence, detector=v.detector,
                          template_ids=distinct_in_order(v.template_ids), suppressed_before=before)
            self._windows.pop(pattern, None)  # re-insert: dict order stays oldest-window-first
            self._windows[pattern] = _Window(opened=now, due=now + self.group_wait_s, alert=alert)
            self._bound()
            return
        if w.sent:
            w.held += 1
            return
        a = w.alert
        a.count += 1
        a.last_seen = max(a.last_seen, v.end or seen_at)
        if len(a.keys) < KEYS_SHOWN:
            a.keys.append(v.key)

    def due(self, now: float) -> list[Alert]:
        """Alerts whose wait is over (each window's alert is returned once)."""
        out = []
        for w in self._windows.values():
            if not w.sent and w.due <= now:
                w.sent = True
                out.append(w.alert)
        return out

    def flush(self) -> list[Alert]:
        """Every alert still waiting, now (at shutdown: better early than never)."""
        return self.due(float("inf"))

    def next_due(self) -> float | None:
        waiting = [w.due for w in self._windows.values() if not w.sent]
        return min(waiting) if waiting else None

    @property
    def held(self) -> int:
        return sum(w.held for w in self._windows.values())

    def _bound(self) -> None:
        while len(self._windows) > MAX_PATTERNS:
            oldest = next(iter(self._windows))
            if not self._windows[oldest].sent:
                break  # never forget an alert that has not gone out
            del self._windows[oldest]
