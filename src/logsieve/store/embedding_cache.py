"""The ``embedding_cache`` table: float32 vectors keyed by (model name, sha256 of the text).

Why text and not template id: an id is only stable within one parser state, and Drain changes the
text under an id when it generalises a template. An embedding depends on the model and the text
alone, so the text's hash is the key that stays right across parser states and restarts.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence

from logsieve._optional import require
from logsieve.store.db import Store

np = require("numpy", purpose="storing vectors")

# SQLite allows 32,766 bound parameters; stay far below for old builds (999).
_CHUNK = 500


def text_key(text: str) -> str:
    """The cache key of a text: hex sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_blob(vector: "np.ndarray") -> bytes:
    """A vector as little-endian float32 bytes (the store's one array encoding)."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes, dim: int) -> "np.ndarray":
    """The inverse of :func:`to_blob`; checks the length so a corrupt row fails loudly."""
    vec = np.frombuffer(blob, dtype="<f4")
    if vec.shape != (dim,):
        raise ValueError(f"stored vector has {vec.size} values, expected {dim}")
    return vec.astype(np.float32)


class EmbeddingCache:
    """Read and write embeddings of one model in a :class:`Store`."""

    def __init__(self, store: Store, model: str) -> None:
        self.store = store
        self.model = model

    def get_many(self, texts: Iterable[str]) -> dict[str, "np.ndarray"]:
        """The cached vectors of those ``texts`` that have one, keyed by text."""
        by_key = {text_key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        conn = self.store.connection
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT text_sha256, dim, vector FROM embedding_cache "
                f"WHERE model = ? AND text_sha256 IN ({marks})",
                (self.model, *chunk),
            )
            for key, dim, blob in rows:
                found[by_key[key]] = from_blob(blob, dim)
        return found

    def put_many(self, texts: Sequence[str], vectors: "np.ndarray") -> None:
        """Store one vector per text (an existing row for the same text is replaced)."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        now = time.time()
        rows = [
            (self.model, text_key(t), t, int(v.shape[0]), to_blob(v), now)
            for t, v in zip(texts, vectors)
        ]
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embedding_cache "
                "(model, text_sha256, text, dim, vector, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def __len__(self) -> int:
        row = self.store.connection.execute(
            "SELECT COUNT(*) FROM embedding_cache WHERE model = ?", (self.model,)
        ).fetchone()
        return row[0]
