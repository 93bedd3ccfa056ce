"""Config name -> feature class: the one place that knows which features exist.

``build_feature({"kind": "semantic"})`` validates the config (unknown keys are errors) and
returns the feature. Feature modules are imported only when built, so a config file validates
on an install without numpy; building then raises a MissingExtraError naming the extra.

Every feature has ``kind``, ``dim`` and ``transform(seqs, templates) -> (n, dim)``; the text
features also give per-line matrices (``sequence_matrix``) for sequence models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, TypeAdapter

from logsieve.features.config import CountsConfig, FeatureConfig, SemanticConfig, SentenceConfig
from logsieve.records import Sequence

if TYPE_CHECKING:
    from logsieve.store import Store


class SequenceFeature(Protocol):
    """The common face of the features: a batch of Sequences -> one row each."""

    kind: str

    @property
    def dim(self) -> int: ...

    def transform(self, seqs: Iterable[Sequence], templates: Mapping[int, str]) -> Any: ...


def _counts(config: CountsConfig, store: "Store | None") -> SequenceFeature:
    from logsieve.features.counts import TemplateCounter

    return TemplateCounter(config)


def _semantic(config: SemanticConfig, store: "Store | None") -> SequenceFeature:
    from logsieve.features.semantic import SemanticVectors

    return SemanticVectors(config)


def _sentence(config: SentenceConfig, store: "Store | None") -> SequenceFeature:
    from logsieve.features.embeddings import TemplateEmbeddings

    return TemplateEmbeddings(config, store=store)


Factory = Callable[[Any, "Store | None"], SequenceFeature]

FEATURES: dict[str, tuple[type[BaseModel], Factory]] = {
    "counts": (CountsConfig, _counts),
    "semantic": (SemanticConfig, _semantic),
    "sentence": (SentenceConfig, _sentence),
}

_ADAPTER: TypeAdapter[FeatureConfig] = TypeAdapter(FeatureConfig)


def feature_config(data: FeatureConfig | Mapping[str, Any]) -> FeatureConfig:
    """Validate a mapping such as ``{"kind": "counts", "grow": true}`` into its config object."""
    if isinstance(data, BaseModel):
        return data
    return _ADAPTER.validate_python(dict(data))


def build_feature(
    config: FeatureConfig | Mapping[str, Any], *, store: "Store | None" = None
) -> SequenceFeature:
    """The feature a config names. ``store`` is used by features that persist a cache."""
    cfg = feature_config(config)
    _, factory = FEATURES[cfg.kind]
    return factory(cfg, store)
