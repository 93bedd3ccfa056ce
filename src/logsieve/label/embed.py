"""Sequence embeddings for clustering, and the distinct contents behind them.

A sequence is embedded as the mean MiniLM vector of its lines' templates (CollaborLog's
sequence embedding, :class:`~logsieve.features.embeddings.TemplateEmbeddings`); callers may
pass any ``embed(seqs, templates) -> (n, d)`` function instead (tests use a cheap one).

Why distinct contents: HDFS train sessions repeat a handful of shapes (2,300 sessions, 91
distinct embeddings), and an LLM label of one copy is a label of all copies. Clustering and
budgeting work on :class:`Contents` (one row per distinct embedding, with its copies), so a
shape seen 500 times costs one annotation, not 500, and the budget buys coverage of shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from logsieve._optional import require
from logsieve.records import Sequence

np = require("numpy", purpose="ALPHA labelling")

Embed = Callable[[list[Sequence], Mapping[int, str]], "np.ndarray"]
DECIMALS = 5
"""Rows equal to this many decimals are one content (float noise of the mean is ~1e-7)."""


@dataclass(frozen=True)
class Contents:
    """Distinct rows of a sequence embedding matrix.

    ``vectors[c]`` is content ``c``; ``members[c]`` the indices (into the embedded sequences,
    ascending, so the first is the earliest in time) of its copies; ``of[i]`` the content of
    sequence ``i``. Contents are numbered by their first copy, so the numbering is stable.
    """

    vectors: "np.ndarray"
    members: list[list[int]]
    of: "np.ndarray"

    def __len__(self) -> int:
        return len(self.members)

    @property
    def counts(self) -> "np.ndarray":
        return np.array([len(m) for m in self.members], dtype=np.int64)


def distinct(x: "np.ndarray") -> Contents:
    """Group equal rows of ``x`` (rounded to :data:`DECIMALS`), numbered by first appearance."""
    if len(x) == 0:
        return Contents(np.zeros((0, x.shape[1] if x.ndim == 2 else 0), np.float32), [], np.zeros(0, np.intp))
    _, first, inverse = np.unique(np.round(x, DECIMALS), axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(first, kind="stable")  # old content number -> new, by first copy
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    of = renumber[inverse]
    members: list[list[int]] = [[] for _ in order]
    for i, c in enumerate(of.tolist()):
        members[c].append(i)
    return Contents(np.asarray(x[first[order]], dtype=np.float32), members, of)


def minilm_embed() -> Embed:
    """The product's sequence embedding: mean MiniLM template vector (model loads on first use)."""
    from logsieve.features.embeddings import TemplateEmbeddings

    table = TemplateEmbeddings()
    return lambda seqs, templates: table.transform(seqs, templates)
