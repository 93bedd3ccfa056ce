"""Versioned models in the store: which one is live, which were kept aside, and rollback.

Retraining registers each candidate with its validation score; the one swapped in becomes
``live`` and the one it replaced ``retired``; a candidate that was not better stays ``aside``
(kept, and listed, so an operator can see what the adaptation tried). ``rollback`` makes an
earlier version live again. The model files live in directories; the table says which is which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from logsieve.store import Store


class RegistryError(ValueError):
    """A rollback to a version that does not exist or whose files are gone."""


@dataclass(frozen=True)
class ModelEntry:
    version: int
    name: str
    path: str
    status: str
    validation: float | None
    trained_on: int
    note: str
    created_at: float

    def as_dict(self) -> dict:
        return dict(vars(self))


class ModelRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store

    def register(self, name: str, path: Path | str, *, live: bool, validation: float | None = None,
                 trained_on: int = 0, note: str = "") -> ModelEntry:
        """Add a model; ``live=True`` retires the one that was live for ``name``, in one transaction."""
        with self.store.transaction() as conn:
            if live:
                conn.execute("UPDATE models SET status = 'retired' WHERE name = ? AND status = 'live'", (name,))
            cur = conn.execute(
                "INSERT INTO models (name, path, status, validation, trained_on, note, created_at) VALUES (?,?,?,?,?,?,?)",
                (name, str(path), "live" if live else "aside", validation, trained_on, note, time.time()))
            version = cur.lastrowid
        return self.get(version)

    def next_version(self) -> int:
        """The version the next :meth:`register` will get (versions are the table's row ids and
        no row is ever deleted), so a model's directory can be named after it before it is
        registered: a registered path always exists."""
        row = self.store.connection.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM models").fetchone()
        return int(row[0])

    def get(self, version: int) -> ModelEntry:
        row = self.store.connection.execute(
            "SELECT version, name, path, status, validation, trained_on, note, created_at FROM models WHERE version = ?",
            (version,)).fetchone()
        if row is None:
            raise RegistryError(f"no model version {version}; `logsieve models` lists them")
        return ModelEntry(*row)

    def list(self, name: str | None = None) -> list[ModelEntry]:
        sql = "SELECT version, name, path, status, validation, trained_on, note, created_at FROM models"
        rows = self.store.connection.execute(sql + (" WHERE name = ?" if name else "") + " ORDER BY version",
                                             (name,) if name else ()).fetchall()
        return [ModelEntry(*r) for r in rows]

    def live(self, name: str) -> ModelEntry | None:
        live = [m for m in self.list(name) if m.status == "live"]
        return live[-1] if live else None

    def rollback(self, version: int) -> ModelEntry:
        """Make ``version`` live again (its files must still exist); the live one is retired."""
        entry = self.get(version)
        if not Path(entry.path).exists():
            raise RegistryError(f"model version {version}'s files are gone ({entry.path}); cannot roll back to it")
        with self.store.transaction() as conn:
            conn.execute("UPDATE models SET status = 'retired' WHERE name = ? AND status = 'live'", (entry.name,))
            conn.execute("UPDATE models SET status = 'live', note = ? WHERE version = ?",
                         ((entry.note + "; " if entry.note else "") + f"rolled back to at {time.strftime('%Y-%m-%d %H:%M:%S')}",
                          version))
        return self.get(version)
