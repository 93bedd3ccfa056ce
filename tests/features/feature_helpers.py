"""Small fakes and builders shared by the feature tests."""

from __future__ import annotations

import numpy as np

from logsieve.records import Sequence

HDFS_TEMPLATES = [
    "<*> Served block <*> to <*>",
    "<*> Starting thread to transfer block <*> to <*>",
    "<*>:Got exception while serving <*> to <*>:",
    "BLOCK* ask <*> to delete <*>",
    "BLOCK* ask <*> to replicate <*> to datanode(s) <*>",
    "BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*> size <*>",
    "BLOCK* NameSystem.allocateBlock: <*> <*>",
    "BLOCK* NameSystem.delete: <*> is added to invalidSet of <*>",
    "Deleting block <*> file <*>",
    "PacketResponder <*> for block <*> terminating",
    "Received block <*> of size <*> from <*>",
    "Received block <*> src: <*> dest: <*> of size <*>",
    "Receiving block <*> src: <*> dest: <*>",
    "Verification succeeded for <*>",
]


def seq(*ids: int, key: str = "s") -> Sequence:
    return Sequence(key=key, template_ids=list(ids))


class CountingEncoder:
    """Wraps an encoder and records every batch it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.batches: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return self.inner.encode(texts)

    @property
    def texts(self) -> list[str]:
        return [t for b in self.batches for t in b]


class RefusingEncoder:
    """An encoder that must not be called (the cache should answer everything)."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def encode(self, texts: list[str]) -> np.ndarray:
        raise AssertionError(f"encoder called for {texts}")


class HashEncoder:
    """A cheap deterministic stand-in for MiniLM, for tests about caching, not meaning."""

    name = "hash-encoder"
    dim = 8

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in zip(out, texts):
            for i, ch in enumerate(text.encode()):
                row[i % self.dim] += ch
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
