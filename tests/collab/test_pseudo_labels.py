"""What adaptation learns from: the LLM's own answer, also where the trust rule let the small
model's verdict stand (learning from that would teach the model its own verdicts)."""

from __future__ import annotations

import json

from logsieve.collab import CollabConfig, ColaPipeline, VerdictWriter
from logsieve.collab.trust import TrustRule
from logsieve.collab.verdicts import base_verdict, pseudo_label
from logsieve.detectors.base import Scores
from logsieve.llm import Expert
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence
from logsieve.store import Store

import numpy as np

NORMAL = '{"status": "normal", "explanation": "routine", "lines": []}'


class Flags:
    """A small model that flags everything, with confidence 0."""

    name = "flags"

    def score(self, batch):
        n = len(batch.sequences)
        return Scores(np.ones(n), np.ones(n, dtype=bool), np.zeros(n))


def test_the_pseudo_label_is_the_llm_answer_not_the_trusted_status(tmp_path):
    rule = TrustRule(abnormal="small", unsure="llm", unseen="llm")
    pipe = ColaPipeline(Flags(), Expert(ScriptedBackend([NORMAL])), config=CollabConfig(trust=rule))
    seqs = [Sequence("blk_1", [1, 2]), Sequence("blk_2", [1, 3])]
    verdicts = pipe.judge(seqs, {1: "open <*>", 2: "close <*>", 3: "retry <*>"})
    assert [v.status for v in verdicts] == ["abnormal", "abnormal"]  # the small model's alarm stands
    assert [v.llm_status for v in verdicts] == ["normal", "normal"]
    assert [pseudo_label(v) for v in verdicts] == [0, 0]
    assert pseudo_label(base_verdict(seqs[0], "abnormal", "small")) is None  # not asked: no label
    with Store(tmp_path / "s.db") as store:
        VerdictWriter(store).write(verdicts)
        rows = store.connection.execute("SELECT seq_key, template_ids, label, source FROM pseudo_labels").fetchall()
    assert rows == [("blk_1", json.dumps([1, 2]), 0, "llm"), ("blk_2", json.dumps([1, 3]), 0, "llm")]
