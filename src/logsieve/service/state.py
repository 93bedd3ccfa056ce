"""What ``logsieve serve`` keeps in SQLite so that a SIGKILL costs nothing (migration 4).

The commit order is the whole design:

1. **Ingest** (``/ingest``, a followed file, stdin): accepted lines are appended to
   ``service_log`` *and* the source's position (next line number, file offset) moves in the same
   transaction, before the client hears 202 or the follower reads on. A line is either in the
   log with its offset counted, or neither: nothing accepted is lost, a file is never read twice.
2. **Verdicts**: a judged batch is committed in one transaction (verdict rows, every line of each
   sequence with its text, pattern/model meta, pseudo-labels, quarantined lines).
3. **Checkpoint**: every ``checkpoint_s`` the detection thread judges what is pending and, in
   that same transaction, writes the log id it has consumed (the *cursor*) with the whole
   detection state at that point (Drain parser, open sequences, template first-seen times) and
   prunes the log up to the cursor.

After a crash, detection restarts from the checkpoint's state and replays the log after its
cursor. Parsing and grouping are functions of the input order alone (no clocks, no hashing:
see :mod:`logsieve.sessions`), so the replay closes the very same sequences; a sequence whose
verdict identity (key + first line) is already stored was judged before the crash and is
skipped, not re-judged, so no verdict is duplicated and no LLM call is paid twice.

The state is a pickle written and read only by this module, from the service's own store.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from logsieve.collab.verdicts import SequenceVerdict, VerdictWriter
from logsieve.records import QuarantineRecord, Sequence
from logsieve.service.ingest_body import IngestBatch
from logsieve.store import Store

try:  # one definition of a pattern for the alerts, the dashboard and this table
    from logsieve.alerts.pattern import pattern_key
except ImportError:  # pragma: no cover - the alerts package is optional at import time
    def pattern_key(template_ids: Iterable[int]) -> str:
        seen: dict[int, None] = dict.fromkeys(int(t) for t in template_ids)
        return hashlib.sha256(",".join(map(str, seen)).encode("ascii")).hexdigest()[:12]

RAW_LINE_FIELD = "_line"
"""Key under which the runner keeps a line's full text in ``LogRecord.fields`` when the
format's header was split off, so /verdicts/{id} can show the line as it was written."""

LogRow = tuple[int, str, int, str]
"""(log id, source, line number, text)."""


@dataclass(frozen=True)
class Appended:
    accepted: int
    quarantined: int
    offset: int
    """Lines (accepted or quarantined) the request's source has sent so far, this body included:
    a client that lost its connection resumes after this many lines."""


@dataclass(frozen=True)
class SourcePosition:
    next_line: int
    offset: int
    file_id: str


@dataclass(frozen=True)
class Checkpoint:
    cursor: int
    model: str
    state: Any


@dataclass
class JudgedBatch:
    """One commit of the detection thread: verdicts with their sequences, quarantined lines,
    and (when ``checkpoint`` is set) the state that covers everything up to ``cursor``."""

    verdicts: list[SequenceVerdict]
    sequences: list[Sequence]
    quarantined: list[QuarantineRecord]
    model_version: int | None = None
    checkpoint: Checkpoint | None = None
    templates: dict[int, list] | None = None
    """Changed templates: id -> [text, count, first_seen]."""


class ServiceState:
    """The service's durable state; thread-safe (each thread uses its own connection)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._append_lock = threading.Lock()  # appenders queue here, not in SQLite's busy loop

    # ------------------------------------------------------------------ ingest side
    def append_body(self, source: str, batch: IngestBatch, kind: str = "http") -> Appended:
        """Commit one /ingest body; lines and rejects are numbered per source in body order."""
        items: list[tuple[int, str | None, str | QuarantineRecord]] = [
            (pos, src, text) for pos, src, text in zip(batch.positions, batch.sources, batch.lines)]
        items += [(q.line_no, None, q) for q in batch.quarantined]
        items.sort(key=lambda item: item[0])
        now = time.time()
        with self._append_lock, self.store.transaction() as conn:
            next_line: dict[str, int] = {}
            rows, qrows = [], []
            for _, src, payload in items:
                name = src or source
                if name not in next_line:
                    next_line[name] = self._position(conn, name).next_line
                n = next_line[name]
                next_line[name] = n + 1
                if isinstance(payload, str):
                    rows.append((name, n, payload, now))
                else:
                    qrows.append(_quarantine_row(payload, name, n, now))
            self._insert(conn, rows, qrows)
            for name, n in next_line.items():
                self._save_position(conn, name, kind, SourcePosition(n, 0, ""), now)
            offset = next_line.get(source, self._position(conn, source).next_line) - 1
        return Appended(len(rows), len(qrows), offset)

    def append_numbered(self, source: str, kind: str, lines: list[tuple[int, str]],
                        quarantined: list[QuarantineRecord], position: SourcePosition) -> None:
        """Commit lines a reader numbered itself (a followed file) with the position after them."""
        now = time.time()
        with self._append_lock, self.store.transaction() as conn:
            self._insert(conn, [(source, n, text, now) for n, text in lines],
                         [_quarantine_row(q, source, q.line_no, now) for q in quarantined])
            self._save_position(conn, source, kind, position, now)

    def position(self, source: str) -> SourcePosition:
        return self._position(self.store.connection, source)

    def sources(self) -> list[dict[str, Any]]:
        rows = self.store.connection.execute(
            "SELECT source, kind, next_line - 1, offset, updated_at FROM service_sources ORDER BY source").fetchall()
        return [{"source": s, "kind": k, "lines": n, "offset": o, "updated_at": t} for s, k, n, o, t in rows]

    @staticmethod
    def _position(conn: sqlite3.Connection, source: str) -> SourcePosition:
        row = conn.execute("SELECT next_line, offset, file_id FROM service_sources WHERE source = ?",
                           (source,)).fetchone()
        return SourcePosition(*row) if row else SourcePosition(1, 0, "")

    @staticmethod
    def _save_position(conn: sqlite3.Connection, source: str, kind: str, pos: SourcePosition, now: float) -> None:
        conn.execute(
            "INSERT INTO service_sources (source, kind, next_line, offset, file_id, updated_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (source) DO UPDATE SET next_line = excluded.next_line, offset = excluded.offset, "
            "file_id = excluded.file_id, updated_at = excluded.updated_at",
            (source, kind, pos.next_line, pos.offset, pos.file_id, now))

    @staticmethod
    def _insert(conn: sqlite3.Connection, rows: list[tuple], qrows: list[tuple]) -> None:
        if rows:
            conn.executemany("INSERT INTO service_log (source, line_no, text, received_at) VALUES (?,?,?,?)", rows)
        if qrows:
            conn.executemany("INSERT OR IGNORE INTO service_quarantine (source, line_no, reason, detail, raw, "
                             "created_at) VALUES (?,?,?,?,?,?)", qrows)

    # ------------------------------------------------------------------ detection side
    def read_log(self, after: int, limit: int) -> list[LogRow]:
        return self.store.connection.execute(
            "SELECT id, source, line_no, text FROM service_log WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit)).fetchall()

    def last_log_id(self) -> int:
        """The newest id handed out (AUTOINCREMENT's counter: the log may be pruned empty)."""
        row = self.store.connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'service_log'").fetchone()
        return row[0] if row else 0

    def load_checkpoint(self) -> Checkpoint | None:
        row = self.store.connection.execute(
            "SELECT cursor, model, state FROM service_checkpoint WHERE id = 1").fetchone()
        if row is None:
            return None
        return Checkpoint(row[0], row[1], pickle.loads(row[2]))

    def judged(self, identities: list[str]) -> set[str]:
        """Which of these verdict identities are stored already (judged before a crash)."""
        found: set[str] = set()
        conn = self.store.connection
        for i in range(0, len(identities), 500):
            part = identities[i:i + 500]
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in conn.execute(f"SELECT identity FROM verdicts WHERE identity IN ({marks})", part))
        return found

    def commit(self, batch: JudgedBatch) -> dict[str, int]:
        """Write one batch (and its checkpoint) atomically; returns identity -> verdict id."""
        now = time.time()
        cp = batch.checkpoint
        blob = pickle.dumps(cp.state, protocol=pickle.HIGHEST_PROTOCOL) if cp is not None else b""
        with self.store.transaction() as conn:  # pickled before: the write lock is held briefly
            ids = self._write_verdicts(conn, batch, now)
            if batch.quarantined:
                self._insert(conn, [], [_quarantine_row(q, q.source, q.line_no, now) for q in batch.quarantined])
            if batch.templates:
                conn.executemany(
                    "INSERT INTO service_templates (id, template, count, first_seen) VALUES (?,?,?,?) "
                    "ON CONFLICT (id) DO UPDATE SET template = excluded.template, count = excluded.count",
                    [(tid, text, count, first) for tid, (text, count, first) in batch.templates.items()])
            if cp is not None:
                conn.execute(
                    "INSERT INTO service_checkpoint (id, cursor, model, state, created_at) VALUES (1,?,?,?,?) "
                    "ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor, model = excluded.model, "
                    "state = excluded.state, created_at = excluded.created_at",
                    (cp.cursor, cp.model, blob, now))
                conn.execute("DELETE FROM service_log WHERE id <= ?", (cp.cursor,))
        return ids

    def prune_verdict_lines(self, older_than_s: float) -> int:
        """Drop the stored lines of verdicts older than this (the verdict rows stay)."""
        with self.store.transaction() as conn:
            cur = conn.execute("DELETE FROM service_verdict_lines WHERE verdict_id IN "
                               "(SELECT id FROM verdicts WHERE created_at < ?)", (time.time() - older_than_s,))
        return cur.rowcount

    @staticmethod
    def _write_verdicts(conn: sqlite3.Connection, batch: JudgedBatch, now: float) -> dict[str, int]:
        if not batch.verdicts:
            return {}
        VerdictWriter.insert(conn, batch.verdicts, now)
        identities = [v.identity for v in batch.verdicts]
        marks = ",".join("?" * len(identities))
        ids = dict(conn.execute(f"SELECT identity, id FROM verdicts WHERE identity IN ({marks})", identities).fetchall())
        meta, lines = [], []
        for v, seq in zip(batch.verdicts, batch.sequences):
            vid = ids[v.identity]
            meta.append((vid, pattern_key(v.template_ids), batch.model_version, v.note))
            lines.extend((vid, pos, ln.record.source, ln.record.line_no,
                          ln.record.fields.get(RAW_LINE_FIELD, ln.record.content), ln.template_id)
                         for pos, ln in enumerate(seq.lines))
        conn.executemany("INSERT OR IGNORE INTO service_verdict_meta (verdict_id, pattern, model_version, note) "
                         "VALUES (?,?,?,?)", meta)
        conn.executemany("INSERT OR IGNORE INTO service_verdict_lines (verdict_id, pos, source, line_no, text, "
                         "template_id) VALUES (?,?,?,?,?,?)", lines)
        return ids


def _quarantine_row(q: QuarantineRecord, source: str, line_no: int, now: float) -> tuple:
    return (source, line_no, q.reason.value, q.detail, bytes(q.raw), now)


def sequence_identity(seq: Sequence) -> str:
    """The identity its verdict will have (:attr:`SequenceVerdict.identity`), without judging it."""
    refs = seq.refs
    return SequenceVerdict(seq.key, "", "small", first=refs[0] if refs else None).identity


def state_fingerprint(**parts: Any) -> str:
    """Names what a checkpoint's state belongs to (model, format, grouping): a restart with
    another model must not resume a parser whose template ids mean something else."""
    return json.dumps(parts, sort_keys=True, default=str)
