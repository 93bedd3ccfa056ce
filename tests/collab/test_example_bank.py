"""ExampleBank.discard: live adaptation replaces the pseudo-labelled examples it added, and only
those (the very objects, not every example with the same key)."""

from __future__ import annotations

import numpy as np

from logsieve.collab.examples import ExampleBank
from logsieve.records import Sequence


def _embed(seqs, templates):
    return np.array([[float(len(s.template_ids)), 1.0] for s in seqs])


def test_discard_removes_the_given_examples_by_identity():
    bank = ExampleBank(_embed)
    train = [Sequence("a", [1, 2], label=0), Sequence("b", [1], label=1)]
    bank.add(train, {}, ["normal", "abnormal"], origin="train")
    pseudo = [Sequence("a", [1, 2], label=1), Sequence("c", [3, 3, 3], label=0)]  # "a" again, as a pseudo-label
    bank.add(pseudo, {}, ["abnormal", "normal"], origin="pseudo")
    assert bank.discard(pseudo) == 2
    assert [(s.key, o) for s, _, o in bank.entries()] == [("a", "train"), ("b", "train")]
    assert bank.vectors.shape == (2, 2)
    assert bank.nearest(Sequence("q", [3, 3, 3]), {}, 1)[0][0] is train[0]  # vectors still aligned with entries
    assert bank.discard([Sequence("a", [1, 2], label=0)]) == 0  # an equal but other object is not in the bank
