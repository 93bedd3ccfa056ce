"""Training a candidate in a child process, at low priority, so detection keeps its CPU.

A retrain in a thread of the detecting process competes with detection for two things: the
GIL (a torch training loop runs a lot of Python between kernels) and the cores (torch's
intra-op thread count is process-wide, so the trainer cannot take fewer threads without
taking them from the scorer too). A child process has its own GIL and its own thread count,
and ``os.nice`` lets the kernel give detection the CPU first. The child is *spawned*, not
forked: forking a process whose OpenMP pool has run can deadlock the child.

The child writes the fitted detector to a directory (its ``save``) and a small JSON of what it
did; the parent loads it (``load_detector``) and hands it to the caller, who swaps it in
through the :class:`~logsieve.adapt.swap.ModelSlot`. Whatever happens to the child (an
exception, a kill, a timeout) becomes a :class:`FitCrashed` in the parent, which the
:class:`~logsieve.adapt.swap.Retrainer` records as a failed run while the old model stays live.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logsieve.detectors.base import Detector

MODEL_DIR = "model"
INFO_FILE = "info.json"
ERROR_FILE = "error.txt"


class FitCrashed(RuntimeError):
    """The training child failed: raised, was killed, or ran out of time."""


@dataclass(frozen=True)
class ChildLimits:
    """How the child is kept from starving detection."""

    nice: int = 10
    """Added to the child's niceness (0..19): the kernel serves detection first."""
    threads: int = 1
    """torch intra-op threads in the child (the detector's own ``threads`` setting is overridden)."""
    timeout_s: float | None = None
    """Kill the child after this long (None: no limit)."""


def limit_threads(detector: Detector, threads: int) -> Detector:
    """``detector`` with its ``threads`` setting (torch detectors have one) set to ``threads``.

    The torch detectors call ``torch.set_num_threads(config.threads)`` when they fit, which
    would undo a limit set around them."""
    if "threads" in type(detector.config).model_fields:
        detector.config = detector.config.model_copy(update={"threads": threads})
    return detector


class ProcessFit:
    """Run ``fit`` (a picklable zero-argument callable returning ``(detector, info)``) in a
    spawned child under ``limits``; calling the instance returns the loaded detector.

    ``info`` (a JSON-able dict) is kept in :attr:`last_info`. ``keep_dir``: copy the saved
    model there (for the model registry); otherwise it is deleted once loaded.
    """

    def __init__(self, fit: Callable[[], tuple[Detector, dict[str, Any]]], limits: ChildLimits | None = None,
                 keep_dir: Path | None = None) -> None:
        self.fit = fit
        self.limits = limits or ChildLimits()
        self.keep_dir = keep_dir
        self.last_info: dict[str, Any] = {}
        self.pid: int | None = None
        """The running child's pid (None when none runs): a test can kill it."""

    def __call__(self) -> Detector:
        ctx = multiprocessing.get_context("spawn")
        with tempfile.TemporaryDirectory(prefix="logsieve-fit-") as tmp:
            work = Path(tmp)
            proc = ctx.Process(target=_child, args=(self.fit, str(work), self.limits), name="logsieve-fit",
                               daemon=True)
            proc.start()
            self.pid = proc.pid
            try:
                proc.join(self.limits.timeout_s)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
                    raise FitCrashed(f"training ran past its {self.limits.timeout_s:g} s limit and was stopped")
            finally:
                self.pid = None
            if proc.exitcode != 0:
                raise FitCrashed(_why(proc.exitcode, work))
            return self._load(work)

    def _load(self, work: Path) -> Detector:
        from logsieve.detectors import load_detector

        self.last_info = json.loads((work / INFO_FILE).read_text("utf-8"))
        threads = _torch_threads()
        try:
            model = load_detector(work / MODEL_DIR)
        finally:  # a torch detector's load sets the process-wide thread count to its own setting
            if threads is not None:
                _set_torch_threads(threads)
        if self.keep_dir is not None:
            shutil.copytree(work / MODEL_DIR, self.keep_dir, dirs_exist_ok=True)
        return model


def _child(fit: Callable[[], tuple[Detector, dict[str, Any]]], work: str, limits: ChildLimits) -> None:
    """The child's whole life: lower its priority, fit, save; on failure leave the reason."""
    out = Path(work)
    try:
        if limits.nice:
            os.nice(limits.nice)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # read when torch loads, if the fit needs it
            os.environ[var] = str(limits.threads)
        _set_torch_threads(limits.threads)
        model, info = fit()
        model.save(out / MODEL_DIR)
        (out / INFO_FILE).write_text(json.dumps(info), "utf-8")
    except BaseException as exc:  # noqa: BLE001 - the parent must learn of any failure
        (out / ERROR_FILE).write_text(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}", "utf-8")
        raise SystemExit(1) from None


def _why(exitcode: int | None, work: Path) -> str:
    error = work / ERROR_FILE
    if error.exists():
        return "training raised " + error.read_text("utf-8").splitlines()[0]
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the training process was killed ({name})"
    return (f"the training process exited with code {exitcode} before it could say why (its stderr has the "
            "traceback; a spawned child must be able to import the parent's __main__ module)")


class CoreShare:
    """While a training child runs, the *calling* thread scores with the cores the child leaves.

    Why: a scorer with as many torch threads as cores, beside a child on one of them, ends every
    parallel kernel waiting at its barrier for the thread that shares a core with the child.
    Measured with ``benchmarks/retrain_throughput.py`` (LogMoE, 2 cores): 5,902 sequences/s
    without a retrain, 2,729 during one (0.46x), and the niced child took 540 s to fit.
    torch's intra-op thread count belongs to each calling thread (OpenMP), so ``update`` must run
    in the thread that scores (the detecting thread), not in the one that starts the child.
    """

    def __init__(self, child_threads: int) -> None:
        self.child_threads = child_threads
        self._saved: int | None = None

    @property
    def yielded(self) -> bool:
        return self._saved is not None

    def update(self, child_running: bool) -> None:
        """Drop to the free cores when a child runs, restore when none does; no-op without torch."""
        if sys.modules.get("torch") is None:
            return
        if child_running and self._saved is None:
            self._saved = _torch_threads()
            free = max(1, _cores() - self.child_threads)
            if self._saved is not None and free < self._saved:
                _set_torch_threads(free)
        elif not child_running and self._saved is not None:
            _set_torch_threads(self._saved)
            self._saved = None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _torch_threads() -> int | None:
    torch = sys.modules.get("torch")  # not imported: nothing to keep (and no 3 s import to pay)
    return None if torch is None else torch.get_num_threads()


def _set_torch_threads(threads: int) -> None:
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
