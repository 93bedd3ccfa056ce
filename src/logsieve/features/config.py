"""Config objects of the features (pydantic only, so a config file validates without numpy).

Each has a ``kind`` that names it in the registry (:mod:`logsieve.features.registry`), so a
YAML list of features reads ``- {kind: counts}`` / ``- {kind: semantic, min_word_len: 2}``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _FeatureConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CountsConfig(_FeatureConfig):
    """Template-count vectors (:class:`~logsieve.features.counts.TemplateCounter`).

    ``grow=False`` keeps the width fixed after ``fit`` (what a trained detector needs): unseen
    ids are counted in the unknown column 0. ``grow=True`` appends a column per new id, up to
    ``max_columns`` (then unknown again), for models that can widen their input. ``max_columns``
    also caps ``fit``, which then keeps the most frequent ids.
    """

    kind: Literal["counts"] = "counts"
    grow: bool = False
    max_columns: int | None = Field(default=None, ge=2)


class SemanticConfig(_FeatureConfig):
    """CoLA's per-template semantic vector (:class:`~logsieve.features.semantic.SemanticVectors`).

    ``min_word_len`` drops one-letter fragments; ``unseen_df`` is the document frequency
    assumed for a word the IDF never saw (0: as rare as can be, so the largest IDF).
    """

    kind: Literal["semantic"] = "semantic"
    min_word_len: int = Field(default=2, ge=1)
    unseen_df: int = Field(default=0, ge=0)


class SentenceConfig(_FeatureConfig):
    """MiniLM template embeddings (:class:`~logsieve.features.embeddings.TemplateEmbeddings`).

    ``threads`` caps torch's CPU threads (None: torch's default).
    """

    kind: Literal["sentence"] = "sentence"
    batch_size: int = Field(default=64, ge=1)
    threads: int | None = Field(default=None, ge=1)


FeatureConfig = Annotated[
    CountsConfig | SemanticConfig | SentenceConfig, Field(discriminator="kind")
]
