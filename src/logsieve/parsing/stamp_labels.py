"""LogStamp pseudo-labels: cluster training lines by meaning, then call frequent words template.

Lines of one template say the same thing, so their sentence embeddings lie close together;
DBSCAN gathers them without being told how many templates there are. Inside one cluster a
template word occurs in (nearly) every line while a variable's values vary, so a word's
*document frequency* in its cluster separates the two. Lines are deduplicated on their masked
text first: a value repeated on many identical lines (``user=root`` on 350 of 372 lines) must
not look like a template word just because it is common.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from logsieve._optional import require
from logsieve.parsing.masking import PARAM

if TYPE_CHECKING:
    import numpy as np

TEMPLATE, VARIABLE = 0, 1
"""Token classes: the tagger's two outputs and the pseudo-labels it is trained on."""


_EMPTY_VALUES = frozenset({"()", "[]", "{}", "<>", "''", '""', "(),", "[],", "''", '"",'})


def is_masked_value(token: str) -> bool:
    """A token the masking rules reduced to ``<*>`` and punctuation (``<*>``, ``<*>:<*>``, ``(<*>),``).

    Nothing of it is a word, so it is a variable whatever the tagger says; so is an empty
    value (``()``, ``''``) where other lines hold one. A partly masked token with letters left
    (``uid=<*>``, ``blk_<*>``) keeps a constant part and is a word.
    """
    if token in _EMPTY_VALUES:
        return True
    return PARAM in token and not any(c.isalpha() for c in token.replace(PARAM, ""))


def cluster_lines(embeddings: "np.ndarray", eps: float, min_samples: int) -> list[int]:
    """DBSCAN on cosine distance; each noise point becomes a cluster of its own.

    A noise point is a line unlike any other, i.e. a template seen once: as its own cluster
    every word in it counts as a template word, which is the safe reading of a single example.
    """
    cluster = require("sklearn.cluster", purpose="LogStamp training (DBSCAN)")
    if len(embeddings) == 0:
        return []
    found = cluster.DBSCAN(eps=eps, min_samples=min_samples, metric="cosine").fit_predict(embeddings)
    next_id = int(found.max()) + 1
    labels = []
    for c in found.tolist():
        if c < 0:
            c, next_id = next_id, next_id + 1
        labels.append(c)
    return labels


def frequency_labels(
    lines: Sequence[Sequence[str]], clusters: Sequence[int], threshold: float
) -> list[list[int]]:
    """Per token: TEMPLATE when its document frequency in the line's cluster >= ``threshold``.

    A masked value (:func:`is_masked_value`) is always a variable; a partly masked token with
    letters left (``blk_<*>``, ``uid=<*>``) is judged like a word.
    """
    members: dict[int, list[int]] = {}
    for i, c in enumerate(clusters):
        members.setdefault(c, []).append(i)
    out: list[list[int]] = [[] for _ in lines]
    for idx in members.values():
        df = Counter(tok for i in idx for tok in set(lines[i]))
        need = threshold * len(idx)
        for i in idx:
            out[i] = [
                VARIABLE if df[tok] < need or is_masked_value(tok) else TEMPLATE for tok in lines[i]
            ]
    return out
