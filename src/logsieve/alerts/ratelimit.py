"""A token bucket: at most ``burst`` alerts at once, refilled at ``rate_per_min``.

Per sink, because the limits that matter are the receiver's (Slack allows about one message a
second per webhook; a pager should not ring forty times a minute) and a chatty sink must not
use up a quiet one's allowance.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate_per_min: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_min <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate_per_min > 0 and burst >= 1")
        self.rate_per_s = rate_per_min / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def try_take(self) -> bool:
        """Take one token if there is one; never waits (waiting would back up the queue)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate_per_s)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False
