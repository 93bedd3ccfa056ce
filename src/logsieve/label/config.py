"""Settings of an ALPHA labelling run (``logsieve label``), validated once at the edge."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AlphaConfig(BaseModel):
    """What a cold-start labelling run may spend and how it spends it.

    ``budget``: LLM annotations allowed, as a fraction of the train sequences (< 1, e.g. 0.02)
    or a count (>= 1). ``seed_labels``: how many train sequences a person labels for the prompt
    refinement (at most 20; 0 = no seed, the refinement is skipped and said so).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    budget: float = Field(default=0.02, gt=0)
    seed: int = 0
    seed_labels: int = Field(default=20, ge=0, le=20)
    seed_rule: Literal["largest", "spread"] = "largest"
    """Which representatives the person labels: those of the largest clusters, or spread out
    by k-center (see :mod:`logsieve.label.cluster`)."""
    initial_examples: int = Field(default=4, ge=0, le=20)
    """Seed sequences in the few-shot set before refinement (the first ones in the seed's order)."""
    refine_steps: int = Field(default=2, ge=0, le=5)
    examples: int = Field(default=3, ge=0, le=8)
    """Few-shot examples per annotation prompt, nearest in embedding space first."""
    propagation: Literal["cluster", "knn"] = "cluster"
    retries: int = Field(default=1, ge=0)
    max_items: int = Field(default=30, ge=1)
    example_items: int = Field(default=12, ge=1)
    max_tokens: int = Field(default=48, ge=16)
    prompt: str = "alpha"

    def annotations(self, n_train: int) -> int:
        """The budget as a count of train sequences (a fraction is rounded down, at least 1)."""
        if self.budget >= 1:
            return min(int(self.budget), n_train)
        return max(1, min(n_train, math.floor(self.budget * n_train + 1e-9)))
