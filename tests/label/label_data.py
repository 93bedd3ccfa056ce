"""Synthetic data and fake LLM answers for the ALPHA tests: a handful of shapes, many copies.

Normal sequences are a block's life (allocate, receive/respond/received, maybe verify);
abnormal ones carry an exception template (6 or 7) or are cut short after the allocation
(``[1, 2]``), which the rule-based fake LLM cannot see: it calls abnormal only what shows an
exception, so it errs on the cut-short ones, as a real model does on missing steps.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np

from logsieve.detectors.base import SequenceBatch
from logsieve.llm.base import ChatRequest
from logsieve.records import Sequence

TEMPLATES = {
    1: "BLOCK* NameSystem.allocateBlock: <*>",
    2: "Receiving block <*> src: <*> dest: <*>",
    3: "PacketResponder <*> for block <*> terminating",
    4: "Received block <*> of size <*> from <*>",
    5: "Verification succeeded for <*>",
    6: "Exception in receiveBlock for block <*> java.io.IOException: Connection reset by peer",
    7: "writeBlock <*> received exception java.io.EOFException",
    8: "Deleting block <*> file <*>",
}
NORMAL = [[1, 2, 3, 4], [1, 2, 3, 4, 2, 3, 4], [1, 2, 3, 4, 5], [1, 2, 3, 4, 2, 3, 4, 5], [1, 2, 3, 4, 8],
          [1, 2, 3, 4, 2, 3, 4, 2, 3, 4]]
ABNORMAL = [[1, 2, 6], [1, 2, 3, 7, 8], [1, 2], [1, 2, 3, 4, 6, 8], [1, 7]]


def sequences(n: int, seed: int, start: int = 0, anomaly_rate: float = 0.1) -> list[Sequence]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = int(rng.random() < anomaly_rate)
        shape = rng.choice(ABNORMAL if label else NORMAL)
        out.append(Sequence(f"blk_{start + i}", list(shape), label=label))
    return out


def splits(seed: int = 0) -> tuple[SequenceBatch, SequenceBatch, SequenceBatch]:
    return (SequenceBatch(sequences(400, seed), TEMPLATES), SequenceBatch(sequences(150, seed + 1, 1000), TEMPLATES),
            SequenceBatch(sequences(300, seed + 2, 2000), TEMPLATES))


def bag_embed(seqs, templates) -> np.ndarray:
    """Cheap stand-in for MiniLM: the template-count vector, L2-normalised."""
    x = np.zeros((len(seqs), max(TEMPLATES) + 1), dtype=np.float32)
    for i, s in enumerate(seqs):
        for t in s.template_ids:
            x[i, t] += 1
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def judged_items(request: ChatRequest) -> list[str]:
    """The item lines of the sequence being labelled (not the examples)."""
    return request.messages[1]["content"].split("Sequence to label")[1].splitlines()[1:]


def exception_rule(request: ChatRequest) -> str:
    """A fake LLM: abnormal iff an exception template (T6, T7) is among the judged items."""
    items = " ".join(judged_items(request))
    bad = re.search(r"\bT[67]\b", items) is not None
    return json.dumps({"label": "abnormal" if bad else "normal", "evidence": "exception" if bad else "routine"})


def truth_rule(request: ChatRequest) -> str:
    """A fake LLM that is always right on this data (exceptions, or cut short after T2)."""
    items = [line.split("] ", 1)[1] for line in judged_items(request) if "] " in line]
    bad = any(re.match(r"T[67]\b", i) for i in items) or not any(i.startswith("T3") for i in items)
    return json.dumps({"label": "abnormal" if bad else "normal", "evidence": "x"})
