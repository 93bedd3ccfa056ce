"""One root-cause question through the real embedded llama.cpp runtime (the tiny SmolLM2
model): the schema's grammar keeps the answer valid, its evidence inside the items shown."""

from __future__ import annotations

from logsieve.explain import Explainer, ExplainConfig, root_cause_schema
from logsieve.llm import make_backend
from logsieve.records import LogRecord, ParsedLine, Sequence
from logsieve.store import Store

T = {1: "Receiving block <*> src: <*> dest: <*>", 2: "PacketResponder <*> for block <*> terminating",
     3: "Exception in receiveBlock for block <*> java.io.IOException: Connection reset by peer"}


def test_the_embedded_runtime_answers_a_valid_root_cause(tmp_path):
    seq = Sequence("blk_7")
    for i, tid in enumerate([1, 1, 3, 2]):
        seq.append(ParsedLine(LogRecord("dn.log", i + 1, T[tid], {}, None), tid, T[tid], ("blk_7", f"10.0.0.{i}")))
    backend = make_backend({"kind": "embedded", "model": "smollm2-135m"})
    try:
        with Store(tmp_path / "e.db") as store:
            asked = Explainer(backend, store, ExplainConfig(retries=0)).ask(seq, T, "the small model scored it 0.93")
    finally:
        backend.close()
    assert asked.error is None and asked.attempts == 1 and asked.shown.n_items == 3
    assert asked.answer is not None and asked.answer.cause and asked.answer.next_step
    assert all(0 <= i < 3 for i in asked.answer.evidence)
    assert root_cause_schema(3)["properties"]["evidence"]["items"]["maximum"] == 2
