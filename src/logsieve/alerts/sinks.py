"""One delivery thread per sink: a bounded queue, a token bucket, HTTP with retry and backoff.

A sink that is slow or down only delays itself: its queue fills and further alerts for it are
dropped (recorded as ``dropped``), while the other sinks and detection go on. Each try is
recorded in the delivery log: ``sent`` (2xx), ``retry`` (connection error, timeout, 429 or
5xx with tries left), ``failed`` (the last try, or a 4xx that another try would not fix).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import tenacity

from logsieve.alerts import payloads
from logsieve.alerts.config import AlertConfigError, PagerDutySink, SinkConfig, SlackSink, WebhookSink
from logsieve.alerts.deliveries import DeliveryLog
from logsieve.alerts.payloads import Alert
from logsieve.alerts.ratelimit import TokenBucket

log = logging.getLogger("logsieve.alerts")


class _Retryable(Exception):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class _Aborted(Exception):
    """Shutdown came while waiting to retry: the remaining tries are given up."""


def payload_builder(cfg: SinkConfig, env: Mapping[str, str]) -> Callable[[Alert], dict[str, Any]]:
    """The receiver's shape, with secrets resolved now (so a missing one fails at start-up)."""
    if isinstance(cfg, PagerDutySink):
        key = cfg.routing_key(env)
        return lambda a: payloads.pagerduty(a, key, cfg.severity, cfg.source)
    if isinstance(cfg, SlackSink):
        return lambda a: payloads.slack(a, cfg.dashboard_url)
    return payloads.webhook


def _headers(cfg: SinkConfig, env: Mapping[str, str]) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "logsieve-alerts"}
    if isinstance(cfg, WebhookSink) and cfg.token_env:
        token = env.get(cfg.token_env, "")
        if not token:
            raise AlertConfigError(f"alert sink {cfg.label!r}: environment variable {cfg.token_env} is not set; "
                                   "export the bearer token or drop token_env from the sink")
        headers["Authorization"] = f"Bearer {token}"
    return headers


class SinkWorker:
    """Delivers alerts to one receiver, in order, on its own thread."""

    def __init__(self, cfg: SinkConfig, deliveries: DeliveryLog, env: Mapping[str, str],
                 clock: Callable[[], float] | None = None) -> None:
        self.cfg = cfg
        self.name = cfg.label
        self.url = cfg.resolve_url(env)
        self._build = payload_builder(cfg, env)
        self._client = httpx.Client(headers=_headers(cfg, env), timeout=cfg.timeout_s)
        self._bucket = TokenBucket(cfg.rate_per_min, cfg.burst, **({"clock": clock} if clock else {}))
        self._log = deliveries
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=cfg.queue_size)
        self._abort = threading.Event()
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"logsieve-alert-{self.name}", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- called by the dispatcher
    def offer(self, alert: Alert) -> bool:
        """Queue ``alert`` without waiting; a full queue drops it (counted, logged, recorded)."""
        if not self._bucket.try_take():
            self._count("rate_limited")
            self._log.record(self.name, self.cfg.kind, alert, 0, "rate_limited",
                             error=f"over {self.cfg.rate_per_min:g}/min (burst {self.cfg.burst})")
            return False
        try:
            self._queue.put_nowait(alert)
            return True
        except queue.Full:
            self._count("dropped")
            log.warning("alert sink %s: queue full (%d waiting), alert for pattern %s dropped",
                        self.name, self.cfg.queue_size, alert.pattern)
            self._log.record(self.name, self.cfg.kind, alert, 0, "dropped",
                             error=f"sink queue full ({self.cfg.queue_size})")
            return False

    def close(self, deadline_s: float) -> None:
        """Deliver what is queued for up to ``deadline_s``, then give up on retries and stop."""
        try:
            self._queue.put(None, timeout=max(deadline_s, 0.01))
        except queue.Full:
            pass
        self._thread.join(max(deadline_s, 0.01))
        self._abort.set()
        self._thread.join(5.0)
        self._client.close()

    # ---------------------------------------------------------------- the thread
    def _run(self) -> None:
        while True:
            try:
                alert = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._abort.is_set():
                    return
                continue
            if alert is None:
                return
            if self._abort.is_set():  # shutting down past the deadline: say so for each one left
                self._count("dropped")
                self._log.record(self.name, self.cfg.kind, alert, 0, "dropped", error="shut down before delivery")
                continue
            try:
                self._deliver(alert)
            except Exception as exc:  # a bug here must not kill the sink for good
                log.exception("alert sink %s: unexpected error delivering %s", self.name, alert.pattern)
                self._log.record(self.name, self.cfg.kind, alert, 0, "failed", error=f"internal: {exc!r}")

    def _deliver(self, alert: Alert) -> None:
        body = self._build(alert)
        tries = self.cfg.retries + 1
        attempt = 0

        def once() -> None:
            nonlocal attempt
            attempt += 1
            self._post(alert, body, attempt, last=attempt >= tries)

        wait = (tenacity.wait_exponential(multiplier=self.cfg.backoff_s, max=self.cfg.backoff_max_s)
                if self.cfg.backoff_s else tenacity.wait_none())
        retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(tries), wait=wait, sleep=self._sleep,
                                     retry=tenacity.retry_if_exception_type(_Retryable), reraise=True)
        try:
            retrying(once)
            self._count("sent")
        except (_Retryable, _Aborted) as exc:
            self._count("failed")
            log.warning("alert sink %s: gave up on pattern %s after %d tries: %s", self.name, alert.pattern,
                        attempt, exc)
        except _Final:
            self._count("failed")

    def _sleep(self, seconds: float) -> None:
        if self._abort.wait(seconds):
            raise _Aborted("shutting down")

    def _post(self, alert: Alert, body: dict[str, Any], attempt: int, last: bool) -> None:
        retry_outcome = "failed" if last else "retry"
        try:
            resp = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            self._log.record(self.name, self.cfg.kind, alert, attempt, retry_outcome,
                             error=f"timed out after {self.cfg.timeout_s:g}s")
            raise _Retryable("timed out") from exc
        except httpx.HTTPError as exc:
            msg = f"cannot reach {self.url.split('?')[0][:80]} ({type(exc).__name__}: {exc})"
            self._log.record(self.name, self.cfg.kind, alert, attempt, retry_outcome, error=msg)
            raise _Retryable(msg) from exc
        code = resp.status_code
        if 200 <= code < 300:
            self._log.record(self.name, self.cfg.kind, alert, attempt, "sent", status_code=code)
            return
        if code == 429 or code >= 500:
            self._log.record(self.name, self.cfg.kind, alert, attempt, retry_outcome, status_code=code,
                             error=resp.text[:200])
            raise _Retryable(f"HTTP {code}", code)
        self._log.record(self.name, self.cfg.kind, alert, attempt, "failed", status_code=code,
                         error=f"HTTP {code} (not retried: fix the sink's URL or key): {resp.text[:200]}")
        log.error("alert sink %s: HTTP %d for pattern %s, not retried", self.name, code, alert.pattern)
        raise _Final(code)

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1


class _Final(Exception):
    """A 4xx: the receiver refused the alert; another try would get the same answer."""
