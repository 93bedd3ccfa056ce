"""Learning while running: the Adapter inside the engine, its versions on disk and in the registry.

``logsieve detect --follow`` and ``logsieve serve`` run CoLA's adaptation loop
(:mod:`logsieve.adapt.adapter`): the LLM's answers are pseudo-labels, a background retrain fits
a candidate on the bundle's train split plus the pseudo-labels the noisy-label filter keeps,
and the candidate goes live only if it is not worse on the newest held-back pseudo-labels.
This module makes that loop survive a restart and shows what it did:

* the train and validation splits the Adapter needs are the bundle's example bank
  (``examples.jsonl``: origin ``train`` / ``validation``, plus ``pseudo`` once adaptation has
  accepted some), so no data set is read again;
* every candidate is written as a full bundle, ``<store>.models/v<N>/`` (detector, the parser
  state its template ids belong to, tau re-chosen for it on validation, the templates it
  knows, the example bank with the pseudo-labels it learnt from, and ``adapt.json`` saying
  what it came from), and registered in the store's :class:`~logsieve.adapt.registry.ModelRegistry`:
  ``live`` when swapped in, ``aside`` when not better. ``logsieve models`` and the dashboard
  list them; ``logsieve models rollback`` makes another one live;
* on start the engine runs the registry's live version of the bundle it was given, and the
  Adapter reloads the pseudo-labels collected since that version took its labels (the
  ``pseudo_labels`` table that every judged batch writes), so a restart resumes both.

The fits run in a child process; what they produce is recorded by the *detecting* thread,
between batches (:meth:`LiveAdapter.observe`, :meth:`LiveAdapter.poll`): only that thread reads
the parser and the example bank, and the pipeline's model, tau and known templates change
together, in one place, so a batch is never judged by a model the registry does not list.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from logsieve.adapt.adapter import AdaptConfig, Adapter, PseudoLabel
from logsieve.adapt.registry import ModelEntry, ModelRegistry
from logsieve.adapt.swap import ModelSlot, RetrainOutcome
from logsieve.collab.examples import ExampleBank
from logsieve.detectors.base import Detector, SequenceBatch, read_meta
from logsieve.jobs.bundle import BUNDLE_FILE, ModelBundle
from logsieve.persist import write_json_atomic
from logsieve.records import Sequence
from logsieve.store import Store

log = logging.getLogger("logsieve.adapt")

VERSION_META = "adapt.json"
MAX_PENDING = 100_000
"""Newest pseudo-labels reloaded on start (the Adapter keeps its labels in memory)."""


class AdaptSection(AdaptConfig):
    """The ``adapt:`` config section of ``serve`` and of the engine: the Adapter's settings
    (:class:`~logsieve.adapt.adapter.AdaptConfig`) plus the switch and where versions go."""

    enabled: bool = True
    """Run the Adapter (it needs mode cola, an LLM, a store and a bundle with an example bank;
    without one of them adaptation is off and the engine says why)."""
    max_call_rate: float = Field(default=0.1, gt=0.0, le=1.0)
    """tau of each swapped-in model is re-chosen on validation as ``train`` chose the first:
    the largest whose validation LLM-call rate stays within this."""
    models_dir: Path | None = None
    """Where model versions are written; None: next to the store, ``<store>.models/``."""


class VersionMeta(BaseModel):
    """``adapt.json`` in a version's directory: what the model came from and how it was judged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: str
    """The bundle this line of versions started from (resolved path)."""
    version: int
    parent: int | None
    """The registry version that was live when it was trained."""
    live: bool
    """Swapped in (else kept aside)."""
    labels_until: float
    """When its retrain took the pseudo-labels (Unix s): those before were used; a restart with
    this version live reloads only the ones after."""
    trigger: str = ""
    measure: str = ""
    offered: int = 0
    kept: int = 0
    candidate_score: float | None = None
    live_score: float | None = None
    tau: float | None = None
    created_at: float = 0.0


def read_version_meta(path: Path) -> VersionMeta | None:
    target = path / VERSION_META
    if not target.exists():
        return None
    try:
        return VersionMeta.model_validate_json(target.read_text("utf-8"))
    except ValueError:
        return None


@dataclass(frozen=True)
class LiveModel:
    """The model directory the engine runs for a bundle: the bundle itself, or the adapted
    version the registry marks live for it."""

    path: Path
    entry: ModelEntry | None
    meta: VersionMeta | None = None

    @property
    def adapted(self) -> bool:
        return self.meta is not None


def live_model(store: Store, model_dir: Path, bundle: ModelBundle) -> LiveModel:
    """Which directory to run: the registry's live entry for ``bundle.detector`` when it is
    ``model_dir`` itself or a version adapted from it (its ``adapt.json`` names it) whose files
    exist; otherwise ``model_dir`` (another bundle's version is never picked up)."""
    base = str(model_dir.resolve())
    registry = ModelRegistry(store)
    live = registry.live(bundle.detector)
    if live is not None:
        path = Path(live.path)
        if str(path.resolve()) == base:
            return LiveModel(model_dir, live)
        meta = read_version_meta(path)
        if meta is not None and meta.base == base and (path / BUNDLE_FILE).exists():
            return LiveModel(path, live, meta)
    known = [m for m in registry.list(bundle.detector) if str(Path(m.path).resolve()) == base]
    return LiveModel(model_dir, known[-1] if known and known[-1].status == "live" else None)


def register_base(store: Store, model_dir: Path, name: str, note: str) -> ModelEntry:
    """The registry entry of the trained bundle itself; registered (live) when it has none, so
    a run's first model is listed and can be rolled back to."""
    registry = ModelRegistry(store)
    base = str(model_dir.resolve())
    known = [m for m in registry.list(name) if str(Path(m.path).resolve()) == base]
    if known:
        return known[-1]
    return registry.register(name, base, live=True, note=note)


def pending_labels(store: Store, since: float, limit: int = MAX_PENDING) -> list[PseudoLabel]:
    """The pseudo-labels written after ``since`` (oldest first, at most the newest ``limit``)."""
    rows = store.connection.execute(
        "SELECT seq_key, template_ids, label, source FROM pseudo_labels WHERE created_at > ? "
        "ORDER BY id DESC LIMIT ?", (since, limit)).fetchall()
    return [PseudoLabel(Sequence(key, [int(t) for t in json.loads(ids)], label=int(label)), source)
            for key, ids, label, source in reversed(rows)]


def split_bank(bank: ExampleBank, templates: Mapping[int, str]) -> tuple[SequenceBatch, SequenceBatch]:
    """The Adapter's train split (``train`` and accepted ``pseudo`` examples) and validation
    split (``validation``), from the bundle's example bank."""
    train, validation = [], []
    for seq, status, origin in bank.entries():
        labelled = Sequence(seq.key, list(seq.template_ids), label=int(status == "abnormal"))
        (validation if origin == "validation" else train).append(labelled)
    return SequenceBatch(train, templates), SequenceBatch(validation, templates)


def why_not(bank: ExampleBank | None) -> str | None:
    """Why the bank cannot give the Adapter its splits, or None when it can."""
    if bank is None or not len(bank):
        return ("the model bundle has no example bank (labelled train and validation sequences); "
                "train it again with `logsieve train` to adapt")
    origins = {o for _, _, o in bank.entries()}
    if "validation" not in origins or not origins & {"train", "pseudo"}:
        return "the model bundle's example bank lacks train or validation sequences"
    return None


def detector_factory(name: str, model_dir: Path) -> functools.partial:
    """A picklable maker of new, unfitted detectors configured as the saved one was (a child
    process builds candidates with it)."""
    from logsieve.detectors import make_detector

    return functools.partial(make_detector, name, read_meta(model_dir).get("config") or {})


@dataclass
class _Finished:
    """A finished retrain, waiting for the detecting thread to record it."""

    outcome: RetrainOutcome
    trigger: str
    measure: str
    offered: int
    kept: list[Sequence]
    labels_until: float
    tau: float | None
    known: frozenset[int]


class LiveAdapter(Adapter):
    """The Adapter as ``detect --follow`` and ``serve`` run it (module docstring).

    The pipeline judges with its own :class:`ModelSlot`; the Adapter's slot (the one the
    retrain compares against and swaps) moves first, and the pipeline's follows when the
    detecting thread has written and registered the version."""

    def __init__(self, *, config: AdaptSection, store: Store, model_dir: Path, live: LiveModel,
                 bundle: ModelBundle, detector: Detector, bank: ExampleBank, templates: Mapping[int, str],
                 retune_tau: bool) -> None:
        train, validation = split_bank(bank, templates)
        self.section = config
        self.store = store
        self.registry = ModelRegistry(store)
        self.base = model_dir
        self.name = bundle.detector
        self.bundle = bundle
        self.bank = bank
        self.live_dir = live.path
        self.retune_tau = retune_tau
        self.models_dir = config.models_dir or Path(f"{store.path}.models")
        self.pipeline: Any = None
        """The pipeline whose slot, tau and known templates follow each recorded swap."""
        base_entry = register_base(store, model_dir, bundle.detector,
                                   "the trained bundle (registered when adaptation started)")
        entry = live.entry if live.entry is not None else base_entry
        self.version: int | None = entry.version
        since = live.meta.labels_until if live.meta is not None else entry.created_at
        pending = pending_labels(store, since)
        super().__init__(ModelSlot(detector), detector_factory(bundle.detector, live.path), train, validation,
                         config, on_done=self._done, known=bundle.known_templates, pending=pending)
        self.resumed = len(pending)
        self._live_known = frozenset(self.drift.known)
        self._finished: deque[_Finished] = deque()
        self._record_lock = threading.Lock()
        self.recorded: list[ModelEntry] = []
        """Versions this run registered, oldest first."""
        self._added: list[Sequence] = []
        """The pseudo-labelled examples this run put in the bank (what the live model learnt from
        since this start); a newer swap replaces them."""
        self.last_note = ""
        log.info("adaptation on: live model version %s (%s); %d pending pseudo-labels reloaded, %d known templates",
                 self.version, self.live_dir, self.resumed, len(self._live_known))

    # ------------------------------------------------------------------ the detecting thread
    @property
    def known_templates(self) -> frozenset[int]:
        """The templates the pipeline's (recorded) live model knows: they change with it."""
        return self._live_known

    def observe(self, verdicts, seqs: list[Sequence], templates: Mapping[int, str]) -> None:
        self.poll(templates)
        super().observe(verdicts, seqs, templates)
        if not self.config.background:
            # a synchronous retrain has just finished in this thread: record it now, so its
            # model, tau and known templates judge the next batch (as in the Adapter alone),
            # not the one after
            self.poll(templates)

    def poll(self, templates: Mapping[int, str] | None = None) -> int:
        """Record the retrains finished since the last call (from the detecting thread, which
        owns ``templates``' parser and the bank); the number recorded."""
        done = 0
        with self._record_lock:
            while self._finished:
                finished = self._finished.popleft()
                try:
                    self._record(finished, templates)
                except Exception:  # noqa: BLE001 - a version that cannot be saved must not stop detection
                    log.exception("adaptation: could not save the retrained model; the live model stays")
                    self.last_note = "the last candidate could not be saved; the live model stays"
                done += 1
        return done

    def _record(self, f: _Finished, templates: Mapping[int, str] | None) -> None:
        outcome = f.outcome
        candidate = outcome.candidate
        assert isinstance(candidate, Detector)
        version = self.registry.next_version()
        path = self.models_dir / f"v{version}"
        if outcome.swapped:
            # each retrain is offered every pseudo-label since this start, so what this model
            # learnt from supersedes what the last swapped-in one did: replace those examples,
            # else every swap adds the same labels again (7 swaps at evolution ratio 0.3: 2,176
            # pseudo examples for 624 kept) until the bank reaches its size limit and drops
            # train examples, the oldest. Pseudo examples of earlier starts (part of this
            # start's train split) stay.
            self.bank.discard(self._added)
            self._added = [Sequence(s.key, list(s.template_ids), label=s.label) for s in f.kept]
            self.bank.add(self._added, _texts(templates, f.kept), ["abnormal" if s.label else "normal" for s in f.kept],
                          origin="pseudo")
        bundle = self.bundle
        if outcome.swapped:
            bundle = bundle.model_copy(update={"known_templates": sorted(f.known), "examples": len(self.bank),
                                               **({"tau": f.tau} if f.tau is not None else {})})
        meta = VersionMeta(base=str(self.base.resolve()), version=version, parent=self.version, live=outcome.swapped,
                           labels_until=f.labels_until, trigger=f.trigger, measure=f.measure, offered=f.offered,
                           kept=len(f.kept), candidate_score=outcome.candidate_score, live_score=outcome.live_score,
                           tau=f.tau, created_at=time.time())
        write_version(path, candidate, bundle, self.bank, self.live_dir, getattr(templates, "parser", None), meta)
        note = (f"adapted ({f.trigger}): learnt from {len(f.kept)} of {f.offered} pseudo-labels; "
                f"{f.measure} {outcome.candidate_score:.4f} against live {outcome.live_score:.4f}")
        entry = self.registry.register(self.name, path, live=outcome.swapped, validation=outcome.candidate_score,
                                       trained_on=len(self.train) + len(f.kept), note=note)
        self.recorded.append(entry)
        self.last_note = f"version {entry.version} {'live' if outcome.swapped else 'kept aside'}: {note}"
        log.info("adaptation: %s (%s)", self.last_note, path)
        if outcome.swapped:
            self.bundle, self.live_dir, self.version = bundle, path, entry.version
            self._live_known = f.known
            if self.pipeline is not None:
                self.pipeline.slot.swap(candidate)
                if f.tau is not None:
                    self.pipeline.config = self.pipeline.config.model_copy(update={"tau": f.tau})

    # ------------------------------------------------------------------ the retrain thread
    def _done(self, outcome: RetrainOutcome) -> None:
        """Runs where the retrain ran: choose the candidate's tau, queue it for recording."""
        if outcome.error is not None or outcome.candidate is None:
            log.warning("adaptation: %s", outcome.reason)
            self.last_note = outcome.reason
            return
        tau = None
        if self.retune_tau and outcome.swapped:
            from logsieve.collab.tau import choose_tau

            tau = choose_tau(outcome.candidate.score(self.validation), self.section.max_call_rate)
        with self._lock:
            known = frozenset(self.drift.known) if outcome.swapped else self._live_known
            trigger = self.stats.triggers[-1] if self.stats.triggers else ""
            measure = self.stats.measures[-1] if self.stats.measures else ""
        self._finished.append(_Finished(outcome, trigger, measure, self.stats.last_offered, list(self.last_kept),
                                        self.last_split_at or time.time(), tau, known))

    # ------------------------------------------------------------------ any thread
    def status(self) -> dict[str, Any]:
        """What /health and the job summaries show."""
        return {"enabled": True, "live_version": self.version, "pseudo_labels": self.stats.pseudo_labels,
                "pending": self._since, "resumed": self.resumed, "retrains": self.stats.retrains,
                "swaps": self.swaps, "versions_recorded": len(self.recorded), "retraining": self.retraining,
                "unrecorded": len(self._finished),
                "known_templates": len(self._live_known), "last": self.last_note}

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop a retrain still running (its child is killed: what it learnt is not lost, the
        pseudo-labels stay in the store for the next start)."""
        pid = self.child_pid
        if self.retraining and pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.join(timeout_s)


def _texts(templates: Mapping[int, str] | None, seqs: list[Sequence]) -> dict[int, str]:
    """The texts of the templates ``seqs`` hold (a copy: the bank keeps it with the examples)."""
    if templates is None:
        return {}
    ids = {t for s in seqs for t in s.template_ids}
    return {t: templates[t] for t in ids if t in templates}


def write_version(path: Path, detector: Detector, bundle: ModelBundle, bank: ExampleBank, source: Path,
                  parser: Any, meta: VersionMeta) -> Path:
    """A full model bundle at ``path`` (loadable like any: ``detect --model PATH``), written in
    a temporary directory first so a crash leaves no half version behind."""
    from logsieve.engine.bank import save_bank

    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    detector.save(tmp)
    if parser is not None:
        parser.save(tmp / "parser")
    elif (source / "parser").exists():
        shutil.copytree(source / "parser", tmp / "parser")
    save_bank(tmp, bank)
    bundle.save(tmp)
    write_json_atomic(tmp / VERSION_META, meta.model_dump(mode="json"))
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return path
