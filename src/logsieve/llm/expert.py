"""The LLM as the expert: a sequence in, a validated verdict (or a clear failure) out.

Every answer is validated against the verdict schema (:func:`parse_verdict`), whatever the
backend promised. A malformed answer is asked again up to ``retries`` times; a backend that is
down raises no further, it is reported. Either way the caller gets an :class:`ExpertAnswer`
whose ``verdict`` is ``None`` with the ``error`` said, and falls back to the small model's
verdict, marked as such, so no sequence goes without a verdict.

The prompt decides what the model reads (its ``view``: catalogue numbers, template text inline,
or text plus one real line for the rarest items) and in what order it answers; the expert
follows it, so choosing a prompt file chooses both (see :mod:`logsieve.llm.prompts`).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence as Seq
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from logsieve.llm.base import LLMBackend, LLMUnavailable
from logsieve.llm.catalogue import Catalogue
from logsieve.llm.compress import Compressed, compress
from logsieve.llm.prompts import Prompt, load_prompt
from logsieve.llm.verdict import Verdict, VerdictError, parse_verdict
from logsieve.records import LineRef, Sequence


class ExpertConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = "cola"
    retries: int = Field(default=1, ge=0)
    max_items: int = Field(default=30, ge=1)
    params_shown: int = Field(default=1, ge=0)
    """Distinct parameter values shown per item of the judged sequence."""
    example_items: int = Field(default=12, ge=1)
    example_params: int = Field(default=0, ge=0)
    """Parameter values per item of a few-shot example: none by default, since a prompt token
    costs about 20 ms on two cores and the examples' values say little about the judged one."""
    max_tokens: int = Field(default=96, ge=16)
    catalogue_max: int = Field(default=150, ge=0)
    """Templates listed by number in the system prompt (prompts with the ``catalogue`` view)."""


@dataclass
class ExpertAnswer:
    """What the expert said (or why it said nothing), and what it cost."""

    verdict: Verdict | None
    error: str | None = None
    attempts: int = 0
    malformed: int = 0
    """Attempts whose answer failed validation."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    seconds: float = 0.0
    refs: list[LineRef] = field(default_factory=list)
    prompt_id: str = ""
    backend: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict is not None


class Expert:
    """Judges sequences with one backend and one prompt."""

    def __init__(self, backend: LLMBackend, config: ExpertConfig | None = None, prompt: Prompt | None = None) -> None:
        self.backend = backend
        self.config = config or ExpertConfig()
        self.prompt = prompt or load_prompt(self.config.prompt)

    def judge(self, seq: Sequence, templates: Mapping[int, str],
              examples: Seq[tuple[Sequence, Mapping[int, str], str]] = ()) -> ExpertAnswer:
        """Ask about ``seq``; ``examples`` are (sequence, its templates, "normal"/"abnormal")."""
        cfg = self.config
        catalogue = Catalogue(templates, cfg.catalogue_max) if self.prompt.uses_catalogue else None
        name = catalogue.view if catalogue is not None else (lambda t: t)  # text views: the words themselves
        familiar = {tid for s, _, _ in examples for tid in s.template_ids}
        shown = self.shown(seq, name(templates), familiar)
        shots = self.prompt.render_examples(
            [(compress(s, name(t), cfg.example_items, cfg.example_params, order="id").inline, status)
             for s, t, status in examples])
        request = self.prompt.request(shown.text, shown.n_items, shots, cfg.max_tokens,
                                      catalogue.text if catalogue is not None else "")
        answer = ExpertAnswer(None, prompt_id=self.prompt.id, backend=self.backend.name)
        start = time.perf_counter()
        for _ in range(self.config.retries + 1):
            answer.attempts += 1
            if self._ask(request, shown, seq, answer):
                break
        answer.seconds = time.perf_counter() - start
        return answer

    def shown(self, seq: Sequence, templates: Mapping[int, str], familiar: Collection[int] = ()) -> Compressed:
        """``seq`` as the prompt shows it; its items map cited numbers back to lines (also for
        an answer reused from the knowledge table, which cites the same numbering: the view
        changes an item's text, never which lines it stands for)."""
        return compress(seq, templates, self.config.max_items, self.config.params_shown, familiar=familiar,
                        raw_lines=self.prompt.shown_raw_lines, line_chars=self.prompt.line_chars)

    def _ask(self, request, shown: Compressed, seq: Sequence, answer: ExpertAnswer) -> bool:
        """One try; True when it settled the answer (a verdict, or a backend that is down)."""
        try:
            reply = self.backend.complete(request)
        except LLMUnavailable as exc:
            answer.error = f"unavailable: {exc}"
            return True  # the backend retried already; asking again now would only wait
        answer.prompt_tokens += reply.prompt_tokens
        answer.completion_tokens += reply.completion_tokens
        answer.cached_tokens += reply.cached_tokens
        try:
            answer.verdict = parse_verdict(reply.text, shown.n_items)
        except VerdictError as exc:
            answer.malformed += 1
            answer.error = f"malformed: {exc}"
            return False
        answer.error = None
        answer.refs = shown.refs(seq, answer.verdict.lines)
        return True
