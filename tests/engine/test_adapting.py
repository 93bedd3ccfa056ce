"""Adaptation inside the engine: when it runs, why it does not, what a run records (a full bundle
per version, registered in the store) and that the next start runs the live version with the
pseudo-labels not yet learnt from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logsieve.adapt.registry import ModelRegistry
from logsieve.engine import AdaptSection, EngineConfig, build_engine
from logsieve.engine.adapting import pending_labels, read_version_meta
from logsieve.evaluate.detection import run_detection
from logsieve.ingest import get_format
from logsieve.jobs.bundle import ModelBundle
from logsieve.jobs.detect import DetectJobConfig, run_detect
from logsieve.llm.fake import ScriptedBackend
from logsieve.store import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO_LOG = EXAMPLES / "hdfs" / "HDFS_demo.log.gz"
SMALL = AdaptSection(warmup=20, retrain_every=40, known_after=3, filter={"warmup": 10}, background=False)
"""Synchronous retrains: the run is the same every time."""


def _judge(request) -> str:
    judged = request.messages[-1]["content"].rsplit("<log_data>", 1)[-1].lower()
    if "exception" in judged or "t7" in judged:
        return '{"status": "abnormal", "explanation": "an exception", "lines": [0]}'
    return '{"status": "normal", "explanation": "routine", "lines": []}'


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("model") / "demo-logreg"
    run_detection("hdfs-demo", "logreg", data_dir=EXAMPLES, extra_specs=[EXAMPLES / "datasets.yaml"], save_to=target)
    return target


def test_detect_adapts_when_following_or_asked():
    job = DetectJobConfig(("app.log",), Path("m"), get_format("HDFS"), Path("s.db"))
    assert not job.engine_config().adapt.enabled  # one pass over a file: no adaptation by default
    assert job.__class__(**{**vars(job), "follow": True}).engine_config().adapt.enabled
    assert job.__class__(**{**vars(job), "adapt": True}).engine_config().adapt.enabled
    assert not job.__class__(**{**vars(job), "follow": True, "adapt": False}).engine_config().adapt.enabled


def test_the_engine_wires_the_adapter_or_says_why_not(model, tmp_path):
    with Store(tmp_path / "s.db") as store:
        engine = build_engine(model, EngineConfig(adapt=SMALL), store, backend=ScriptedBackend([_judge]))
        assert engine.adapter is not None and engine.pipeline.adapter is engine.adapter
        assert engine.adapter.known_templates == frozenset(ModelBundle.load(model).known_templates)
        assert {o for _, _, o in engine.bank.entries()} == {"train", "validation"}
        assert engine.adapt_status()["enabled"] and engine.live_version == 1  # the bundle, registered
        assert len(engine.adapter.train) == 240 and len(engine.adapter.validation) == 120  # from the bank
        engine.close()
        for config, backend, why in [(EngineConfig(adapt=SMALL), None, "no LLM"),
                                     (EngineConfig(adapt=SMALL, mode="small-only"), None, "mode cola")]:
            off = build_engine(model, config, store, backend=backend)
            assert off.adapter is None and why in off.adapt_status()["why"]
    off = build_engine(model, EngineConfig(adapt=SMALL), None, backend=ScriptedBackend([_judge]))
    assert off.adapter is None and "store" in off.adapt_off


def test_a_run_records_versions_and_the_next_start_runs_the_live_one(model, tmp_path):
    store_path = tmp_path / "s.db"
    job = DetectJobConfig((str(DEMO_LOG),), model, get_format("HDFS"), store_path, explain=False, adapt=True,
                          adapt_settings=SMALL)
    summary = run_detect(job, backend=ScriptedBackend([_judge]))
    assert summary.adapt["retrains"] >= 1 and summary.adapt["versions_recorded"] == summary.adapt["retrains"]
    with Store(store_path) as store:
        registry = ModelRegistry(store)
        entries = registry.list()
        assert entries[0].path == str(model.resolve()) and len(entries) == 1 + summary.adapt["retrains"]
        made = entries[1]
        path = Path(made.path)
        assert path == Path(f"{store_path}.models") / f"v{made.version}"
        meta = read_version_meta(path)
        assert meta.version == made.version and meta.parent == 1 and meta.live == (made.status != "aside")
        lines = [json.loads(x) for x in (path / "examples.jsonl").read_text().splitlines()]
        assert ModelBundle.load(path).examples == len(lines) and (path / "parser").is_dir()

        registry.rollback(made.version)  # whatever it decided, make this version live and restart
        engine = build_engine(model, EngineConfig(adapt=SMALL), store, backend=ScriptedBackend([_judge]))
        try:
            assert engine.run_dir == path and engine.live_version == made.version
            assert engine.adapter.resumed == len(pending_labels(store, meta.labels_until)) > 0
            assert engine.adapter.known_templates == frozenset(ModelBundle.load(path).known_templates)
            if meta.live:  # the pseudo-labels it learnt from are examples now, and train for the next retrain
                assert sum(x["origin"] == "pseudo" for x in lines) == meta.kept
                assert len(engine.adapter.train) == 240 + meta.kept
        finally:
            engine.close()
        plain = build_engine(model, EngineConfig(), store)  # no adaptation: still the live version runs
        assert plain.run_dir == path and plain.version == made.version and plain.adapter is None
