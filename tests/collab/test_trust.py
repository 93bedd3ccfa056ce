"""The trust rule: each situation's rule chosen on validation figures, applied to LLM answers
and to knowledge-table hits alike."""

from __future__ import annotations

from logsieve.collab import CollabConfig, ColaPipeline, KnowledgeTable
from logsieve.collab.trust import Observation, TrustRule, choose_trust, combine
from logsieve.detectors.base import Scores
from logsieve.llm import Expert
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence
from logsieve.store import Store

import numpy as np

NORMAL = '{"status": "normal", "explanation": "routine", "lines": []}'
ABNORMAL = '{"status": "abnormal", "explanation": "error line", "lines": [0]}'


def test_combine_rules():
    assert combine("llm", True, False) is False and combine("llm", False, True) is True
    assert combine("small", True, False) is True and combine("small", False, True) is False
    assert combine("both", True, True) is True and combine("both", True, False) is False


def test_choose_keeps_the_small_model_where_the_llm_overturns_true_alarms():
    # abnormal situation: small right 9/10, the LLM calls everything normal (the first demo)
    obs = [Observation("abnormal", True, False, 1) for _ in range(9)] + [Observation("abnormal", True, False, 0)]
    # unsure situation: the LLM finds 4 of 5 misses, no false alarm on 5 normal
    obs += [Observation("unsure", False, i < 4, 1) for i in range(5)]
    obs += [Observation("unsure", False, False, 0) for _ in range(5)]
    rule = choose_trust(obs)
    assert rule.abnormal == "small" and rule.unsure == "llm"
    assert rule.figures["abnormal"].small_accuracy == 0.9 and rule.figures["abnormal"].llm_accuracy == 0.1
    assert rule.figures["unsure"].chosen_by == "validation"
    assert rule.unseen == "llm" and rule.figures["unseen"].n == 0 and "default" in rule.figures["unseen"].chosen_by


def test_choose_lets_the_llm_veto_when_it_removes_false_alarms():
    # the small model flags 10, only 5 are anomalies; the LLM agrees on exactly those 5
    obs = [Observation("abnormal", True, True, 1) for _ in range(5)]
    obs += [Observation("abnormal", True, False, 0) for _ in range(5)]
    rule = choose_trust(obs)
    # llm and both both reach 1.0; the tie keeps the rule that needs the LLM least: both
    assert rule.figures["abnormal"].rule_accuracy == {"llm": 1.0, "small": 0.5, "both": 1.0}
    assert rule.abnormal == "both"


def test_too_few_observations_keep_the_default():
    rule = choose_trust([Observation("abnormal", True, False, 0)] * 3, min_n=5)
    assert rule.abnormal == TrustRule().abnormal and "fewer than 5" in rule.figures["abnormal"].chosen_by


class _Fixed:
    """A small model that flags every sequence (what the pipeline reads of a detector)."""

    name = "fixed"

    def score(self, batch):
        n = len(batch.sequences)
        return Scores(np.ones(n), np.ones(n, dtype=bool), np.ones(n))


def test_the_rule_applies_to_llm_answers_and_cache_hits(tmp_path):
    backend = ScriptedBackend([NORMAL])
    store = Store(tmp_path / "s.db")
    pipe = ColaPipeline(_Fixed(), Expert(backend), KnowledgeTable(store),
                        config=CollabConfig(trust=TrustRule(abnormal="small")))
    seqs = [Sequence("a", [1, 2]), Sequence("b", [1, 2])]  # same content: the second is a cache hit
    first, second = pipe.judge(seqs, {1: "open <*>", 2: "error <*>"})
    assert (first.source, second.source) == ("llm", "cache")
    for v in (first, second):
        assert v.status == "abnormal" and v.llm_status == "normal"
        assert v.explanation == "routine" and "small model's verdict stands" in v.note
    assert len(backend.requests) == 1
    # under the published rule the LLM's answer would have overturned both
    pipe = ColaPipeline(_Fixed(), Expert(ScriptedBackend([NORMAL])), KnowledgeTable(Store(tmp_path / "t.db")))
    assert [v.status for v in pipe.judge(seqs, {1: "a", 2: "b"})] == ["normal", "normal"]
