"""The store's connection handling and schema versioning (stdlib ``sqlite3`` only).

Why this shape:

* **WAL mode**: readers (the dashboard) never block the writer (the stream) and the writer never
  blocks readers; ``synchronous=NORMAL`` is durable across process crashes, which is what a log
  pipeline needs, at a fraction of the cost of FULL.
* **One connection per thread**: a ``sqlite3.Connection`` must not be shared between threads
  that use it at the same time; each thread lazily gets its own, and :meth:`Store.close` closes
  them all. A thread's connection is closed when the thread ends: the service's request
  threads (anyio's pool) retire after 10 s idle and new ones take their place, and a store that
  kept every retired thread's connection (and its page cache) grew for as long as it ran.
* **Explicit transactions** (``isolation_level=None``): :meth:`Store.transaction` runs
  ``BEGIN IMMEDIATE`` so a writer takes the write lock up front instead of failing half-way.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from logsieve.store.migrations import MIGRATIONS, Migration

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at REAL NOT NULL
)
"""


class StoreError(RuntimeError):
    """The store file cannot be used (not a database, closed, locked too long)."""


class SchemaVersionError(StoreError):
    """The file's schema is newer than this logsieve knows: refuse rather than misread it."""


class _Held:
    """A thread's connection, held only by that thread's ``threading.local``.

    When the thread ends its locals are dropped, this object goes with them and its finaliser
    closes the connection. ``sqlite3.Connection`` itself cannot be weakly referenced, hence the
    holder.
    """

    __slots__ = ("conn", "close", "__weakref__")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.close = weakref.finalize(self, conn.close)


class Store:
    """A logsieve SQLite file. Opening it creates the file if needed and applies migrations.

    Use as a context manager (``with Store(path) as store: ...``) or call :meth:`close`.
    ``path`` must be a real file: WAL and per-thread connections need one shared file.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_s: float = 30.0,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        if str(path) == ":memory:":
            raise StoreError("Store needs a file path; ':memory:' cannot be shared between threads")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        self._migrations = tuple(migrations)
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        self._migrate()

    # ------------------------------------------------------------------ connections
    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
        held = getattr(self._local, "held", None)
        if held is None or not held.close.alive:
            held = _Held(self._connect())
            with self._lock:
                self._held.add(held)
            self._local.held = held
        return held.conn

    @property
    def open_connections(self) -> int:
        """How many threads hold an open connection now (diagnostics and tests)."""
        with self._lock:
            return sum(1 for held in self._held if held.close.alive)

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so close() may close every thread's connection; each
        # connection is still used by the one thread that created it.
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None,
            check_same_thread=False,
        )
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path} is not a logsieve store: {exc}") from exc
        if mode.lower() != "wal":
            conn.close()
            raise StoreError(f"{self.path}: could not switch to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` on this thread's connection; rolls back on error."""
        conn = self.connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; further use raises :class:`StoreError`."""
        with self._lock:
            held, self._held = list(self._held), weakref.WeakSet()
            self._closed = True
        for one in held:
            one.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ------------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        """The highest migration applied to this file (0 for an empty file)."""
        row = self.connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0

    def _migrate(self) -> None:
        """Apply the missing migrations in one write transaction.

        The version is read again inside the transaction, so two processes opening a new file
        at once apply each migration once.
        """
        self.connection.execute(_VERSION_TABLE)
        known = len(self._migrations)
        with self.transaction() as conn:
            current = self.schema_version
            if current > known:
                raise SchemaVersionError(
                    f"{self.path} has schema version {current}, but this logsieve knows versions "
                    f"up to {known}; upgrade logsieve, or point it at another store file"
                )
            for version in range(current + 1, known + 1):
                self._apply(conn, version, self._migrations[version - 1])

    @staticmethod
    def _apply(conn: sqlite3.Connection, version: int, migration: Migration) -> None:
        for statement in migration.statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            (version, migration.name, time.time()),
        )
