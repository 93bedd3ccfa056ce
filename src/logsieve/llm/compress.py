"""A sequence, compressed to fit a small model's context and attention.

Raw lines are long and repetitive (an HDFS block is 20-40 near-identical lines), and a 0.5B
model judges far better from a short list. So a sequence becomes numbered *items*: each item is
one run of consecutive lines with the same template, written as the template text, ``xN`` for
the run length, and a few of the run's distinct parameter values (shortened). Items beyond
``max_items`` are folded into one summary line that keeps the rarest templates visible. Each
item remembers which line positions it stands for, so a verdict that cites item numbers can be
mapped back to file and line numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from logsieve.records import LineRef, Sequence

PARAM_CHARS = 40
PARAMS_SHOWN = 3


@dataclass(frozen=True)
class Compressed:
    text: str
    items: list[list[int]]  # item number -> positions of the lines it stands for

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


def compress(seq: Sequence, templates: Mapping[int, str], max_items: int = 30) -> Compressed:
    """Render ``seq`` as numbered template runs (see the module docstring)."""
    runs: list[tuple[int, list[int]]] = []
    for pos, tid in enumerate(seq.template_ids):
        if runs and runs[-1][0] == tid:
            runs[-1][1].append(pos)
        else:
            runs.append((tid, [pos]))
    params = seq.params
    shown, folded = runs[:max_items], runs[max_items:]
    lines = [_item(i, tid, positions, templates, params) for i, (tid, positions) in enumerate(shown)]
    items = [positions for _, positions in shown]
    if folded:
        counts = Counter(tid for tid, positions in folded for _ in positions)
        rare = ", ".join(f"{_text(t, templates)} x{n}" for t, n in sorted(counts.items(), key=lambda kv: kv[1])[:5])
        lines.append(f"[{len(shown)}] ... {sum(counts.values())} more lines of {len(counts)} templates; rarest: {rare}")
        items.append([p for _, positions in folded for p in positions])
    return Compressed("\n".join(lines), items)


def _item(i: int, tid: int, positions: list[int], templates: Mapping[int, str],
          params: list[tuple[str, ...]]) -> str:
    text = f"[{i}] {_text(tid, templates)}"
    if len(positions) > 1:
        text += f" x{len(positions)}"
    values = list(dict.fromkeys(v for p in positions if p < len(params) for v in params[p]))
    if values:
        text += " | params: " + ", ".join(_short(v) for v in values[:PARAMS_SHOWN])
        if len(values) > PARAMS_SHOWN:
            text += f" (+{len(values) - PARAMS_SHOWN})"
    return text


def _text(tid: int, templates: Mapping[int, str]) -> str:
    return templates.get(tid, f"<template {tid}>").replace("\n", " ")


def _short(value: str) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= PARAM_CHARS else value[: PARAM_CHARS - 3] + "..."
