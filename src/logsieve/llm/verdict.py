"""The verdict an LLM must answer with, as a JSON schema and as a validated record.

The schema is what constrains generation (llama.cpp turns it into a grammar; an OpenAI-style
server takes it as ``response_format``), and the same schema validates every answer before
use, because a remote server may ignore the constraint. Free text has a length bound: a small
model with an unbounded string can loop until it runs out of tokens.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

EXPLANATION_MAX = 48
"""Characters (~10 tokens): one short sentence naming the evidence. A 0.5B model fills
whatever bound it gets, repeating itself, and each answer token costs ~50 ms on two cores;
the root-cause explanation of an anomaly is a separate, longer step."""
LINES_MAX = 5


class VerdictError(ValueError):
    """An LLM answer that is not a valid verdict (bad JSON, wrong fields, out-of-range lines)."""


class Verdict(BaseModel):
    """``status`` of the sequence, a short ``explanation``, and the indices of the lines that matter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["normal", "abnormal"]
    explanation: str = Field(max_length=EXPLANATION_MAX)
    lines: list[int] = Field(default_factory=list, max_length=LINES_MAX)

    @property
    def abnormal(self) -> bool:
        return self.status == "abnormal"


ANSWER_ORDERS: dict[str, tuple[str, ...]] = {
    "status-first": ("status", "explanation", "lines"),
    "evidence-first": ("lines", "explanation", "status"),
}
"""The verdict's fields in the order a prompt asks for them. A constrained backend writes them
in the order of the schema's ``properties`` (llama.cpp's grammar follows it), and a small model
decides as it writes: asked for ``status`` first it decides before it has looked; asked first
for the lines that matter and a sentence on them, it decides on what it cited. The parsed
:class:`Verdict` is the same record either way."""

_PROPERTIES: dict[str, dict[str, Any]] = {
    "status": {"type": "string", "enum": ["normal", "abnormal"]},
    "explanation": {"type": "string", "maxLength": EXPLANATION_MAX},
    "lines": {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": LINES_MAX},
}


def _schema(order: tuple[str, ...], lines: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {**_PROPERTIES, **({"lines": lines} if lines else {})}
    return {"type": "object", "properties": {k: props[k] for k in order}, "required": list(order),
            "additionalProperties": False}


VERDICT_SCHEMA: dict[str, Any] = _schema(ANSWER_ORDERS["status-first"])


def verdict_schema(n_lines: int | None = None, order: str = "status-first") -> dict[str, Any]:
    """The schema for one question: cited line numbers bounded by the lines it shows, so a
    constrained backend cannot cite a line that is not there; fields in ``order`` (a key of
    :data:`ANSWER_ORDERS`)."""
    if order not in ANSWER_ORDERS:
        raise ValueError(f"answer order must be one of {', '.join(ANSWER_ORDERS)}, not {order!r}")
    if not n_lines:
        return _schema(ANSWER_ORDERS[order])
    lines = {**_PROPERTIES["lines"], "items": {"type": "integer", "minimum": 0, "maximum": n_lines - 1}}
    return _schema(ANSWER_ORDERS[order], lines)


M = TypeVar("M", bound=BaseModel)


def validate_json(text: str, model: type[M], error: type[Exception], what: str) -> M:
    """An LLM answer parsed as JSON and validated against ``model``: every answer schema (verdict,
    root cause, annotation) goes through here, so each failure reads the same way ("not JSON",
    or "not <what>: <field>: <problem>") whichever prompt produced it."""
    try:
        doc = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise error(f"not JSON: {exc}") from exc
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise error(f"not {what}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


def parse_verdict(text: str, n_lines: int | None = None) -> Verdict:
    """Validate an answer; ``n_lines`` bounds the cited line indices (they index the prompt's lines)."""
    verdict = validate_json(text, Verdict, VerdictError, "a verdict")
    if n_lines is not None and any(not 0 <= i < n_lines for i in verdict.lines):
        raise VerdictError(f"cites lines {verdict.lines} outside 0..{n_lines - 1}")
    return verdict
