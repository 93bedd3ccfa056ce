"""The SQLite store: WAL file, migrations recorded once, newer schemas refused, per-thread use."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from logsieve.store import MIGRATIONS, SCHEMA_VERSION, Migration, SchemaVersionError, Store, StoreError
from logsieve.store.embedding_cache import EmbeddingCache, from_blob, text_key, to_blob


def test_new_store_is_a_wal_file_at_the_current_schema(tmp_path):
    path = tmp_path / "sub" / "logsieve.db"
    with Store(path) as store:
        assert path.exists()
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        mode = store.connection.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        names = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master")}
        assert {"schema_version", "embedding_cache"} <= names


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    with Store(path) as store:
        rows = store.connection.execute("SELECT version, name FROM schema_version").fetchall()
    assert rows == [(i + 1, m.name) for i, m in enumerate(MIGRATIONS)]


def test_a_later_migration_is_applied_on_open(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    extra = Migration("later", ("CREATE TABLE later_table (id INTEGER PRIMARY KEY, status TEXT)",))
    with Store(path, migrations=(*MIGRATIONS, extra)) as store:
        assert store.schema_version == SCHEMA_VERSION + 1
        store.connection.execute("INSERT INTO later_table (status) VALUES ('normal')")


def test_a_failing_migration_leaves_the_file_at_its_old_version(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    bad = Migration("broken", ("CREATE TABLE t (x INTEGER)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        Store(path, migrations=(*MIGRATIONS, bad))
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        tables = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master")}
        assert "t" not in tables


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "s.db"
    future = Migration("from the future", ("CREATE TABLE later (x INTEGER)",))
    Store(path, migrations=(*MIGRATIONS, future)).close()
    with pytest.raises(SchemaVersionError, match=rf"schema version {SCHEMA_VERSION + 1}.*upgrade logsieve"):
        Store(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"just some text, definitely not a database" * 10)
    with pytest.raises(StoreError, match="not a logsieve store"):
        Store(path)


def test_memory_path_and_use_after_close_are_errors(tmp_path):
    with pytest.raises(StoreError, match="file path"):
        Store(":memory:")
    store = Store(tmp_path / "s.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.connection


def test_each_thread_gets_its_own_connection_and_sees_committed_rows(tmp_path):
    with Store(tmp_path / "s.db") as store:
        cache = EmbeddingCache(store, "m")
        cache.put_many(["a"], np.ones((1, 3), np.float32))
        seen: dict[str, object] = {}

        def worker() -> None:
            seen["conn"] = store.connection
            seen["found"] = sorted(cache.get_many(["a", "b"]))

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert seen["conn"] is not store.connection
        assert seen["found"] == ["a"]


def test_a_thread_that_ends_closes_its_connection(tmp_path):
    # The service's request threads retire when idle and new ones replace them; each retired
    # thread's connection must go with it, or the store grows for as long as the service runs.
    store = Store(tmp_path / "s.db")
    store.connection.execute("CREATE TABLE t (x INTEGER)")
    for i in range(50):
        worker = threading.Thread(target=lambda: store.connection.execute("INSERT INTO t VALUES (1)"))
        worker.start()
        worker.join()
    assert store.open_connections == 1  # this thread's only
    assert store.connection.execute("SELECT count(*) FROM t").fetchone()[0] == 50

    kept = threading.Event()
    release = threading.Event()

    def hold() -> None:
        store.connection.execute("SELECT 1")
        kept.set()
        release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    kept.wait(10)
    assert store.open_connections == 2
    store.close()  # closes the live thread's connection too
    assert store.open_connections == 0
    release.set()
    holder.join()


def test_transaction_rolls_back_on_error(tmp_path):
    with Store(tmp_path / "s.db") as store:
        cache = EmbeddingCache(store, "m")
        with pytest.raises(RuntimeError):
            with store.transaction() as conn:
                conn.execute(
                    "INSERT INTO embedding_cache VALUES ('m', 'k', 't', 1, x'00000000', 0)")
                raise RuntimeError("boom")
        assert len(cache) == 0


def test_embedding_cache_round_trips_float32_by_model_and_text(tmp_path):
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    with Store(tmp_path / "s.db") as store:
        EmbeddingCache(store, "model-a").put_many(["x", "y"], vecs)
        got = EmbeddingCache(store, "model-a").get_many(["y", "x", "z"])
        assert set(got) == {"x", "y"}
        assert np.array_equal(got["x"], vecs[0]) and got["x"].dtype == np.float32
        assert EmbeddingCache(store, "model-b").get_many(["x"]) == {}
        with pytest.raises(ValueError, match="2 texts but 1 vectors"):
            EmbeddingCache(store, "m").put_many(["x", "y"], vecs[:1])


def test_blob_helpers_check_length():
    v = np.array([1.5, -2.0], dtype=np.float32)
    assert len(to_blob(v)) == 8 and np.array_equal(from_blob(to_blob(v), 2), v)
    with pytest.raises(ValueError, match="expected 3"):
        from_blob(to_blob(v), 3)
    assert text_key("a") != text_key("b") and len(text_key("a")) == 64
