"""The detection thread of ``logsieve serve``: the durable ingest log in, verdicts out.

Its queue *is* the ``service_log`` table: ingest commits lines there and wakes this thread, which
reads them in id order -> the log format -> Drain (state from the model bundle, still learning,
as ``logsieve detect`` does) -> the grouper -> closed sequences wait for a batch (``batch_size``
of them, or ``max_wait_s`` for the first) -> the collaboration pipeline -> one commit.
A table rather than an in-memory queue because an accepted line must survive a SIGKILL, and
because ids give a total order that a restart can resume from (see :mod:`.state`).
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logsieve.collab.verdicts import SequenceVerdict
from logsieve.features.table import ParserTemplates
from logsieve.ingest import LogFormat
from logsieve.jobs.bundle import ModelBundle
from logsieve.parsing import DrainConfig, DrainParser
from logsieve.records import LogRecord, ParsedLine, QuarantineReason, QuarantineRecord, Sequence
from logsieve.service.metrics import ServiceMetrics
from logsieve.service.state import (
    RAW_LINE_FIELD,
    Checkpoint,
    JudgedBatch,
    LogRow,
    ServiceState,
    sequence_identity,
)
from logsieve.sessions import GrouperConfig, make_grouper

log = logging.getLogger("logsieve.serve")

READ_ROWS = 2000
"""Log rows read per query: large enough to amortise the query, small enough to stay responsive."""


@dataclass
class _FlushRequest:
    target: int
    done: threading.Event = field(default_factory=threading.Event)
    judged: int = 0


class Detection:
    """Owns the parser, the grouper and the pipeline; only its own thread touches them."""

    def __init__(self, state: ServiceState, metrics: ServiceMetrics, *, bundle: ModelBundle | None,
                 model_dir: Path | None, log_format: LogFormat | None, grouping: GrouperConfig, pipeline: Any,
                 fingerprint: str, batch_size: int, max_wait_s: float, checkpoint_s: float,
                 model_version: int | None = None,
                 on_verdicts: Callable[[list[SequenceVerdict]], None] | None = None, adapter: Any = None,
                 choose_format: Callable[[list[str]], LogFormat] | None = None, warmup: Any = None,
                 on_swap: Callable[[Any], None] | None = None) -> None:
        """``model_dir``: where a fresh start takes its parser state (the live model version's;
        None: a new parser); ``adapter``: the engine's :class:`~logsieve.engine.adapting.LiveAdapter`,
        whose finished retrains this thread records while the stream is idle, and whose version
        each batch is stamped with.

        With no model yet (``serve``'s warm-up): ``log_format`` None means ``choose_format``
        picks it from the first lines read; ``warmup`` (a
        :class:`~logsieve.service.warmup.WarmupLearner`) buffers the parsed lines, and when its
        fit is done this thread swaps the learnt engine in between batches and calls
        ``on_swap`` with it."""
        self.state, self.metrics = state, metrics
        self.adapter = adapter
        self.bundle, self.model_dir, self.format, self.grouping = bundle, model_dir, log_format, grouping
        self.pipeline, self.fingerprint, self.model_version = pipeline, fingerprint, model_version
        self.batch_size, self.max_wait_s, self.checkpoint_s = batch_size, max_wait_s, checkpoint_s
        self.on_verdicts = on_verdicts
        self.cursor = 0
        self.error: str | None = None
        self.restored = ""
        self._choose_format = choose_format
        self.warmup, self.on_swap = warmup, on_swap
        self._warming = warmup is not None
        self._parse = self._stamp = None
        if log_format is not None:
            self._parse, self._stamp = log_format.parse, log_format.stamp_function
        self._pending: list[Sequence] = []
        self._pending_since = 0.0
        self._quarantine: list[QuarantineRecord] = []
        self._templates: dict[int, list] = {}  # id -> [text, count, first_seen]
        self._dirty: set[int] = set()
        self._last_checkpoint = time.monotonic()
        self._checkpoint_cursor = -1
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flush: _FlushRequest | None = None
        self._flush_lock = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="logsieve-detection", daemon=True)

    # ------------------------------------------------------------------ control (any thread)
    def start(self, timeout_s: float = 120.0) -> None:
        """Start the thread and wait until the saved state is restored (so /health is honest)."""
        self._thread.start()
        self._ready.wait(timeout_s)

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Judge what waits, write a checkpoint, end the thread (open sequences stay open)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def open_sequences(self) -> int:
        grouper = getattr(self, "grouper", None)
        return grouper.open_count if grouper is not None else 0

    def flush(self, timeout_s: float = 60.0) -> int | None:
        """Close every open sequence once all lines logged so far are parsed, judge and commit
        them; the number judged, or None on timeout."""
        with self._flush_lock:
            request = _FlushRequest(self.state.last_log_id())
            self._flush = request
            self._wake.set()
            if not request.done.wait(timeout_s):
                return None
            return request.judged

    # ------------------------------------------------------------------ the thread
    def _main(self) -> None:
        try:
            self._restore()
        except Exception as exc:  # noqa: BLE001 - reported on /health, not swallowed
            self.error = f"could not restore the detection state: {exc}"
            log.exception("detection: restore failed")
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop()
            self._commit(checkpoint=True)  # graceful stop: nothing pending is left unjudged
            if self.adapter is not None:
                self.adapter.poll(self.templates_view)
        except Exception as exc:  # noqa: BLE001
            self.error = f"detection stopped: {type(exc).__name__}: {exc}"
            log.exception("detection thread failed; ingest goes on, restart the service to resume from the log")

    def _loop(self) -> None:
        while not self._stop.is_set():
            rows = self.state.read_log(self.cursor, READ_ROWS)
            if rows and self._parse is None:
                self._set_format([row[3] for row in rows])
            for row in rows:
                self._take(row)
            if rows:
                self.cursor = rows[-1][0]
            if self._warming:
                self._warmup_turn()
            self.metrics.open_sequences.set(self.open_sequences)
            now = time.monotonic()
            request = self._flush
            if request is not None and self.cursor >= request.target:
                request.judged = self._commit(checkpoint=True, close_all=True)
                self._flush = None
                request.done.set()
            elif now - self._last_checkpoint >= self.checkpoint_s and (
                    self.cursor != self._checkpoint_cursor or self._pending):
                self._commit(checkpoint=True)
            elif len(self._pending) >= self.batch_size or (
                    self._pending and now - self._pending_since >= self.max_wait_s):
                self._commit(checkpoint=False)
            if not rows:
                if self.adapter is not None:
                    self.adapter.poll(self.templates_view)  # a model finished while the stream is idle
                self._wake.wait(0.1)
                self._wake.clear()

    def _restore(self) -> None:
        cp = self.state.load_checkpoint()
        fresh = True
        if cp is not None:
            self.cursor = cp.cursor
            if cp.model == self.fingerprint:
                try:
                    parser_doc, self.grouper, self._templates = cp.state
                    self.parser = _parser_from(parser_doc)
                    fresh = False
                    self.restored = f"resumed at log id {cp.cursor} with {self.grouper.open_count} open sequences"
                except (TypeError, ValueError, KeyError) as exc:
                    log.warning("detection: checkpoint unreadable (%s); starting afresh at log id %d", exc, cp.cursor)
            else:
                log.warning("detection: the checkpoint belongs to another model/format/grouping; its open "
                            "sequences are dropped and detection starts afresh at log id %d", cp.cursor)
        if fresh:
            parser_dir = self.model_dir / "parser" if self.model_dir is not None else None
            self.parser = DrainParser.load(parser_dir) if parser_dir is not None and parser_dir.exists() else DrainParser()
            self.grouper = make_grouper(self.grouping)
            self.restored = self.restored or f"fresh state at log id {self.cursor}"
        self._checkpoint_cursor = self.cursor
        self.templates_view = ParserTemplates(self.parser)

    def _take(self, row: LogRow) -> None:
        """One log line through the format, the parser and the grouper (the hot path)."""
        _, source, line_no, text = row
        parsed = self._parse(text)
        if parsed is None:
            self._quarantine.append(QuarantineRecord(
                source, line_no, QuarantineReason.NO_FORMAT_MATCH, f"line does not match format {self.format.name!r}",
                text[:256].encode("utf-8", "replace")[:256]))
            self.metrics.lines_quarantined.inc()
            return
        fields, content = parsed
        if content != text:
            fields[RAW_LINE_FIELD] = text
        stamp = self._stamp
        record = LogRecord(source, line_no, content, fields, stamp(fields) if stamp is not None else None)
        result = self.parser.learn(content)
        tid = result.template_id
        if tid is None:
            line = ParsedLine(record, -1, "", ())
        else:
            line = ParsedLine(record, tid, result.template or "", result.params, result.change == "new")
            seen = self._templates.get(tid)
            if seen is None:
                self._templates[tid] = [result.template or "", 1, time.time()]
            else:
                seen[1] += 1
                if result.change != "none":
                    seen[0] = result.template or seen[0]
            self._dirty.add(tid)
            if self._warming:
                self.warmup.observe(line)
        closed = self.grouper.push(line)
        if closed:
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.extend(closed)

    def _set_format(self, texts: list[str]) -> None:
        """The format of the incoming lines, chosen from the first ones read (``--format auto``)."""
        assert self._choose_format is not None, "a Detection with no format needs choose_format"
        fmt = self._choose_format(texts)
        self.format, self._parse, self._stamp = fmt, fmt.parse, fmt.stamp_function

    def _warmup_turn(self) -> None:
        """Start the warm-up's fit when it is due; swap its engine in when it is done."""
        why = self.warmup.due()
        if why is not None:
            # a copy: the live parser goes on learning while the fit reads the state of now
            self.warmup.start(_parser_from(pickle.loads(pickle.dumps(_parser_doc(self.parser)))), why)
        learnt = self.warmup.take()
        if learnt is not None:
            self._swap(learnt)

    def _swap(self, learnt: Any) -> None:
        """From the warm-up's novelty rule to the learnt engine, between two batches: the open
        sequences are closed and judged by the rule, then the engine's pipeline, version and
        grouping take over (the parser stays: the model's template ids are its ids)."""
        self._pending.extend(self.grouper.flush())
        self._commit(checkpoint=False)
        engine = learnt.engine
        self.pipeline, self.adapter, self.model_version = engine.pipeline, engine.adapter, engine.live_version
        self.bundle, self.model_dir = engine.bundle, engine.run_dir or learnt.path
        self.grouping, self.grouper = learnt.grouping, make_grouper(learnt.grouping)
        self.fingerprint = learnt.fingerprint
        self._warming = False
        self.warmup.went_live(learnt)
        if self.on_swap is not None:
            self.on_swap(learnt)
        self._commit(checkpoint=True)  # a restart resumes under the learnt model's fingerprint

    def _commit(self, *, checkpoint: bool, close_all: bool = False) -> int:
        """Judge the pending sequences and commit them (with the state, when ``checkpoint``)."""
        start = time.perf_counter()
        if close_all:
            self._pending.extend(self.grouper.flush())
        seqs, self._pending = self._pending, []
        if seqs:
            done = self.state.judged([sequence_identity(s) for s in seqs])
            seqs = [s for s in seqs if sequence_identity(s) not in done]  # judged before a restart
        if self.adapter is not None:
            self.model_version = self.adapter.version  # the version that judges this batch
        verdicts = self._judge(seqs)
        batch = JudgedBatch(verdicts, seqs, self._quarantine, self.model_version)
        if checkpoint:
            batch.checkpoint = Checkpoint(self.cursor, self.fingerprint,
                                          (_parser_doc(self.parser), self.grouper, self._templates))
            batch.templates = {tid: self._templates[tid] for tid in self._dirty}
        if verdicts or batch.quarantined or checkpoint:
            self.state.commit(batch)
        self._quarantine = []
        if checkpoint:
            self._dirty.clear()
            self._last_checkpoint = time.monotonic()
            self._checkpoint_cursor = self.cursor
        if verdicts:
            self.metrics.batch_seconds.observe(time.perf_counter() - start)
            self.metrics.sequences.inc(len(verdicts))
            self.metrics.anomalies.inc(sum(v.abnormal for v in verdicts))
            if self.on_verdicts is not None:
                try:
                    self.on_verdicts(verdicts)
                except Exception:  # noqa: BLE001 - alerting must never stop detection
                    log.exception("detection: the verdict hook failed")
        return len(verdicts)

    def _judge(self, seqs: list[Sequence]) -> list[SequenceVerdict]:
        stats = self.pipeline.stats
        calls, hits = stats.llm_calls, stats.cache_hits
        out: list[SequenceVerdict] = []
        for i in range(0, len(seqs), self.batch_size):
            out.extend(self.pipeline.judge(seqs[i:i + self.batch_size], self.templates_view))
        new_calls = stats.llm_calls - calls
        self.metrics.llm_calls.inc(new_calls)
        self.metrics.cache_hits.inc(stats.cache_hits - hits)
        if new_calls:
            for seconds in list(stats.call_seconds)[-new_calls:]:
                self.metrics.llm_latency.observe(seconds)
        return out


def _parser_doc(parser: DrainParser) -> dict:
    """The parser's state without its caches (line and token caches hold up to 250,000 entries:
    pickling them made every checkpoint several MB). The same content ``save_state`` writes."""
    return {"config": parser.config.model_dump(mode="json"), "state": parser._export()}


def _parser_from(doc: dict) -> DrainParser:
    parser = DrainParser(DrainConfig.model_validate(doc["config"]))
    parser._import(doc["state"])
    return parser
