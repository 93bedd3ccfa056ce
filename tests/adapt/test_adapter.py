"""CoLA's adaptation loop on synthetic data: a new kind of failure the small model never saw
is learnt from (noisy) LLM pseudo-labels, and the retrained model is swapped in."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from logsieve.adapt import ModelSlot
from logsieve.adapt.adapter import AdaptConfig, Adapter
from logsieve.collab import ColaPipeline
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch, prf
from logsieve.llm import Expert
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detectors"))
from detector_data import TEMPLATES, splits  # noqa: E402

NEW = {**TEMPLATES, 9: "Disk error on volume <*> I/O failure, block <*> lost"}


def drifted(n: int, seed: int, start: int) -> list[Sequence]:
    """After an upgrade: failures now show only as the new template 9, after a normal-looking start."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ids = [1] + [2, 3, 4] * rng.randint(1, 3)
        label = int(rng.random() < 0.3)
        if label:
            ids.append(9)
        out.append(Sequence(f"blk_{start + i}", ids, label=label))
    return out


@dataclass
class Said:
    source: str
    abnormal: bool


def test_pseudo_labels_teach_the_new_failure_and_the_better_model_is_swapped_in():
    train, val, _ = splits()
    live = make_detector("logreg")
    live.fit(train, val)
    slot = ModelSlot(live)
    adapter = Adapter(slot, lambda: make_detector("logreg"), train, val,
                      AdaptConfig(warmup=100, retrain_every=1000, background=False))
    stream = drifted(400, seed=5, start=5000)
    rng = random.Random(1)
    said = [Said("llm", bool(s.label) != (rng.random() < 0.1)) for s in stream]  # 10% of answers wrong
    before = prf(live.score(SequenceBatch(stream, NEW)).abnormal, SequenceBatch(stream, NEW).labels)["f1"]
    adapter.observe(said, stream, NEW)
    assert adapter.stats.retrains == 1 and adapter.swaps == 1 and slot.version == 2
    outcome = adapter.outcomes[0]
    assert outcome.candidate_score > outcome.live_score
    assert adapter.stats.last_kept < adapter.stats.last_offered  # the GMM filter dropped some labels
    later = SequenceBatch(drifted(300, seed=6, start=9000), NEW)
    after = prf(slot.current.score(later).abnormal, later.labels)["f1"]
    assert before < 0.5 and after > 0.9


def test_the_pipeline_reads_the_slot_per_batch_and_feeds_the_adapter():
    train, val, _ = splits()
    live = make_detector("logreg")
    live.fit(train, val)
    slot = ModelSlot(live)
    seen = []

    class Recorder:
        def observe(self, verdicts, seqs, templates):
            seen.append([v.source for v in verdicts])

    backend = ScriptedBackend(['{"status":"abnormal","explanation":"disk error","lines":[0]}'])
    pipe = ColaPipeline(slot, Expert(backend), adapter=Recorder())
    stream = drifted(30, seed=7, start=100)
    pipe.judge(stream, NEW)
    assert len(seen) == 1 and len(seen[0]) == 30
    replacement = make_detector("logreg")
    replacement.fit(train, val)
    slot.swap(replacement)
    assert pipe.detector is replacement
    assert np.isfinite(pipe.judge(stream[:5], NEW)[0].score)
