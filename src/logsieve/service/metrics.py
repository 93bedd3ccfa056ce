"""The Prometheus metrics ``/metrics`` exposes (names fixed by ``service_api.md``).

Each app gets its own :class:`~prometheus_client.CollectorRegistry` rather than the library's
global one: two services in one process (the tests start several) must not share counters.
Counters start at zero on each start, as Prometheus expects of a restarted process.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SLOW = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.lines_in = Counter("logsieve_lines_in", "Log lines accepted (HTTP, files, stdin).", registry=r)
        self.lines_quarantined = Counter("logsieve_lines_quarantined",
                                         "Lines set aside with a reason (bad bytes, too long, bad NDJSON, no format "
                                         "match).", registry=r)
        self.sequences = Counter("logsieve_sequences", "Sequences judged.", registry=r)
        self.anomalies = Counter("logsieve_anomalies", "Sequences judged abnormal.", registry=r)
        self.llm_calls = Counter("logsieve_llm_calls", "Questions put to the LLM (failed ones included).", registry=r)
        self.cache_hits = Counter("logsieve_cache_hits", "Verdicts taken from the knowledge table.", registry=r)
        self.ingest_latency = Histogram("logsieve_ingest_latency_seconds",
                                        "POST /ingest: request in to durable 202.", buckets=_FAST, registry=r)
        self.llm_latency = Histogram("logsieve_llm_latency_seconds", "One LLM call, retries included.",
                                     buckets=_SLOW, registry=r)
        self.batch_seconds = Histogram("logsieve_batch_seconds", "Judging and committing one batch.",
                                       buckets=_SLOW, registry=r)
        self.backlog = Gauge("logsieve_backlog_lines", "Lines accepted but not yet parsed.", registry=r)
        self.open_sequences = Gauge("logsieve_open_sequences", "Sequences still open in the grouper.", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
