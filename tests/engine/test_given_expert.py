"""``build_engine(expert=...)``: a caller's expert object (the benchmarks' simulated judge) judges
in place of one built from a backend, in every role an engine gives the expert: answering routed
sequences, and as the source of live adaptation's pseudo-labels, where a synchronous retrain
(a benchmark's deterministic replay) must take effect before the next batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from logsieve.collab.trust import TrustRule
from logsieve.engine import AdaptSection, EngineConfig, build_engine
from logsieve.evaluate.detection import split_batches
from logsieve.evaluate.simulated_expert import OracleBackend, SimulatedExpert, simulated_expert
from logsieve.llm.fake import ScriptedBackend
from logsieve.store import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ASK_ALL = EngineConfig(tau=1.0, examples=0, knowledge=False, trust=TrustRule.llm_decides())
"""tau 1: every sequence the small model calls normal is unsure, so nearly all go to the expert;
the LLM's answer stands, so each final verdict is the expert's."""




@pytest.fixture(scope="module")
def truth(demo_data) -> dict[str, int]:
    return {s.key: int(s.label or 0) for s in demo_data.sequences}


def test_the_given_expert_answers_every_routed_sequence(demo_model, demo_data, truth):
    expert = simulated_expert(truth, error_rate=0.0)
    engine = build_engine(demo_model, ASK_ALL, expert=expert, templates=demo_data.templates)
    assert engine.pipeline.expert is expert and engine.backend is expert.oracle
    seqs = split_batches(demo_data)[2].sequences[:60]
    verdicts = engine.judge(seqs)
    asked = [(s, v) for s, v in zip(seqs, verdicts) if v.source == "llm"]
    assert len(asked) >= 50 and expert.oracle.calls == len(asked)
    assert all(v.abnormal == bool(truth[s.key]) for s, v in asked)  # an error-free judge, whose answer stands


def test_an_expert_or_a_backend_not_both_and_small_only_asks_no_one(demo_model, truth):
    with pytest.raises(ValueError, match="not both"):
        build_engine(demo_model, ASK_ALL, expert=simulated_expert(truth), backend=ScriptedBackend(["{}"]))

    class Recording(OracleBackend):
        closed = False

        def close(self) -> None:
            self.closed = True

    backend = Recording(truth)
    engine = build_engine(demo_model, ASK_ALL.model_copy(update={"mode": "small-only"}), expert=SimulatedExpert(backend))
    assert engine.pipeline.expert is None and backend.closed  # the engine owns what it is given, as with a backend


def test_a_synchronous_retrain_judges_the_very_next_batch(demo_model, demo_data, truth, tmp_path):
    adapt = AdaptSection(warmup=20, retrain_every=40, known_after=3, filter={"warmup": 10}, background=False)
    expert = simulated_expert(truth, error_rate=0.0)
    with Store(tmp_path / "s.db") as store:
        width = np.load(demo_model / "examples.npy").shape[1]  # a stand-in of MiniLM's width: no model loaded
        engine = build_engine(demo_model, ASK_ALL.model_copy(update={"adapt": adapt, "tau": None}), store,
                              expert=expert, templates=demo_data.templates,
                              embed=lambda seqs, templates: np.zeros((len(seqs), width), dtype=np.float32))
        adapter = engine.adapter
        assert adapter is not None and engine.pipeline.adapter is adapter
        engine.judge(split_batches(demo_data)[2].sequences[:50])  # 50 > 20 pseudo-labels: a warm-up retrain
        assert adapter.stats.pseudo_labels == expert.oracle.calls > 0  # the judge's answers are the labels
        # recorded at once (a version on disk, in the registry), not one batch later, and the
        # pipeline's model, tau and known templates are the ones the adapter holds live
        assert len(adapter.outcomes) == len(adapter.recorded) == 1
        assert engine.pipeline.slot.current is adapter.slot.current
        if adapter.outcomes[0].swapped:
            assert engine.live_version == adapter.recorded[0].version
            assert engine.pipeline.config.tau == pytest.approx(adapter.bundle.tau)
        engine.close()


def test_every_swap_leaves_each_learnt_pseudo_label_in_the_bank_once(demo_model, demo_data, truth, tmp_path):
    adapt = AdaptSection(warmup=20, retrain_every=40, known_after=3, filter={"warmup": 10}, background=False,
                         retrain_interval=None)
    width = np.load(demo_model / "examples.npy").shape[1]
    with Store(tmp_path / "s.db") as store:
        engine = build_engine(demo_model, ASK_ALL.model_copy(update={"adapt": adapt}), store,
                              expert=simulated_expert(truth, error_rate=0.0), templates=demo_data.templates,
                              embed=lambda seqs, templates: np.zeros((len(seqs), width), dtype=np.float32))
        seqs = split_batches(demo_data)[2].sequences[:300]
        for i in range(0, len(seqs), 50):
            engine.judge(seqs[i:i + 50])
        adapter = engine.adapter
        engine.close()
        assert adapter.swaps >= 2  # each retrain offered every pseudo-label so far
        origins = [o for _, _, o in adapter.bank.entries()]
        pseudo = [s.key for s, _, o in adapter.bank.entries() if o == "pseudo"]
        assert len(pseudo) == len(set(pseudo)) == len(adapter._added)  # the newest live model's kept set, once
        assert origins.count("train") == 240 and origins.count("validation") == 120  # none pushed out
        live = [e for e in adapter.recorded if e.status == "live"][-1]
        saved = [line for line in (Path(live.path) / "examples.jsonl").read_text().splitlines() if '"pseudo"' in line]
        assert len(saved) == len(pseudo)
