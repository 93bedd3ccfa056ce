"""A sequence, compressed to fit a small model's context and attention.

Raw lines are long and repetitive (an HDFS block is 20-40 near-identical lines), and a 0.5B
model judges far better from a short list. So a sequence becomes numbered *items*: each item is
the lines of one template (all of them, or one run of consecutive ones), written as the
template text, ``xN`` for their number, and a few of their distinct parameter values
(shortened). Items beyond
``max_items`` are folded into one summary line that keeps the rarest templates visible. Each
item remembers which line positions it stands for, so a verdict that cites item numbers can be
mapped back to file and line numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from logsieve.records import LineRef, Sequence

PARAM_CHARS = 32
PARAMS_SHOWN = 1


@dataclass(frozen=True)
class Compressed:
    parts: list[str]  # item number -> its text
    items: list[list[int]]  # item number -> positions of the lines it stands for

    @property
    def text(self) -> str:
        """Numbered items, one per line: what a judged sequence looks like (lines are cited by number)."""
        return "\n".join(f"[{i}] {part}" for i, part in enumerate(self.parts))

    @property
    def inline(self) -> str:
        """The items on one line, unnumbered: a few-shot example in about half the tokens."""
        return "; ".join(self.parts)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def refs(self, seq: Sequence, cited: list[int]) -> list[LineRef]:
        """The lines behind the cited item numbers (unknown numbers are ignored)."""
        refs = seq.refs
        out: list[LineRef] = []
        for item in cited:
            if 0 <= item < len(self.items):
                out.extend(refs[p] for p in self.items[item] if p < len(refs))
        return out


def compress(seq: Sequence, templates: Mapping[int, str], max_items: int = 30,
             params_shown: int = PARAMS_SHOWN, fold: str = "templates",
             familiar: Collection[int] = (), order: str = "first") -> Compressed:
    """Render ``seq`` as numbered items (see the module docstring).

    ``fold="runs"``: an item is a run of consecutive lines with one template (keeps the exact
    order). ``fold="templates"`` (the default): an item is every line of one template, in order
    of first appearance, with its total count; a session that interleaves three pipelines
    (HDFS) shrinks from ~14 items to ~8, and each prompt token costs ~20 ms on two cores.
    ``params_shown`` distinct parameter values per item (0: none); values on every line of the
    sequence, or holding its key (the session id), are never shown: they say nothing about it,
    nor are those of ``familiar`` templates (ones the few-shot examples already show): the
    unusual parameters are the ones on templates the comparison cannot explain.
    ``order="id"`` (with ``fold="templates"``) lists items by template id instead of first
    appearance: two sequences with the same templates and counts then read the same, which is
    what a few-shot example needs (its order says little, and equal text is cached).
    """
    if fold not in ("runs", "templates"):
        raise ValueError(f"fold must be 'runs' or 'templates', not {fold!r}")
    if order not in ("first", "id") or (order == "id" and fold != "templates"):
        raise ValueError(f"order must be 'first', or 'id' with fold='templates'; got order={order!r}, fold={fold!r}")
    groups: list[tuple[int, list[int]]] = []
    index: dict[int, int] = {}
    for pos, tid in enumerate(seq.template_ids):
        if fold == "runs" and groups and groups[-1][0] == tid:
            groups[-1][1].append(pos)
        elif fold == "templates" and tid in index:
            groups[index[tid]][1].append(pos)
        else:
            index[tid] = len(groups)
            groups.append((tid, [pos]))
    if order == "id":
        groups.sort(key=lambda g: g[0])
    params = seq.params if params_shown > 0 else []
    constant = _on_every_line(params)
    if seq.key:
        constant.update(v for values in params for v in values if seq.key in v)
    shown, folded = groups[:max_items], groups[max_items:]
    lines = [_item(tid, positions, templates, params, 0 if tid in familiar else params_shown, constant)
             for tid, positions in shown]
    items = [positions for _, positions in shown]
    if folded:
        counts = Counter(tid for tid, positions in folded for _ in positions)
        rare = ", ".join(f"{_text(t, templates)} x{n}" for t, n in sorted(counts.items(), key=lambda kv: kv[1])[:5])
        lines.append(f"... {sum(counts.values())} more lines of {len(counts)} templates; rarest: {rare}")
        items.append([p for _, positions in folded for p in positions])
    return Compressed(lines, items)


def _on_every_line(params: list[tuple[str, ...]]) -> set[str]:
    if len(params) < 2:
        return set()
    common = set(params[0])
    for values in params[1:]:
        common.intersection_update(values)
        if not common:
            break
    return common


def _item(tid: int, positions: list[int], templates: Mapping[int, str],
          params: list[tuple[str, ...]], shown: int, constant: set[str]) -> str:
    text = _text(tid, templates)
    if len(positions) > 1:
        text += f" x{len(positions)}"
    if shown <= 0:
        return text
    values = list(dict.fromkeys(v for p in positions if p < len(params) for v in params[p] if v not in constant))
    if values:
        text += " | params: " + ", ".join(_short(v) for v in values[:shown])
        if len(values) > shown:
            text += f" (+{len(values) - shown})"
    return text


def _text(tid: int, templates: Mapping[int, str]) -> str:
    return templates.get(tid, f"<template {tid}>").replace("\n", " ")


def _short(value: str) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= PARAM_CHARS else value[: PARAM_CHARS - 3] + "..."
