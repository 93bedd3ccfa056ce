"""CoLA's never-seen routing (``CollabConfig.escalate_unseen``): a sequence holding a template
the live model was not trained on goes to the LLM even when the small model is sure it is
normal; off by default; and a template stops counting as never-seen once the Adapter swaps in
a model trained on pseudo-labels holding it. Synthetic data, logreg, the scripted LLM."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from logsieve.adapt import ModelSlot
from logsieve.adapt.adapter import AdaptConfig, Adapter
from logsieve.collab import CollabConfig, ColaPipeline
from logsieve.detectors import make_detector
from logsieve.llm import Expert
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detectors"))
from detector_data import TEMPLATES, make_sequences, splits  # noqa: E402

NEW = {**TEMPLATES, 9: "Disk error on volume <*> I/O failure, block <*> lost",
       10: "Checksum mismatch on replica <*> of block <*>"}
KNOWN = set(TEMPLATES)
ABNORMAL = '{"status": "abnormal", "explanation": "a disk failure", "lines": [0]}'
NORMAL = '{"status": "normal", "explanation": "routine", "lines": []}'
TAU = 0.5


@pytest.fixture(scope="module")
def model():
    train, val, _ = splits()
    det = make_detector("logreg")
    det.fit(train, val)
    return det


def _with(template: int, n: int, start: int) -> list[Sequence]:
    """Normal-looking sequences with one ``template`` inserted (the upgrade's new statement)."""
    seqs = [s for s in make_sequences(4 * n, anomaly_rate=0.0, seed=7, start=start)][:n]
    return [Sequence(s.key, s.template_ids[:2] + [template] + s.template_ids[2:], label=1) for s in seqs]


def _confident_normal(pipe: ColaPipeline, seqs: list[Sequence]) -> list[Sequence]:
    """Only the sequences the small model calls normal with confidence >= tau: the ones plain
    CoLA keeps for itself (so the test is about the never-seen rule, not about uncertainty)."""
    from logsieve.detectors.base import SequenceBatch

    s = pipe.detector.score(SequenceBatch(seqs, NEW))
    return [q for q, a, c in zip(seqs, s.abnormal, s.confidence) if not a and c >= TAU]


def test_a_never_seen_template_goes_to_the_llm(model):
    backend = ScriptedBackend([ABNORMAL])
    pipe = ColaPipeline(model, Expert(backend), config=CollabConfig(tau=TAU, escalate_unseen=True),
                        known_templates=KNOWN)
    seqs = _confident_normal(pipe, _with(9, 10, 5000))
    assert len(seqs) >= 5  # plain CoLA would judge these alone, as normal
    familiar = _confident_normal(pipe, make_sequences(10, anomaly_rate=0.0, seed=3, start=6000))
    verdicts = pipe.judge(seqs + familiar, NEW)
    new, old = verdicts[:len(seqs)], verdicts[len(seqs):]
    assert all(v.source == "llm" and v.abnormal for v in new)
    assert all("never-seen template(s) 9" in v.note for v in new)
    assert all(v.source == "small" and not v.abnormal for v in old)
    assert pipe.stats.llm_calls == len(backend.requests) == pipe.stats.unseen_escalations == len(seqs)


def test_never_seen_escalations_share_the_call_budget(model):
    pipe = ColaPipeline(model, Expert(ScriptedBackend([ABNORMAL])),
                        config=CollabConfig(tau=TAU, escalate_unseen=True, max_llm_calls=2), known_templates=KNOWN)
    seqs = _confident_normal(pipe, _with(9, 10, 5000))
    verdicts = pipe.judge(seqs, NEW)
    # the budget goes to the least confident of them (a budget is spent by priority, not arrival)
    asked = [v for v in verdicts if v.source == "llm"]
    rest = [v for v in verdicts if v.source != "llm"]
    assert len(asked) == 2
    assert max(v.confidence for v in asked) <= min(v.confidence for v in rest)
    assert rest and all(v.source == "fallback" and not v.abnormal for v in rest)
    assert all(v.note.startswith("LLM call budget (2) spent") and "never-seen" in v.note for v in rest)


def test_off_by_default_and_without_a_known_set(model):
    for config, known in [(CollabConfig(tau=TAU), KNOWN), (CollabConfig(tau=TAU, escalate_unseen=True), None)]:
        backend = ScriptedBackend([ABNORMAL])
        pipe = ColaPipeline(model, Expert(backend), config=config, known_templates=known)
        seqs = _confident_normal(pipe, _with(9, 10, 5000))
        assert seqs
        verdicts = pipe.judge(seqs, NEW)
        assert all(v.source == "small" and not v.abnormal for v in verdicts)
        assert backend.requests == [] and pipe.stats.unseen_escalations == 0
    assert CollabConfig().escalate_unseen is False


def test_a_template_is_known_once_a_model_trained_on_it_is_swapped_in(model):
    train, val, _ = splits()
    slot = ModelSlot(model)
    adapter = Adapter(slot, lambda: make_detector("logreg"), train, val,
                      AdaptConfig(background=False, warmup=10, retrain_every=10**6, retrain_interval=None,
                                  use_filter=False, known_after=5))
    # the judge calls the disk errors (template 9, shown as T9 for id-only sequences) abnormal
    backend = ScriptedBackend([lambda req: ABNORMAL if re.search(r"\bT9\b", req.messages[-1]["content"]) else NORMAL])
    pipe = ColaPipeline(slot, Expert(backend), config=CollabConfig(tau=TAU, escalate_unseen=True), adapter=adapter)
    assert 9 not in adapter.known_templates and KNOWN <= adapter.known_templates  # train's templates
    first = _confident_normal(pipe, _with(9, 20, 5000))
    assert len(first) >= 10  # enough pseudo-labels for the warm-up retrain
    pipe.judge(first, NEW)
    assert pipe.stats.unseen_escalations == len(first)
    assert adapter.outcomes and adapter.outcomes[-1].swapped and slot.current is not model
    assert 9 in adapter.known_templates and 10 not in adapter.known_templates
    calls = pipe.stats.unseen_escalations
    later = pipe.judge(_with(9, 5, 7000) + _with(10, 5, 8000), NEW)
    assert not any("never-seen template(s) 9" in v.note for v in later[:5])
    assert all(v.source == "llm" and "never-seen template(s) 10" in v.note for v in later[5:])
    assert pipe.stats.unseen_escalations - calls == sum("never-seen" in v.note for v in later) > 0
