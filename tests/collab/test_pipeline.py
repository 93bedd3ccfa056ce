"""CoLA and CollaborLog routing with a real (fast) detector, a real SQLite store and the
scripted LLM: who decides, reuse, fallbacks, and that every sequence gets one verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from logsieve.collab import (
    CollabConfig,
    CollaborLogPipeline,
    ColaPipeline,
    KnowledgeConfig,
    KnowledgeTable,
    LlmOnlyPipeline,
    SmallOnlyPipeline,
    VerdictWriter,
    content_key,
)
from logsieve.detectors import make_detector
from logsieve.llm import Expert
from logsieve.llm.fake import ScriptedBackend, down
from logsieve.records import LogRecord, ParsedLine, Sequence
from logsieve.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detectors"))
from detector_data import TEMPLATES, splits  # noqa: E402

ABNORMAL = '{"status": "abnormal", "explanation": "an exception", "lines": [0]}'


@pytest.fixture(scope="module")
def detector():
    train, val, _ = splits()
    det = make_detector("pca")
    det.fit(train, val)
    return det


def with_lines(seqs: list[Sequence]) -> list[Sequence]:
    """Give id-only sequences real lines, so verdicts can cite files and lines."""
    out = []
    for s in seqs:
        full = Sequence(s.key, label=s.label)
        for i, tid in enumerate(s.template_ids):
            full.append(ParsedLine(LogRecord("app.log", 100 * len(out) + i + 1, "c", {}, None), tid, TEMPLATES[tid]))
        out.append(full)
    return out


def test_cola_sends_only_unsure_or_abnormal_sequences_and_reuses_answers(detector, tmp_path):
    _, _, test = splits()
    seqs = with_lines(test.sequences[:80])
    store = Store(tmp_path / "s.db")
    backend = ScriptedBackend([ABNORMAL])
    pipe = ColaPipeline(detector, Expert(backend), KnowledgeTable(store), config=CollabConfig(tau=0.5))
    verdicts = pipe.judge(seqs, TEMPLATES)
    assert len(verdicts) == len(seqs)
    small = pipe.detector.score(test.__class__(seqs, TEMPLATES))
    unsure = int(sum(a or c < 0.5 for a, c in zip(small.abnormal, small.confidence)))
    assert pipe.stats.llm_calls + pipe.stats.cache_hits == unsure > 0
    assert pipe.stats.llm_calls < unsure  # repeated patterns came from the table
    llm = [v for v in verdicts if v.source == "llm"]
    assert llm and all(v.refs and v.refs[0].source == "app.log" for v in llm)
    # a restart keeps the table: the same input now needs no LLM at all
    again = ColaPipeline(detector, Expert(ScriptedBackend([down()])), KnowledgeTable(Store(tmp_path / "s.db")),
                         config=CollabConfig(tau=0.5))
    again.judge(seqs, TEMPLATES)
    assert again.stats.llm_calls == 0 and again.stats.cache_hits == unsure


def test_a_dead_llm_leaves_the_small_verdict_marked(detector):
    _, _, test = splits()
    seqs = test.sequences[:60]
    for step, why in [(down(), "unavailable"), ("nonsense", "malformed")]:
        pipe = ColaPipeline(detector, Expert(ScriptedBackend([step])), config=CollabConfig(tau=0.99))
        verdicts = pipe.judge(seqs, TEMPLATES)
        assert len(verdicts) == 60 and {v.source for v in verdicts} == {"small", "fallback"}
        fallback = [v for v in verdicts if v.source == "fallback"]
        assert len(fallback) == pipe.stats.llm_calls == pipe.stats.llm_failures
        assert all(why in v.note and v.status in ("normal", "abnormal") for v in fallback)


def test_modes_at_the_ends(detector):
    _, _, test = splits()
    seqs = test.sequences[:30]
    small = SmallOnlyPipeline(detector, Expert(ScriptedBackend([ABNORMAL])))
    assert {v.source for v in small.judge(seqs, TEMPLATES)} == {"small"} and small.stats.llm_calls == 0
    llm = LlmOnlyPipeline(Expert(ScriptedBackend([ABNORMAL])))
    assert {v.status for v in llm.judge(seqs, TEMPLATES)} == {"abnormal"} and llm.stats.llm_calls == 30


def test_collaborlog_routes_by_the_coordinator(detector):
    train, val, test = splits()
    coordinator = make_detector("pca")  # any detector whose status means "unfamiliar"
    coordinator.fit(train, val)
    seqs = test.sequences[:60]
    pipe = CollaborLogPipeline(coordinator, detector, Expert(ScriptedBackend([ABNORMAL])))
    verdicts = pipe.judge(seqs, TEMPLATES)
    routed = int(coordinator.score(test.__class__(seqs, TEMPLATES)).abnormal.sum())
    assert pipe.stats.llm_calls == routed and len(verdicts) == 60


def test_knowledge_keys_normalise_and_the_table_stays_bounded(tmp_path):
    assert content_key([1, 1, 1, 2]) == content_key([1, 2])
    assert content_key([1, 1, 2], "exact") != content_key([1, 2], "exact")
    assert content_key([2, 1, 2], "set") == content_key([1, 2], "set")
    from logsieve.llm.verdict import Verdict

    table = KnowledgeTable(Store(tmp_path / "k.db"), KnowledgeConfig(max_entries=3))
    for i in range(5):
        table.put(Sequence(f"k{i}", [i]), Verdict(status="normal", explanation="ok", lines=[]), "cola@3", "fake")
    assert len(table) == 3 and table.get(Sequence("x", [0])) is None and table.get(Sequence("y", [4])) is not None


def test_verdict_writes_are_idempotent_and_llm_answers_become_pseudo_labels(detector, tmp_path):
    _, _, test = splits()
    seqs = with_lines(test.sequences[:20])
    store = Store(tmp_path / "v.db")
    verdicts = LlmOnlyPipeline(Expert(ScriptedBackend([ABNORMAL]))).judge(seqs, TEMPLATES)
    writer = VerdictWriter(store, tmp_path / "v.jsonl")
    writer.write(verdicts)
    writer.write(verdicts)  # a replay after a crash
    writer.close()
    count = store.connection.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
    assert count == 20
    labels = store.connection.execute("SELECT COUNT(*) FROM pseudo_labels WHERE source = 'llm'").fetchone()[0]
    assert labels >= 20  # each write of an LLM verdict is a label event
    rows = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert rows[0]["lines"] and {"key", "status", "source", "explanation"} <= set(rows[0])
