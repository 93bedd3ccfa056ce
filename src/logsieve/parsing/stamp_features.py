"""Token features for the LogStamp tagger: a frozen word vector plus a hand-made shape vector.

The tagger must label tokens it never saw in training (new templates, new variable values), so
its input is built from what a token *looks like*, not from its identity: the mean GloVe vector
of its sub-words (``PacketResponder`` -> ``packet``, ``responder``; ``uid=<*>`` -> ``uid``)
and a small shape vector (masked by the masking rules, digits, case, punctuation, length,
whether GloVe knows it). Nothing here is learned, so a token's row is computed once and kept in
a :class:`TokenTable`; the stream then pays one dict lookup per token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from logsieve.parsing.masking import PARAM

GLOVE_DIM = 50
"""Width of the word-vector part of a row (GloVe 6B 50-d)."""

_SUBWORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_HEX = re.compile(r"^[0-9a-fA-F]{6,}$")
_LENGTH_EDGES = (1, 2, 3, 5, 8, 12)
_OPENERS = "([{<\"'"
_CLOSERS = ")]}>\"'"
_INNER = "=/._-@:"

WordVector = Callable[[str], "np.ndarray | None"]
"""Looks a lower-cased word up in the word vectors; ``None`` when it is unknown."""


def subwords(token: str) -> list[str]:
    """Split on punctuation and camelCase and lower-case, so GloVe sees words it knows."""
    return [w.lower() for w in _SUBWORD.findall(token.replace(PARAM, " "))]


def _flags(token: str) -> list[bool]:
    """Binary shape features: what masking, case and punctuation say about a token."""
    bare = token.replace(PARAM, "")
    alpha = bare.isalpha()
    return [
        token == PARAM,
        PARAM in token and token != PARAM,
        any(c.isdigit() for c in bare),
        alpha,
        alpha and bare.islower(),
        alpha and bare.isupper(),
        alpha and bare.istitle(),
        any(a.islower() and b.isupper() for a, b in zip(bare, bare[1:])),
        bool(_HEX.match(bare)) and any(c.isdigit() for c in bare),
        not bare,
        bool(bare) and not any(c.isalnum() for c in bare),
        not bare.isascii(),
        token[0] in _OPENERS,
        token[-1] in _CLOSERS,
        token[-1] == ":",
        token[-1] == ",",
        token[-1] == ".",
        token[-1] == "=",
        *(c in token[1:-1] for c in _INNER),
    ]


def _length_bucket(token: str) -> list[bool]:
    """One-hot length bucket: variables (ids, names) run longer than most template words."""
    n = len(token)
    edges = _LENGTH_EDGES
    return [n <= edges[0]] + [lo < n <= hi for lo, hi in zip(edges, edges[1:])] + [n > edges[-1]]


SHAPE_DIM = len(_flags("x")) + len(_length_bucket("x")) + 2
"""Width of the shape part of a row (flags, length bucket, two GloVe-coverage values)."""

FEATURE_DIM = GLOVE_DIM + SHAPE_DIM


def token_row(token: str, lookup: WordVector) -> np.ndarray:
    """The full feature row of one token: mean sub-word vector, then the shape vector."""
    words = subwords(token)
    vectors = [v for v in (lookup(w) for w in words) if v is not None]
    row = np.zeros(FEATURE_DIM, dtype=np.float32)
    if vectors:
        row[:GLOVE_DIM] = np.mean(vectors, axis=0)
    known = len(vectors) / len(words) if words else 0.0
    whole = lookup(token.strip(_OPENERS + _CLOSERS + ":,.;=").lower()) is not None
    shape = _flags(token) + _length_bucket(token) + [whole, known]
    row[GLOVE_DIM:] = np.asarray(shape, dtype=np.float32)
    return row


class TokenTable:
    """Distinct token -> row index, with the rows in one growing float32 matrix.

    Rows are appended as new tokens appear in the stream (capacity doubles, so growth is
    amortised O(1)); ``ids`` turns masked lines into index lists the tagger gathers from.
    The table is part of a saved parser, so a reloaded parser needs no word vectors for the
    tokens it already knows.
    """

    def __init__(self, lookup: Callable[[], WordVector], tokens: Sequence[str] = (),
                 rows: np.ndarray | None = None) -> None:
        self._lookup_factory = lookup
        self._lookup: WordVector | None = None
        self._index: dict[str, int] = {t: i for i, t in enumerate(tokens)}
        self._rows = np.zeros((max(64, len(tokens)), FEATURE_DIM), dtype=np.float32)
        if rows is not None and len(tokens):
            self._rows[: len(tokens)] = rows[: len(tokens)]

    def __len__(self) -> int:
        return len(self._index)

    @property
    def tokens(self) -> list[str]:
        """Known tokens in row order (dicts keep insertion order)."""
        return list(self._index)

    @property
    def rows(self) -> np.ndarray:
        """The filled part of the matrix (a view, not a copy)."""
        return self._rows[: len(self._index)]

    def clear(self) -> None:
        """Forget every row (they are recomputed on demand): bounds memory on endless streams."""
        self._index.clear()

    def ids(self, tokens: Iterable[str]) -> list[int]:
        """Row indices of ``tokens``, adding rows for tokens seen for the first time."""
        index = self._index
        out = []
        for tok in tokens:
            i = index.get(tok)
            if i is None:
                i = self._add(tok)
            out.append(i)
        return out

    def _add(self, token: str) -> int:
        if self._lookup is None:
            # Word vectors load on the first unknown token, so a reloaded parser that meets
            # only known tokens never pays for them.
            self._lookup = self._lookup_factory()
        i = len(self._index)
        if i == len(self._rows):
            grown = np.zeros((2 * len(self._rows), FEATURE_DIM), dtype=np.float32)
            grown[:i] = self._rows
            self._rows = grown
        self._rows[i] = token_row(token, self._lookup)
        self._index[token] = i
        return i
