"""The verdict of one sequence, where it came from, and where verdicts are kept.

``source`` says who decided: ``small`` (the small model, confident), ``cache`` (the knowledge
table), ``llm`` (the expert), ``fallback`` (the LLM was asked but failed: the small model's
verdict stands and ``note`` says why), or ``novelty`` (no model yet: ``serve``'s warm-up judged
it by the never-seen-template rule alone, :mod:`logsieve.collab.novelty`). Every sequence gets
exactly one verdict.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from logsieve.records import LineRef, Sequence, Span
from logsieve.store import Store

Source = Literal["small", "cache", "llm", "fallback", "novelty"]


@dataclass
class SequenceVerdict:
    key: str
    status: str
    source: Source
    score: float | None = None
    confidence: float | None = None
    explanation: str = ""
    refs: list[LineRef] = field(default_factory=list)
    note: str = ""
    prompt_id: str = ""
    backend: str = ""
    detector: str = ""
    llm_seconds: float = 0.0
    tokens: int = 0
    template_ids: list[int] = field(default_factory=list)
    start: float | None = None
    end: float | None = None
    first: LineRef | None = None
    span: list[Span] = field(default_factory=list)
    """Every line of the judged sequence, as folded ranges per file (``refs`` holds only the
    lines the expert cited)."""
    llm_status: str = ""
    """What the LLM (or the knowledge table) answered, when it was asked; ``status`` is the
    final verdict after the trust rule (:mod:`logsieve.collab.trust`), which may differ."""

    @property
    def abnormal(self) -> bool:
        return self.status == "abnormal"

    @property
    def identity(self) -> str:
        """Sequence key + its first line: stable across a replay of the same input."""
        where = f"{self.first.source}:{self.first.line_no}" if self.first else ""
        return f"{self.key}@{where}"

    def as_dict(self) -> dict:
        return {"key": self.key, "status": self.status, "source": self.source,
                "score": self.score, "confidence": self.confidence, "explanation": self.explanation,
                "lines": [{"source": r.source, "line": r.line_no} for r in self.refs], "note": self.note,
                "prompt": self.prompt_id, "backend": self.backend, "detector": self.detector,
                "start": self.start, "end": self.end, "n_lines": len(self.template_ids),
                "span": [s.as_dict() for s in self.span], "llm_status": self.llm_status or None}


PSEUDO_SOURCES = ("llm", "cache")


def pseudo_label(v: SequenceVerdict) -> int | None:
    """The training label an answered verdict gives adaptation: the LLM's own answer (1
    abnormal), or None when the LLM was not asked. Not the final status: where the trust rule
    lets the small model's verdict stand, that status is the small model's own, and learning
    from it would teach the model nothing (after an upgrade, it would keep its false alarms)."""
    if v.source not in PSEUDO_SOURCES:
        return None
    answered = getattr(v, "llm_status", "")
    return int(answered == "abnormal") if answered else int(v.abnormal)


def base_verdict(seq: Sequence, status: str, source: Source, **kw) -> SequenceVerdict:
    return SequenceVerdict(seq.key, status, source, template_ids=list(seq.template_ids), start=seq.start,
                           end=seq.end, first=seq.first_ref, span=seq.span(), **kw)


def int_list_json(values: list[int]) -> str:
    """``json.dumps`` of a list of ints, the same text, without the encoder's per-call set-up
    (it ran three times per verdict on every stored verdict)."""
    return "[" + ", ".join(map(str, values)) + "]"


def span_json(span: list[Span], names: dict[str, str]) -> str:
    """``json.dumps([list(s) for s in span])``, the same text; ``names`` caches each file
    name's JSON string across the verdicts of one write."""
    parts = []
    for file, first, last in span:
        name = names.get(file)
        if name is None:
            name = names[file] = json.dumps(file)
        parts.append(f"[{name}, {first}, {last}]")
    return "[" + ", ".join(parts) + "]"


class VerdictWriter:
    """Writes verdicts to the store (idempotent by identity) and optionally to a JSONL file;
    LLM answers also become pseudo-labels for adaptation."""

    def __init__(self, store: Store | None = None, jsonl: Path | None = None) -> None:
        self.store = store
        self._fh: IO[str] | None = jsonl.open("a", encoding="utf-8") if jsonl else None

    def write(self, verdicts: list[SequenceVerdict]) -> None:
        if self._fh is not None:
            for v in verdicts:
                self._fh.write(json.dumps(v.as_dict()) + "\n")
            self._fh.flush()
        if self.store is None or not verdicts:
            return
        with self.store.transaction() as conn:
            self.insert(conn, verdicts, time.time())

    @staticmethod
    def insert(conn: sqlite3.Connection, verdicts: list[SequenceVerdict], now: float) -> None:
        """The rows of :meth:`write` on an open transaction, so a caller (``logsieve serve``)
        can commit verdicts together with the state they cover."""
        if verdicts:
            names: dict[str, str] = {}
            conn.executemany(
                "INSERT OR IGNORE INTO verdicts (identity, seq_key, status, source, score, confidence, explanation, "
                "refs, template_ids, detector, prompt_id, backend, start_time, end_time, created_at, span) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(v.identity, v.key, v.status, v.source, v.score, v.confidence, v.explanation or v.note,
                  json.dumps([[r.source, r.line_no] for r in v.refs]) if v.refs else "[]",
                  int_list_json(v.template_ids), v.detector,
                  v.prompt_id, v.backend, v.start, v.end, now, span_json(v.span, names))
                 for v in verdicts])
            conn.executemany(
                "INSERT INTO pseudo_labels (seq_key, template_ids, label, source, created_at) VALUES (?, ?, ?, ?, ?)",
                [(v.key, int_list_json(v.template_ids), label, v.source, now)
                 for v in verdicts if (label := pseudo_label(v)) is not None])

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
