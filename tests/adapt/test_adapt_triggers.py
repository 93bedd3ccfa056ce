"""When the Adapter retrains and what decides a swap (synthetic data, logreg, synchronous).

A held-back slice without anomalies cannot rank two detectors by F1 (0 against 0), so it
must not swap the candidate in on a tie; drift (templates the live model never learnt from)
and an interval start retrains that the plain label count would leave waiting; the first
retrain offers the noise filter enough labels to fit.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from logsieve.adapt import ModelSlot
from logsieve.adapt.adapter import (AdaptConfig, Adapter, DriftWatch, accept_candidate, compare_measure,
                                    slice_score)
from logsieve.detectors import make_detector
from logsieve.records import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detectors"))
from detector_data import TEMPLATES, make_sequences, splits  # noqa: E402

NEW = {**TEMPLATES, 9: "Disk error on volume <*> I/O failure, block <*> lost"}


@dataclass
class Said:
    source: str
    abnormal: bool


def _adapter(**config) -> tuple[Adapter, ModelSlot]:
    train, val, _ = splits()
    live = make_detector("logreg")
    live.fit(train, val)
    slot = ModelSlot(live)
    base = dict(background=False, retrain_every=10**6, retrain_interval=None, use_filter=False)
    return Adapter(slot, lambda: make_detector("logreg"), train, val, AdaptConfig(**{**base, **config})), slot


def _answers(seqs: list[Sequence], asked: int) -> list[Said]:
    """The first ``asked`` went to the LLM (true label), the rest stayed with the small model."""
    return [Said("llm" if i < asked else "small", bool(s.label)) for i, s in enumerate(seqs)]


def _unseen(n: int, start: int) -> list[Sequence]:
    """Normal-looking sequences that carry template 9, which no training sequence has."""
    return [Sequence(f"blk_{start + i}", [1, 2, 3, 4, 9], label=0) for i in range(n)]


def test_measure_and_rule_for_the_comparison_slice():
    assert compare_measure([0, 0, 0]) == "accuracy" and compare_measure([0, 1, 0]) == "f1"
    assert compare_measure([0, -1, 0]) == "accuracy"  # unknown labels are not a class
    # F1: not worse is enough; one-class accuracy: a tie keeps the live model
    assert accept_candidate(0.5, 0.5, "f1", 0.0) and not accept_candidate(0.4, 0.5, "f1", 0.0)
    assert not accept_candidate(1.0, 1.0, "accuracy", 0.0) and accept_candidate(1.0, 0.9, "accuracy", 0.0)
    assert slice_score([True, False, False, False], [0, 0, 0, 0], "accuracy") == 0.75


def test_a_comparison_slice_without_anomalies_keeps_the_live_model():
    adapter, slot = _adapter(warmup=80)
    stream = make_sequences(100, anomaly_rate=0.0, seed=9, start=5000)
    adapter.observe(_answers(stream, 100), stream, TEMPLATES)
    assert adapter.stats.retrains == 1 and adapter.stats.measures == ["accuracy"]
    outcome = adapter.outcomes[0]
    assert outcome.error is None
    # both models are right on every held-back (normal) sequence: the slice cannot tell them apart
    assert outcome.candidate_score == outcome.live_score == 1.0
    assert not outcome.swapped and slot.version == 1 and adapter.swaps == 0


def test_a_new_template_is_known_only_once_enough_offered_sequences_hold_it():
    watch = DriftWatch(known=[1, 2], reference=[], window=10, jump=0.1, known_after=3)
    offered = [Sequence(f"s{i}", [1, 7, 7] + ([8] if i < 2 else []), label=0) for i in range(3)]
    watch.learnt(offered)  # 7 in three sequences (repeats within one count once), 8 in two
    assert watch.known == {1, 2, 7}
    watch.learnt(offered[:2])  # each retrain offers all labels so far: counts are not summed
    assert 8 not in watch.known
    assert AdaptConfig().known_after > 1


def test_drift_triggers_a_retrain_that_the_label_count_would_not():
    adapter, _ = _adapter(warmup=20, retrain_after_drift=10, drift_window=40, drift_jump=0.2)
    first = make_sequences(30, seed=11, start=5000)
    adapter.observe(_answers(first, 30), first, TEMPLATES)
    assert adapter.stats.triggers == ["warmup"]
    known = make_sequences(60, seed=12, start=6000)
    adapter.observe(_answers(known, 15), known, TEMPLATES)  # 15 new labels, no drift: nothing due
    assert adapter.stats.retrains == 1 and not adapter.drift.drifting
    unseen = _unseen(50, 7000)
    adapter.observe(_answers(unseen, 5), unseen, NEW)
    assert adapter.stats.triggers == ["warmup", "drift"]


def test_an_interval_retrain_comes_with_few_new_labels():
    adapter, _ = _adapter(warmup=20, retrain_interval=100, interval_min_labels=5, drift_jump=1.0)
    first = make_sequences(30, seed=13, start=5000)
    adapter.observe(_answers(first, 30), first, TEMPLATES)
    quiet = make_sequences(99, seed=14, start=6000)
    adapter.observe(_answers(quiet, 5), quiet, TEMPLATES)
    assert adapter.stats.retrains == 1  # 99 sequences since the last retrain: not yet
    one = make_sequences(1, seed=15, start=7000)
    adapter.observe(_answers(one, 0), one, TEMPLATES)
    assert adapter.stats.triggers == ["warmup", "interval"]


def test_the_first_retrain_offers_the_filter_enough_labels_to_fit():
    config = AdaptConfig()
    assert config.first_retrain_at * (1 - config.holdback) >= config.filter.warmup
    adapter, _ = _adapter(use_filter=True, warmup=50)
    stream = make_sequences(config.first_retrain_at, anomaly_rate=0.1, seed=16, start=5000)
    adapter.observe(_answers(stream[:-1], len(stream) - 1), stream[:-1], TEMPLATES)
    assert adapter.stats.retrains == 0  # 50 labels would have left 40 to a filter that fits from 50
    adapter.observe(_answers(stream[-1:], 1), stream[-1:], TEMPLATES)
    assert adapter.stats.retrains == 1 and adapter.stats.last_offered >= config.filter.warmup


def test_a_restarted_adapter_resumes_its_pending_labels_and_known_templates():
    from logsieve.adapt.adapter import PseudoLabel

    train, val, _ = splits()
    live = make_detector("logreg")
    live.fit(train, val)
    pending = [PseudoLabel(s, "llm") for s in _unseen(40, 100)]
    config = AdaptConfig(background=False, retrain_every=10**6, retrain_interval=None, use_filter=False, warmup=50)
    adapter = Adapter(ModelSlot(live), lambda: make_detector("logreg"), train, val, config, pending=pending,
                      known={1, 2, 3, 4, 9})
    assert adapter.stats.pseudo_labels == 40 and adapter.stats.retrains == 0
    assert adapter.known_templates == {1, 2, 3, 4, 9}  # what an adapted model knew, not train's alone
    new = _unseen(10, 200)
    adapter.observe(_answers(new, 10), new, NEW)  # 40 resumed + 10 new reach the warm-up of 50
    assert adapter.stats.retrains == 1 and adapter.stats.last_offered == 40  # newest 20% held back
    assert len(adapter.last_kept) == 40 and adapter.last_split_at is not None
