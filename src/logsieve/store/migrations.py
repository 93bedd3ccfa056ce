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
    Migration(
        name="service state",
        statements=(
            # `logsieve serve`'s durable ingest log: every accepted line is committed here before
            # the client hears 202 (or a followed file's offset moves); the detection thread reads
            # it in id order. Rows up to the last checkpoint are pruned: their text lives on in
            # service_verdict_lines or inside the checkpoint's open sequences. AUTOINCREMENT: ids
            # must never be reused after that pruning empties the table (the cursor is an id).
            """
            CREATE TABLE service_log (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                source      TEXT    NOT NULL,
                line_no     INTEGER NOT NULL,
                text        TEXT    NOT NULL,
                received_at REAL    NOT NULL
            )
            """,
            # Per source: the next line number to hand out and, for a followed file, the byte
            # offset and file identity (device:inode) the log holds lines up to.
            """
            CREATE TABLE service_sources (
                source    TEXT    PRIMARY KEY,
                kind      TEXT    NOT NULL,
                next_line INTEGER NOT NULL,
                offset    INTEGER NOT NULL DEFAULT 0,
                file_id   TEXT    NOT NULL DEFAULT '',
                updated_at REAL   NOT NULL
            ) WITHOUT ROWID
            """,
            # One row: the log id the detection state covers, and that state (parser, open
            # sequences, template first-seen times), written in the transaction of a flush.
            """
            CREATE TABLE service_checkpoint (
                id         INTEGER PRIMARY KEY CHECK (id = 1),
                cursor     INTEGER NOT NULL,
                model      TEXT    NOT NULL,
                state      BLOB    NOT NULL,
                created_at REAL    NOT NULL
            )
            """,
            # What /verdicts/{id} shows: every line of the judged sequence, with its text.
            """
            CREATE TABLE service_verdict_lines (
                verdict_id  INTEGER NOT NULL,
                pos         INTEGER NOT NULL,
                source      TEXT    NOT NULL,
                line_no     INTEGER NOT NULL,
                text        TEXT    NOT NULL,
                template_id INTEGER NOT NULL,
                PRIMARY KEY (verdict_id, pos)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE service_verdict_meta (
                verdict_id    INTEGER PRIMARY KEY,
                pattern       TEXT    NOT NULL,
                model_version INTEGER,
                note          TEXT    NOT NULL DEFAULT ''
            )
            """,
            "CREATE INDEX service_verdict_meta_pattern ON service_verdict_meta (pattern)",
            "CREATE INDEX verdicts_created ON verdicts (created_at)",
            """
            CREATE TABLE service_templates (
                id         INTEGER PRIMARY KEY,
                template   TEXT    NOT NULL,
                count      INTEGER NOT NULL,
                first_seen REAL    NOT NULL
            )
            """,
            """
            CREATE TABLE service_quarantine (
                id         INTEGER PRIMARY KEY,
                source     TEXT    NOT NULL,
                line_no    INTEGER NOT NULL,
                reason     TEXT    NOT NULL,
                detail     TEXT    NOT NULL,
                raw        BLOB    NOT NULL,
                created_at REAL    NOT NULL,
                UNIQUE (source, line_no)
            )
            """,
        ),
    ),
    Migration(
        name="alert deliveries",
        statements=(
            # Every try to deliver an alert (and every alert dropped or rate-limited before a
            # try), so "did the pager get it?" has an answer: which sink, which pattern, which
            # attempt, the HTTP status or the error, when. `outcome` is sent | retry | failed |
            # rate_limited | dropped.
            """
            CREATE TABLE alert_deliveries (
                id          INTEGER PRIMARY KEY,
                sink        TEXT    NOT NULL,
                kind        TEXT    NOT NULL,
                pattern     TEXT    NOT NULL,
                dedup_key   TEXT    NOT NULL,
                alert_count INTEGER NOT NULL,
                attempt     INTEGER NOT NULL,
                outcome     TEXT    NOT NULL,
                status_code INTEGER,
                error       TEXT    NOT NULL DEFAULT '',
                seq_key     TEXT    NOT NULL DEFAULT '',
                created_at  REAL    NOT NULL
            )
            """,
            "CREATE INDEX alert_deliveries_by_pattern ON alert_deliveries (pattern, created_at)",
        ),
    ),
    Migration(
        name="explanations",
        statements=(
            # Root-cause explanations, one per anomaly *pattern* (hash of the ordered distinct
            # template ids, as alerts use): two anomalies that fail the same way share one LLM
            # call. `evidence` holds the cited item numbers (items = distinct templates in order
            # of first appearance, the same for every sequence of the pattern); `items` the item
            # texts the LLM was shown.
            """
            CREATE TABLE explanations (
                pattern    TEXT    PRIMARY KEY,
                cause      TEXT    NOT NULL,
                evidence   TEXT    NOT NULL,
                next_step  TEXT    NOT NULL,
                items      TEXT    NOT NULL,
                prompt_id  TEXT    NOT NULL,
                backend    TEXT    NOT NULL,
                seconds    REAL    NOT NULL,
                created_at REAL    NOT NULL
            ) WITHOUT ROWID
            """,
            # Each anomalous verdict's link to its pattern's explanation, or why it has none
            # (`failed`: the LLM was down or answered malformed; `skipped`: the job's cap was
            # spent). `lines`: the verdict's own lines (bounded) with its item number, text and
            # whether the explanation cites it.
            """
            CREATE TABLE verdict_explanations (
                verdict_id INTEGER PRIMARY KEY,
                pattern    TEXT    NOT NULL,
                status     TEXT    NOT NULL CHECK (status IN ('explained', 'failed', 'skipped')),
                reason     TEXT    NOT NULL DEFAULT '',
                lines      TEXT    NOT NULL,
                created_at REAL    NOT NULL
            )
            """,
            "CREATE INDEX verdict_explanations_by_pattern ON verdict_explanations (pattern)",
        ),
    ),
    Migration(
        name="verdict spans",
        statements=(
            # Which raw lines each verdict covers: every line of the judged sequence folded into
            # ranges per file, as JSON [[file, from, to], ...] (logsieve.records.fold_span).
            # `refs` keeps only the lines the expert cited. NULL on rows written before this
            # column: their spans were never recorded (the API rebuilds one from the stored
            # lines of /verdicts/{id} while those are retained).
            "ALTER TABLE verdicts ADD COLUMN span TEXT",
        ),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
