"""A sequence, compressed to fit a small model's context and attention.

Raw lines are long and repetitive (an HDFS block is 20-40 near-identical lines), and a 0.5B
model judges far better from a short list. So a sequence becomes numbered *items*: each item is
the lines of one template (all of them, or one run of consecutive ones), written as the
template text, ``xN`` for their number, and a few of their distinct parameter values
(shortened). Items beyond
``max_items`` are folded into one summary line that keeps the rarest templates visible. Each
item remembers which line positions it stands for, so a verdict that cites item numbers can be
mapped back to file and line numbers.

The template text says what kind of line it is, but not always what happened: BGL's alert
lines share templates with routine ones (``<*> <*> <*> <*>``), and a kernel message's words sit
in its parameters. So the rarest items can also show one real line each (``raw_lines``),
shortened: the line a 0.5B model must read to see that a device failed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from logsieve.records import LineRef, Sequence

PARAM_CHARS = 32
PARAMS_SHOWN = 1
LINE_CHARS = 100
"""A raw line shown for a rare item is cut to this many characters (~25 tokens): enough for
a kernel or exception message's head, where its words are."""


_WINDOW_KEY = re.compile(r"#w\d+$")
_PART_KEY = re.compile(r"#p\d+$")


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
             familiar: Collection[int] = (), order: str = "first", raw_lines: int = 0,
             line_chars: int = LINE_CHARS) -> Compressed:
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
    ``raw_lines``: the that many rarest items whose template has a variable part (templates
    not ``familiar`` first, then fewest lines, then first shown) also show their first real line, shortened to ``line_chars`` and with the sequence's key
    masked (``| line: ...``; such an item shows no params: the line holds them). A sequence
    built from template ids alone has no lines, and shows none. The items, and so the
    numbering a verdict cites, are the same whatever is shown.
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
    rare = _rarest(shown, templates, raw_lines, familiar) if raw_lines > 0 else set()
    contents = seq.contents if rare else []
    lines = []
    for i, (tid, positions) in enumerate(shown):
        if i in rare and positions[0] < len(contents):
            raw = _raw_line(contents[positions[0]], seq.key, line_chars)
            lines.append(f"{_item(tid, positions, templates, params, 0, constant)} | line: {raw}")
        else:
            lines.append(_item(tid, positions, templates, params, 0 if tid in familiar else params_shown, constant))
    items = [positions for _, positions in shown]
    if folded:
        counts = Counter(tid for tid, positions in folded for _ in positions)
        rare = ", ".join(f"{_text(t, templates)} x{n}" for t, n in sorted(counts.items(), key=lambda kv: kv[1])[:5])
        lines.append(f"... {sum(counts.values())} more lines of {len(counts)} templates; rarest: {rare}")
        items.append([p for _, positions in folded for p in positions])
    return Compressed(lines, items)


def _rarest(groups: list[tuple[int, list[int]]], templates: Mapping[int, str], k: int,
            familiar: Collection[int]) -> set[int]:
    """Indices of the ``k`` rarest groups whose template has a variable part (a line of a
    template without one repeats its text): templates no few-shot example shows first (the
    comparison cannot explain those), then the fewest lines, then the earlier group."""
    varied = [i for i, (tid, _) in enumerate(groups) if "<*>" in templates.get(tid, "<*>")]
    return set(sorted(varied, key=lambda i: (groups[i][0] in familiar, len(groups[i][1]), i))[:k])


def _raw_line(content: str, key: str, limit: int) -> str:
    """One raw line as a rare item shows it: on one line, whitespace runs folded, the session
    key masked (it is on every line of a session and says nothing), cut to ``limit``."""
    text = " ".join(content.split())
    session = "" if _WINDOW_KEY.search(key) else _PART_KEY.sub("", key)  # a window's key names a file
    if len(session) > 3:
        text = text.replace(session, "<id>")
    return text if len(text) <= limit else text[: max(1, limit - 3)].rstrip() + "..."


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
