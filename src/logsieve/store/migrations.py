"""Schema migrations of the store, in order.

Migration *k* (1-based) takes a store from schema version k-1 to k. A store records each applied
version in ``schema_version``, so opening a file written by a newer logsieve is refused instead of
being half-understood. Never edit a released migration: append a new one (tables for templates,
sequences, verdicts, labels, alerts and models come this way in later issues).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: a name for the log and the statements to run, in one transaction.

    Statements are kept apart (not one script) because ``sqlite3.executescript`` commits any open
    transaction first, which would let a crash leave a half-migrated file.
    """

    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        name="embedding cache",
        statements=(
            # Keyed by the text's hash, not a template id: ids belong to one parser state, while
            # an embedding is a function of (model, text) alone, so any parser state, process or
            # restart can reuse it. The text is kept to re-embed everything for a new model.
            """
            CREATE TABLE embedding_cache (
                model       TEXT    NOT NULL,
                text_sha256 TEXT    NOT NULL,
                text        TEXT    NOT NULL,
                dim         INTEGER NOT NULL,
                vector      BLOB    NOT NULL,
                created_at  REAL    NOT NULL,
                PRIMARY KEY (model, text_sha256)
            ) WITHOUT ROWID
            """,
        ),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
