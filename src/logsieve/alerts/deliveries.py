"""The delivery log: one ``alert_deliveries`` row per try, drop or rate-limit decision.

Written from the sink threads (the store gives each thread its own connection). A failure to
write the log is swallowed after being logged: alerting must not die because the disk is full,
and the next write may well succeed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass

from logsieve.alerts.payloads import Alert
from logsieve.store import Store, StoreError

log = logging.getLogger("logsieve.alerts")


@dataclass(frozen=True)
class Delivery:
    """One row of the log, as read back."""

    sink: str
    kind: str
    pattern: str
    dedup_key: str
    alert_count: int
    attempt: int
    outcome: str
    status_code: int | None
    error: str
    seq_key: str
    created_at: float


class DeliveryLog:
    def __init__(self, store: Store | None) -> None:
        self.store = store

    def record(self, sink: str, kind: str, alert: Alert, attempt: int, outcome: str,
               status_code: int | None = None, error: str = "") -> None:
        if self.store is None:
            return
        try:
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT INTO alert_deliveries (sink, kind, pattern, dedup_key, alert_count, attempt, outcome, "
                    "status_code, error, seq_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sink, kind, alert.pattern, alert.dedup_key, alert.count, attempt, outcome, status_code,
                     error[:500], alert.key, time.time()))
        except (sqlite3.Error, StoreError) as exc:
            log.error("alert delivery log: could not record %s/%s attempt %d (%s): %s",
                      sink, alert.pattern, attempt, outcome, exc)


def read_deliveries(store: Store, sink: str | None = None, pattern: str | None = None) -> list[Delivery]:
    """Rows oldest first, optionally for one sink or pattern (for the API, the CLI and tests)."""
    sql = ("SELECT sink, kind, pattern, dedup_key, alert_count, attempt, outcome, status_code, error, seq_key, "
           "created_at FROM alert_deliveries")
    where, args = [], []
    if sink is not None:
        where.append("sink = ?")
        args.append(sink)
    if pattern is not None:
        where.append("pattern = ?")
        args.append(pattern)
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = store.connection.execute(sql + " ORDER BY id", args).fetchall()
    return [Delivery(*r) for r in rows]
