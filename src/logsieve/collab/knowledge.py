"""CoLA's knowledge table: earlier LLM verdicts, keyed by what a sequence contains.

A sequence the LLM has judged before, or one with the same content, is answered from here
without asking again. The key is a sha256 of the sequence's template ids after a normalisation:

* ``exact``: the ordered ids as they are;
* ``runs`` (default): consecutive repeats folded, so ``A A A B`` and ``A B`` share an answer
  (a retry loop that logged three times is the same event as one that logged once);
* ``set``: the distinct ids, sorted (order ignored: coarse, most reuse).

Template ids are those of one parser state, so a table belongs with the parser state it was
built with (both live in the same store). The table is bounded: past ``max_entries`` the least
recently used entries go. It survives restarts because it is a table in the SQLite store.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from logsieve.llm.verdict import Verdict
from logsieve.records import Sequence
from logsieve.store import Store

Normalisation = Literal["exact", "runs", "set"]


class KnowledgeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    normalisation: Normalisation = "runs"
    max_entries: int = Field(default=100_000, ge=1)


@dataclass(frozen=True)
class KnownVerdict:
    verdict: Verdict
    prompt_id: str
    backend: str
    hits: int


def content_key(template_ids: list[int], normalisation: Normalisation = "runs") -> str:
    """The table key of a sequence's template ids under ``normalisation``."""
    if normalisation == "runs":
        ids = [t for i, t in enumerate(template_ids) if i == 0 or t != template_ids[i - 1]]
    elif normalisation == "set":
        ids = sorted(set(template_ids))
    else:
        ids = list(template_ids)
    return hashlib.sha256((normalisation + ":" + ",".join(map(str, ids))).encode()).hexdigest()


class KnowledgeTable:
    """Get and put verdicts by sequence content; counts its hits and misses."""

    def __init__(self, store: Store, config: KnowledgeConfig | None = None) -> None:
        self.store = store
        self.config = config or KnowledgeConfig()
        self.hits = 0
        self.misses = 0

    def key(self, seq: Sequence) -> str:
        return content_key(seq.template_ids, self.config.normalisation)

    def get(self, seq: Sequence) -> KnownVerdict | None:
        key = self.key(seq)
        with self.store.transaction() as conn:
            row = conn.execute("SELECT status, explanation, lines, prompt_id, backend, hits FROM knowledge "
                               "WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            conn.execute("UPDATE knowledge SET hits = hits + 1, last_used_at = ? WHERE key = ?", (time.time(), key))
        self.hits += 1
        verdict = Verdict(status=row[0], explanation=row[1], lines=json.loads(row[2]))
        return KnownVerdict(verdict, row[3], row[4], row[5] + 1)

    def put(self, seq: Sequence, verdict: Verdict, prompt_id: str, backend: str) -> None:
        now = time.time()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO knowledge (key, status, explanation, lines, prompt_id, backend, created_at, last_used_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET status = excluded.status, "
                "explanation = excluded.explanation, lines = excluded.lines, prompt_id = excluded.prompt_id, "
                "backend = excluded.backend, last_used_at = excluded.last_used_at",
                (self.key(seq), verdict.status, verdict.explanation, json.dumps(verdict.lines), prompt_id, backend,
                 now, now))
            self._evict(conn)

    def _evict(self, conn) -> None:
        extra = conn.execute("SELECT COUNT(*) FROM knowledge").fetchone()[0] - self.config.max_entries
        if extra > 0:
            conn.execute("DELETE FROM knowledge WHERE key IN (SELECT key FROM knowledge "
                         "ORDER BY last_used_at, created_at LIMIT ?)", (extra,))

    def __len__(self) -> int:
        return self.store.connection.execute("SELECT COUNT(*) FROM knowledge").fetchone()[0]
