"""Small model and LLM together: who judges which sequence.

* :class:`ColaPipeline` (CoLA, Algorithm 1): the small detector gives status s and
  normal-confidence c; a sequence with s abnormal or c < tau goes to the knowledge table, and on
  a miss to the LLM, whose answer is stored for reuse (and as a pseudo-label). With
  :attr:`CollabConfig.escalate_unseen`, so does a never-seen one: a sequence holding a template
  the live model was not trained on (the small model has no weight for it and may call it
  normal with confidence; the LLM should judge it, and CoLA then learns from the answer).
* :class:`CollaborLogPipeline`: the autoencoder coordinator sends unfamiliar sequences (high
  reconstruction error: the logs evolved) to the LLM with the step-by-step prompt and nearest
  earlier examples; familiar ones are decided by the KNN small model.
* :class:`SmallOnlyPipeline` and :class:`LlmOnlyPipeline`: the two ends, for comparison.

When the LLM fails (down, slow, malformed after retries) the small model's verdict stands,
marked ``fallback`` with the reason: every sequence always gets a verdict.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from logsieve.adapt.swap import ModelSlot
from logsieve.collab.examples import ExampleBank
from logsieve.collab.knowledge import KnowledgeTable
from logsieve.collab.trust import Situation, TrustRule
from logsieve.collab.verdicts import SequenceVerdict, base_verdict
from logsieve.detectors.base import Detector, SequenceBatch
from logsieve.llm.compress import compress
from logsieve.llm.expert import Expert
from logsieve.records import Sequence


CALL_SECONDS_KEPT = 10_000


class CollabConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tau: float = Field(default=0.9, ge=0.0, le=1.0)
    """CoLA: a normal verdict with confidence below tau still goes to the LLM (chosen on validation)."""
    examples: int = Field(default=3, ge=0)
    """Nearest labelled examples put in each LLM prompt."""
    max_llm_calls: int | None = Field(default=None, ge=0)
    """Stop asking the LLM after this many calls (cost control); later unsure sequences keep
    the small model's verdict, marked ``fallback`` with the reason."""
    escalate_unseen: bool = False
    """CoLA: a sequence holding a template id the live model has not seen (never-seen) goes to
    the knowledge table and the LLM like an unsure one, within the same ``max_llm_calls``.
    Needs the pipeline's known-template set (``known_templates``, or its adapter's). Off by
    default so the issue-6 collaboration figures in benchmarks/RESULTS.md, measured without
    it, stay reproducible."""
    trust: TrustRule = Field(default_factory=TrustRule.llm_decides)
    """CoLA: who decides a routed sequence in each situation (:mod:`logsieve.collab.trust`).
    The default here is the published algorithm (the LLM decides); the engine passes the rule
    the model bundle chose on validation."""


@dataclass
class PipelineStats:
    sequences: int = 0
    anomalies: int = 0
    llm_calls: int = 0
    llm_failures: int = 0
    cache_hits: int = 0
    llm_seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_attempts: int = 0
    """Answers asked for (a malformed answer is asked again)."""
    llm_malformed: int = 0
    """Answers that failed the verdict schema; 1 - malformed / attempts is the schema-valid rate."""
    call_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=CALL_SECONDS_KEPT))
    """The latest calls' seconds, for p50/p95; bounded, since `detect --follow` runs for days."""
    by_source: Counter = field(default_factory=Counter)
    unseen_escalations: int = 0
    """Sequences sent to the table/LLM only because they held a never-seen template (CoLA,
    ``escalate_unseen``); the unsure and abnormal ones are not counted here."""

    def add(self, v: SequenceVerdict) -> None:
        self.sequences += 1
        self.anomalies += v.abnormal
        self.by_source[v.source] += 1

    def as_dict(self) -> dict[str, Any]:
        return {"sequences": self.sequences, "anomalies": self.anomalies, "llm_calls": self.llm_calls,
                "llm_failures": self.llm_failures, "cache_hits": self.cache_hits,
                "llm_seconds": round(self.llm_seconds, 3), "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "llm_attempts": self.llm_attempts,
                "schema_valid_rate": round(1 - self.llm_malformed / self.llm_attempts, 4) if self.llm_attempts else None,
                "llm_p50_seconds": _quantile(self.call_seconds, 0.5), "llm_p95_seconds": _quantile(self.call_seconds, 0.95),
                "by_source": dict(self.by_source), "unseen_escalations": self.unseen_escalations}


def _quantile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank rule (no interpolation: a reported latency was seen)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))], 3)


class Pipeline:
    """Shared part: stats, and asking the expert (through the knowledge table when there is one)."""

    name = "pipeline"

    def __init__(self, expert: Expert | None = None, knowledge: KnowledgeTable | None = None,
                 examples: ExampleBank | None = None, config: CollabConfig | None = None) -> None:
        self.expert = expert
        self.knowledge = knowledge
        self.examples = examples
        self.config = config or CollabConfig()
        self.stats = PipelineStats()

    def judge(self, seqs: list[Sequence], templates: Mapping[int, str]) -> list[SequenceVerdict]:
        verdicts = self._judge(seqs, templates)
        for v in verdicts:
            self.stats.add(v)
        return verdicts

    def _judge(self, seqs: list[Sequence], templates: Mapping[int, str]) -> list[SequenceVerdict]:
        raise NotImplementedError

    def _escalate(self, seq: Sequence, templates: Mapping[int, str], small: SequenceVerdict,
                  reason: str = "") -> SequenceVerdict:
        """Knowledge table, then the LLM; on failure the small verdict stands, marked. ``reason``
        (why it was escalated, when not the usual unsure/abnormal) is added to the note."""
        v = self._ask(seq, templates, small)
        if reason:  # appended: the service counts fallbacks by the note's start
            v.note = f"{v.note}; {reason}" if v.note else reason
        return v

    def _ask(self, seq: Sequence, templates: Mapping[int, str], small: SequenceVerdict) -> SequenceVerdict:
        if self.knowledge is not None:
            known = self.knowledge.get(seq)
            if known is not None:
                self.stats.cache_hits += 1
                return self._from_llm(seq, small, known.verdict, "cache", known.prompt_id, known.backend)
        if self.expert is None:
            small.source, small.note = "fallback", "no LLM configured"
            return small
        cap = self.config.max_llm_calls
        if cap is not None and self.stats.llm_calls >= cap:
            small.source, small.note = "fallback", f"LLM call budget ({cap}) spent"
            return small
        shots = self.examples.nearest(seq, templates, self.config.examples) if self.examples else []
        answer = self.expert.judge(seq, templates, shots)
        self.stats.llm_calls += 1
        self.stats.llm_seconds += answer.seconds
        self.stats.prompt_tokens += answer.prompt_tokens
        self.stats.completion_tokens += answer.completion_tokens
        self.stats.llm_attempts += answer.attempts
        self.stats.llm_malformed += answer.malformed
        self.stats.call_seconds.append(answer.seconds)
        if answer.verdict is None:
            self.stats.llm_failures += 1
            small.source, small.note = "fallback", f"LLM gave no verdict ({answer.error})"
            small.llm_seconds = answer.seconds
            return small
        if self.knowledge is not None:
            self.knowledge.put(seq, answer.verdict, answer.prompt_id, answer.backend)
        v = self._from_llm(seq, small, answer.verdict, "llm", answer.prompt_id, answer.backend)
        v.refs, v.llm_seconds = answer.refs, answer.seconds
        v.tokens = answer.prompt_tokens + answer.completion_tokens
        return v

    def _from_llm(self, seq, small, verdict, source, prompt_id, backend) -> SequenceVerdict:
        v = base_verdict(seq, verdict.status, source, score=small.score, confidence=small.confidence,
                         explanation=verdict.explanation, prompt_id=prompt_id, backend=backend,
                         detector=small.detector, llm_status=verdict.status)
        if source == "cache":  # the cited item numbers follow the prompt's numbering
            shown = self.expert.shown(seq, {}) if self.expert is not None else compress(seq, {})
            v.refs = shown.refs(seq, verdict.lines)
        return v


def _small_verdicts(detector: Detector, seqs: list[Sequence], templates: Mapping[int, str]) -> list[SequenceVerdict]:
    scores = detector.score(SequenceBatch(seqs, templates))
    return [base_verdict(seq, "abnormal" if scores.abnormal[i] else "normal", "small",
                         score=float(scores.score[i]), confidence=float(scores.confidence[i]), detector=detector.name)
            for i, seq in enumerate(seqs)]


class ColaPipeline(Pipeline):
    """CoLA. ``detector`` may be a :class:`~logsieve.adapt.swap.ModelSlot`: the model is read
    from it once per batch, so a background retrain can swap it between batches. With an
    ``adapter``, every batch's LLM answers are handed to it as pseudo-labels.

    ``known_templates``: the template ids the model was trained on, for
    :attr:`CollabConfig.escalate_unseen` (None: unknown, so nothing is escalated as never-seen).
    With an ``adapter`` and no set given, the adapter's is used (read once per batch): it grows
    when a model trained on pseudo-labels is swapped in, so a new template stops being
    escalated once a live model has learnt from it."""

    name = "cola"

    def __init__(self, detector: Detector | ModelSlot, expert: Expert | None = None,
                 knowledge: KnowledgeTable | None = None, examples: ExampleBank | None = None,
                 config: CollabConfig | None = None, adapter: Any = None,
                 known_templates: set[int] | None = None) -> None:
        super().__init__(expert, knowledge, examples, config)
        self.slot = detector if isinstance(detector, ModelSlot) else ModelSlot(detector)
        self.adapter = adapter
        self.known_templates = known_templates
        self.on_routed: Callable[[Sequence, Situation, bool, bool], None] | None = None
        """Called with (sequence, situation, small abnormal, LLM abnormal) for each answered
        question: how the trust rule is measured on validation (:mod:`logsieve.engine.calibrate`)."""

    @property
    def detector(self) -> Detector:
        return self.slot.current

    def _known(self) -> frozenset[int] | set[int] | None:
        """The known-template set for this batch, or None when never-seen routing is off."""
        if not self.config.escalate_unseen:
            return None
        if self.known_templates is not None:
            return self.known_templates
        return getattr(self.adapter, "known_templates", None)

    def _judge(self, seqs, templates):
        known = self._known()
        if self.adapter is not None and hasattr(self.adapter, "share_cores"):
            self.adapter.share_cores()  # this is the detecting thread: score on the cores a retrain leaves
        out = _small_verdicts(self.slot.current, seqs, templates)
        routed = []
        for i, (seq, small) in enumerate(zip(seqs, out)):
            situation = self.situation(seq, small, known)
            if situation is None:
                continue
            if not small.abnormal and self.config.trust.rule(situation) != "llm":
                # the LLM could neither raise an alarm here nor explain one: not worth a call
                small.note = f"trust ({situation}: {self.config.trust.rule(situation)}): the small model decides"
                continue
            routed.append((i, situation))
        if self.config.max_llm_calls is not None:  # a budget goes to the alarms first, then the least sure
            routed.sort(key=lambda r: (_PRIORITY[r[1]], out[r[0]].confidence if out[r[0]].confidence is not None else 1.0))
        for i, situation in routed:
            seq, small = seqs[i], out[i]
            small_abnormal = small.abnormal
            if situation == "unseen":
                self.stats.unseen_escalations += 1
                v = self._escalate(seq, templates, small, _unseen_note(_unseen(seq, known or set())))
            else:
                v = self._escalate(seq, templates, small)
            out[i] = self._trusted(v, situation, small_abnormal, seq)
        if self.adapter is not None:
            self.adapter.observe(out, seqs, templates)
        return out


    def route(self, seqs: list[Sequence], templates: Mapping[int, str]) -> list[Situation | None]:
        """Where each sequence would go, without asking anyone: the situation, or None."""
        known = self._known()
        return [self.situation(seq, small, known)
                for seq, small in zip(seqs, _small_verdicts(self.slot.current, seqs, templates))]

    def situation(self, seq: Sequence, small: SequenceVerdict,
                  known: frozenset[int] | set[int] | None) -> Situation | None:
        """Why ``seq`` goes to the LLM (abnormal, unsure, unseen), or None: the small model decides."""
        if small.abnormal:
            return "abnormal"
        if small.confidence is not None and small.confidence < self.config.tau:
            return "unsure"
        if known is not None and _unseen(seq, known):
            return "unseen"
        return None

    def _trusted(self, v: SequenceVerdict, situation: Situation, small_abnormal: bool,
                 seq: Sequence) -> SequenceVerdict:
        """Apply the trust rule to an answered question (LLM or knowledge table); a fallback is
        the small model's verdict already. The LLM's own status is kept in ``llm_status``."""
        if v.source not in ("llm", "cache"):
            return v
        llm_abnormal = v.abnormal
        v.llm_status = v.status
        final = self.config.trust.decide(situation, small_abnormal, llm_abnormal)
        if final != llm_abnormal:
            v.status = "abnormal" if final else "normal"
            rule = self.config.trust.rule(situation)
            note = f"trust ({situation}: {rule}): the LLM said {v.llm_status}, the small model's verdict stands"
            v.note = f"{v.note}; {note}" if v.note else note
        if self.on_routed is not None:
            self.on_routed(seq, situation, small_abnormal, llm_abnormal)
        return v


_PRIORITY = {"abnormal": 0, "unsure": 1, "unseen": 2}


def _unseen(seq: Sequence, known: frozenset[int] | set[int]) -> list[int]:
    """The template ids of ``seq`` not in ``known``, in first-seen order."""
    return [t for t in dict.fromkeys(seq.template_ids) if t not in known]


def _unseen_note(unseen: list[int]) -> str:
    shown = ", ".join(str(t) for t in unseen[:5]) + (", ..." if len(unseen) > 5 else "")
    return f"escalated: never-seen template(s) {shown}"


class CollaborLogPipeline(Pipeline):
    """CollaborLog. With an ``evolver`` (:class:`~logsieve.adapt.evolve.Evolver`) the
    coordinator and small model are the evolver's live pair, read once per batch, and every
    batch's LLM judgements are handed to it, so what the LLM judged stops being routed to it."""

    name = "collaborlog"

    def __init__(self, coordinator: Detector | None = None, small: Detector | None = None,
                 expert: Expert | None = None, knowledge: KnowledgeTable | None = None,
                 examples: ExampleBank | None = None, config: CollabConfig | None = None,
                 evolver: Any = None) -> None:
        super().__init__(expert, knowledge, examples, config)
        if evolver is None and (coordinator is None or small is None):
            raise ValueError("CollaborLogPipeline needs a coordinator and a small model, or an evolver holding both")
        self.evolver = evolver
        self._pair = (coordinator, small)

    @property
    def coordinator(self) -> Detector:
        return self.evolver.coordinator if self.evolver is not None else self._pair[0]

    @property
    def small(self) -> Detector:
        return self.evolver.small if self.evolver is not None else self._pair[1]

    def _judge(self, seqs, templates):
        coordinator, small_model = self.evolver.slot.current if self.evolver is not None else self._pair
        unfamiliar = coordinator.score(SequenceBatch(seqs, templates)).abnormal
        out = []
        for seq, small, route in zip(seqs, _small_verdicts(small_model, seqs, templates), unfamiliar):
            out.append(self._escalate(seq, templates, small) if route else small)
        if self.evolver is not None:
            self.evolver.observe(out, seqs, templates)
        return out


class SmallOnlyPipeline(ColaPipeline):
    name = "small-only"

    def _judge(self, seqs, templates):
        return _small_verdicts(self.detector, seqs, templates)


class LlmOnlyPipeline(Pipeline):
    """Every sequence to the LLM (no knowledge table): the reference the speedups are against."""

    name = "llm-only"

    def _judge(self, seqs, templates):
        return [self._escalate(seq, templates, base_verdict(seq, "normal", "small")) for seq in seqs]
