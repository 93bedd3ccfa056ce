"""The read side of the API: SQL over the store, shaped as ``service_api.md`` says.

Kept apart from the routes so each query can be read (and tested) on its own; every function
takes a ``sqlite3.Connection`` (the calling thread's) and returns plain JSON-able data.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from logsieve.records import LineRef, Span, fold_span

_ITEM_SQL = """
SELECT v.id, v.seq_key, v.status, v.source, v.score, v.confidence, v.explanation, v.start_time, v.end_time,
       v.created_at, v.template_ids, v.detector, m.model_version, m.pattern, v.refs, v.prompt_id, v.backend, m.note,
       v.span
FROM verdicts v LEFT JOIN service_verdict_meta m ON m.verdict_id = v.id
"""
_NO_VERDICT_MARK = "LLM gave no verdict"
"""How a failed LLM call is marked in a fallback verdict's note (logsieve.collab.pipeline)."""


def _item(row: tuple) -> dict[str, Any]:
    tids = json.loads(row[10])
    return {"id": row[0], "key": row[1], "status": row[2], "source": row[3], "score": row[4],
            "confidence": row[5], "explanation": row[6], "start": row[7], "end": row[8], "created_at": row[9],
            "n_lines": len(tids), "detector": row[11], "model_version": row[12], "pattern": row[13] or "",
            "span": None if row[18] is None else [Span(*s).as_dict() for s in json.loads(row[18])]}


def anomalies(conn: sqlite3.Connection, *, since: float | None, until: float | None, status: str,
              source: str | None, q: str | None, limit: int, offset: int) -> dict[str, Any]:
    where, args = [], []
    if status != "all":
        where.append("v.status = ?")
        args.append(status)
    if source:
        where.append("v.source = ?")
        args.append(source)
    if since is not None:
        where.append("v.created_at >= ?")
        args.append(since)
    if until is not None:
        where.append("v.created_at < ?")
        args.append(until)
    if q:
        where.append("(instr(lower(v.explanation), lower(?)) > 0 OR instr(lower(v.seq_key), lower(?)) > 0)")
        args += [q, q]
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute("SELECT COUNT(*) FROM verdicts v" + clause, args).fetchone()[0]
    rows = conn.execute(_ITEM_SQL + clause + " ORDER BY v.id DESC LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
    return {"total": total, "items": [_item(r) for r in rows]}


def verdict(conn: sqlite3.Connection, verdict_id: int) -> dict[str, Any] | None:
    row = conn.execute(_ITEM_SQL + " WHERE v.id = ?", (verdict_id,)).fetchone()
    if row is None:
        return None
    out = _item(row)
    cited = {(s, n) for s, n in json.loads(row[14])}
    lines = conn.execute("SELECT source, line_no, text, template_id FROM service_verdict_lines WHERE verdict_id = ? "
                         "ORDER BY pos", (verdict_id,)).fetchall()
    out |= {"lines": [{"source": s, "line": n, "text": t, "template_id": tid, "cited": (s, n) in cited}
                      for s, n, t, tid in lines],
            "template_ids": json.loads(row[10]), "prompt": row[15], "backend": row[16], "note": row[17] or ""}
    if out["span"] is None and lines:  # a verdict from before spans were stored: fold its kept lines
        out["span"] = [span.as_dict() for span in fold_span(LineRef(src, n) for src, n, _, _ in lines)]
    return out


def templates(conn: sqlite3.Connection, *, limit: int, offset: int) -> dict[str, Any]:
    total = conn.execute("SELECT COUNT(*) FROM service_templates").fetchone()[0]
    rows = conn.execute("SELECT id, template, count, first_seen FROM service_templates ORDER BY id LIMIT ? OFFSET ?",
                        (limit, offset)).fetchall()
    return {"total": total, "items": [{"id": i, "template": t, "count": c, "first_seen": f} for i, t, c, f in rows]}


def timeline(conn: sqlite3.Connection, *, bucket_s: int, since: float) -> dict[str, Any]:
    buckets: dict[float, dict[str, Any]] = {}

    def bucket(t: float) -> dict[str, Any]:
        return buckets.setdefault(t, {"t": t, "sequences": 0, "anomalies": 0, "llm_calls": 0, "cache_hits": 0,
                                      "new_templates": 0})

    rows = conn.execute(
        "SELECT CAST(v.created_at / ? AS INTEGER) * ?, COUNT(*), SUM(v.status = 'abnormal'), "
        "SUM(v.source = 'llm' OR (v.source = 'fallback' AND instr(m.note, ?) = 1)), SUM(v.source = 'cache') "
        "FROM verdicts v LEFT JOIN service_verdict_meta m ON m.verdict_id = v.id WHERE v.created_at >= ? "
        "GROUP BY 1", (bucket_s, bucket_s, _NO_VERDICT_MARK, since)).fetchall()
    for t, n, bad, calls, hits in rows:
        b = bucket(float(t))
        b.update(sequences=n, anomalies=bad or 0, llm_calls=calls or 0, cache_hits=hits or 0)
    for t, n in conn.execute("SELECT CAST(first_seen / ? AS INTEGER) * ?, COUNT(*) FROM service_templates "
                             "WHERE first_seen >= ? GROUP BY 1", (bucket_s, bucket_s, since)):
        bucket(float(t))["new_templates"] = n
    return {"bucket_s": bucket_s, "buckets": [buckets[t] for t in sorted(buckets)]}


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    lines = conn.execute("SELECT COALESCE(SUM(next_line - 1), 0) FROM service_sources").fetchone()[0]
    seqs, bad = conn.execute("SELECT COUNT(*), COALESCE(SUM(status = 'abnormal'), 0) FROM verdicts").fetchone()
    return {"lines_in": lines, "sequences": seqs, "anomalies": bad}


def default_since(bucket_s: int, buckets: int = 1440) -> float:
    return time.time() - bucket_s * buckets
