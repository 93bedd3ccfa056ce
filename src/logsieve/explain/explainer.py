"""Root-cause explanations of detected anomalies, asked of the LLM after detection.

Anomalies come in batches (a detect job's batch, or one verdict from ``logsieve explain
--generate``). They are grouped by *pattern* (:func:`logsieve.alerts.pattern.pattern_key`: the
ordered distinct template ids, hashed): a pattern already explained in the store is reused,
and a new one costs one LLM call, whose answer every anomaly of that pattern shares. The
sequence is shown compressed with one item per distinct template in order of first
appearance, so item numbers mean the same templates for every sequence of a pattern, and the
cited evidence maps back to each verdict's own lines.

The answer is validated (:func:`~logsieve.explain.schema.parse_root_cause`); a malformed one
is asked again ``retries`` times. A malformed answer, a dead backend or a spent budget stores
no explanation: the verdict's link records the reason instead, and nothing is raised.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict, Field

from logsieve.alerts.pattern import pattern_key
from logsieve.explain.records import ExplanationStore, PatternExplanation, ShownLine, VerdictLink
from logsieve.explain.schema import ExplanationError, RootCause, parse_root_cause, root_cause_schema
from logsieve.llm.base import LLMBackend, LLMUnavailable
from logsieve.llm.compress import Compressed, compress
from logsieve.llm.prompts import Prompt, load_prompt
from logsieve.records import Sequence
from logsieve.store import Store


class ExplainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = "root_cause"
    max_calls: int | None = Field(default=20, ge=0)
    """LLM calls this explainer may make (a job's cap); then new patterns are ``skipped``."""
    retries: int = Field(default=1, ge=0)
    max_items: int = Field(default=30, ge=1)
    params_shown: int = Field(default=2, ge=0)
    """Distinct parameter values shown per item: a root cause often sits in a value (a host,
    a path, an error code), which the verdict prompt leaves out to save tokens."""
    max_tokens: int = Field(default=96, ge=16)
    max_lines: int = Field(default=200, ge=1)
    """Lines of a verdict kept with its link, for printing."""
    line_chars: int = Field(default=300, ge=20)


@dataclass(frozen=True)
class Anomaly:
    """One anomalous verdict to explain: its store id, its sequence (with lines when the job
    has them) and why it was flagged (shown to the LLM)."""

    verdict_id: int
    seq: Sequence
    flagged: str = ""


@dataclass
class Asked:
    """One pattern's question: the answer (or why none) and what it cost."""

    answer: RootCause | None
    shown: Compressed
    error: str | None = None
    attempts: int = 0
    malformed: int = 0
    seconds: float = 0.0


@dataclass
class ExplainStats:
    anomalies: int = 0
    explained: int = 0
    reused: int = 0
    """Explained from a pattern already in the store (or asked earlier in the same batch)."""
    failed: int = 0
    skipped: int = 0
    llm_calls: int = 0
    llm_seconds: float = 0.0
    malformed: int = 0
    reasons: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"anomalies": self.anomalies, "explained": self.explained, "reused": self.reused,
                "failed": self.failed, "skipped": self.skipped, "llm_calls": self.llm_calls,
                "llm_seconds": round(self.llm_seconds, 3), "malformed": self.malformed,
                "reasons": dict(self.reasons)}


class Explainer:
    """Explains batches of anomalies with one backend, caching by pattern in ``store``."""

    def __init__(self, backend: LLMBackend, store: Store, config: ExplainConfig | None = None,
                 prompt: Prompt | None = None) -> None:
        self.backend = backend
        self.records = ExplanationStore(store)
        self.config = config or ExplainConfig()
        self.prompt = prompt or load_prompt(self.config.prompt)
        self.stats = ExplainStats()

    @property
    def budget_left(self) -> int | None:
        cap = self.config.max_calls
        return None if cap is None else max(0, cap - self.stats.llm_calls)

    def explain(self, anomalies: list[Anomaly], templates: Mapping[int, str], *,
                force: bool = False) -> list[VerdictLink]:
        """Explain ``anomalies`` (one LLM call per new pattern), store and link; ``force`` asks
        again even for a pattern already explained."""
        groups: dict[str, list[Anomaly]] = {}
        for a in anomalies:
            groups.setdefault(pattern_key(a.seq.template_ids), []).append(a)
        links: list[VerdictLink] = []
        down: str | None = None  # once the backend is unavailable, the rest of the batch does not wait on it
        for pattern, group in groups.items():
            self.stats.anomalies += len(group)
            known = None if force else self.records.get(pattern)
            if known is not None:
                self.stats.reused += len(group)
                links += self._explained(pattern, group, known)
                continue
            if down is not None:
                links += self._without(pattern, group, "failed", down)
                continue
            if self.budget_left == 0:
                links += self._without(pattern, group, "skipped", f"explanation budget ({self.config.max_calls} "
                                       "LLM calls) spent; `logsieve explain ID --generate` asks now")
                continue
            asked = self.ask(group[0].seq, templates, group[0].flagged)
            if asked.answer is None:
                reason = f"no explanation: {asked.error}"
                if asked.error and asked.error.startswith("unavailable"):
                    down = reason
                links += self._without(pattern, group, "failed", reason)
                continue
            made = PatternExplanation(pattern, asked.answer, asked.shown.parts, self.prompt.id, self.backend.name,
                                      asked.seconds, time.time())
            self.records.put(made)
            self.stats.reused += len(group) - 1
            links += self._explained(pattern, group, made)
        self.records.link(links)
        return links

    def ask(self, seq: Sequence, templates: Mapping[int, str], flagged: str = "") -> Asked:
        """One validated question about ``seq`` (retried when malformed); never raises for a
        backend that is down or answers nonsense."""
        cfg = self.config
        shown = compress(seq, templates, cfg.max_items, cfg.params_shown)
        text = (f"Flagged because: {_one_line(flagged)}\n" if flagged else "") + shown.text
        request = replace(self.prompt.request(text, shown.n_items, [], cfg.max_tokens),
                          schema=root_cause_schema(shown.n_items))
        asked = Asked(None, shown)
        start = time.perf_counter()
        for _ in range(cfg.retries + 1):
            asked.attempts += 1
            try:
                reply = self.backend.complete(request)
            except LLMUnavailable as exc:
                asked.error = f"unavailable: {exc}"
                break
            try:
                asked.answer = parse_root_cause(reply.text, shown.n_items)
            except ExplanationError as exc:
                asked.malformed += 1
                asked.error = f"malformed: {exc}"
                continue
            asked.error = None
            break
        asked.seconds = time.perf_counter() - start
        self.stats.llm_calls += 1
        self.stats.llm_seconds += asked.seconds
        self.stats.malformed += asked.malformed
        return asked

    # ------------------------------------------------------------------ links

    def _explained(self, pattern: str, group: list[Anomaly], known: PatternExplanation) -> list[VerdictLink]:
        self.stats.explained += len(group)
        cited = set(known.answer.evidence)
        return [VerdictLink(a.verdict_id, pattern, "explained", lines=self._lines(a.seq, cited)) for a in group]

    def _without(self, pattern: str, group: list[Anomaly], status: str, reason: str) -> list[VerdictLink]:
        if status == "failed":
            self.stats.failed += len(group)
        else:
            self.stats.skipped += len(group)
        self.stats.reasons[reason[:80]] += len(group)
        return [VerdictLink(a.verdict_id, pattern, status, reason, self._lines(a.seq, set()))  # type: ignore[arg-type]
                for a in group]

    def _lines(self, seq: Sequence, cited: set[int]) -> list[ShownLine]:
        """The verdict's lines (bounded) with the item each belongs to and whether it is cited."""
        cfg = self.config
        shown = compress(seq, {}, cfg.max_items, 0)  # item positions only: the same grouping as asked
        item_of = {pos: i for i, positions in enumerate(shown.items) for pos in positions}
        refs, contents = seq.refs, seq.contents
        out = []
        for pos in range(min(len(refs), cfg.max_lines)):
            item = item_of.get(pos, -1)
            text = contents[pos] if pos < len(contents) else ""
            out.append(ShownLine(item, refs[pos].source, refs[pos].line_no, text[: cfg.line_chars], item in cited))
        return out


def flagged_because(verdict) -> str:
    """Why a verdict was flagged, in words the LLM is shown (its own explanation, else the
    small model's score)."""
    if verdict.explanation:
        return verdict.explanation
    if verdict.score is not None:
        conf = "" if verdict.confidence is None else f", normal-confidence {verdict.confidence:.2f}"
        return f"the small model scored it {verdict.score:.3g}{conf}" + (f" ({verdict.note})" if verdict.note else "")
    return verdict.note


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
