"""Where explanations are kept: one per pattern, and each anomalous verdict's link to it.

Tables from the store's "explanations" migration. A verdict's link holds its own lines (item
number, file, line number, text, cited or not), so printing an explanation needs neither the
log files nor the parser state; the pattern's row holds the answer, shared by every verdict
of that pattern.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Literal

from logsieve.explain.schema import RootCause
from logsieve.store import Store

LinkStatus = Literal["explained", "failed", "skipped"]


@dataclass(frozen=True)
class PatternExplanation:
    pattern: str
    answer: RootCause
    items: list[str]
    prompt_id: str
    backend: str
    seconds: float = 0.0
    created_at: float = 0.0


@dataclass(frozen=True)
class ShownLine:
    """One line of an explained verdict: which item it belongs to, where it is, what it says."""

    item: int
    source: str
    line_no: int
    text: str
    cited: bool = False

    def as_list(self) -> list:
        return [self.item, self.source, self.line_no, self.text, int(self.cited)]


@dataclass(frozen=True)
class VerdictLink:
    verdict_id: int
    pattern: str
    status: LinkStatus
    reason: str = ""
    lines: list[ShownLine] = field(default_factory=list)
    created_at: float = 0.0


class ExplanationStore:
    """Read and write the two tables (each call in its own transaction on this thread's connection)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, pattern: str) -> PatternExplanation | None:
        row = self.store.connection.execute(
            "SELECT pattern, cause, evidence, next_step, items, prompt_id, backend, seconds, created_at "
            "FROM explanations WHERE pattern = ?", (pattern,)).fetchone()
        if row is None:
            return None
        answer = RootCause(cause=row[1], evidence=json.loads(row[2]), next_step=row[3])
        return PatternExplanation(row[0], answer, json.loads(row[4]), row[5], row[6], row[7], row[8])

    def put(self, explanation: PatternExplanation) -> None:
        e = explanation
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO explanations (pattern, cause, evidence, next_step, items, prompt_id, backend, seconds, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(pattern) DO UPDATE SET "
                "cause = excluded.cause, evidence = excluded.evidence, next_step = excluded.next_step, "
                "items = excluded.items, prompt_id = excluded.prompt_id, backend = excluded.backend, "
                "seconds = excluded.seconds, created_at = excluded.created_at",
                (e.pattern, e.answer.cause, json.dumps(e.answer.evidence), e.answer.next_step, json.dumps(e.items),
                 e.prompt_id, e.backend, e.seconds, time.time()))

    def link(self, links: list[VerdictLink]) -> None:
        """Record each verdict's explanation state; a later link replaces an earlier one (a
        ``--generate`` after a failure), but a failure never replaces an explanation."""
        if not links:
            return
        now = time.time()
        with self.store.transaction() as conn:
            for link in links:
                if link.status != "explained":
                    had = conn.execute("SELECT status FROM verdict_explanations WHERE verdict_id = ?",
                                       (link.verdict_id,)).fetchone()
                    if had is not None and had[0] == "explained":
                        continue
                conn.execute(
                    "INSERT OR REPLACE INTO verdict_explanations (verdict_id, pattern, status, reason, lines, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (link.verdict_id, link.pattern, link.status, link.reason,
                     json.dumps([ln.as_list() for ln in link.lines]), now))

    def link_of(self, verdict_id: int) -> VerdictLink | None:
        row = self.store.connection.execute(
            "SELECT verdict_id, pattern, status, reason, lines, created_at FROM verdict_explanations "
            "WHERE verdict_id = ?", (verdict_id,)).fetchone()
        if row is None:
            return None
        lines = [ShownLine(int(i), str(s), int(n), str(t), bool(c)) for i, s, n, t, c in json.loads(row[4])]
        return VerdictLink(row[0], row[1], row[2], row[3], lines, row[5])

    def shared(self, pattern: str) -> int:
        """How many verdicts are linked to ``pattern``'s explanation."""
        return self.store.connection.execute(
            "SELECT COUNT(*) FROM verdict_explanations WHERE pattern = ? AND status = 'explained'",
            (pattern,)).fetchone()[0]

    def verdict_ids(self, identities: list[str]) -> dict[str, int]:
        """The store ids of verdicts by their identity (written by ``VerdictWriter``)."""
        out: dict[str, int] = {}
        conn = self.store.connection
        for i in range(0, len(identities), 500):
            part = identities[i : i + 500]
            marks = ",".join("?" * len(part))
            out.update(conn.execute(f"SELECT identity, id FROM verdicts WHERE identity IN ({marks})", part).fetchall())
        return out
