"""The main job: ingest -> parse -> sequences -> small model + LLM -> verdicts.

Lines stream through the parser (the state saved with the model, still learning new
templates) into the grouper; closed sequences are judged in batches of ``batch_size`` by the
collaboration pipeline, and every verdict goes to the SQLite store and, optionally, a JSONL
file. Lines that cannot be read are quarantined and counted, as in ``logsieve parse``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from logsieve.collab import PipelineStats, SequenceVerdict, VerdictWriter
from logsieve.engine import AdaptSection, Engine, EngineConfig, build_engine
from logsieve.ingest import LogFormat
from logsieve.llm.base import LLMBackend
from logsieve.jobs.batch_gc import batch_gc
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainParser
from logsieve.records import QuarantineRecord, Sequence
from logsieve.sessions import GroupingConfig, make_grouper
from logsieve.store import Store

Mode = Literal["cola", "collaborlog", "small-only", "llm-only"]


DETECT_READER_MASK_SHARE = 0.5
"""The :attr:`~logsieve.jobs.parse.ParseJobConfig.reader_mask_share` ``detect`` uses.

The reading process does about 0.9 s of work on the HDFS sample and masking is 0.6 s, while
``detect``'s own process has about 2.2 s besides (templates, grouping, judging, storing), so
giving the reader part of the masking evens them out. ``detect`` on the HDFS sample with the
reader masking none / half / three quarters / all of the lines: 3.21 / 2.87 / 2.87 / 3.08 s
(median of 4 alternated runs on 2 cores); on a busier stretch, none / half / three quarters
3.95 / 3.25 / 3.57 s (6 runs). ``parse`` has little work of its own, so there the reader
masks nothing (see ``benchmarks/RESULTS.md``, "Speed: where detect's time went")."""


@dataclass(frozen=True)
class DetectJobConfig:
    sources: tuple[str, ...]
    model_dir: Path
    log_format: LogFormat | str
    """A format, or ``"auto"``: the readers detect each file's own (:mod:`logsieve.ingest.detect`)."""
    store: Path
    mode: Mode = "cola"
    grouping: GroupingConfig | None = None
    llm: dict[str, Any] | None = None  # a backend config (kind: embedded | openai); None: no LLM
    tau: float | None = None  # None: the tau chosen on validation when the model was trained
    coordinator_dir: Path | None = None  # collaborlog: a trained `autoencoder` model directory
    jsonl: Path | None = None
    batch_size: int = 256
    max_line_bytes: int = 1_000_000
    max_llm_calls: int | None = None
    escalate_unseen: bool | None = None
    """CoLA: also send sequences holding a template the small model never saw (not in the
    bundle's train and validation sequences) to the knowledge table and the LLM, within
    ``max_llm_calls``. None: while adaptation runs (see
    :attr:`logsieve.engine.EngineConfig.escalate_unseen`)."""
    prompt: str = "cola"
    """The expert's prompt: a packaged name or a YAML path."""
    follow: bool = False
    """Keep reading the (one) source as it grows, judging each sequence as it closes, until
    interrupted; then judge what is still open."""
    stop: threading.Event | None = None
    explain: bool | None = None
    """Explain each anomaly's root cause with the LLM, after its batch and beside detection
    (:mod:`logsieve.explain`). None: when an LLM is configured."""
    max_explanations: int | None = 20
    """LLM calls for explanations in this job (one per new anomaly pattern); None: no cap."""
    adapt: bool | None = None
    """Learn from the LLM's answers while running (:mod:`logsieve.engine.adapting`). None: with
    ``follow`` (a stream runs long enough for a retrain to pay off), not for one pass over files."""
    adapt_settings: AdaptSection | None = None
    """The Adapter's settings (default: :class:`AdaptSection`'s)."""
    read_ahead: bool = True
    """Read large files in a second process (:mod:`logsieve.ingest.read_ahead`); the verdicts
    are the same either way."""

    @property
    def adapting(self) -> bool:
        return self.follow if self.adapt is None else self.adapt

    def engine_config(self) -> EngineConfig:
        """The engine settings this job names (the rest comes from the model bundle)."""
        section = (self.adapt_settings or AdaptSection()).model_copy(update={"enabled": self.adapting})
        return EngineConfig(mode=self.mode, llm=self.llm, prompt=self.prompt, tau=self.tau,
                            escalate_unseen=self.escalate_unseen, max_llm_calls=self.max_llm_calls,
                            coordinator_dir=self.coordinator_dir, adapt=section)


@dataclass
class DetectSummary(PipelineStats):
    """The pipeline's counts plus what the job adds: lines read, quarantined, wall time, store."""

    lines: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    store: str = ""
    explanations: dict[str, Any] | None = None
    adapt: dict[str, Any] | None = None
    """The Adapter's state at the end (live version, pseudo-labels, retrains, swaps)."""

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {"seconds": round(self.seconds, 3), "lines": self.lines,
                                    "quarantined": self.quarantined, "store": self.store,
                                    "explanations": self.explanations, "adapt": self.adapt}


def run_detect(
    config: DetectJobConfig,
    on_verdicts: Callable[[list[SequenceVerdict]], None] | None = None,
    on_quarantine: Callable[[QuarantineRecord], None] | None = None,
    progress: Callable[[int], None] | None = None,
    backend: LLMBackend | None = None,
) -> DetectSummary:
    """Run the whole job over ``config.sources``; ``on_verdicts`` sees each judged batch.
    ``backend``: an LLM backend object instead of the one ``config.llm`` names (closed at the end)."""
    store = Store(config.store)
    engine = build_engine(config.model_dir, config.engine_config(), store, backend=backend)
    parser = engine.parser if engine.parser is not None else DrainParser()
    templates = engine.templates if engine.parser is not None else _live(parser)
    grouper = make_grouper(config.grouping or engine.bundle.grouping)
    writer = VerdictWriter(store, config.jsonl)
    pipeline = engine.pipeline
    explainer = _explain_worker(config, engine, store)
    parse_summary = ParseSummary()
    job = ParseJobConfig(config.sources, config.log_format, drain=parser.config, max_line_bytes=config.max_line_bytes,
                         read_ahead=config.read_ahead, reader_mask_share=DETECT_READER_MASK_SHARE)
    reader = None
    batch_size = config.batch_size
    if config.follow:
        if len(config.sources) != 1 or config.sources[0] == "-":
            raise ValueError("--follow reads one file as it grows (not stdin, not several files)")
        from logsieve.ingest import follow

        def reader(stats):
            return follow(config.sources[0], config.log_format, stop=config.stop, stats=stats,
                          max_line_bytes=config.max_line_bytes)
        batch_size = 1  # judge each sequence as soon as it closes
    pending: list[Sequence] = []
    start = time.perf_counter()

    def flush() -> None:
        if pending:
            verdicts = pipeline.judge(pending, templates)
            writer.write(verdicts)
            if explainer is not None:
                explainer.submit(verdicts, pending, templates)
            if on_verdicts is not None:
                on_verdicts(verdicts)
            pending.clear()

    try:
        with nullcontext() if config.follow else batch_gc():  # a followed file may never end
            try:
                push = grouper.push
                for line in parse_stream(job, parser, parse_summary, on_quarantine, progress, reader):
                    pending.extend(push(line))
                    if len(pending) >= batch_size:
                        flush()
            except KeyboardInterrupt:  # the way a followed stream ends: judge what is open, then stop
                pass
            pending.extend(grouper.flush())
            flush()
    finally:
        if explainer is not None:
            explainer.close()  # finishes the queued batches (bounded by the cap) before the store closes
        writer.close()
        engine.close()  # before the store: a retrain finished since the last batch is recorded there
        store.close()
    return DetectSummary(**vars(pipeline.stats), lines=parse_summary.lines, quarantined=parse_summary.quarantined,
                         seconds=time.perf_counter() - start, store=str(config.store),
                         explanations=explainer.explainer.stats.as_dict() if explainer is not None else None,
                         adapt=engine.adapt_status())


def _live(parser: DrainParser):
    from logsieve.features.table import ParserTemplates

    return ParserTemplates(parser)


def _explain_worker(config: DetectJobConfig, engine: Engine, store: Store):
    """The background explainer of this job, sharing the engine's LLM; None when off."""
    backend = engine.backend
    if config.explain is False or (config.explain is None and backend is None):
        return None
    if backend is None:
        raise ValueError("explanations need an LLM: give --llm, or --no-explain")
    from logsieve.explain import ExplainConfig, Explainer, ExplainWorker

    return ExplainWorker(Explainer(backend, store, ExplainConfig(max_calls=config.max_explanations)))
