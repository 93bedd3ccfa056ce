"""Measuring the expert on validation, per routing situation, to choose the trust rule.

The validation split's routed sequences (the small model says abnormal, or is unsure, or a
template was never seen) go through the same engine the product runs, with the LLM deciding
and with few-shot examples from the train split only (validation's own labels would hand the
LLM the answer). Each answer is compared with the validation label, beside the small model's
status; :func:`~logsieve.collab.trust.choose_trust` keeps, per situation, the rule that
validation supports, and the bundle stores it with the figures. Test data never enters.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require
from logsieve.collab.examples import Embed
from logsieve.collab.trust import SITUATIONS, Observation, TrustRule, choose_trust
from logsieve.detectors.base import SequenceBatch
from logsieve.engine.build import EngineConfig, build_engine
from logsieve.jobs.bundle import ModelBundle
from logsieve.llm.base import LLMBackend
from logsieve.store import Store

np = require("numpy", purpose="trust calibration")


class CalibrationConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_per_situation: int = Field(default=30, ge=1)
    """Routed validation sequences asked about per situation, spread evenly over time (LLM
    calls cost seconds each on two cores)."""
    min_n: int = Field(default=5, ge=1)
    """Fewer routed sequences than this in a situation: its default rule stands."""


def calibrate_trust(model_dir: Path, validation: SequenceBatch, engine: EngineConfig, *,
                    backend: LLMBackend | None = None, templates: Mapping[int, str] | None = None,
                    embed: Embed | None = None, config: CalibrationConfig | None = None,
                    progress: Callable[[int, int], None] | None = None) -> ModelBundle:
    """Measure the expert in each routing situation on ``validation``; save and return the
    bundle with the chosen :class:`TrustRule`. ``backend`` is used and left open; without it
    ``engine.llm`` names one, closed at the end."""
    config = config or CalibrationConfig()
    measuring = engine.model_copy(update={"mode": "cola", "trust": TrustRule.llm_decides(), "max_llm_calls": None,
                                          "example_origins": ("train",)})
    observations: list[Observation] = []
    with tempfile.TemporaryDirectory(prefix="logsieve-calibrate-") as tmp:
        store = Store(Path(tmp) / "calibrate.db")
        built = build_engine(model_dir, measuring, store, backend=backend, templates=templates, embed=embed)
        try:
            pipeline = built.pipeline
            if getattr(pipeline, "expert", None) is None:
                raise ValueError("measuring the trust rule needs an LLM")
            labelled = [s for s in validation.sequences if s.label is not None]
            chosen = _pick(labelled, pipeline.route(labelled, built.templates), config.max_per_situation)
            pipeline.on_routed = lambda seq, situation, small, llm: observations.append(
                Observation(situation, small, llm, int(seq.label or 0)))
            for i, seq in enumerate(chosen):
                built.judge([seq])
                if progress is not None:
                    progress(i + 1, len(chosen))
            expert = {"prompt": pipeline.expert.prompt.id, "backend": pipeline.expert.backend.name}
        finally:
            store.close()
            if backend is None:
                built.close()
    rule = choose_trust(observations, config.min_n)
    bundle = ModelBundle.load(model_dir).model_copy(update={"trust": rule, "expert": expert})
    bundle.save(model_dir)
    return bundle


def _pick(seqs, situations, per: int):
    """Up to ``per`` sequences of each situation, spread evenly over time, in time order."""
    keep: list[int] = []
    for situation in SITUATIONS:
        idx = [i for i, s in enumerate(situations) if s == situation]
        if len(idx) > per:
            idx = [idx[j] for j in np.unique(np.linspace(0, len(idx) - 1, per).round().astype(int))]
        keep.extend(idx)
    return [seqs[i] for i in sorted(keep)]
