"""The alert manager: verdict batches in (from the detection thread), alerts out (elsewhere).

``handle`` only filters and puts the batch on a bounded queue without waiting, so detection
never blocks on alerting; a full queue drops the batch, counted and logged. A dispatcher thread
groups anomalies by pattern (:mod:`grouping`) and hands each alert to every sink's own thread
(:mod:`sinks`), which rate-limits, retries and records each try in the store.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from logsieve.alerts.config import AlertsConfig, environment
from logsieve.alerts.deliveries import DeliveryLog
from logsieve.alerts.grouping import Grouper
from logsieve.alerts.payloads import Alert
from logsieve.alerts.sinks import SinkWorker
from logsieve.collab.verdicts import SequenceVerdict
from logsieve.llm.redact import Redactor, RedactConfig
from logsieve.store import Store

log = logging.getLogger("logsieve.alerts")

_STOP = object()


class AlertManager:
    """Owns the alert threads; create with :meth:`from_config`, feed with :meth:`handle`, end
    with :meth:`close`."""

    def __init__(self, config: AlertsConfig, store: Store | None, *, env: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        env = environment() if env is None else env
        deliveries = DeliveryLog(store)
        self.sinks: list[SinkWorker] = []
        try:
            for sink in config.sinks if config.enabled else []:
                self.sinks.append(SinkWorker(sink, deliveries, env))
        except Exception:  # a later sink's config is wrong: stop the threads already started
            for started in self.sinks:
                started.close(0.0)
            raise
        self._redactor = Redactor(RedactConfig()) if config.redact else None
        self._grouper = Grouper(config.window_s, config.group_wait_s)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=config.queue_size)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="logsieve-alerts", daemon=True)
        if self.sinks:
            self._thread.start()

    @classmethod
    def from_config(cls, config: AlertsConfig | Mapping[str, Any] | None, store: Store | None,
                    **kw: Any) -> AlertManager:
        """The manager for the service config's ``alerts`` section (a dict or an
        :class:`AlertsConfig`; None or no sinks: a manager that does nothing). Raises
        :class:`~logsieve.alerts.config.AlertConfigError` (or pydantic's ValidationError) when
        the section is wrong or a named environment variable is missing."""
        if not isinstance(config, AlertsConfig):
            config = AlertsConfig.model_validate(dict(config or {}))
        return cls(config, store, **kw)

    @property
    def active(self) -> bool:
        return bool(self.sinks)

    # ---------------------------------------------------------------- detection thread side
    def handle(self, verdicts: list[SequenceVerdict]) -> None:
        """Take one judged batch; returns at once, never raises on a full queue."""
        if not self.sinks or self._closed:
            return
        picked = [v for v in verdicts if self._wanted(v)]
        self._count("verdicts_in", len(verdicts))
        if not picked:
            return
        try:
            self._queue.put_nowait(picked)
            self._count("anomalies_queued", len(picked))
        except queue.Full:
            n = self._count("anomalies_dropped", len(picked))
            if n == len(picked) or n % 1000 < len(picked):  # the first drop, then about every 1000th
                log.warning("alerts: queue full (%d batches waiting); dropped %d anomalies (%d so far): the "
                            "sinks are slower than detection", self.config.queue_size, len(picked), n)

    def _wanted(self, v: SequenceVerdict) -> bool:
        if not v.abnormal or v.source not in self.config.sources:
            return False
        return self.config.min_score is None or (v.score is not None and v.score >= self.config.min_score)

    # ---------------------------------------------------------------- dispatcher thread
    def _run(self) -> None:
        while True:
            due = self._grouper.next_due()
            wait = 0.5 if due is None else min(0.5, max(0.0, due - self._clock()))
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                item = None
            if item is _STOP:
                self._send(self._grouper.flush())
                return
            try:
                if item is not None:
                    now = self._clock()
                    for v in item:
                        self._grouper.add(v, now)
                self._send(self._grouper.due(self._clock()))
            except Exception:  # never let one bad verdict end alerting
                log.exception("alerts: could not group a batch of verdicts")

    def _send(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            alert = self._clean(alert)
            self._count("alerts")
            for sink in self.sinks:
                sink.offer(alert)

    def _clean(self, alert: Alert) -> Alert:
        if self._redactor is None:
            return alert
        r = self._redactor.redact
        return replace(alert, explanation=r(alert.explanation), key=r(alert.key), keys=[r(k) for k in alert.keys])

    # ---------------------------------------------------------------- accounting and shutdown
    def _count(self, what: str, n: int = 1) -> int:
        with self._lock:
            self._counts[what] += n
            return self._counts[what]

    def stats(self) -> dict[str, Any]:
        """Counters for /health and /metrics: what came in, what was dropped, per-sink outcomes."""
        with self._lock:
            out: dict[str, Any] = dict(self._counts)
        out["held"] = self._grouper.held
        out["sinks"] = {s.name: dict(s.counts) for s in self.sinks}
        return out

    def close(self, timeout_s: float = 10.0) -> None:
        """Send what is waiting (the grouping wait is cut short), give sinks up to
        ``timeout_s`` to deliver, then stop. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if not self.sinks:
            return
        deadline = time.monotonic() + timeout_s
        try:
            self._queue.put(_STOP, timeout=max(0.01, timeout_s / 2))
        except queue.Full:
            log.warning("alerts: queue still full at shutdown; %d waiting batches dropped", self._queue.qsize())
            self._drain()
            self._queue.put(_STOP)
        self._thread.join(max(0.01, deadline - time.monotonic()))
        for sink in self.sinks:
            sink.close(max(0.01, deadline - time.monotonic()))

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def __enter__(self) -> AlertManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
