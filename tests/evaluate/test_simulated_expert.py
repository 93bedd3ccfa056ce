"""The simulated judge: the true label, flipped for a seeded per-class share, through the real Expert."""

from __future__ import annotations

from logsieve.evaluate.simulated_expert import simulated_expert
from logsieve.records import Sequence

TEMPLATES = {1: "open <*>", 2: "error writing <*>"}


def test_answers_follow_the_truth_with_the_stated_per_class_error():
    labels = {f"s{i}": int(i % 10 == 0) for i in range(2000)}
    expert = simulated_expert(labels, seed=1, error_normal=0.02, error_abnormal=0.3)
    wrong = {0: 0, 1: 0}
    for key, y in labels.items():
        answer = expert.judge(Sequence(key, [1, 2] if y else [1]), TEMPLATES)
        assert answer.ok and answer.attempts == 1  # schema-valid on the first try
        wrong[y] += answer.verdict.abnormal != bool(y)
    assert 0.01 < wrong[0] / 1800 < 0.03
    assert 0.2 < wrong[1] / 200 < 0.4


def test_the_same_sequence_gets_the_same_answer_every_time_and_in_every_expert():
    labels = {f"s{i}": 0 for i in range(200)}
    a, b = simulated_expert(labels, 0.5, seed=7), simulated_expert(labels, 0.5, seed=7)
    seqs = [Sequence(k, [1]) for k in labels]
    first = [a.judge(s, TEMPLATES).verdict.status for s in seqs]
    assert first == [a.judge(s, TEMPLATES).verdict.status for s in reversed(seqs)][::-1]
    assert first == [b.judge(s, TEMPLATES).verdict.status for s in seqs]
    assert first != [simulated_expert(labels, 0.5, seed=8).judge(s, TEMPLATES).verdict.status for s in seqs]
