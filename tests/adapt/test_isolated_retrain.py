"""Retraining in a child process: the candidate comes back and is swapped in; a child that
raises or is killed leaves the old model live, with the failure recorded."""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from logsieve.adapt import ModelSlot, Retrainer
from logsieve.adapt.adapter import AdaptConfig, Adapter
from logsieve.adapt.isolated import ChildLimits, FitCrashed, ProcessFit
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch, prf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_adapter import NEW, Said, drifted  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detectors"))
from detector_data import splits  # noqa: E402


def _adapter(make, **kw) -> tuple[Adapter, ModelSlot]:
    train, val, _ = splits()
    live = make_detector("logreg")
    live.fit(train, val)
    slot = ModelSlot(live)
    return Adapter(slot, make, train, val, AdaptConfig(warmup=100, retrain_every=10**6, child=ChildLimits(nice=0), **kw)), slot


def _feed(adapter: Adapter) -> None:
    stream = drifted(300, seed=5, start=5000)
    adapter.observe([Said("llm", bool(s.label)) for s in stream], stream, NEW)


def test_a_candidate_fitted_in_a_child_process_is_swapped_in():
    adapter, slot = _adapter(functools.partial(make_detector, "logreg"))
    old = slot.current
    _feed(adapter)  # reaches warm-up: the retrain starts in the background
    adapter.join(60)
    outcome = adapter.outcomes[-1]
    assert outcome.error is None and outcome.swapped and slot.version == 2 and slot.current is not old
    assert adapter.stats.last_offered > 0 and adapter.stats.last_kept > 0  # reported back by the child
    later = SequenceBatch(drifted(200, seed=6, start=9000), NEW)
    assert prf(slot.current.score(later).abnormal, later.labels)["f1"] > 0.9


def test_a_child_that_raises_leaves_the_old_model_live():
    adapter, slot = _adapter(functools.partial(make_detector, "no-such-detector"))
    old = slot.current
    _feed(adapter)
    adapter.join(60)
    outcome = adapter.outcomes[-1]
    assert slot.current is old and slot.version == 1 and not outcome.swapped
    assert "no-such-detector" in outcome.error and "live model stays" in outcome.reason


def test_a_killed_child_leaves_the_old_model_live_and_is_recorded():
    slot = ModelSlot("live")
    fit = ProcessFit(functools.partial(time.sleep, 60), ChildLimits(nice=0))
    r = Retrainer(slot, train=fit, validate=lambda m: 1.0)
    r.start()
    deadline = time.time() + 30
    while fit.pid is None and time.time() < deadline:
        time.sleep(0.05)
    assert fit.pid is not None
    os.kill(fit.pid, signal.SIGKILL)
    r.join(30)
    assert not r.running and slot.current == "live" and slot.version == 1
    assert r.outcomes[-1].error and "SIGKILL" in r.outcomes[-1].error


def test_a_child_past_its_time_limit_is_stopped():
    with pytest.raises(FitCrashed, match="limit"):
        ProcessFit(functools.partial(time.sleep, 60), ChildLimits(nice=0, timeout_s=1.5))()


def test_a_lambda_cannot_cross_into_a_child_and_says_what_to_do():
    with pytest.raises(ValueError, match="picklable"):
        _adapter(lambda: make_detector("logreg"))
    _adapter(lambda: make_detector("logreg"), isolation="thread")  # fine in a thread


def test_core_share_gives_the_child_its_core_in_the_calling_thread_and_restores_it():
    import threading

    import torch

    from logsieve.adapt.isolated import CoreShare, _cores

    seen: dict[str, int] = {}

    def detecting_thread() -> None:
        torch.set_num_threads(max(2, _cores()))  # as a scorer with every core would
        base = torch.get_num_threads()
        share = CoreShare(child_threads=1)
        share.update(child_running=True)
        seen["during"] = torch.get_num_threads()
        share.update(child_running=True)  # a second call while the child runs changes nothing
        seen["again"] = torch.get_num_threads()
        share.update(child_running=False)
        seen["after"], seen["base"] = torch.get_num_threads(), base

    t = threading.Thread(target=detecting_thread)
    t.start()
    t.join()
    assert seen["during"] == seen["again"] == max(1, _cores() - 1) < seen["base"] or _cores() == 1
    assert seen["after"] == seen["base"]
