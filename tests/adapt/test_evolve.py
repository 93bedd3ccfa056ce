"""CollaborLog's evolve mechanism: a repeated unfamiliar pattern stops going to the LLM, the
small model takes over the LLM's verdict, the pair swaps as one, and a seed fixes it all."""

from __future__ import annotations

import random

import numpy as np
import pytest

from logsieve.adapt.evolve import EvolveConfig, Evolver, clone_detector
from logsieve.collab import CollaborLogPipeline
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch
from logsieve.evaluate.simulated_expert import simulated_expert
from logsieve.records import Sequence

TEMPLATES = {
    1: "BLOCK* NameSystem.allocateBlock: <*>",
    2: "Receiving block <*> src: <*> dest: <*>",
    3: "PacketResponder <*> for block <*> terminating",
    4: "Received block <*> of size <*> from <*>",
    5: "Verification succeeded for <*>",
    6: "Exception in receiveBlock for block <*> java.io.IOException: Connection reset by peer",
    8: "Deleting block <*> file <*>",
    # after an "upgrade": a kind of failure the train data never shows
    9: "Moving block <*> to volume <*> after rebalancing",
    10: "Volume <*> rebalance aborted: checksum mismatch",
}


def seqs(n: int, seed: int, start: int, anomaly_rate: float = 0.1) -> list[Sequence]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ids = [1] + [2, 3, 4] * rng.randint(1, 3) + ([5] if rng.random() < 0.5 else [])
        label = int(rng.random() < anomaly_rate)
        if label:
            ids = ids[: rng.randint(2, len(ids))] + [6] + [8] * rng.randint(0, 2)
        out.append(Sequence(f"blk_{start + i}", ids, label=label))
    return out


def new_kind(n: int, start: int) -> list[Sequence]:
    return [Sequence(f"new_{start + i}", [1, 2, 3, 4, 9, 10, 9, 10] + [5] * (i % 3), label=1) for i in range(n)]


@pytest.fixture(scope="module")
def fitted():
    train, val = SequenceBatch(seqs(200, 0, 0), TEMPLATES), SequenceBatch(seqs(100, 1, 1000), TEMPLATES)
    coordinator = make_detector("autoencoder", {"epochs": 5, "threads": 1})
    coordinator.fit(train, val)
    small = make_detector("knn", {"epochs": 3, "threads": 1})
    small.fit(train, val)
    return train, coordinator, small


def stream(fitted, evolve: bool, batches: int = 6, seed: int = 0):
    """Batches of 10 of the new (abnormal) kind; LLM calls per batch and the last verdicts."""
    train, coordinator, small = fitted
    batch = [new_kind(10, 100 * b) for b in range(batches)]
    truth = {s.key: 1 for b in batch for s in b}
    expert = simulated_expert(truth, error_rate=0.0, prompt="collaborlog")
    if evolve:
        evolver = Evolver(clone_detector(coordinator), clone_detector(small), replay=train,
                          config=EvolveConfig(every=10, coordinator_epochs=60, small_epochs=3, seed=seed))
        pipe = CollaborLogPipeline(expert=expert, evolver=evolver)
    else:
        evolver, pipe = None, CollaborLogPipeline(clone_detector(coordinator), clone_detector(small), expert)
    calls, last = [], []
    for b in batch:
        before = pipe.stats.llm_calls
        last = pipe.judge(b, TEMPLATES)
        calls.append(pipe.stats.llm_calls - before)
    return calls, last, evolver


def test_a_repeated_unfamiliar_pattern_stops_going_to_the_llm(fitted):
    static_calls, _, _ = stream(fitted, evolve=False)
    calls, last, evolver = stream(fitted, evolve=True)
    assert calls[0] == 10 and static_calls[0] == 10  # new templates: all routed at first
    assert static_calls[-1] == 10  # without evolving they keep going to the LLM
    assert calls[-1] <= 1 and sum(calls) < sum(static_calls) / 2
    # the small model now gives the LLM's verdict itself
    assert all(v.abnormal for v in last) and all(v.source == "small" for v in last if v.source != "llm")
    assert evolver.stats.updates >= 1 and evolver.stats.learnt >= 10
    assert evolver.slot.version == 1 + evolver.stats.updates  # one swap per update, pair at once


def test_evolving_is_deterministic_under_a_seed(fitted):
    a = stream(fitted, evolve=True, batches=3)
    b = stream(fitted, evolve=True, batches=3)
    assert a[0] == b[0]
    probe = SequenceBatch(new_kind(5, 9000) + seqs(20, 7, 5000), TEMPLATES)
    for ma, mb in zip(a[2].slot.current, b[2].slot.current):
        np.testing.assert_array_equal(ma.score(probe).score, mb.score(probe).score)


def test_the_original_models_are_left_alone(fitted):
    _, coordinator, small = fitted
    probe = SequenceBatch(new_kind(5, 9000), TEMPLATES)
    before = (coordinator.score(probe).score.copy(), small.score(probe).score.copy())
    stream(fitted, evolve=True, batches=2)
    np.testing.assert_array_equal(coordinator.score(probe).score, before[0])
    np.testing.assert_array_equal(small.score(probe).score, before[1])


def test_pipeline_needs_models_or_an_evolver():
    with pytest.raises(ValueError):
        CollaborLogPipeline()
