"""Prompts are versioned YAML files (``logsieve/llm/prompts/*.yaml``), not strings in code.

A prompt has a ``system`` text (the instructions, identical on every call: the cacheable
prefix), a ``user`` template and an ``example`` template for few-shot examples. Placeholders are
``{sequence}``, ``{examples}``, ``{n_items}``, ``{status}`` and, in the system text,
``{catalogue}``: the numbered list of known templates, so that items and examples can name a
template in two tokens instead of twenty (the list changes rarely and stays in the cache); log text is inserted with
``str.replace``, never ``str.format``, so braces inside logs cannot break or steer the template.
A user may pass their own file by path.

What the model reads and in what order it answers are prompt options, chosen on validation
(``benchmarks/prompt_matrix.py``), so they live in the file beside the words that go with them:

* ``view``: how a judged sequence's items are written. ``catalogue``: the system text lists
  the known templates (``{catalogue}``) and items name them ``T<id>``; ``text``: each item
  writes its template text (no catalogue: the system text is then the same for every system);
  ``text+line``: as ``text``, and the ``raw_lines`` rarest items also show one real line, cut
  to ``line_chars``. Few-shot examples follow the view (template text on one line, no raw
  lines: they stay compact). Default: ``catalogue`` when the system text has ``{catalogue}``,
  else ``text``.
* ``answer_order``: ``status-first`` (status, explanation, lines) or ``evidence-first``
  (lines, explanation, status): the order of the schema's properties, which a constrained
  backend writes in (see :data:`logsieve.llm.verdict.ANSWER_ORDERS`).

Log text is data, not instructions: the packaged prompts put everything taken from logs
between ``<log_data>`` and ``</log_data>`` and say so in the system text. A log line that
writes the tag itself (to close the section early and speak as the operator) has it defused
first (:func:`defuse`: ``[log_data]``), so the section always ends where the prompt ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from logsieve.llm.base import ChatRequest
from logsieve.llm.compress import LINE_CHARS
from logsieve.llm.verdict import ANSWER_ORDERS, verdict_schema

VIEWS = ("catalogue", "text", "text+line")
"""How a prompt writes a sequence's items (see the module docstring)."""


DATA_TAG = "log_data"
_TAG_IN_DATA = re.compile(r"<\s*(/?)\s*log[\s_-]*data\s*>", re.IGNORECASE)


def defuse(text: str) -> str:
    """``text`` with any ``<log_data>`` / ``</log_data>`` (any case or spacing) made inert."""
    return _TAG_IN_DATA.sub(lambda m: f"[{m.group(1)}{DATA_TAG}]", text)


class PromptError(ValueError):
    """A prompt file is missing, malformed or lacks a required part."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    system: str
    user: str
    example: str
    examples: str = ""
    """Optional: the block that holds the examples of one status (``{status}``, ``{items}``).
    With it, examples of one label share one data section (the label stays outside it, where a
    log line cannot forge one), which costs ~9 prompt tokens once instead of once per example."""
    view: str = "catalogue"
    answer_order: str = "status-first"
    raw_lines: int = 0
    """``text+line``: how many of the rarest items show one real line."""
    line_chars: int = LINE_CHARS

    @property
    def id(self) -> str:
        """``name@version``: stored with every verdict, so an answer says which prompt made it."""
        return f"{self.name}@{self.version}"

    def render_example(self, sequence: str, status: str) -> str:
        return _fill(self.example, sequence=defuse(sequence), status=status)

    def render_examples(self, shots: list[tuple[str, str]]) -> list[str]:
        """(sequence text, status) pairs as the prompt writes them: one block per status when the
        prompt has an ``examples`` block (statuses in a fixed order, examples in the given one),
        else one rendered ``example`` each."""
        if not self.examples:
            return [self.render_example(text, status) for text, status in shots]
        groups: dict[str, list[str]] = {}
        for text, status in shots:
            line = self.render_example(text, status)
            groups.setdefault(status, []).append(line if line.endswith("\n") else line + "\n")
        return [_fill(self.examples, status=status, items="".join(groups[status])) for status in sorted(groups)]

    @property
    def uses_catalogue(self) -> bool:
        """Whether the system text lists the templates (``{catalogue}``) for items to name."""
        return self.view == "catalogue"

    @property
    def shown_raw_lines(self) -> int:
        """Rare items that show a real line: ``raw_lines`` in the ``text+line`` view, else 0."""
        return self.raw_lines if self.view == "text+line" else 0

    def request(self, sequence: str, n_items: int, examples: list[str], max_tokens: int = 96,
                catalogue: str = "") -> ChatRequest:
        block = "".join(e if e.endswith("\n") else e + "\n" for e in examples)
        user = _fill(self.user, examples=block, sequence=defuse(sequence), n_items=str(n_items))
        system = _fill(self.system.strip(), catalogue=defuse(catalogue))
        return ChatRequest([{"role": "system", "content": system}, {"role": "user", "content": user}],
                           verdict_schema(n_items, self.answer_order), max_tokens)


def _fill(template: str, **values: str) -> str:
    # one pass over the template's own placeholders: values are never re-scanned
    out, i = [], 0
    while i < len(template):
        if template[i] == "{":
            end = template.find("}", i)
            key = template[i + 1 : end] if end > 0 else ""
            if key in values:
                out.append(values[key])
                i = end + 1
                continue
        out.append(template[i])
        i += 1
    return "".join(out)


class PromptFile(BaseModel):
    """A prompt file's keys, validated: a misspelt key or an unknown view or answer order is an
    error naming it, not a prompt that silently runs with the defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: int
    system: str
    user: str
    example: str
    examples: str = ""
    view: Literal["catalogue", "text", "text+line"] | None = None
    answer_order: Literal["status-first", "evidence-first"] = "status-first"
    raw_lines: int | None = Field(default=None, ge=1, le=10)
    line_chars: int = Field(default=LINE_CHARS, ge=20, le=400)
    hints: dict[str, str] | None = None
    """ALPHA's lessons (read by :mod:`logsieve.label.prompt`)."""

    @model_validator(mode="after")
    def _view_fits(self) -> PromptFile:
        has_catalogue = "{catalogue}" in self.system
        view = self.view or ("catalogue" if has_catalogue else "text")
        if view == "catalogue" and not has_catalogue:
            raise ValueError("view catalogue needs {catalogue} in the system text")
        if view != "catalogue" and has_catalogue:
            raise ValueError(f"view {view} writes the template text inline: remove {{catalogue}} from the system text")
        if self.raw_lines is not None and view != "text+line":
            raise ValueError(f"raw_lines applies to view text+line only, not {view}")
        self.view = view
        return self

    def prompt(self) -> Prompt:
        raw = self.raw_lines if self.raw_lines is not None else (2 if self.view == "text+line" else 0)
        return Prompt(self.name, self.version, self.system, self.user, self.example, self.examples,
                      str(self.view), self.answer_order, raw, self.line_chars)


def packaged_prompts() -> list[str]:
    """The names of the prompts that ship with logsieve."""
    folder = resources.files("logsieve.llm").joinpath("prompts")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_prompt(name_or_path: str) -> Prompt:
    """A packaged prompt by name (``cola``, ``collaborlog``, ...) or a YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise PromptError(f"cannot read prompt file {path}: {exc}") from exc
    else:
        try:
            text = resources.files("logsieve.llm").joinpath("prompts", f"{name_or_path}.yaml").read_text("utf-8")
        except FileNotFoundError:
            raise PromptError(f"no packaged prompt {name_or_path!r}; packaged: {', '.join(packaged_prompts())}; "
                              "or give a .yaml file") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptError(f"prompt {name_or_path} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise PromptError(f"prompt {name_or_path}: expected a mapping with name, version, system, user, example")
    missing = [k for k in ("name", "version", "system", "user", "example") if k not in doc]
    if missing:
        raise PromptError(f"prompt {name_or_path}: missing {missing}")
    try:
        return PromptFile.model_validate(doc).prompt()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        raise PromptError(f"prompt {name_or_path}: {problems}") from None
