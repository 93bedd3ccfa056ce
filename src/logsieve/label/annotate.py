"""Asking the LLM for one label: compressed sequence + few-shot examples + lessons -> Annotation.

Mirrors :class:`logsieve.llm.expert.Expert` (template catalogue in the cached system text,
items named ``T<id>``, examples on one line) with ALPHA's own prompt and schema. A malformed
answer is asked again up to ``retries`` times; after that, or when the backend is down, the
result carries no label and says why: the caller counts it and the representative's cluster
takes its label by propagation from its nearest labelled neighbour instead.

Under the sequence the prompt puts a comparison with the normal examples (:func:`contrast`):
a 0.5B judge left to compare on its own copies its examples' label, so the differences that
make a sequence abnormal (a template no normal sequence has, a step the normal ones all have)
are named for it. It is computed from labelled examples only, never from the sequence's label.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence as Seq
from dataclasses import dataclass

from logsieve.label.prompt import AlphaPrompt, Annotation, AnnotationError, parse_annotation
from logsieve.llm.base import LLMBackend, LLMUnavailable
from logsieve.llm.catalogue import Catalogue
from logsieve.llm.compress import compress
from logsieve.records import Sequence

Example = tuple[Sequence, str]
"""A few-shot example: the sequence and its label, ``"normal"`` or ``"abnormal"``."""


@dataclass
class AnnotationResult:
    annotation: Annotation | None
    error: str | None = None
    attempts: int = 0
    malformed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def label(self) -> int | None:
        return None if self.annotation is None else self.annotation.abnormal


@dataclass
class AnnotatorStats:
    """Totals over every question asked (refinement and annotation alike)."""

    calls: int = 0
    attempts: int = 0
    malformed: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def add(self, r: AnnotationResult) -> None:
        self.calls += 1
        self.attempts += r.attempts
        self.malformed += r.malformed
        self.failed += r.annotation is None
        self.prompt_tokens += r.prompt_tokens
        self.completion_tokens += r.completion_tokens
        self.seconds += r.seconds

    def as_dict(self) -> dict[str, float | int]:
        return {"llm_calls": self.calls, "llm_attempts": self.attempts, "llm_malformed": self.malformed,
                "llm_failed": self.failed, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "llm_seconds": round(self.seconds, 2),
                "llm_mean_seconds": round(self.seconds / self.calls, 2) if self.calls else None}


class Annotator:
    """Labels sequences of one system (one template map) with one backend and one prompt."""

    def __init__(self, backend: LLMBackend, prompt: AlphaPrompt, templates: Mapping[int, str], *,
                 retries: int = 1, max_items: int = 30, example_items: int = 12, max_tokens: int = 48) -> None:
        self.backend = backend
        self.prompt = prompt
        self.catalogue = Catalogue(templates)
        self.names = self.catalogue.view(templates)
        self.retries, self.max_items, self.example_items, self.max_tokens = retries, max_items, example_items, max_tokens
        self.stats = AnnotatorStats()

    def annotate(self, seq: Sequence, examples: Seq[Example] = (), hints: Seq[str] = (),
                 normal_templates: Iterable[int] = ()) -> AnnotationResult:
        """Ask for one label; ``normal_templates``: every template of the labelled normal
        sequences known so far (the few-shot set's), for the comparison line."""
        shown = compress(seq, self.names, self.max_items, 0)
        shots = [self.prompt.render_example(compress(s, self.names, self.example_items, 0).inline, status)
                 for s, status in examples]
        request = self.prompt.request(shown.text, shown.n_items, shots, self.catalogue.text, list(hints),
                                      self.max_tokens, contrast(seq, examples, normal_templates, self.names))
        result = AnnotationResult(None)
        start = time.perf_counter()
        for _ in range(self.retries + 1):
            result.attempts += 1
            try:
                reply = self.backend.complete(request)
            except LLMUnavailable as exc:
                result.error = f"unavailable: {exc}"
                break
            result.prompt_tokens += reply.prompt_tokens
            result.completion_tokens += reply.completion_tokens
            try:
                result.annotation, result.error = parse_annotation(reply.text), None
                break
            except AnnotationError as exc:
                result.malformed += 1
                result.error = f"malformed: {exc}"
        result.seconds = time.perf_counter() - start
        self.stats.add(result)
        return result


def contrast(seq: Sequence, examples: Seq[Example], normal_templates: Iterable[int],
             names: Mapping[int, str]) -> str:
    """One line: the sequence's templates that no labelled normal sequence has (those of the
    shown normal examples and ``normal_templates``), and the templates every shown normal
    example has but the sequence lacks. Without a normal example there is nothing to compare."""
    normals = [set(s.template_ids) for s, status in examples if status == "normal"]
    known = set(normal_templates).union(*normals)
    if not known:
        return "Comparison: no normal example to compare with."
    mine = list(dict.fromkeys(seq.template_ids))
    new = [t for t in mine if t not in known]
    lacks = sorted(set.intersection(*normals) - set(mine)) if normals else []

    def listed(ids: list[int]) -> str:
        return ", ".join(item_name(names, t) for t in ids) if ids else "none"

    return (f"Comparison: templates no normal example has: {listed(new)}. "
            f"Templates every normal example shown has but this sequence lacks: {listed(lacks)}.")


def item_name(names: Mapping[int, str], t: int) -> str:
    """How a template is named in the prompt text: ``T<id>``, or its text in quotes when the
    catalogue does not list it (the refinement's lessons name templates the same way)."""
    name = names.get(t, f"T{t}")
    return name if name.startswith("T") else f'"{name}"'
