"""Root-cause explanations with the scripted backend: one LLM call per anomaly pattern, the
cited items mapped to each verdict's own lines, and malformed answers, a dead LLM or a spent
cap store no explanation but a reason, without raising."""

from __future__ import annotations

import json

import pytest

from logsieve.collab.verdicts import VerdictWriter, base_verdict
from logsieve.explain import Anomaly, ExplainConfig, Explainer, parse_root_cause, root_cause, root_cause_schema
from logsieve.explain.schema import ExplanationError
from logsieve.llm.fake import ScriptedBackend, down
from logsieve.records import LogRecord, ParsedLine, Sequence
from logsieve.store import Store

T = {1: "Receiving block <*>", 2: "PacketResponder <*> terminating", 3: "Exception in receiveBlock for block <*>",
     4: "Deleting block <*> file <*>"}
GOOD = json.dumps({"cause": "the datanode lost the block while receiving it", "evidence": [1],
                   "next_step": "check the datanode's disk and network"})


def seq(key: str, ids: list[int], first_line: int = 1) -> Sequence:
    s = Sequence(key)
    for i, tid in enumerate(ids):
        s.append(ParsedLine(LogRecord("dn.log", first_line + i, f"{T[tid].replace('<*>', key)}", {}, None), tid,
                            T[tid], (key,)))
    return s


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.db") as s:
        yield s


def write(store: Store, seqs: list[Sequence]) -> list[Anomaly]:
    verdicts = [base_verdict(s, "abnormal", "small", score=0.9, confidence=0.1) for s in seqs]
    VerdictWriter(store).write(verdicts)
    ids = dict(store.connection.execute("SELECT identity, id FROM verdicts").fetchall())
    return [Anomaly(ids[v.identity], s, "score 0.9") for v, s in zip(verdicts, seqs)]


def test_one_call_per_pattern_and_cited_items_map_to_each_verdicts_lines(store):
    # blk_a and blk_b fail the same way (same distinct templates in the same order, other counts)
    a, b, c = seq("blk_a", [1, 3, 3, 2]), seq("blk_b", [1, 1, 3, 2], first_line=50), seq("blk_c", [1, 4])
    anomalies = write(store, [a, b, c])
    backend = ScriptedBackend([GOOD])
    explainer = Explainer(backend, store)
    links = explainer.explain(anomalies, T)
    assert len(backend.requests) == 2 and [ln.status for ln in links] == ["explained"] * 3
    assert explainer.stats.reused == 1 and explainer.stats.llm_calls == 2
    assert backend.requests[0].schema == root_cause_schema(3)  # evidence bounded to the 3 items shown
    doc_a, doc_b = root_cause(store, anomalies[0].verdict_id), root_cause(store, anomalies[1].verdict_id)
    assert doc_a["cause"] == doc_b["cause"] and doc_a["shared_by"] == 2 and doc_a["prompt"] == "root_cause@2"
    # item 1 is template 3 in both; its lines differ per verdict
    assert [(e["source"], e["line"]) for e in doc_a["evidence"]] == [("dn.log", 2), ("dn.log", 3)]
    assert [(e["source"], e["line"]) for e in doc_b["evidence"]] == [("dn.log", 52)]
    assert [ln["cited"] for ln in doc_a["lines"]] == [False, True, True, False]
    # a later batch (another job) reuses the stored pattern: no call
    again = Explainer(ScriptedBackend([down()]), store)
    d = write(store, [seq("blk_d", [1, 3, 2], first_line=90)])
    assert again.explain(d, T)[0].status == "explained" and again.stats.llm_calls == 0


def test_malformed_answers_store_no_explanation_but_the_reason(store):
    anomalies = write(store, [seq("blk_a", [1, 3])])
    bad = ['{"cause": "x"', json.dumps({"cause": "disk", "evidence": [7], "next_step": "look"})]  # not JSON; item 7 not shown
    explainer = Explainer(ScriptedBackend(bad), store, ExplainConfig(retries=1))
    [link] = explainer.explain(anomalies, T)
    assert link.status == "failed" and "malformed" in link.reason and explainer.stats.malformed == 2
    assert store.connection.execute("SELECT COUNT(*) FROM explanations").fetchone()[0] == 0
    doc = root_cause(store, anomalies[0].verdict_id)
    assert doc["status"] == "failed" and doc["cause"] is None and "outside" in doc["reason"]


def test_a_dead_llm_is_asked_once_per_batch_and_nothing_raises(store):
    anomalies = write(store, [seq("blk_a", [1, 3]), seq("blk_b", [1, 4]), seq("blk_c", [2, 4])])
    backend = ScriptedBackend([down()])
    links = Explainer(backend, store).explain(anomalies, T)
    assert len(backend.requests) == 1 and {ln.status for ln in links} == {"failed"}
    assert all("unavailable" in ln.reason for ln in links)


def test_the_cap_leaves_later_patterns_skipped_with_how_to_get_one(store):
    anomalies = write(store, [seq("blk_a", [1, 3]), seq("blk_b", [1, 4])])
    links = Explainer(ScriptedBackend([GOOD]), store, ExplainConfig(max_calls=1)).explain(anomalies, T)
    assert [ln.status for ln in links] == ["explained", "skipped"] and "--generate" in links[1].reason
    # a forced retry after a failure links the verdict; a failure never replaces an explanation
    forced = Explainer(ScriptedBackend([GOOD.replace("[1]", "[0]")]), store)
    assert forced.explain(anomalies[1:], T, force=True)[0].status == "explained"
    Explainer(ScriptedBackend([down()]), store).explain(anomalies[1:], T, force=True)
    assert root_cause(store, anomalies[1].verdict_id)["status"] == "explained"
    assert root_cause(store, 10_000) is None


def test_the_answer_is_validated_against_its_schema():
    ok = parse_root_cause(json.dumps({"cause": "c", "evidence": [0, 0, 1], "next_step": "n"}), 2)
    assert ok.evidence == [0, 1]
    for bad in ({"cause": "c", "evidence": [], "next_step": "n"}, {"cause": "c" * 500, "evidence": [0], "next_step": "n"},
                {"cause": "c", "evidence": [0], "next_step": "n", "extra": 1}, {"cause": " ", "evidence": [0], "next_step": "n"}):
        with pytest.raises(ExplanationError):
            parse_root_cause(json.dumps(bad), 2)
