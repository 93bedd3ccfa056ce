"""`logsieve learn`: raw logs, no labels, to a bundle that `detect` runs (real files, real CLI)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from logsieve.jobs.bundle import ModelBundle
from logsieve.jobs.learn import LearnConfig, learn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logsieve", *args], capture_output=True, timeout=300)


def test_learn_on_raw_hdfs_finds_block_sessions_and_detect_runs_the_bundle(shared_data, tmp_path):
    log = shared_data / "logai" / "HDFS_20000.log"
    res = cli("learn", str(log), "--out", str(tmp_path / "m"), "--json")
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    doc = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert doc["formats"][str(log)]["format"] == "HDFS"
    assert doc["grouping"]["kind"] == "session" and "blk_" in doc["grouping"]["grouping"]["id_pattern"]
    assert doc["lines"] == 20000 and doc["quarantined"] == 0 and doc["sequences"] > 1000
    assert 0 < doc["flagged_share"] < 0.2  # the self-trained student may flag beyond the stated 2%
    bundle = ModelBundle.load(tmp_path / "m")
    assert bundle.detector == "self-trained" and bundle.format == "HDFS" and bundle.examples == 0
    out = tmp_path / "v.jsonl"
    res = cli("detect", str(log), "--model", str(tmp_path / "m"), "--llm", "none", "--mode", "small-only",
              "--store", str(tmp_path / "s.db"), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    summary = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert summary["sequences"] == doc["sequences"] and summary["anomalies"] > 0
    assert len(out.read_text().splitlines()) == doc["sequences"]


def test_learn_reads_a_folder_of_mixed_formats_each_in_its_own(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("java_app.log", "app.jsonl", "syslog5424.log", "logfmt.log"):
        shutil.copy(FIXTURES / name, folder / name)
    summary = learn([str(folder)], tmp_path / "m", LearnConfig(grouping={"kind": "fixed", "size": 2}))
    chosen = {Path(k).name: v["format"] for k, v in summary.formats.items()}
    assert chosen == {"java_app.log": "stamped", "app.jsonl": "json", "syslog5424.log": "syslog-5424",
                      "logfmt.log": "logfmt"}
    assert summary.formats[str(folder / "java_app.log")]["multiline"] is True
    assert summary.quarantined == 0  # stack-trace lines joined to their record, not quarantined
    assert ModelBundle.load(tmp_path / "m").format == "auto"  # mixed: detect resolves per file again
    res = cli("detect", str(folder), "--model", str(tmp_path / "m"), "--llm", "none", "--mode", "small-only",
              "--store", str(tmp_path / "s.db"), "--json")
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert json.loads(res.stdout.decode().strip().splitlines()[-1])["sequences"] == summary.sequences


def test_too_little_history_says_what_to_do(tmp_path):
    res = cli("learn", str(FIXTURES / "app.jsonl"), "--out", str(tmp_path / "m"))
    assert res.returncode == 2
    assert "--group fixed:20" in res.stderr.decode().replace("\n", " ")


@pytest.mark.parametrize("text", ["fixed", "sliding:20", "time:x", "nonsense:3", "session:("])
def test_a_bad_group_option_names_the_forms(tmp_path, text):
    res = cli("learn", str(FIXTURES / "app.jsonl"), "--out", str(tmp_path / "m"), "--group", text)
    assert res.returncode == 2
    assert "group" in res.stderr.decode().lower()


def test_unreadable_input_says_why(tmp_path):
    res = cli("learn", str(tmp_path / "missing.log"), "--out", str(tmp_path / "m"))
    assert res.returncode == 2 and "not found" in res.stderr.decode()
    binary = tmp_path / "bin.log"
    binary.write_bytes(bytes(range(128, 256)) * 40 + b"\n" + bytes(range(128, 256)) * 40)
    res = cli("learn", str(binary), "--out", str(tmp_path / "m"))
    assert res.returncode == 2 and "decode_error" in res.stderr.decode()


def test_learn_reads_stdin_and_detects_its_format(shared_data, tmp_path):
    log = shared_data / "loghub_2k" / "OpenStack" / "OpenStack_2k.log"
    res = subprocess.run([sys.executable, "-m", "logsieve", "learn", "-", "--out", str(tmp_path / "m"), "--json"],
                         input=log.read_bytes(), capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    doc = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert doc["formats"] == {"<stdin>": {"format": "OpenStack", "lines": 2000, "confidence": 1.0, "detected": True,
                                          "multiline": False}}


def test_labels_made_with_an_llm_are_counted_in_the_bundle_and_listed_beside_it(tmp_path, monkeypatch):
    import logsieve.jobs.learn as learn_job

    def fake_alpha(fitted, templates, config, progress=None, **kw):  # the LLM's part, scripted
        train, validation = fitted.train, fitted.validation
        origin = ["llm" if i % 3 == 0 else "propagated" for i in range(len(train) + len(validation))]
        return fitted.detector, train, validation, origin, {"kept": fitted.detector.name}

    monkeypatch.setattr(learn_job, "alpha_step", fake_alpha)
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("java_app.log", "logfmt.log"):
        shutil.copy(FIXTURES / name, folder / name)
    config = LearnConfig(grouping={"kind": "fixed", "size": 2}, llm={"kind": "openai", "base_url": "http://127.0.0.1:9/v1"})
    learn([str(folder)], tmp_path / "m", config)
    rows = [json.loads(r) for r in (tmp_path / "m" / "labels.jsonl").read_text().splitlines()]
    counts = {by: sum(r["by"] == by for r in rows) for by in ("llm", "propagated")}
    assert ModelBundle.load(tmp_path / "m").label_origin == counts and counts["llm"] > 0
