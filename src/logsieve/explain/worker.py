"""Explaining a detect job's anomalies beside it: each judged batch's anomalies are handed to
a background thread, so detection never waits for an explanation (an LLM answer takes
seconds on two cores). The thread explains batch after batch, in order; ``close`` lets it
finish what it was given (bounded by the explainer's call cap) before the store and the
backend close. Any error inside is recorded on the batch's verdicts, never raised into the job.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping

from logsieve.explain.explainer import Anomaly, Explainer, flagged_because
from logsieve.explain.records import VerdictLink
from logsieve.records import Sequence

log = logging.getLogger(__name__)


class ExplainWorker:
    def __init__(self, explainer: Explainer) -> None:
        self.explainer = explainer
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, verdicts, seqs: list[Sequence], templates: Mapping[int, str]) -> int:
        """Queue the anomalies among ``verdicts`` (aligned with ``seqs``, already written to the
        store); returns how many. The templates they use are copied now: the parser goes on."""
        found = [(v, s) for v, s in zip(verdicts, seqs) if v.abnormal]
        if not found:
            return 0
        used = {tid for _, s in found for tid in s.template_ids}
        snapshot = {tid: templates[tid] for tid in used if tid in templates}
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="logsieve-explain", daemon=True)
            self._thread.start()
        self._queue.put(([(v.identity, flagged_because(v), s) for v, s in found], snapshot))
        return len(found)

    def close(self, timeout: float | None = None) -> None:
        """Finish the queued batches, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            found, templates = job
            try:
                self._explain(found, templates)
            except Exception as exc:  # noqa: BLE001 - an explanation must never take the job down
                log.warning("explaining %d anomalies failed: %s", len(found), exc)
                self._record_failure(found, f"explainer error: {type(exc).__name__}: {exc}")

    def _explain(self, found, templates) -> None:
        ids = self.explainer.records.verdict_ids([identity for identity, _, _ in found])
        anomalies = [Anomaly(ids[identity], seq, why) for identity, why, seq in found if identity in ids]
        self.explainer.explain(anomalies, templates)

    def _record_failure(self, found, reason: str) -> None:
        from logsieve.alerts.pattern import pattern_key

        try:
            ids = self.explainer.records.verdict_ids([identity for identity, _, _ in found])
            self.explainer.records.link([VerdictLink(ids[i], pattern_key(s.template_ids), "failed", reason)
                                         for i, _, s in found if i in ids])
            self.explainer.stats.failed += len(found)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not record the explanation failure either: %s", exc)
