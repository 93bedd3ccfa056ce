"""CoLA's adaptation loop: the LLM's answers become training data for the small model.

Each verdict that came from the LLM (or from the knowledge table, which holds LLM answers)
is a pseudo-label. Once ``warmup`` of them exist, and then every ``retrain_every`` new ones,
a retrain starts in the background (:class:`~logsieve.adapt.swap.Retrainer`):

1. the newest ``holdback`` share of the pseudo-labels is held back (chronologically: a model
   is judged on what came after what it learnt from). Its older half joins the original
   validation split to choose the candidate's threshold and epochs; its newer half is the
   slice candidate and live model are compared on, which neither has seen;
2. a warm-up model is fitted on the train split plus all the rest; its per-sample training
   loss goes through the GMM filter (:func:`~logsieve.adapt.noise.clean_mask`) and only the
   clean ones are kept. The loss must come from a model that has learnt from the pseudo-labels:
   the live model would call every correct label of a new kind of failure "noisy", since it
   has never seen one; a model fitted on them fits the consistent labels and not the flipped;
3. a fresh detector is fitted on the original train split plus the clean pseudo-labels;
4. it is swapped in only if its F1 on the held-back slice is not worse than the live model's.

Detection reads the model from the :class:`~logsieve.adapt.swap.ModelSlot` once per batch,
so it never waits for training and never sees half a swap. Steps 2 and 3 (the fits) run in a
spawned child process at low priority with one torch thread (``isolation="process"``, see
:mod:`logsieve.adapt.isolated`): in a thread of this process they took the GIL and torch's
process-wide threads from detection.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logsieve.adapt.isolated import ChildLimits, ProcessFit, limit_threads
from logsieve.adapt.noise import NoiseFilterConfig, clean_mask, per_sample_loss
from logsieve.adapt.swap import ModelSlot, RetrainOutcome, Retrainer
from logsieve.detectors.base import Detector, SequenceBatch, prf
from logsieve.records import Sequence

PSEUDO_SOURCES = ("llm", "cache")


class AdaptConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warmup: int = Field(default=50, ge=1)
    """Pseudo-labels needed before the first retrain."""
    retrain_every: int = Field(default=200, ge=1)
    """New pseudo-labels between retrains."""
    holdback: float = Field(default=0.2, ge=0.0, lt=1.0)
    """Newest share of pseudo-labels held back to compare candidate and live model on."""
    tolerance: float = Field(default=0.0, ge=0.0)
    """Swap when candidate F1 >= live F1 - tolerance."""
    filter: NoiseFilterConfig = NoiseFilterConfig()
    use_filter: bool = True
    """False keeps every pseudo-label (the benchmark's "keep all" arm)."""
    background: bool = True
    isolation: Literal["process", "thread"] = "process"
    """Where a background retrain fits: ``process``, a spawned child at low priority with one
    torch thread (detection keeps its CPU and GIL: :mod:`logsieve.adapt.isolated`; ``make``
    must then be picklable, e.g. ``functools.partial(make_detector, "logmoe")``), or
    ``thread``, in this process. A synchronous retrain (``background=False``) runs in the caller."""
    child: ChildLimits = ChildLimits()


@dataclass
class PseudoLabel:
    seq: Sequence  # template ids only, labelled
    source: str


@dataclass
class AdaptStats:
    pseudo_labels: int = 0
    retrains: int = 0
    last_kept: int = 0
    last_offered: int = 0


class Adapter:
    """Collects pseudo-labels from verdicts and retrains the slot's model (module docstring)."""

    def __init__(self, slot: ModelSlot[Detector], make: Callable[[], Detector], train: SequenceBatch,
                 validation: SequenceBatch, config: AdaptConfig | None = None,
                 on_done: Callable[[RetrainOutcome], None] | None = None) -> None:
        self.slot = slot
        self.make = make
        self.train = train
        self.validation = validation
        self.config = config or AdaptConfig()
        if self.config.background and self.config.isolation == "process":
            _check_picklable(make)
        self._process: ProcessFit | None = None
        self.stats = AdaptStats()
        self._labels: list[PseudoLabel] = []
        self._since = 0
        self._lock = threading.Lock()
        self._templates: dict[int, str] = dict(train.templates)
        self._retrainer = Retrainer(slot, self._fit_candidate, self._validate, self.config.tolerance, on_done)
        self._heldback: SequenceBatch | None = None

    @property
    def outcomes(self) -> list[RetrainOutcome]:
        """Every retrain so far, oldest first."""
        return self._retrainer.outcomes

    @property
    def swaps(self) -> int:
        return sum(o.swapped for o in self.outcomes)

    @property
    def retraining(self) -> bool:
        return self._retrainer.running

    def observe(self, verdicts, seqs: list[Sequence], templates: Mapping[int, str]) -> None:
        """Take the pseudo-labels among ``verdicts`` (aligned with ``seqs``); maybe start a retrain."""
        with self._lock:
            self._templates.update(templates)
            for v, s in zip(verdicts, seqs):
                if v.source in PSEUDO_SOURCES:
                    self._labels.append(PseudoLabel(Sequence(s.key, list(s.template_ids), label=int(v.abnormal)),
                                                    v.source))
                    self._since += 1
            self.stats.pseudo_labels = len(self._labels)
            due = len(self._labels) >= self.config.warmup and (self.stats.retrains == 0 or
                                                               self._since >= self.config.retrain_every)
        if due and not self._retrainer.running:
            self.retrain()

    def retrain(self) -> RetrainOutcome | None:
        """Start one retrain now (in the background unless configured otherwise)."""
        with self._lock:
            self._since = 0
            self.stats.retrains += 1
        if self.config.background:
            self._retrainer.start()
            return None
        return self._retrainer.run_once()

    def join(self, timeout: float | None = None) -> None:
        self._retrainer.join(timeout)

    # ------------------------------------------------------------------ the retrain steps

    def _split(self) -> tuple[list[Sequence], list[Sequence], list[Sequence], dict[int, str]]:
        """Pseudo-labels in time order -> (learn from, tune on, compare on), and the templates."""
        with self._lock:
            labels = [p.seq for p in self._labels]
            templates = dict(self._templates)
        cut = len(labels) - int(round(self.config.holdback * len(labels)))
        mid = cut + (len(labels) - cut) // 2
        return labels[:cut], labels[cut:mid], labels[mid:], templates

    def _fit_candidate(self) -> Detector:
        learn, tune, judge, templates = self._split()
        self._heldback = SequenceBatch(judge, templates) if judge else SequenceBatch(self.validation.sequences, templates)
        plan = CandidatePlan(self.make, self.train.sequences, learn, self.validation.sequences + tune, templates,
                             self.config.use_filter, self.config.filter)
        if self.config.background and self.config.isolation == "process":
            fit = ProcessFit(replace(plan, threads=self.config.child.threads), self.config.child)
            self._process = fit
            try:
                candidate = fit()
            finally:
                self._process = None
            info = fit.last_info
        else:
            candidate, info = plan()
        self.stats.last_offered, self.stats.last_kept = info["offered"], info["kept"]
        return candidate

    @property
    def child_pid(self) -> int | None:
        """The pid of the training child while one runs (process isolation), else None."""
        fit = self._process
        return fit.pid if fit is not None else None

    def _validate(self, model: Detector) -> float:
        batch = self._heldback if self._heldback is not None else self.validation
        return prf(model.score(batch).abnormal, batch.labels)["f1"]


@dataclass(frozen=True)
class CandidatePlan:
    """One candidate fit (steps 2 and 3 of the module docstring), as data: picklable, so a
    child process can run it. Calling it returns the candidate and what the filter kept."""

    make: Callable[[], Detector]
    train: list[Sequence]
    learn: list[Sequence]
    """Pseudo-labels offered to the filter."""
    tuning: list[Sequence]
    templates: dict[int, str]
    use_filter: bool
    filter: NoiseFilterConfig
    threads: int | None = None
    """Override the detectors' torch thread count (the child's limit)."""

    def __call__(self) -> tuple[Detector, dict[str, Any]]:
        tuning = SequenceBatch(self.tuning, self.templates)
        offered = SequenceBatch(self.learn, self.templates)
        if self.use_filter and self.learn:
            warm = self._new()
            warm.fit(SequenceBatch(self.train + self.learn, self.templates), tuning)
            losses = per_sample_loss(warm.score(offered).confidence, offered.labels)
            offered = offered.subset(clean_mask(losses, self.filter).keep)
        candidate = self._new()
        candidate.fit(SequenceBatch(self.train + offered.sequences, self.templates), tuning)
        return candidate, {"offered": len(self.learn), "kept": len(offered)}

    def _new(self) -> Detector:
        model = self.make()
        return limit_threads(model, self.threads) if self.threads is not None else model


def _check_picklable(make: Callable[[], Detector]) -> None:
    try:
        pickle.dumps(make)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ValueError("a background retrain in a child process needs a picklable `make` (a module-level "
                         "function or functools.partial(make_detector, NAME, CONFIG), not a lambda), or "
                         f"AdaptConfig(isolation='thread'): {exc}") from exc
