"""MiniLM sentence embeddings of templates, paid for once per template text, ever.

MiniLM encodes a few hundred sentences a second on 2 cores, while the stream carries thousands
of lines a second over a few hundred templates. So lines are never embedded: templates are, and
each embedding is cached twice:

* in memory per template id (with the text it was made from; see
  :class:`~logsieve.features.table.TemplateVectorTable`), so the hot path is a dict hit;
* in the store per (model name, sha256 of the text) (see
  :mod:`logsieve.store.embedding_cache`), so a restart, another process or another parser
  state never re-embeds a text the model has seen.

Why the text and not the id is the durable key: Drain keeps an id when it generalises a template
but changes its text (``Receiving block <*> src: /10.0.0.1 ...`` -> ``... src: <*> ...``), and
ids are only meaningful within one parser state. The in-memory entry therefore keeps the text and
re-embeds when the text under an id changes; the store never needs invalidating.

A Sequence's embedding is the mean of its lines' template embeddings (CollaborLog).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from logsieve._optional import require
from logsieve.features.config import SentenceConfig
from logsieve.features.table import TemplateVectorTable
from logsieve.store.embedding_cache import EmbeddingCache

if TYPE_CHECKING:
    from logsieve.store import Store

np = require("numpy", purpose="sentence embeddings")


class TextEncoder(Protocol):
    """What :class:`TemplateEmbeddings` needs from an encoder (``SentenceEncoder`` or a fake)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> "np.ndarray": ...


class TemplateEmbeddings(TemplateVectorTable):
    """Template -> 384-d MiniLM vector, cached per id in memory and per text in the store.

    Without a ``store`` only the in-memory cache is used (tests, one-off runs). The model
    loads on the first miss, not here.
    """

    kind = "sentence"

    def __init__(
        self,
        config: SentenceConfig | None = None,
        *,
        encoder: TextEncoder | None = None,
        store: "Store | None" = None,
    ) -> None:
        self.config = config or SentenceConfig()
        if encoder is None:
            from logsieve.features.sentence import SentenceEncoder

            encoder = SentenceEncoder(self.config.batch_size, self.config.threads)
        super().__init__(encoder.dim)
        self.encoder = encoder
        self.store_cache: EmbeddingCache | None = None
        if store is not None:
            self.store_cache = EmbeddingCache(store, encoder.name)

    def _compute(self, texts: list[str]) -> "np.ndarray":
        """Vectors of ``texts``: from the store where it has them, else one encoder batch."""
        found = self.store_cache.get_many(texts) if self.store_cache is not None else {}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = np.asarray(self.encoder.encode(missing), dtype=np.float32)
            found.update(zip(missing, fresh))
            if self.store_cache is not None:
                self.store_cache.put_many(missing, fresh)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
