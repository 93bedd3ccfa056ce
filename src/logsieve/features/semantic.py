"""CoLA's semantic vector per template: GloVe word vectors weighted by TF-IDF.

For a template t with words w (see :func:`~logsieve.features.words.template_words`)::

    v(t) = sum_w  tf(w, t) * idf(w) * glove(w)        tf(w, t) = count(w in t) / len(words(t))
    idf(w) = ln((1 + N) / (1 + df(w))) + 1            (smoothed, as scikit-learn's TfidfVectorizer)

where the "documents" are templates: N is the number of distinct templates the IDF was fitted
on and df(w) how many of them contain w. Words GloVe does not know add nothing; a template with
no known word (only wildcards, ids, numbers) gets the zero vector, which the downstream model
can learn to read as "no semantic content".

IDF in a stream: :meth:`SemanticVectors.fit` computes the IDF from the training templates and
then it is frozen. Templates that appear later use that frozen IDF, and a word the fit never saw
gets the IDF of a word with ``unseen_df`` documents (default 0, the largest IDF: a new word is
informative). Freezing matters because a detector was trained on vectors made with one IDF;
letting every new template shift the weights would move all vectors under its feet. Refitting
is part of retraining: call :meth:`~SemanticVectors.fit` again (it clears the cache) and retrain
the model on the new vectors. Before any fit every word has the same IDF, so a vector is the
mean of the template's known word vectors.

Each template's vector is computed once per id (and again only if its text changes).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from logsieve._optional import require
from logsieve.features.config import SemanticConfig
from logsieve.features.persist import read_state, write_state
from logsieve.features.table import TemplateVectorTable
from logsieve.features.words import template_words

np = require("numpy", purpose="semantic vectors")

_FORMAT, _VERSION = "logsieve-semantic-idf", 1


class WordVectors(Protocol):
    """What the semantic vectors need from GloVe (a fake with two words will do in tests)."""

    dim: int

    def get(self, word: str) -> "np.ndarray | None": ...


class Idf:
    """Smoothed inverse document frequency over templates (see the module doc for the formula)."""

    def __init__(self, df: dict[str, int] | None = None, n_docs: int = 0, unseen_df: int = 0) -> None:
        self.df = dict(df or {})
        self.n_docs = n_docs
        self.unseen = self._idf(unseen_df)
        self._weights = {w: self._idf(d) for w, d in self.df.items()}

    @classmethod
    def fit(cls, word_lists: Iterable[list[str]], unseen_df: int = 0) -> "Idf":
        """Count, per word, the documents (templates) containing it."""
        df: Counter[str] = Counter()
        n = 0
        for words in word_lists:
            df.update(set(words))
            n += 1
        return cls(dict(df), n, unseen_df)

    def _idf(self, df: int) -> float:
        return math.log((1 + self.n_docs) / (1 + df)) + 1.0

    def __getitem__(self, word: str) -> float:
        return self._weights.get(word, self.unseen)


class SemanticVectors(TemplateVectorTable):
    """Template -> 50-d GloVe x TF-IDF vector, cached per id; Sequence -> (len, 50) matrix."""

    kind = "semantic"

    def __init__(self, config: SemanticConfig | None = None, *, words: WordVectors | None = None) -> None:
        if words is None:
            from logsieve.features.glove import GloVe

            words = GloVe()
        super().__init__(words.dim)
        self.config = config or SemanticConfig()
        self.words = words
        self.idf = Idf(unseen_df=self.config.unseen_df)

    def fit(self, templates: Iterable[str]) -> "SemanticVectors":
        """Freeze the IDF on these template texts (duplicates count once) and clear the cache."""
        distinct = dict.fromkeys(templates)
        self.idf = Idf.fit((self._words(t) for t in distinct), self.config.unseen_df)
        self.clear()
        return self

    def weights(self, template: str) -> dict[str, float]:
        """tf * idf of each distinct word of ``template`` (what :meth:`_compute` sums with)."""
        words = self._words(template)
        return {w: c / len(words) * self.idf[w] for w, c in Counter(words).items()}

    def _words(self, template: str) -> list[str]:
        return template_words(template, self.config.min_word_len)

    def _compute(self, texts: list[str]) -> "np.ndarray":
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in zip(out, texts):
            for word, weight in self.weights(text).items():
                vec = self.words.get(word)
                if vec is not None:
                    row += weight * vec
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write config and the frozen IDF (GloVe itself is installed, not saved)."""
        payload = {
            "config": self.config.model_dump(mode="json"),
            "n_docs": self.idf.n_docs,
            "df": self.idf.df,
        }
        return write_state(path, _FORMAT, _VERSION, payload)

    @classmethod
    def load(cls, path: str | Path, *, words: WordVectors | None = None) -> "SemanticVectors":
        doc = read_state(path, _FORMAT, _VERSION)
        sv = cls(SemanticConfig.model_validate(doc["config"]), words=words)
        sv.idf = Idf(doc["df"], doc["n_docs"], sv.config.unseen_df)
        return sv
