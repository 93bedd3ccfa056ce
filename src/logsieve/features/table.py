"""Per-template vectors computed once and reused by every line that carries the template.

Both text features (GloVe x TF-IDF and MiniLM) are functions of a template's *text*, while
Sequences carry template *ids*. :class:`TemplateVectorTable` keeps, per id, the text its vector
was made from and a row in one growing float32 matrix. Looking up an id whose text is unchanged
is a dict hit; when Drain generalises a template (same id, new text) the row is recomputed in
place. Subclasses only say how to compute vectors for a batch of texts (:meth:`_compute`), and
get every miss of a call in one batch.

Template texts come from a ``Mapping[int, str]`` (id -> current text); :class:`ParserTemplates`
is a live view of a :class:`~logsieve.parsing.DrainParser`, so no copy goes stale.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING

from logsieve._optional import require
from logsieve.records import Sequence

if TYPE_CHECKING:
    from logsieve.parsing import DrainParser

np = require("numpy", purpose="template vectors")


class ParserTemplates(Mapping[int, str]):
    """A live ``id -> text`` view of a parser's templates (no copy; always current)."""

    def __init__(self, parser: "DrainParser") -> None:
        self._parser = parser

    @property
    def parser(self) -> "DrainParser":
        """The parser viewed (adaptation saves its state with each model version it makes)."""
        return self._parser

    def __getitem__(self, template_id: int) -> str:
        template = self._parser.get(template_id)
        if template is None:
            raise KeyError(template_id)
        return template.text

    def __iter__(self) -> Iterator[int]:
        return iter([t.id for t in self._parser.templates])

    def __len__(self) -> int:
        return len(self._parser)


class TemplateVectorTable(ABC):
    """Cache of one vector per template id, recomputed only when the id's text changes.

    Not thread-safe: give each pipeline thread its own instance (they can share a Store).
    """

    kind: str = ""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._text: dict[int, str] = {}  # id -> the text its vector was made from
        self._row: dict[int, int] = {}  # id -> its row in _matrix
        self._matrix = np.zeros((64, dim), dtype=np.float32)

    @abstractmethod
    def _compute(self, texts: list[str]) -> "np.ndarray":
        """(len(texts), dim) float32 vectors of ``texts``, all in one batch."""

    # ------------------------------------------------------------------ per template
    def vectors(self, template_ids: Iterable[int], texts: Iterable[str]) -> "np.ndarray":
        """(n, dim) vectors of templates given as aligned ids and current texts."""
        ids = list(template_ids)
        given = dict(zip(ids, texts, strict=True))
        self._fill([(t, x) for t, x in given.items() if self._text.get(t) != x])
        return self._matrix.take(self._rows(ids), axis=0)

    def vector(self, template_id: int, text: str) -> "np.ndarray":
        """The (dim,) vector of one template."""
        return self.vectors([template_id], [text])[0]

    def __len__(self) -> int:
        """How many template ids have a cached vector."""
        return len(self._row)

    def clear(self) -> None:
        """Forget every cached vector (e.g. after refitting what :meth:`_compute` depends on)."""
        self._text.clear()
        self._row.clear()

    # ------------------------------------------------------------------ per sequence
    def sequence_matrix(self, seq: Sequence, templates: Mapping[int, str]) -> "np.ndarray":
        """(len(seq), dim): the vector of each line's template, in line order."""
        return self._matrix.take(self._sequence_rows(seq, templates), axis=0)

    def sequence_mean(self, seq: Sequence, templates: Mapping[int, str]) -> "np.ndarray":
        """(dim,): mean over the lines (a zero vector for an empty sequence)."""
        if not seq.template_ids:
            return np.zeros(self.dim, dtype=np.float32)
        rows = self._sequence_rows(seq, templates)
        # A weighted dot product: numpy's mean() has a large fixed cost on a 20 x dim array.
        weights = np.full(len(rows), 1.0 / len(rows), dtype=np.float32)
        return weights @ self._matrix.take(rows, axis=0)

    def transform(self, seqs: Iterable[Sequence], templates: Mapping[int, str]) -> "np.ndarray":
        """(n, dim) line means of a batch; misses of the whole batch are computed together.

        The means are one sparse (n x templates) averaging matrix times the template table,
        so the batch never materialises a (lines x dim) array.
        """
        seqs = list(seqs)
        self._refresh({t for s in seqs for t in s.template_ids}, templates)
        lens = np.fromiter((len(s.template_ids) for s in seqs), dtype=np.intp, count=len(seqs))
        rows = self._rows(chain.from_iterable(s.template_ids for s in seqs))
        sp = require("scipy.sparse", purpose="batched sequence means")
        weights = np.repeat(1.0 / np.maximum(lens, 1), lens).astype(np.float32)
        indptr = np.concatenate(([0], np.cumsum(lens)))
        n_rows = len(self._row)
        rows = np.asarray(rows, dtype=np.intp)
        averaging = sp.csr_matrix((weights, rows, indptr), shape=(len(seqs), n_rows))
        return np.asarray(averaging @ self._matrix[:n_rows], dtype=np.float32)

    # ------------------------------------------------------------------ internals
    def _sequence_rows(self, seq: Sequence, templates: Mapping[int, str]) -> list[int]:
        self._refresh(set(seq.template_ids), templates)
        return self._rows(seq.template_ids)

    def _rows(self, ids: Iterable[int]) -> list[int]:
        return list(map(self._row.__getitem__, ids))

    def _refresh(self, ids: Iterable[int], templates: Mapping[int, str]) -> None:
        """Recompute, in one batch, the ids that are new or whose text changed.

        This runs for every sequence, so it is one pass: a text lookup and a string compare
        per distinct id (equal strings are usually the same object, so the compare is cheap).
        """
        known = self._text
        try:
            stale = [(t, x) for t in ids if known.get(t) != (x := templates[t])]
        except KeyError as exc:
            raise KeyError(
                f"template id {exc.args[0]} is not among the templates given; pass the parser's "
                f"current templates (e.g. ParserTemplates(parser))"
            ) from None
        if stale:
            self._fill(stale)

    def _fill(self, stale: list[tuple[int, str]]) -> None:
        """Compute the vectors of ``(id, text)`` pairs and store them (an id keeps its row)."""
        if not stale:
            return
        vecs = np.asarray(self._compute([x for _, x in stale]), dtype=np.float32)
        if vecs.shape != (len(stale), self.dim):
            raise ValueError(
                f"{type(self).__name__} computed {vecs.shape}, expected ({len(stale)}, {self.dim})")
        for (tid, text), vec in zip(stale, vecs):
            row = self._row.get(tid)
            if row is None:
                row = self._row[tid] = self._new_row()
            self._matrix[row] = vec
            self._text[tid] = text

    def _new_row(self) -> int:
        row = len(self._row)
        if row == len(self._matrix):
            grown = np.zeros((2 * row, self.dim), dtype=np.float32)
            grown[:row] = self._matrix
            self._matrix = grown
        return row

