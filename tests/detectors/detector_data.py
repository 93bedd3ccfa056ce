"""Small synthetic sequence data for detector tests: fast, deterministic, clearly separable.

Normal sequences follow a block's life (allocate, receive, respond, verify); abnormal ones
carry an exception template or stop half-way with a failure. Template texts read like HDFS so
the text features (GloVe, MiniLM) have real words to embed.
"""

from __future__ import annotations

import random

from logsieve.detectors.base import SequenceBatch
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


def make_sequences(n: int, anomaly_rate: float = 0.1, seed: int = 0, start: int = 0) -> list[Sequence]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ids = [1] + [2, 3, 4] * rng.randint(1, 3)
        if rng.random() < 0.5:
            ids.append(5)
        label = int(rng.random() < anomaly_rate)
        if label:
            ids = ids[: rng.randint(2, len(ids))] + [rng.choice([6, 7])] + [8] * rng.randint(0, 2)
        elif rng.random() < 0.3:
            ids.append(8)
        out.append(Sequence(f"blk_{start + i}", ids, label=label))
    return out


def batch(n: int, anomaly_rate: float = 0.1, seed: int = 0, start: int = 0) -> SequenceBatch:
    return SequenceBatch(make_sequences(n, anomaly_rate, seed, start), TEMPLATES)


def splits(seed: int = 0) -> tuple[SequenceBatch, SequenceBatch, SequenceBatch]:
    """Train, validation and test batches (disjoint keys, each with anomalies)."""
    return batch(240, 0.1, seed, 0), batch(120, 0.1, seed + 1, 1000), batch(200, 0.1, seed + 2, 2000)
