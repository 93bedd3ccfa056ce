"""Cold start without labels (ALPHA): cluster the train sequences, have the LLM label one
representative per cluster (few-shot prompts refined on a small labelled seed), propagate the
labels through the clusters and train the detector on them. Entry point: :func:`run_alpha`
(``logsieve label``)."""

from logsieve.label.config import AlphaConfig
from logsieve.label.run import AlphaResult, run_alpha

__all__ = ["AlphaConfig", "AlphaResult", "run_alpha"]
