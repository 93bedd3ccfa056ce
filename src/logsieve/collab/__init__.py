"""Collaboration of small models and the LLM: pipelines, the knowledge table, verdict records."""

from logsieve.collab.knowledge import KnowledgeConfig, KnowledgeTable, content_key
from logsieve.collab.pipeline import (
    CollabConfig,
    CollaborLogPipeline,
    ColaPipeline,
    LlmOnlyPipeline,
    Pipeline,
    PipelineStats,
    SmallOnlyPipeline,
)
from logsieve.collab.verdicts import SequenceVerdict, VerdictWriter

__all__ = ["CollabConfig", "CollaborLogPipeline", "ColaPipeline", "KnowledgeConfig", "KnowledgeTable",
           "LlmOnlyPipeline", "Pipeline", "PipelineStats", "SequenceVerdict", "SmallOnlyPipeline",
           "VerdictWriter", "content_key"]
