"""Prompts are versioned YAML files (``logsieve/llm/prompts/*.yaml``), not strings in code.

A prompt has a ``system`` text (the instructions, identical on every call: the cacheable
prefix), a ``user`` template and an ``example`` template for few-shot examples. Placeholders are
``{sequence}``, ``{examples}``, ``{n_items}``, ``{status}`` and, in the system text,
``{catalogue}``: the numbered list of known templates, so that items and examples can name a
template in two tokens instead of twenty (the list changes rarely and stays in the cache); log text is inserted with
``str.replace``, never ``str.format``, so braces inside logs cannot break or steer the template.
A user may pass their own file by path.

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

import yaml

from logsieve.llm.base import ChatRequest
from logsieve.llm.verdict import verdict_schema


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
        return "{catalogue}" in self.system

    def request(self, sequence: str, n_items: int, examples: list[str], max_tokens: int = 96,
                catalogue: str = "") -> ChatRequest:
        block = "".join(e if e.endswith("\n") else e + "\n" for e in examples)
        user = _fill(self.user, examples=block, sequence=defuse(sequence), n_items=str(n_items))
        system = _fill(self.system.strip(), catalogue=defuse(catalogue))
        return ChatRequest([{"role": "system", "content": system}, {"role": "user", "content": user}],
                           verdict_schema(n_items), max_tokens)


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


def load_prompt(name_or_path: str) -> Prompt:
    """A packaged prompt by name (``cola``, ``collaborlog``) or a YAML file by path."""
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
            raise PromptError(f"no packaged prompt {name_or_path!r}; packaged: cola, collaborlog; "
                              "or give a .yaml file") from None
    doc = yaml.safe_load(text)
    missing = [k for k in ("name", "version", "system", "user", "example") if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise PromptError(f"prompt {name_or_path}: missing {missing}")
    return Prompt(str(doc["name"]), int(doc["version"]), str(doc["system"]), str(doc["user"]), str(doc["example"]),
                  str(doc.get("examples", "")))
