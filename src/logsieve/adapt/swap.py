"""The live model and its background retraining: detection never waits for training.

:class:`ModelSlot` holds the detector that scores the stream. Readers take ``slot.current``
(one reference read, atomic in Python) for each batch, so a swap between batches is seen by
the next batch and never half-way through one. :class:`Retrainer` trains a candidate in a
background thread (torch releases the GIL inside its kernels, so the stream keeps flowing),
scores both the candidate and the live model on a held-back validation slice, and swaps only
if the candidate is not worse by more than ``tolerance``; otherwise it keeps the candidate
aside, and says why. A training run that raises leaves the live model in place.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

M = TypeVar("M")


class ModelSlot(Generic[M]):
    """The live model and its version; ``swap`` replaces both together."""

    def __init__(self, model: M, version: int = 1) -> None:
        self._state = (model, version)
        self._lock = threading.Lock()

    @property
    def current(self) -> M:
        return self._state[0]

    @property
    def version(self) -> int:
        return self._state[1]

    def snapshot(self) -> tuple[M, int]:
        """Model and version read together (a swap in between cannot mix them)."""
        return self._state

    def swap(self, model: M) -> int:
        with self._lock:
            version = self._state[1] + 1
            self._state = (model, version)
        return version


@dataclass
class RetrainOutcome:
    swapped: bool
    version: int
    """The live version after this run."""
    candidate_score: float | None = None
    live_score: float | None = None
    seconds: float = 0.0
    error: str | None = None
    candidate: object | None = None
    """The model trained, swapped in or kept aside (None when training failed)."""

    @property
    def reason(self) -> str:
        if self.error:
            return f"training failed, the live model stays: {self.error}"
        verb = "swapped in" if self.swapped else "kept aside"
        return f"candidate {verb}: validation {self.candidate_score:.4f} against live {self.live_score:.4f}"


class Retrainer(Generic[M]):
    """Train a candidate in the background and swap it in when it is not worse.

    ``train()`` returns a new model; ``validate(model)`` returns a score on the held-back slice
    (higher is better, e.g. F1). One run at a time: ``start`` while a run is going returns None.
    """

    def __init__(self, slot: ModelSlot[M], train: Callable[[], M], validate: Callable[[M], float],
                 tolerance: float = 0.0, on_done: Callable[[RetrainOutcome], None] | None = None,
                 accept: Callable[[float, float], bool] | None = None) -> None:
        self.slot = slot
        self.train = train
        self.validate = validate
        self.tolerance = tolerance
        self.accept = accept or self._not_worse
        """``accept(candidate_score, live_score)`` -> swap? Default: not worse by more than
        ``tolerance``. A caller whose score can tie for lack of evidence (e.g. F1 0 against 0 on a
        slice without anomalies) passes its own rule."""
        self.on_done = on_done
        self.outcomes: list[RetrainOutcome] = []
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> threading.Thread | None:
        if self.running:
            return None
        self._thread = threading.Thread(target=self.run_once, name="logsieve-retrain", daemon=True)
        self._thread.start()
        return self._thread

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _not_worse(self, candidate_score: float, live_score: float) -> bool:
        return candidate_score >= live_score - self.tolerance

    def run_once(self) -> RetrainOutcome:
        """One retraining, in the calling thread (``start`` runs it in the background)."""
        started = time.perf_counter()
        try:
            candidate = self.train()
            candidate_score = float(self.validate(candidate))
            live_score = float(self.validate(self.slot.current))
        except Exception as exc:  # any failure of a training run must leave detection alone
            outcome = RetrainOutcome(False, self.slot.version, error=f"{type(exc).__name__}: {exc}",
                                     seconds=time.perf_counter() - started)
        else:
            better = bool(self.accept(candidate_score, live_score))
            version = self.slot.swap(candidate) if better else self.slot.version
            outcome = RetrainOutcome(better, version, candidate_score, live_score,
                                     time.perf_counter() - started, candidate=candidate)
        self.outcomes.append(outcome)
        if self.on_done is not None:
            self.on_done(outcome)
        return outcome
