"""Background retraining: the live model is swapped only for one not worse, atomically, and a
crash during training leaves the old model live while scoring goes on."""

from __future__ import annotations

import threading
import time

from logsieve.adapt import ModelSlot, Retrainer


def test_a_better_candidate_is_swapped_in_and_a_worse_one_kept_aside():
    slot = ModelSlot("v1-model")
    scores = {"v1-model": 0.80, "better": 0.85, "worse": 0.70}
    names = iter(["better", "worse"])
    r = Retrainer(slot, train=lambda: next(names), validate=scores.__getitem__)
    first = r.run_once()
    assert first.swapped and slot.current == "better" and slot.version == 2 and "swapped in" in first.reason
    second = r.run_once()
    assert not second.swapped and slot.current == "better" and second.candidate == "worse"
    assert "kept aside" in second.reason and slot.version == 2


def test_a_crash_during_training_leaves_the_live_model():
    slot = ModelSlot("live")
    seen = []

    def boom():
        raise RuntimeError("out of memory")

    r = Retrainer(slot, train=boom, validate=lambda m: 1.0, on_done=seen.append)
    r.start()
    r.join(5)
    assert slot.current == "live" and slot.version == 1
    assert seen and seen[0].error and "live model stays" in seen[0].reason


def test_scoring_goes_on_while_a_retrain_runs_and_sees_the_swap_between_batches():
    slot = ModelSlot(0)
    release = threading.Event()

    def slow_train():
        release.wait(5)
        return 1

    r = Retrainer(slot, train=slow_train, validate=lambda m: float(m))
    assert r.start() is not None and r.start() is None  # one run at a time
    served = []
    deadline = time.time() + 5
    while len(served) < 50 and time.time() < deadline:  # the "stream" keeps being scored meanwhile
        model, version = slot.snapshot()
        served.append((model, version))
    assert len(served) == 50 and set(served) == {(0, 1)}
    release.set()
    r.join(5)
    assert slot.snapshot() == (1, 2) and not r.running
