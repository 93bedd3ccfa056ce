"""The root-cause answer an LLM must give, as a JSON schema and as a validated record.

Like the verdict (:mod:`logsieve.llm.verdict`), the schema both constrains generation and
validates every answer, since a remote server may ignore the constraint. The evidence numbers
index the items the prompt showed, so the schema bounds them to the items that exist; free
text is bounded because a small model fills whatever room it gets, and the embedded backend
answers at most 96 tokens (both strings together stay well under that).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from logsieve.llm.verdict import validate_json

CAUSE_MAX = 120
NEXT_STEP_MAX = 100
EVIDENCE_MAX = 5


class ExplanationError(ValueError):
    """An LLM answer that is not a valid root cause (bad JSON, wrong fields, items not shown)."""


class RootCause(BaseModel):
    """A short ``cause``, the item numbers it rests on, and what to do next."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cause: str = Field(min_length=1, max_length=CAUSE_MAX)
    evidence: list[int] = Field(min_length=1, max_length=EVIDENCE_MAX)
    next_step: str = Field(min_length=1, max_length=NEXT_STEP_MAX)


def root_cause_schema(n_items: int) -> dict[str, Any]:
    """The schema for one question showing ``n_items`` items (evidence in 0..n_items-1)."""
    return {
        "type": "object",
        "properties": {
            "cause": {"type": "string", "minLength": 1, "maxLength": CAUSE_MAX},
            "evidence": {"type": "array", "minItems": 1, "maxItems": EVIDENCE_MAX,
                         "items": {"type": "integer", "minimum": 0, "maximum": max(0, n_items - 1)}},
            "next_step": {"type": "string", "minLength": 1, "maxLength": NEXT_STEP_MAX},
        },
        "required": ["cause", "evidence", "next_step"],
        "additionalProperties": False,
    }


def parse_root_cause(text: str, n_items: int) -> RootCause:
    """Validate an answer; evidence must cite items 0..n_items-1 (duplicates are dropped)."""
    answer = validate_json(text, RootCause, ExplanationError, "a root cause")
    if any(not 0 <= i < n_items for i in answer.evidence):
        raise ExplanationError(f"cites items {answer.evidence} outside 0..{n_items - 1}")
    if not answer.cause.strip() or not answer.next_step.strip():
        raise ExplanationError("cause and next_step must say something")
    return answer.model_copy(update={"evidence": list(dict.fromkeys(answer.evidence))})
