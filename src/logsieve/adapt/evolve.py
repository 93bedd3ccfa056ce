"""CollaborLog's adaptive evolve mechanism: what the LLM judged stops going to the LLM.

In :class:`~logsieve.collab.pipeline.CollaborLogPipeline` the autoencoder coordinator routes a
sequence it finds unfamiliar (the logs evolved, e.g. after a software upgrade) to the LLM; the
KNN small model decides the familiar ones. Without evolving, every later sequence of the same
new kind goes to the LLM again. :class:`Evolver` closes that loop:

1. it collects the LLM's judgements (``llm`` and ``cache`` verdicts) on the routed sequences;
2. every ``every`` of them it updates *copies* of both models:

   * the **small model** is fine-tuned on the judged sequences (a few epochs of its
     embedding net, with replayed memory rows against forgetting) and remembers them as
     labelled neighbours, so their near-duplicates are decided by their label at once;
   * the **coordinator** trains a few more epochs on the same sequences, mixed with a
     replay sample of the normal train sequences (so the familiar does not become
     unfamiliar), until their kind reconstructs well and stops being routed;

3. the pair is swapped in through one :class:`~logsieve.adapt.swap.ModelSlot`, so a reader
   takes coordinator and small model of the same version, never one old and one new.

The LLM is wrong at times, and what the small model remembers it repeats. With ``use_filter``
the judgements pass CoLA's GMM filter first (:mod:`logsieve.adapt.noise`): a scratch copy of
the small model is fine-tuned on all judgements so far, each judgement's cross-entropy under
that copy's classification head is its loss, and only the clean mode is learnt. The loss must
come from a model that has seen the labels (see :mod:`logsieve.adapt.adapter`); the KNN itself
cannot give it, since a remembered row is its own nearest neighbour. Judgements the filter
rejects are not forgotten: they are offered again at the next update, when there is more
evidence (every update filters all judgements so far and learns the kept ones not yet learnt).

Updates run in the caller's thread between batches: deterministic under the seed, and cheap
(a few hundred rows, a few epochs of two small MLPs). Each update uses its own seed
(``seed + update number``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require
from logsieve.adapt.noise import NoiseFilterConfig, clean_mask, per_sample_loss
from logsieve.adapt.swap import ModelSlot
from logsieve.detectors.base import Detector, SequenceBatch
from logsieve.records import Sequence

np = require("numpy", purpose="CollaborLog's evolve mechanism")
torch = require("torch", purpose="CollaborLog's evolve mechanism")

PSEUDO_SOURCES = ("llm", "cache")


class EvolveConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    every: int = Field(default=20, ge=1)
    """New LLM judgements between updates."""
    coordinator_epochs: int = Field(default=20, ge=0)
    """Passes of the coordinator over the judged sequences (plus replay) per update."""
    small_epochs: int = Field(default=5, ge=0)
    """Passes of the small model's embedding net per update (0: only remember them)."""
    replay: float = Field(default=2.0, ge=0)
    """Normal train sequences replayed to the coordinator per judged sequence."""
    use_filter: bool = True
    filter: NoiseFilterConfig = NoiseFilterConfig()
    seed: int = 0


@dataclass
class EvolveStats:
    judgements: int = 0
    """LLM judgements collected."""
    updates: int = 0
    learnt: int = 0
    """Judgements the models have learnt (kept by the filter)."""
    rejected: int = 0
    """Judgements the filter held back at the latest update."""
    history: list[dict] = field(default_factory=list)


def clone_detector(det: Detector) -> Detector:
    """A deep copy that shares the (read-only, large) sentence encoder and template-vector
    cache instead of copying them: only the weights, memory and calibration are the copy's."""
    memo: dict[int, object] = {}
    emb = getattr(det, "_embeddings", None)
    if emb is not None:
        memo[id(emb)] = emb
    return copy.deepcopy(det, memo)


class Evolver:
    """Holds the live (coordinator, small model) pair and evolves it from LLM judgements."""

    def __init__(self, coordinator: Detector, small: Detector, replay: SequenceBatch | None = None,
                 config: EvolveConfig | None = None) -> None:
        self.config = config or EvolveConfig()
        self.slot: ModelSlot[tuple[Detector, Detector]] = ModelSlot((coordinator, small))
        normal = [s for s in replay.sequences if s.label == 0] if replay is not None else []
        self._replay = normal
        self._replay_templates = dict(replay.templates) if replay is not None else {}
        self._judged: list[Sequence] = []  # every judgement, in arrival order (labelled copies)
        self._learnt: set[int] = set()  # indices into _judged already learnt
        self._pending = 0
        self._templates: dict[int, str] = {}
        self.stats = EvolveStats()

    @property
    def coordinator(self) -> Detector:
        return self.slot.current[0]

    @property
    def small(self) -> Detector:
        return self.slot.current[1]

    def observe(self, verdicts, seqs: list[Sequence], templates: Mapping[int, str]) -> None:
        """Collect the LLM's judgements among ``verdicts`` (aligned with ``seqs``); update when due."""
        self._templates.update(templates)
        for v, s in zip(verdicts, seqs):
            if v.source in PSEUDO_SOURCES:
                self._judged.append(Sequence(s.key, list(s.template_ids), label=int(v.abnormal)))
                self._pending += 1
        self.stats.judgements = len(self._judged)
        if self._pending >= self.config.every:
            self.update()

    def update(self) -> int:
        """Learn the (kept) judgements not learnt yet; swap the evolved pair in. Returns the
        number learnt in this update."""
        self._pending = 0
        new = [i for i in self._choose() if i not in self._learnt]
        self.stats.updates += 1
        if not new:
            return 0
        templates = {**self._replay_templates, **self._templates}
        batch = SequenceBatch([self._judged[i] for i in new], templates)
        coordinator, small = (clone_detector(m) for m in self.slot.current)
        if self.config.small_epochs:
            small.partial_fit(batch, epochs=self.config.small_epochs)
        else:
            small.remember(batch)
        if self.config.coordinator_epochs:
            coordinator.partial_fit(self._with_replay(batch), epochs=self.config.coordinator_epochs)
        self.slot.swap((coordinator, small))
        self._learnt.update(new)
        self.stats.learnt = len(self._learnt)
        self.stats.history.append({"update": self.stats.updates, "judgements": len(self._judged),
                                   "learnt": len(new), "rejected": self.stats.rejected})
        return len(new)

    # ------------------------------------------------------------------ steps
    def _choose(self) -> list[int]:
        """Indices of the judgements to learn: all, or those the GMM filter keeps."""
        everything = list(range(len(self._judged)))
        if not self.config.use_filter or len(self._judged) < self.config.filter.warmup:
            self.stats.rejected = 0
            return everything
        keep = self.filter_mask(self._judged)
        self.stats.rejected = int((~keep).sum())
        return [i for i in everything if keep[i]]

    def filter_mask(self, judged: list[Sequence]) -> "np.ndarray":
        """GMM filter over ``judged``: loss of each label under a scratch copy of the live small
        model fine-tuned on all of them (its classification head, not the KNN)."""
        templates = {**self._replay_templates, **self._templates}
        batch = SequenceBatch(judged, templates)
        scratch = clone_detector(self.small)
        scratch.partial_fit(batch, epochs=max(1, self.config.small_epochs))
        x = scratch.featurize(batch)
        with torch.no_grad():
            p_abnormal = torch.softmax(scratch.net.logits(torch.from_numpy(x)), dim=1)[:, 1].numpy()
        losses = per_sample_loss(1.0 - p_abnormal, batch.labels)
        cfg = self.config.filter.model_copy(update={"seed": self.config.seed})
        return clean_mask(losses, cfg).keep

    def _with_replay(self, batch: SequenceBatch) -> SequenceBatch:
        n = min(len(self._replay), int(round(self.config.replay * len(batch))))
        if n == 0:
            return batch
        rng = np.random.default_rng(self.config.seed + self.stats.updates)
        pick = rng.choice(len(self._replay), size=n, replace=False)
        return SequenceBatch(batch.sequences + [self._replay[i] for i in sorted(pick)], batch.templates)
