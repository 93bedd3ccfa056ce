"""Features: turn parsed lines and sequences into vectors, in the stream.

Templates appear over time and keep stable integer ids; every feature copes with ids it has not
seen and computes anything expensive once per template, not per line.

* :mod:`counts`: :class:`TemplateCounter`, Sequence -> template-count vector (unknown column,
  optional growth, dense or sparse batches).
* :mod:`semantic`: :class:`SemanticVectors`, CoLA's GloVe x TF-IDF vector per template; a
  Sequence -> (len, 50) matrix (LogMoE) or its mean.
* :mod:`embeddings`: :class:`TemplateEmbeddings`, MiniLM vector per template, cached in memory
  and in the store; a Sequence -> mean embedding (CollaborLog).
* :mod:`table`: the per-template cache both text features share; :class:`ParserTemplates`.
* :mod:`words`: template -> words (camelCase / snake_case split, no wildcards or digits).
* :mod:`glove` and :mod:`sentence`: the two installed embedding models, loaded lazily.
* :mod:`config` and :mod:`registry`: config objects and ``build_feature(config)``.

This package imports nothing heavy itself; numpy is needed once a feature module is imported.
"""

from logsieve.features.config import CountsConfig, FeatureConfig, SemanticConfig, SentenceConfig
from logsieve.features.registry import FEATURES, SequenceFeature, build_feature, feature_config

__all__ = [
    "FEATURES",
    "CountsConfig",
    "FeatureConfig",
    "SemanticConfig",
    "SentenceConfig",
    "SequenceFeature",
    "build_feature",
    "feature_config",
]
