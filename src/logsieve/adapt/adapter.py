"""CoLA's adaptation loop: the LLM's answers become training data for the small model.

Each verdict that came from the LLM (or from the knowledge table, which holds LLM answers)
is a pseudo-label: the LLM's own answer (:func:`~logsieve.collab.verdicts.pseudo_label`), even
where the trust rule kept the small model's verdict. A retrain starts in the background
(:class:`~logsieve.adapt.swap.Retrainer`) once :attr:`AdaptConfig.first_retrain_at` of them
exist, and after that when any of these holds (:meth:`Adapter._due`):

* ``retrain_every`` new pseudo-labels arrived (the plain count);
* ``retrain_interval`` sequences were observed and at least ``interval_min_labels`` new
  pseudo-labels came with them. A model that escalates little after a change would otherwise
  wait for 200 labels that never come;
* drift is signalled (:class:`DriftWatch`: the share of recent sequences holding a template the
  live model never learnt from jumps above its level on validation) and ``retrain_after_drift``
  new pseudo-labels arrived: an upgrade brings new templates, and the model should learn them
  from the first few answers, not the 200th.

Each retrain:

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
4. it is compared with the live model on the held-back slice (:func:`compare_measure`). When
   that slice holds both classes the measure is F1, and the candidate is swapped in when it is
   not worse (``tolerance``). When it holds one class only (typically no anomaly), F1 is 0 for
   both models and says nothing, so the measure is accuracy on the slice (for an all-normal
   slice: 1 - false-positive rate) and the candidate must be *strictly* better: a tie keeps the
   live model, since the slice cannot tell the two apart.

Detection reads the model from the :class:`~logsieve.adapt.swap.ModelSlot` once per batch,
so it never waits for training and never sees half a swap. Steps 2 and 3 (the fits) run in a
spawned child process at low priority with one torch thread (``isolation="process"``, see
:mod:`logsieve.adapt.isolated`): in a thread of this process they took the GIL and torch's
process-wide threads from detection.
"""

from __future__ import annotations

import math
import pickle
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require
from logsieve.adapt.isolated import ChildLimits, CoreShare, ProcessFit, limit_threads
from logsieve.adapt.noise import NoiseFilterConfig, clean_mask, per_sample_loss
from logsieve.adapt.swap import ModelSlot, RetrainOutcome, Retrainer
from logsieve.collab.verdicts import pseudo_label
from logsieve.detectors.base import Detector, SequenceBatch, prf
from logsieve.records import Sequence

np = require("numpy", purpose="the adaptation loop")


class AdaptConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warmup: int = Field(default=50, ge=1)
    """Pseudo-labels needed before the first retrain (raised to what the filter needs, see
    :attr:`first_retrain_at`)."""
    retrain_every: int = Field(default=200, ge=1)
    """New pseudo-labels between retrains."""
    retrain_interval: int | None = Field(default=2000, ge=1)
    """Sequences observed since the last retrain after which one is due anyway (given
    ``interval_min_labels`` new pseudo-labels); None turns it off. Counted in sequences, not
    seconds, so a replay is deterministic."""
    interval_min_labels: int = Field(default=10, ge=1)
    """New pseudo-labels an interval retrain needs: with none, nothing new could be learnt."""
    retrain_after_drift: int = Field(default=25, ge=1)
    """New pseudo-labels that suffice for a retrain while drift is signalled."""
    drift_window: int = Field(default=500, ge=10)
    """Most recent sequences the unseen-template share is measured over."""
    drift_jump: float = Field(default=0.1, gt=0.0, le=1.0)
    """Drift: the window's unseen-template share exceeds the validation split's by this much."""
    known_after: int = Field(default=20, ge=1)
    """A template new since training counts as known (no longer never-seen, for drift and for
    ``escalate_unseen``) once a swapped-in model was offered this many pseudo-labelled sequences
    holding it. Until then its sequences keep going to the LLM, so the labels keep coming. Once
    it counts as known, a sequence the model calls normal with confidence is never asked about
    again: if the model learnt the template from a few labels most of which the judge got
    wrong, nothing would ever correct it. 20: with a judge wrong on 20% of anomalies (the 0.5B's
    measured rate), a majority of 20 labels is wrong with probability 0.3% (of 5: 6%)."""
    holdback: float = Field(default=0.2, ge=0.0, lt=1.0)
    """Newest share of pseudo-labels held back to compare candidate and live model on."""
    tolerance: float = Field(default=0.0, ge=0.0)
    """Swap when candidate F1 >= live F1 - tolerance (slices holding both classes only)."""
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
    share_cores: bool = True
    """With process isolation, the detecting thread scores with the cores the child leaves free
    while it trains (:class:`~logsieve.adapt.isolated.CoreShare`: 0.46x throughput without)."""

    @property
    def first_retrain_at(self) -> int:
        """Pseudo-labels before the first retrain: ``warmup``, raised (when the filter is on) so
        the share not held back reaches the filter's own warm-up. Otherwise a first retrain at 50
        labels would offer 40 to a filter that fits from 50, and keep every label unfiltered."""
        if not self.use_filter:
            return self.warmup
        return max(self.warmup, math.ceil(self.filter.warmup / (1.0 - self.holdback)))


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
    triggers: list[str] = field(default_factory=list)
    """Why each retrain started: warmup, count, interval, drift or manual."""
    measures: list[str] = field(default_factory=list)
    """What each comparison decided on: f1 or accuracy (one-class slice)."""
    observed: int = 0
    """Sequences observed so far."""
    drift_onsets: list[int] = field(default_factory=list)
    """``observed`` at each point the drift signal switched on (to see when, and if, it fired)."""


class DriftWatch:
    """Signals drift from the share of recent sequences holding a template the live model never
    learnt from.

    A software upgrade rewrites log statements, so the parser yields templates that were not in
    the training data; the live model then scores on features it has no weight for. The level
    that is normal is measured on the validation split (before any change, so nothing is tuned
    on what comes after); drift is a window share above it by ``jump``. A template held by at
    least ``known_after`` of the pseudo-labelled sequences a swapped-in model was offered counts
    as known from then on, so the signal ends once a model has learnt from the new ones.
    """

    def __init__(self, known: Iterable[int], reference: Iterable[Sequence], window: int, jump: float,
                 known_after: int) -> None:
        self.known: set[int] = set(known)
        self.known_after = known_after
        self.window: deque[frozenset[int]] = deque(maxlen=window)
        self.jump = jump
        self.baseline = self._share(frozenset(s.template_ids) for s in reference)

    def _share(self, templates: Iterable[frozenset[int]]) -> float:
        rows = list(templates)
        return sum(not t <= self.known for t in rows) / len(rows) if rows else 0.0

    def add(self, seqs: Iterable[Sequence]) -> None:
        self.window.extend(frozenset(s.template_ids) for s in seqs)

    def learnt(self, seqs: Iterable[Sequence]) -> None:
        """``seqs``: every pseudo-label a swapped-in model was offered (each retrain offers all
        so far, so counts are not summed over retrains)."""
        counts = Counter(t for s in seqs for t in set(s.template_ids))
        self.known.update(t for t, n in counts.items() if n >= self.known_after)

    @property
    def share(self) -> float:
        return self._share(self.window)

    @property
    def drifting(self) -> bool:
        """Only on a full window: a handful of sequences is no evidence of a change."""
        return len(self.window) == self.window.maxlen and self.share > self.baseline + self.jump


def compare_measure(labels: Iterable[int]) -> Literal["f1", "accuracy"]:
    """F1 when the slice holds both classes; accuracy when it holds one (F1 would be 0 for any
    model on a slice without anomalies, and 0 >= 0 would swap in whatever was trained)."""
    return "f1" if len({int(y) for y in labels if int(y) >= 0}) > 1 else "accuracy"


def slice_score(predicted: "np.ndarray", labels: "np.ndarray", measure: str) -> float:
    """The comparison measure of one model on the held-back slice."""
    labels = np.asarray(labels)
    if measure == "f1":
        return prf(np.asarray(predicted), labels)["f1"]
    known = labels >= 0  # unknown labels (-1) are ignored, as prf does
    pred, truth = np.asarray(predicted)[known].astype(bool), labels[known].astype(bool)
    return float((pred == truth).mean()) if len(truth) else 0.0


def accept_candidate(candidate: float, live: float, measure: str, tolerance: float) -> bool:
    """F1: not worse by more than ``tolerance``. Accuracy on a one-class slice: strictly better,
    so a tie (the slice cannot tell them apart) keeps the live model."""
    return candidate >= live - tolerance if measure == "f1" else candidate > live


class Adapter:
    """Collects pseudo-labels from verdicts and retrains the slot's model (module docstring)."""

    def __init__(self, slot: ModelSlot[Detector], make: Callable[[], Detector], train: SequenceBatch,
                 validation: SequenceBatch, config: AdaptConfig | None = None,
                 on_done: Callable[[RetrainOutcome], None] | None = None, *,
                 known: Iterable[int] | None = None, pending: Iterable[PseudoLabel] = ()) -> None:
        """``known``: the template ids the live model has learnt from (default: train's). A
        model adapted earlier knows more than its train split shows: the templates its
        pseudo-labels held, once :attr:`AdaptConfig.known_after` of them did. ``pending``:
        pseudo-labels collected before this start and not yet learnt from (a restart resumes
        with them); they count towards the next retrain like new ones."""
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
        self._seen_since = 0
        self._on_done = on_done
        self._offered: list[Sequence] = []
        self.last_kept: list[Sequence] = []
        """The pseudo-labels the filter kept in the latest retrain (what its candidate learnt from)."""
        self.last_split_at: float | None = None
        """When the latest retrain took its pseudo-labels (``time.time()``): every label before
        it was learnt from, dropped as noisy, or used to tune and compare the candidate."""
        train_known = (t for s in train.sequences for t in s.template_ids)
        self.drift = DriftWatch(train_known if known is None else known, validation.sequences,
                                self.config.drift_window, self.config.drift_jump, self.config.known_after)
        self._retrainer = Retrainer(slot, self._fit_candidate, self._validate, self.config.tolerance,
                                    self._finished, accept=self._accept)
        self._heldback: SequenceBatch | None = None
        self._measure = "f1"
        self._cores = CoreShare(self.config.child.threads) if self._shares_cores else None
        self._labels.extend(pending)
        self._since = len(self._labels)
        self.stats.pseudo_labels = len(self._labels)

    @property
    def outcomes(self) -> list[RetrainOutcome]:
        """Every retrain so far, oldest first."""
        return self._retrainer.outcomes

    @property
    def swaps(self) -> int:
        return sum(o.swapped for o in self.outcomes)

    def share_cores(self) -> None:
        """Match the calling thread's torch threads to whether a training child runs (see
        :class:`~logsieve.adapt.isolated.CoreShare`). Call it from the detecting thread before
        each batch; the pipelines do, and :meth:`observe` does after it may start a retrain."""
        if self._cores is not None:
            self._cores.update(self._retrainer.running)

    @property
    def _shares_cores(self) -> bool:
        return self.config.background and self.config.isolation == "process" and self.config.share_cores

    @property
    def retraining(self) -> bool:
        return self._retrainer.running

    @property
    def known_templates(self) -> frozenset[int]:
        """Template ids the live model has learnt from: train's, plus those held by at least
        :attr:`AdaptConfig.known_after` of the pseudo-labels offered to a swapped-in model (the
        :class:`DriftWatch` set, one notion for both uses).
        ``ColaPipeline`` with ``escalate_unseen`` sends sequences holding any other to the LLM.
        A snapshot: a background swap may grow the set while a batch is judged."""
        with self._lock:
            return frozenset(self.drift.known)

    def observe(self, verdicts, seqs: list[Sequence], templates: Mapping[int, str]) -> None:
        """Take the pseudo-labels among ``verdicts`` (aligned with ``seqs``); maybe start a retrain."""
        with self._lock:
            self._templates.update(templates)
            self._note_drift(seqs)
            self._seen_since += len(seqs)
            for v, s in zip(verdicts, seqs):
                label = pseudo_label(v)
                if label is not None:
                    self._labels.append(PseudoLabel(Sequence(s.key, list(s.template_ids), label=label), v.source))
                    self._since += 1
            self.stats.pseudo_labels = len(self._labels)
            trigger = self._due()
        if trigger is not None and not self._retrainer.running:
            self.retrain(trigger)
        self.share_cores()

    def _note_drift(self, seqs: list[Sequence]) -> None:
        was = self.drift.drifting
        self.drift.add(seqs)
        self.stats.observed += len(seqs)
        if self.drift.drifting and not was:
            self.stats.drift_onsets.append(self.stats.observed)

    def _due(self) -> str | None:
        """Why a retrain is due now, or None (module docstring; called under the lock)."""
        cfg = self.config
        if len(self._labels) < cfg.first_retrain_at:
            return None
        if self.stats.retrains == 0:
            return "warmup"
        if self._since >= cfg.retrain_every:
            return "count"
        if cfg.retrain_interval is not None and self._seen_since >= cfg.retrain_interval \
                and self._since >= cfg.interval_min_labels:
            return "interval"
        if self._since >= cfg.retrain_after_drift and self.drift.drifting:
            return "drift"
        return None

    def retrain(self, trigger: str = "manual") -> RetrainOutcome | None:
        """Start one retrain now (in the background unless configured otherwise)."""
        with self._lock:
            self._since = 0
            self._seen_since = 0
            self.stats.retrains += 1
            self.stats.triggers.append(trigger)
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
            self.last_split_at = time.time()
        cut = len(labels) - int(round(self.config.holdback * len(labels)))
        mid = cut + (len(labels) - cut) // 2
        return labels[:cut], labels[cut:mid], labels[mid:], templates

    def _fit_candidate(self) -> Detector:
        learn, tune, judge, templates = self._split()
        self._heldback = SequenceBatch(judge, templates) if judge else SequenceBatch(self.validation.sequences, templates)
        self._measure = compare_measure(self._heldback.labels)
        self._offered = learn
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
        kept = info.get("kept_index")
        self.last_kept = learn if kept is None else [learn[i] for i in kept]
        return candidate

    @property
    def child_pid(self) -> int | None:
        """The pid of the training child while one runs (process isolation), else None."""
        fit = self._process
        return fit.pid if fit is not None else None

    def _validate(self, model: Detector) -> float:
        batch = self._heldback if self._heldback is not None else self.validation
        return slice_score(model.score(batch).abnormal, batch.labels, self._measure)

    def _accept(self, candidate: float, live: float) -> bool:
        with self._lock:
            self.stats.measures.append(self._measure)
        return accept_candidate(candidate, live, self._measure, self.config.tolerance)

    def _finished(self, outcome: RetrainOutcome) -> None:
        """A swapped-in model has learnt the templates of the pseudo-labels it was offered: they
        stop counting as unseen for the drift signal."""
        if outcome.swapped:
            with self._lock:
                self.drift.learnt(self._offered)
        if self._on_done is not None:
            self._on_done(outcome)


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
        kept = list(range(len(self.learn)))
        if self.use_filter and self.learn:
            warm = self._new()
            warm.fit(SequenceBatch(self.train + self.learn, self.templates), tuning)
            losses = per_sample_loss(warm.score(offered).confidence, offered.labels)
            keep = clean_mask(losses, self.filter).keep
            offered = offered.subset(keep)
            kept = [int(i) for i in np.flatnonzero(np.asarray(keep))]
        candidate = self._new()
        candidate.fit(SequenceBatch(self.train + offered.sequences, self.templates), tuning)
        return candidate, {"offered": len(self.learn), "kept": len(offered), "kept_index": kept}

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
