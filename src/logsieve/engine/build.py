"""The one assembly: a model bundle plus a config becomes the running pipeline.

``logsieve detect``, ``logsieve serve``, ``logsieve evaluate collab``, the trust calibration and
the benchmarks all build their pipeline here, so what is measured is what users run: the same
parser state, known templates, small model, tau, example bank, expert and prompt, knowledge
table and trust rule. (The first wave's product ran CoLA without the example bank its
benchmarks used; nobody had measured what users ran.)

With a store, the engine runs the model version the store's registry marks live for the bundle
(adaptation's latest, or one an operator rolled back to), and with ``config.adapt`` enabled it
wires the Adapter in (:mod:`logsieve.engine.adapting`): what ``detect --follow`` and ``serve``
run by default.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logsieve.collab import (
    CollabConfig,
    CollaborLogPipeline,
    ColaPipeline,
    KnowledgeTable,
    LlmOnlyPipeline,
    Pipeline,
    SequenceVerdict,
    SmallOnlyPipeline,
)
from logsieve.collab.examples import Embed, ExampleBank
from logsieve.collab.trust import TrustRule
from logsieve.adapt.swap import ModelSlot
from logsieve.detectors import load_detector
from logsieve.engine.adapting import AdaptSection, LiveAdapter, LiveModel, live_model, why_not
from logsieve.jobs.bundle import ModelBundle
from logsieve.llm.base import LLMBackend
from logsieve.records import Sequence
from logsieve.store import Store

if TYPE_CHECKING:
    from logsieve.llm.expert import Expert

log = logging.getLogger("logsieve.engine")

Mode = Literal["cola", "collaborlog", "small-only", "llm-only"]
MODES: tuple[str, ...] = ("cola", "collaborlog", "small-only", "llm-only")


class EngineConfig(BaseModel):
    """How to run a bundle: everything a command line or the serve config can change."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    mode: Mode = "cola"
    llm: dict[str, Any] | None = None
    """A backend config (``kind: embedded | openai``); None: no LLM."""
    prompt: str = "cola"
    """CoLA's prompt (a packaged name or a YAML path); collaborlog mode uses ``collaborlog``."""
    tau: float | None = Field(default=None, ge=0.0, le=1.0)
    """None: the tau chosen on validation when the bundle was made."""
    examples: int = Field(default=3, ge=0)
    """Nearest labelled examples in each prompt (0: none)."""
    example_origins: tuple[str, ...] | None = None
    """Use only examples of these origins (``train``, ``validation``, ``pseudo``); None: all.
    Measuring the expert on validation must not show it validation's own labels."""
    trust: TrustRule | None = None
    """None: the rule the bundle chose on validation."""
    escalate_unseen: bool | None = None
    """CoLA: a sequence holding a template the small model never saw goes to the LLM. None (the
    default): only while adaptation runs, where the known set grows as the LLM's answers are
    learnt (``known_after``). Without adaptation it would never stop: a model trained on the
    first minutes of a log has not seen the templates of later phases (HDFS deletes blocks
    hours after writing them), and on the bundled demo 1,136 of 1,200 sessions held one."""
    max_llm_calls: int | None = Field(default=None, ge=0)
    coordinator_dir: Path | None = None
    """collaborlog: a trained ``autoencoder`` model directory."""
    knowledge: bool = True
    """Reuse earlier LLM answers from the store's knowledge table."""
    adapt: AdaptSection | None = None
    """Learn while running (CoLA with an LLM, a store and a bundle with an example bank); None
    or ``enabled: false``: the model stays as it is. ``detect --follow`` and ``serve`` turn it
    on by default, a one-pass ``detect`` and the evaluations do not."""


@dataclass
class Engine:
    """The running pipeline and what it was built from; ``judge`` is the one way in."""

    bundle: ModelBundle
    model_dir: Path
    config: EngineConfig
    pipeline: Pipeline
    templates: Mapping[int, str]
    parser: Any = None
    """The bundle's Drain state, still learning (None when the bundle has none)."""
    known_templates: set[int] = field(default_factory=set)
    bank: ExampleBank | None = None
    run_dir: Path | None = None
    """The directory the model was loaded from: ``model_dir``, or the adapted version the
    store's registry marks live for it."""
    version: int | None = None
    """The registry version running (None: the bundle is not registered in the store)."""
    adapter: LiveAdapter | None = None
    adapt_off: str = ""
    """Why adaptation is off although the config asked for it (empty otherwise)."""

    def judge(self, seqs: list[Sequence]) -> list[SequenceVerdict]:
        return self.pipeline.judge(seqs, self.templates)

    @property
    def backend(self) -> LLMBackend | None:
        expert = getattr(self.pipeline, "expert", None)
        return getattr(expert, "backend", None)

    @property
    def live_version(self) -> int | None:
        """The registry version judging now (it changes when adaptation swaps a model in)."""
        return self.adapter.version if self.adapter is not None else self.version

    def adapt_status(self) -> dict[str, Any]:
        if self.adapter is not None:
            return self.adapter.status()
        return {"enabled": False, "live_version": self.version, **({"why": self.adapt_off} if self.adapt_off else {})}

    def close(self) -> None:
        """Stop a retrain still running, then free the LLM (the embedded model holds ~700 MB)."""
        if self.adapter is not None:
            self.adapter.poll(self.templates)  # a retrain finished since the last batch is still recorded
            self.adapter.close()
        if self.backend is not None:
            self.backend.close()


def build_engine(model_dir: Path, config: EngineConfig | None = None, store: Store | None = None, *,
                 backend: LLMBackend | None = None, templates: Mapping[int, str] | None = None,
                 embed: Embed | None = None, bundle: ModelBundle | None = None,
                 expert: Expert | None = None) -> Engine:
    """Assemble the pipeline ``config.mode`` names from the bundle in ``model_dir``.

    ``backend``: an LLM backend object instead of ``config.llm`` (tests, shared backends);
    ``expert``: a whole expert object instead of one built from ``backend`` / ``config.llm``
    (e.g. the benchmarks' simulated judge, :class:`~logsieve.evaluate.simulated_expert.SimulatedExpert`,
    which must see each judged sequence, not only the prompt a backend gets). Its own prompt is
    used, so ``config.prompt`` does not apply; like ``backend`` it belongs to the engine from
    then on (:meth:`Engine.close` closes its backend; a small-only engine closes it at once);
    ``templates``: the id -> text view of the sequences to judge when they were parsed elsewhere
    (an evaluation data set parsed with the same parser state), else the bundle's parser;
    ``embed``: the example embedder (default: MiniLM, loaded only if the bank is used).
    """
    config = config or EngineConfig()
    bundle = bundle or ModelBundle.load(model_dir)
    live = live_model(store, model_dir, bundle) if store is not None else LiveModel(model_dir, None)
    run_dir = live.path
    if live.adapted:
        bundle = ModelBundle.load(run_dir)
        log.info("running model version %s, adapted from %s: %s", live.entry.version if live.entry else "?",
                 model_dir, run_dir)
    parser = _parser(run_dir)
    if templates is None:
        from logsieve.features.table import ParserTemplates

        templates = ParserTemplates(parser) if parser is not None else {}
    known = set(bundle.known_templates) if bundle.known_templates is not None else \
        ({t.id for t in parser.templates} if parser is not None else set())
    if expert is not None and backend is not None:
        raise ValueError("give build_engine an expert or a backend, not both")
    expert = _expert(config, backend) if expert is None else _given_expert(config, expert)
    adapting = config.adapt is not None and config.adapt.enabled
    full = _bank(run_dir, templates, embed) if expert is not None and (config.examples > 0 or adapting) else None
    bank = full if full is None or config.example_origins is None else full.only(set(config.example_origins))
    bank = bank if bank is not None and len(bank) and config.examples > 0 else None
    knowledge = KnowledgeTable(store) if store is not None and config.knowledge else None
    adapter, off = None, ""
    if adapting:
        off = _why_not_adapt(config, expert, store, full)
        if off:
            log.info("adaptation is off: %s", off)
    unseen = config.escalate_unseen if config.escalate_unseen is not None else (adapting and not off)
    collab = CollabConfig(tau=bundle.tau if config.tau is None else config.tau, examples=config.examples,
                          max_llm_calls=config.max_llm_calls, escalate_unseen=unseen,
                          trust=config.trust or bundle.trust)
    if adapting and not off:
        detector = load_detector(run_dir)
        adapter = LiveAdapter(config=config.adapt, store=store, model_dir=model_dir, live=live, bundle=bundle,
                              detector=detector, bank=full, templates=templates, retune_tau=config.tau is None)
        pipeline: Pipeline = ColaPipeline(ModelSlot(detector), expert, knowledge, bank, config=collab,
                                          adapter=adapter)  # known templates: the adapter's, grown on a swap
        adapter.pipeline = pipeline
    else:
        pipeline = _pipeline(config, run_dir, expert, knowledge, bank, collab, known)
    version = live.entry.version if live.entry is not None else None
    return Engine(bundle, model_dir, config, pipeline, templates, parser, known, bank, run_dir=run_dir,
                  version=adapter.version if adapter is not None else version, adapter=adapter, adapt_off=off)


def _why_not_adapt(config: EngineConfig, expert, store: Store | None, bank: ExampleBank | None) -> str:
    """Why the Adapter cannot run with this config (empty: it can)."""
    if config.mode != "cola":
        return f"adaptation runs in mode cola, not {config.mode}"
    if expert is None:
        return "no LLM is configured, so there are no pseudo-labels to learn from"
    if store is None:
        return "adaptation needs a store for its pseudo-labels and model versions"
    return why_not(bank) or ""


def _parser(model_dir: Path):
    from logsieve.parsing import DrainParser

    parser_dir = model_dir / "parser"
    return DrainParser.load(parser_dir) if parser_dir.exists() else None


def make_expert(config: EngineConfig, backend: LLMBackend | None = None) -> Expert | None:
    """The expert ``config`` names (None: small-only, or no LLM), built as :func:`build_engine`
    builds it: for judges that run before any bundle exists (``serve``'s warm-up)."""
    return _expert(config, backend)


def _expert(config: EngineConfig, backend: LLMBackend | None):
    from logsieve.llm import Expert, ExpertConfig, make_backend

    if config.mode == "small-only":
        if backend is not None:
            backend.close()
        return None
    if backend is None:
        if config.llm is None:
            return None
        backend = make_backend(config.llm)
    prompt = "collaborlog" if config.mode == "collaborlog" else config.prompt
    return Expert(backend, ExpertConfig(prompt=prompt))


def _given_expert(config: EngineConfig, expert: Expert) -> Expert | None:
    """The caller's expert, or None in small-only mode (which asks no one; closed, as
    :func:`_expert` closes a backend it will not use)."""
    if config.mode == "small-only":
        expert.backend.close()
        return None
    return expert


def _bank(model_dir: Path, templates: Mapping[int, str], embed: Embed | None) -> ExampleBank | None:
    """The bundle's whole example bank (None when it has none)."""
    from logsieve.engine.bank import load_bank, sentence_embed

    return load_bank(model_dir, embed or _LazyEmbed(sentence_embed), templates)


class _LazyEmbed:
    """Loads the embedder on first use: a bank whose vectors are saved embeds nothing until the
    first question, and a run that asks nothing never loads MiniLM."""

    def __init__(self, make) -> None:
        self._make, self._fn = make, None

    def __call__(self, seqs, templates):
        if self._fn is None:
            self._fn = self._make()
        return self._fn(seqs, templates)


def _pipeline(config: EngineConfig, model_dir: Path, expert, knowledge, bank, collab: CollabConfig,
              known: set[int]) -> Pipeline:
    if config.mode == "llm-only":
        return LlmOnlyPipeline(expert, examples=bank, config=collab)
    detector = load_detector(model_dir)
    if config.mode == "small-only":
        return SmallOnlyPipeline(detector, config=collab)
    if config.mode == "collaborlog":
        if config.coordinator_dir is None:
            raise ValueError("collaborlog mode needs a coordinator: a model trained with "
                             "`logsieve train --detector autoencoder` (--coordinator DIR)")
        return CollaborLogPipeline(load_detector(config.coordinator_dir), detector, expert, knowledge, bank,
                                   config=collab)
    return ColaPipeline(detector, expert, knowledge, bank, config=collab, known_templates=known)
