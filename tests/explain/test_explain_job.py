"""Explanations in the detect job (beside detection, capped, one call per pattern) and the
`logsieve explain` command over the store it leaves; the scripted LLM stands in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import logsieve.llm
from logsieve.cli import app
from logsieve.evaluate.detection import run_detection
from logsieve.ingest import get_format
from logsieve.jobs.detect import DetectJobConfig, run_detect
from logsieve.llm.fake import ScriptedBackend
from logsieve.store import Store

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"
VERDICT = '{"status":"abnormal","explanation":"exception while receiving","lines":[0]}'
CAUSE = json.dumps({"cause": "a write pipeline failed", "evidence": [0], "next_step": "check the datanode logs"})


def answer(request) -> str:
    return CAUSE if "cause" in request.schema["properties"] else VERDICT


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "logreg"
    run_detection("hdfs-demo", "logreg", data_dir=REPO / "examples", extra_specs=[REPO / "examples" / "datasets.yaml"],
                  save_to=out)
    return out


@pytest.fixture(scope="module")
def detected(bundle, tmp_path_factory):
    """One job with the scripted LLM and a cap of 3 explanation calls."""
    backends: list[ScriptedBackend] = []

    def fake(config=None):
        backends.append(ScriptedBackend([answer]))
        return backends[-1]

    mp = pytest.MonkeyPatch()
    mp.setattr(logsieve.llm, "make_backend", fake)
    db = tmp_path_factory.mktemp("store") / "s.db"
    try:
        summary = run_detect(DetectJobConfig((str(DEMO),), bundle, get_format("HDFS"), db, llm={"kind": "embedded"},
                                             max_llm_calls=2, max_explanations=3))
    finally:
        mp.undo()
    return summary, db, backends[0]


def test_the_job_explains_anomalies_by_pattern_within_its_cap(detected):
    summary, db, backend = detected
    e = summary.explanations
    assert e["anomalies"] == summary.anomalies > 3 and e["llm_calls"] == 3
    assert e["explained"] + e["failed"] + e["skipped"] == e["anomalies"] and e["explained"] >= 3 and e["skipped"] > 0
    asked = [r for r in backend.requests if "cause" in r.schema["properties"]]
    assert len(asked) == 3  # shares the pipeline's backend
    with Store(db) as store:
        linked = store.connection.execute("SELECT COUNT(*) FROM verdict_explanations").fetchone()[0]
        abnormal = store.connection.execute("SELECT COUNT(*) FROM verdicts WHERE status = 'abnormal'").fetchone()[0]
        patterns = store.connection.execute("SELECT COUNT(*) FROM explanations").fetchone()[0]
    assert linked == abnormal and patterns == 3


def test_explain_prints_the_cause_and_marks_the_cited_lines(detected):
    _, db, _ = detected
    with Store(db) as store:
        vid, = store.connection.execute("SELECT verdict_id FROM verdict_explanations WHERE status = 'explained' "
                                        "LIMIT 1").fetchone()
        skipped, = store.connection.execute("SELECT verdict_id FROM verdict_explanations WHERE status = 'skipped' "
                                            "LIMIT 1").fetchone()
    runner = CliRunner()
    res = runner.invoke(app, ["explain", str(vid), "--store", str(db), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout.strip().splitlines()[-1])["explanation"]
    assert doc["cause"] == "a write pipeline failed" and doc["cited_items"] == [0]
    assert doc["evidence"] and all(ln["cited"] == (ln["item"] == 0) for ln in doc["lines"])
    text = runner.invoke(app, ["explain", str(vid), "--store", str(db)]).stdout
    assert "a write pipeline failed" in text and "check the datanode logs" in text and " > [0]" in text
    text = runner.invoke(app, ["explain", str(skipped), "--store", str(db)]).stdout
    assert "skipped" in text and "--generate" in text
    listing = runner.invoke(app, ["explain", "--store", str(db), "--json"]).stdout
    assert json.loads(listing.strip().splitlines()[-1])["anomalies"]
    res = runner.invoke(app, ["explain", "99999", "--store", str(db)])
    assert res.exit_code == 2


def test_a_verdict_without_an_explanation_says_how_to_get_one(detected):
    _, db, _ = detected
    with Store(db) as store:
        vid, = store.connection.execute("SELECT id FROM verdicts WHERE status = 'normal' LIMIT 1").fetchone()
    text = CliRunner().invoke(app, ["explain", str(vid), "--store", str(db)]).stdout
    assert "No explanation stored" in text and "--generate" in text


def test_generate_asks_now_for_a_verdict_left_over_the_cap(detected, bundle, monkeypatch):
    _, db, _ = detected
    with Store(db) as store:
        vid, = store.connection.execute("SELECT verdict_id FROM verdict_explanations WHERE status = 'skipped' "
                                        "LIMIT 1").fetchone()
    other = json.dumps({"cause": "the block was never closed", "evidence": [0], "next_step": "look at the namenode"})
    backend = ScriptedBackend([other])
    monkeypatch.setattr(logsieve.llm, "make_backend", lambda config=None: backend)
    res = CliRunner().invoke(app, ["explain", str(vid), "--store", str(db), "--generate", "--model", str(bundle),
                                   "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout.strip().splitlines()[-1])["explanation"]
    assert doc["status"] == "explained" and doc["cause"] == "the block was never closed" and len(backend.requests) == 1
    assert "<template" not in backend.requests[0].messages[1]["content"]  # the parser state named every template
    assert any(ln["cited"] for ln in doc["lines"])  # the lines kept with the skipped link were reused
