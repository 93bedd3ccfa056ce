"""The embedded store: one SQLite file holding what logsieve must remember across restarts.

* :mod:`db`: :class:`Store` (WAL mode, one connection per thread, schema migrations).
* :mod:`migrations`: the ordered list of schema changes; a later issue adds a table by appending.
* :mod:`embedding_cache`: sentence embeddings keyed by (model, text hash).

Only the stdlib is needed to open a store; the array tables import numpy when they are used.
"""

from logsieve.store.db import SchemaVersionError, Store, StoreError
from logsieve.store.migrations import MIGRATIONS, SCHEMA_VERSION, Migration

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "SchemaVersionError", "Store", "StoreError"]
