"""The ALPHA annotation prompt (versioned YAML ``llm/prompts/alpha.yaml``) and its answer schema.

The prompt file is loaded like every other prompt (``system``, ``user``, ``example``), plus a
``hints`` mapping: the lessons the refinement may add to the system text when the seed shows an
error pattern (see :mod:`logsieve.label.refine`). The answer is ``{"label": "normal" |
"abnormal", "evidence": short text}``: the schema constrains generation where the backend
supports it, and every answer is validated against it here whatever the backend promised.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from logsieve.llm.base import ChatRequest
from logsieve.llm.prompts import Prompt, PromptError, _fill, load_prompt
from logsieve.llm.verdict import validate_json

EVIDENCE_MAX = 40
"""Characters: a 0.5B model fills whatever bound it gets, and each answer token costs ~50 ms."""
HINT_KINDS = ("missed_with_templates", "missed", "false_alarm_with_templates", "false_alarm")

ANNOTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": ["normal", "abnormal"]},
        "evidence": {"type": "string", "maxLength": EVIDENCE_MAX},
    },
    "required": ["label", "evidence"],
    "additionalProperties": False,
}


class AnnotationError(ValueError):
    """An LLM answer that is not a valid annotation (not JSON, wrong or missing fields)."""


class Annotation(BaseModel):
    """A validated answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: Literal["normal", "abnormal"]
    evidence: str = Field(max_length=EVIDENCE_MAX)

    @property
    def abnormal(self) -> int:
        return int(self.label == "abnormal")


def parse_annotation(text: str) -> Annotation:
    """Validate an answer against :data:`ANNOTATION_SCHEMA`; the error says what was wrong."""
    return validate_json(text, Annotation, AnnotationError, "an annotation")


@dataclass(frozen=True)
class AlphaPrompt:
    """The prompt texts plus the hint texts the refinement may switch on."""

    base: Prompt
    hints: dict[str, str]

    @property
    def id(self) -> str:
        return self.base.id

    def request(self, sequence: str, n_items: int, examples: list[str], catalogue: str, hints: list[str],
                max_tokens: int, contrast: str = "") -> ChatRequest:
        """One annotation question; ``hints`` are already rendered lesson lines, ``contrast`` the
        comparison line (a prompt without a ``{contrast}`` placeholder ignores it)."""
        block = "".join(e if e.endswith("\n") else e + "\n" for e in examples)
        lessons = "".join(h if h.endswith("\n") else h + "\n" for h in hints)
        system = _fill(self.base.system.strip(), catalogue=catalogue, hints=lessons)
        user = _fill(self.base.user, examples=block, sequence=sequence, n_items=str(n_items), contrast=contrast)
        return ChatRequest([{"role": "system", "content": system}, {"role": "user", "content": user}],
                           ANNOTATION_SCHEMA, max_tokens)

    def render_example(self, sequence: str, status: str) -> str:
        return self.base.render_example(sequence, status)

    def hint(self, kind: str, templates: str = "") -> str:
        return _fill(self.hints[kind], templates=templates)


def load_alpha_prompt(name_or_path: str = "alpha") -> AlphaPrompt:
    """The packaged ``alpha`` prompt or a YAML file of the same layout; every hint kind is required."""
    base = load_prompt(name_or_path)
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        text = path.read_text("utf-8")
    else:
        text = resources.files("logsieve.llm").joinpath("prompts", f"{name_or_path}.yaml").read_text("utf-8")
    hints = (yaml.safe_load(text) or {}).get("hints")
    missing = [k for k in HINT_KINDS if not isinstance(hints, dict) or not isinstance(hints.get(k), str)]
    if missing:
        raise PromptError(f"prompt {name_or_path}: an ALPHA prompt needs hints {missing} (see alpha.yaml)")
    return AlphaPrompt(base, {k: str(hints[k]) for k in HINT_KINDS})
