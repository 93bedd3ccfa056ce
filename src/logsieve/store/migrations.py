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
    Migration(
        name="knowledge, verdicts and pseudo-labels",
        statements=(
            # Earlier LLM verdicts by sequence content (CoLA's knowledge table): a hit skips the
            # LLM. Bounded by the caller, least recently used evicted first.
            """
            CREATE TABLE knowledge (
                key          TEXT    PRIMARY KEY,
                status       TEXT    NOT NULL,
                explanation  TEXT    NOT NULL,
                lines        TEXT    NOT NULL,
                prompt_id    TEXT    NOT NULL,
                backend      TEXT    NOT NULL,
                created_at   REAL    NOT NULL,
                last_used_at REAL    NOT NULL,
                hits         INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID
            """,
            "CREATE INDEX knowledge_lru ON knowledge (last_used_at)",
            # One row per judged sequence; `identity` (sequence key + first line) makes writes
            # idempotent, so a replay after a crash does not duplicate verdicts.
            """
            CREATE TABLE verdicts (
                id          INTEGER PRIMARY KEY,
                identity    TEXT    NOT NULL UNIQUE,
                seq_key     TEXT    NOT NULL,
                status      TEXT    NOT NULL,
                source      TEXT    NOT NULL,
                score       REAL,
                confidence  REAL,
                explanation TEXT    NOT NULL DEFAULT '',
                refs        TEXT    NOT NULL,
                template_ids TEXT   NOT NULL,
                detector    TEXT    NOT NULL DEFAULT '',
                prompt_id   TEXT    NOT NULL DEFAULT '',
                backend     TEXT    NOT NULL DEFAULT '',
                start_time  REAL,
                end_time    REAL,
                created_at  REAL    NOT NULL
            )
            """,
            "CREATE INDEX verdicts_status_time ON verdicts (status, start_time)",
            # LLM answers kept as training labels for adaptation (issue: learning while running).
            """
            CREATE TABLE pseudo_labels (
                id           INTEGER PRIMARY KEY,
                seq_key      TEXT    NOT NULL,
                template_ids TEXT    NOT NULL,
                label        INTEGER NOT NULL,
                source       TEXT    NOT NULL,
                created_at   REAL    NOT NULL
            )
            """,
        ),
    ),
    Migration(
        name="model registry",
        statements=(
            # Every model the service has run or trained: where its files are, how it scored on
            # the held-back validation slice, and whether it is live, kept aside (trained but
            # not better) or retired. Exactly one row per detector name is live; a rollback
            # moves that mark, the files stay.
            """
            CREATE TABLE models (
                version        INTEGER PRIMARY KEY,
                name           TEXT    NOT NULL,
                path           TEXT    NOT NULL,
                status         TEXT    NOT NULL CHECK (status IN ('live', 'aside', 'retired')),
                validation     REAL,
                trained_on     INTEGER NOT NULL DEFAULT 0,
                note           TEXT    NOT NULL DEFAULT '',
                created_at     REAL    NOT NULL
            )
            """,
            "CREATE INDEX models_by_name ON models (name, status)",
        ),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
