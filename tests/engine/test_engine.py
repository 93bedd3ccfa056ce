"""The engine: `detect` and the evaluation harness run the same pipeline from the same bundle;
the bundle carries the example bank, known templates and trust rule; old bundles say how to
upgrade; the trust rule is measured on validation through the engine itself."""

from __future__ import annotations

import json
from pathlib import Path

from logsieve.engine import EngineConfig, build_engine
from logsieve.engine.calibrate import CalibrationConfig, calibrate_trust
from logsieve.evaluate.detection import split_batches
from logsieve.ingest import get_format
from logsieve.jobs.bundle import BUNDLE_FILE, ModelBundle
from logsieve.jobs.detect import DetectJobConfig, run_detect
from logsieve.llm.fake import ScriptedBackend
from logsieve.store import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO_LOG = EXAMPLES / "hdfs" / "HDFS_demo.log.gz"


def _judge_by_words(request) -> str:
    """A deterministic judge that reads the judged section: abnormal when it names an exception."""
    judged = request.messages[-1]["content"].rsplit("<log_data>", 1)[-1].lower()
    if "exception" in judged:
        return '{"status": "abnormal", "explanation": "an exception", "lines": [0]}'
    return '{"status": "normal", "explanation": "routine", "lines": []}'




def test_the_bundle_carries_what_the_expert_needs(demo_model, demo_data):
    bundle = ModelBundle.load(demo_model)
    train, validation, _ = split_batches(demo_data)
    assert bundle.examples == len(train) + len(validation)
    assert (demo_model / "examples.jsonl").exists() and (demo_model / "examples.npy").exists()
    assert set(bundle.known_templates) == {t for b in (train, validation) for s in b.sequences for t in s.template_ids}
    assert 0.0 < bundle.tau <= 1.0
    engine = build_engine(demo_model, EngineConfig(), backend=ScriptedBackend([_judge_by_words]))
    assert engine.bank is not None and len(engine.bank) == bundle.examples
    assert {o for _, _, o in engine.bank.entries()} == {"train", "validation"}


def test_detect_and_the_harness_give_identical_verdicts(demo_model, demo_data, tmp_path):
    got: dict[str, tuple] = {}
    job = DetectJobConfig((str(DEMO_LOG),), demo_model, get_format("HDFS"), tmp_path / "detect.db", explain=False,
                          jsonl=tmp_path / "v.jsonl")
    summary = run_detect(job, backend=ScriptedBackend([_judge_by_words]))
    for line in (tmp_path / "v.jsonl").read_text().splitlines():
        v = json.loads(line)
        got[v["key"]] = (v["status"], round(v["score"], 6), v["llm_status"], v["explanation"])
    assert summary.llm_calls > 0 and len(got) == summary.sequences == 1200

    store = Store(tmp_path / "harness.db")
    engine = build_engine(demo_model, EngineConfig(), store, backend=ScriptedBackend([_judge_by_words]),
                          templates=demo_data.templates)
    # the test split's sessions are whole (train and validation ones are cut at the split time)
    seqs = demo_data.splits.test
    harness = {v.key: (v.status, round(v.score, 6), v.llm_status or None, v.explanation) for v in engine.judge(seqs)}
    store.close()
    assert harness == {k: got[k] for k in harness}
    assert sum(v[2] is not None for v in harness.values()) > 0  # the LLM was asked in both


def test_a_version_1_bundle_loads_and_says_how_to_upgrade(demo_model, tmp_path):
    doc = json.loads((demo_model / BUNDLE_FILE).read_text())
    old = {k: doc["bundle"][k] for k in ("detector", "dataset", "fit_on", "format", "grouping", "tau")}
    (tmp_path / BUNDLE_FILE).write_text(json.dumps({"format": doc["format"], "version": 1, "bundle": old}))
    bundle = ModelBundle.load(tmp_path)
    assert "version-1" in bundle.upgrade_note and "logsieve train" in bundle.upgrade_note
    assert bundle.known_templates is None and bundle.examples == 0


def test_calibration_keeps_true_alarms_from_a_judge_that_calls_everything_normal(demo_model, demo_data, tmp_path):
    import shutil

    model = tmp_path / "m"
    shutil.copytree(demo_model, model)
    backend = ScriptedBackend(['{"status": "normal", "explanation": "routine", "lines": []}'])
    _, validation, _ = split_batches(demo_data)
    bundle = calibrate_trust(model, validation, EngineConfig(), backend=backend, templates=demo_data.templates,
                             config=CalibrationConfig(max_per_situation=10))
    figures = bundle.trust.figures["abnormal"]
    assert figures.n > 0 and figures.llm_accuracy is not None
    assert bundle.trust.abnormal != "llm"  # an always-normal judge never gets to overturn the small model
    assert ModelBundle.load(model).trust == bundle.trust and bundle.expert["backend"] == "fake"
    # calibration showed the judge train examples only: no validation label reached a prompt
    shown = " ".join(m["content"] for r in backend.requests for m in r.messages)
    assert "Judged" in shown or backend.requests
