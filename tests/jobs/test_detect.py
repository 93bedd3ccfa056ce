"""`logsieve detect` end to end on the bundled sample: a real trained bundle, a real SQLite
store, the fake LLM, a dead LLM, and following a file as it grows."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from logsieve.evaluate.detection import run_detection
from logsieve.ingest import get_format
from logsieve.jobs.detect import DetectJobConfig, run_detect
from logsieve.store import Store

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "pca"
    run_detection("hdfs-demo", "pca", data_dir=REPO / "examples", extra_specs=[REPO / "examples" / "datasets.yaml"],
                  save_to=out)
    return out


def test_detect_judges_every_sequence_once_and_names_lines(bundle, tmp_path):
    cfg = DetectJobConfig((str(DEMO),), bundle, get_format("HDFS"), tmp_path / "s.db", jsonl=tmp_path / "v.jsonl",
                          llm=None)
    summary = run_detect(cfg)
    assert summary.sequences == 1200 and summary.lines == 26145 and summary.llm_calls == 0
    with Store(tmp_path / "s.db") as store:
        rows = store.connection.execute("SELECT COUNT(*), SUM(status = 'abnormal') FROM verdicts").fetchone()
    assert rows == (1200, summary.anomalies)
    verdicts = [json.loads(x) for x in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert len(verdicts) == 1200 and all(v["lines"] or v["n_lines"] for v in verdicts)
    # every line of the file belongs to exactly one session, and the spans say which
    covered = [n for v in verdicts for s in v["span"] for n in range(s["from"], s["to"] + 1)]
    assert sorted(covered) == list(range(1, 26146))
    assert all(s["file"] == str(DEMO) for v in verdicts for s in v["span"])
    # run again on the same input: the store does not duplicate verdicts
    run_detect(cfg)
    with Store(tmp_path / "s.db") as store:
        assert store.connection.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0] == 1200


def test_a_dead_llm_never_costs_a_verdict(bundle, tmp_path):
    cfg = DetectJobConfig((str(DEMO),), bundle, get_format("HDFS"), tmp_path / "s.db",
                          llm={"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "retries": 0, "timeout_s": 1},
                          tau=0.999)
    summary = run_detect(cfg)
    assert summary.sequences == 1200 and summary.llm_calls > 0 and summary.llm_failures == summary.llm_calls
    assert summary.by_source["fallback"] == summary.llm_calls


def test_follow_judges_lines_written_while_it_runs(bundle, tmp_path):
    lines = gzip.open(DEMO, "rt").read().splitlines(keepends=True)
    log = tmp_path / "live.log"
    log.write_text("".join(lines[:5000]))
    stop = threading.Event()
    cfg = DetectJobConfig((str(log),), bundle, get_format("HDFS"), tmp_path / "s.db", llm=None, follow=True, stop=stop)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("summary", run_detect(cfg)))
    worker.start()
    with log.open("a") as fh:
        for i in range(5000, len(lines), 5000):
            fh.write("".join(lines[i:i + 5000]))
            fh.flush()
            time.sleep(0.3)
    time.sleep(1.0)
    stop.set()
    worker.join(timeout=60)
    assert result["summary"].lines == 26145 and result["summary"].sequences == 1200


def test_detect_cli_json_and_advice_without_a_model(bundle, tmp_path):
    res = subprocess.run([sys.executable, "-m", "logsieve", "detect", str(DEMO), "--model", str(bundle), "--llm", "none",
                          "--store", str(tmp_path / "c.db"), "--json"], capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-1500:]
    summary = json.loads(res.stdout.decode().strip().splitlines()[-1])
    for key in ("sequences", "anomalies", "llm_calls", "cache_hits", "llm_seconds", "seconds"):
        assert key in summary
    res = subprocess.run([sys.executable, "-m", "logsieve", "detect", str(DEMO), "--model", str(tmp_path / "none")],
                         capture_output=True, timeout=120)
    assert res.returncode == 2 and "logsieve train" in " ".join(res.stderr.decode().split())


def test_detect_cli_end_to_end_with_the_real_embedded_runtime(bundle, tmp_path):
    """The whole main job with llama.cpp in process (the tiny SmolLM2 model, so it stays fast):
    unsure sequences go to the LLM, at most 3 calls, and every sequence still gets a verdict."""
    out = tmp_path / "v.jsonl"
    res = subprocess.run([sys.executable, "-m", "logsieve", "detect", str(DEMO), "--model", str(bundle),
                          "--llm", "embedded", "--llm-model", "smollm2-135m", "--tau", "0.999", "--max-llm-calls", "3",
                          "--max-explanations", "1",
                          "--store", str(tmp_path / "e.db"), "--out", str(out), "--json"], capture_output=True, timeout=600)
    assert res.returncode == 0, res.stderr.decode()[-1500:]
    summary = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert summary["sequences"] == 1200 and 1 <= summary["llm_calls"] <= 3
    assert summary["explanations"]["llm_calls"] == 1  # root causes beside detection, capped (tests/explain has the rest)
    verdicts = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(verdicts) == 1200
    asked = [v for v in verdicts if v["source"] == "llm"]
    assert len(asked) + summary["llm_failures"] == summary["llm_calls"]  # each call: a verdict or a marked fallback
    assert all(v["backend"] == "embedded:smollm2-135m" and v["prompt"] == "cola@5" and v["explanation"] for v in asked)
    with Store(tmp_path / "e.db") as store:
        assert store.connection.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0] == 1200
