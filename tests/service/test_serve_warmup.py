"""``logsieve serve`` with no model: a real server started bare warms up, judges with the
never-seen-template rule, learns, swaps the learnt model in, and serves it again after a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from serve_support import demo_lines, wait_for

from logsieve.collab.novelty import NoveltyPipeline
from logsieve.llm import Expert, ExpertConfig
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence
from logsieve.service.warmup import WarmupSection

TEXT = {"Content-Type": "text/plain; charset=utf-8"}
HEALTH_BAR_S = 60.0


def start_bare(store: Path, cwd: Path, *extra: str) -> tuple[subprocess.Popen, str, float]:
    """``logsieve serve --port 0 --llm none --store STORE`` with no model, from a directory with
    no default model; returns the process, its URL and the seconds until /health answered."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "logsieve", "serve", "--port", "0", "--llm", "none",
                             "--store", str(store), "--json", *extra], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline().decode()
    if not line:
        raise AssertionError(f"serve did not start: {proc.stderr.read().decode()[-2000:]}")
    url = json.loads(line)["url"].rstrip("/")
    wait_for("/health", lambda: httpx.get(url + "/health", timeout=2).status_code == 200, HEALTH_BAR_S)
    return proc, url, time.monotonic() - started


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


def post(client: httpx.Client, lines: list[str]) -> None:
    r = client.post("/ingest?source=hdfs", content="\n".join(lines) + "\n", headers=TEXT)
    assert r.status_code == 202 and r.json()["accepted"] == len(lines)


def all_verdicts(client: httpx.Client) -> list[dict]:
    return client.get("/anomalies", params={"status": "all", "limit": 1000}).json()["items"]


def test_bare_serve_gives_novelty_verdicts(tmp_path):
    """The issue's bar: bare, /health within 60 s, verdicts for posted lines after a flush."""
    proc, url, seconds = start_bare(tmp_path / "s.db", tmp_path)
    try:
        assert seconds < HEALTH_BAR_S
        print(f"/health answered {seconds:.2f} s after start")
        with httpx.Client(base_url=url, timeout=60) as c:
            h = c.get("/health").json()
            assert h["phase"] == "warming-up" and h["model_version"] is None
            assert h["warmup"]["lines_needed"] == 5000
            post(c, demo_lines(300))
            assert c.post("/admin/flush").json()["judged"] > 0
            items = all_verdicts(c)
            assert items and {i["source"] for i in items} == {"novelty"}
            assert {i["detector"] for i in items} == {"unseen-template"}
            # the first window holds every template's first line: it is the new one
            first = min(items, key=lambda i: i["id"])
            assert first["status"] == "abnormal"
            assert any(i["status"] == "normal" for i in items)
            h = c.get("/health").json()
            assert h["warmup"]["lines_seen"] == 300 and h["warmup"]["format"]["format"] == "HDFS"
            assert h["sequences"] == len(items)
    finally:
        stop(proc)


def test_warmup_learns_swaps_and_restart_serves_it(tmp_path):
    """A small warm-up: a live version appears, later verdicts come from the small model under
    it, `logsieve models` lists it, and a restart serves it with no second warm-up."""
    store = tmp_path / "s.db"
    config = tmp_path / "serve.yaml"
    config.write_text("warmup: {lines: 1500}\nmax_wait_s: 0.2\ncheckpoint_s: 0.5\n")
    lines = demo_lines(4000)
    proc, url, _ = start_bare(store, tmp_path, "--config", str(config))
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            started = time.monotonic()
            for i in range(0, 2000, 500):
                post(c, lines[i:i + 500])
            h = wait_for("the learnt model to go live",
                         lambda: (lambda h: h if h["phase"] == "live" else None)(c.get("/health").json()), 120, 0.2)
            live_s = time.monotonic() - started
            version = h["model_version"]
            assert version is not None and h["warmup"]["live_version"] == version
            assert h["warmup"]["lines_seen"] >= 1500
            for i in range(2000, 4000, 500):
                post(c, lines[i:i + 500])
            assert c.post("/admin/flush").status_code == 200
            items = all_verdicts(c)
            by = Counter((i["source"], i["model_version"]) for i in items)
            assert by[("novelty", None)] > 0
            assert by[("small", version)] > 0, by
            assert {i["source"] for i in items if i["model_version"] == version} <= {"small", "fallback"}
            models = c.get("/models").json()["items"]
            assert [m["version"] for m in models if m["status"] == "live"] == [version]
            assert c.post("/admin/learn").status_code == 409  # nothing left to warm up
        print(f"live {live_s:.1f} s after the first line was posted")
    finally:
        stop(proc)
    listed = subprocess.run([sys.executable, "-m", "logsieve", "models", "--store", str(store), "--json"],
                            capture_output=True, text=True, check=True)
    entry = json.loads(listed.stdout.strip().splitlines()[-1])["models"][-1]
    assert entry["version"] == version and entry["status"] == "live"
    assert Path(entry["path"]) == Path(f"{store}.models") / f"v{version}"
    assert (Path(entry["path"]) / "warmup.json").exists()

    proc, url, _ = start_bare(store, tmp_path, "--config", str(config))
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            h = c.get("/health").json()
            assert h["phase"] == "live" and h["model_version"] == version and "warmup" not in h
            post(c, lines[:600])
            c.post("/admin/flush")
            newest = all_verdicts(c)[0]
            assert newest["model_version"] == version and newest["source"] in ("small", "fallback")
    finally:
        stop(proc)


def test_admin_learn_ends_the_warmup_early(tmp_path):
    proc, url, _ = start_bare(tmp_path / "s.db", tmp_path)
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            post(c, demo_lines(1200))
            c.post("/admin/flush")
            r = c.post("/admin/learn")
            assert r.status_code == 202 and r.json()["lines_seen"] == 1200
            h = wait_for("live", lambda: (lambda h: h if h["phase"] == "live" else None)(c.get("/health").json()),
                         120, 0.2)
            assert h["model_version"] is not None
            assert h["warmup"]["lines_needed"] == 5000 and h["warmup"]["lines_seen"] == 1200
    finally:
        stop(proc)


# ---------------------------------------------------------------------------- the rule alone


def _seq(key: str, ids: list[int]) -> Sequence:
    return Sequence(key, ids)


def test_novelty_rule_flags_first_occurrences_only():
    pipe = NoveltyPipeline()
    out = pipe.judge([_seq("a", [1, 2]), _seq("b", [2, 1]), _seq("c", [1, 3])], {})
    assert [v.status for v in out] == ["abnormal", "normal", "abnormal"]
    assert [v.score for v in out] == [2.0, 0.0, 1.0]
    assert {v.source for v in out} == {"novelty"}
    assert out[1].confidence > 0.99 > 0.01 > out[2].confidence
    assert "never-seen template(s) 3" in out[2].note


def test_novelty_rule_sends_new_sequences_to_the_llm():
    backend = ScriptedBackend([json.dumps({"status": "normal", "explanation": "startup", "lines": []})])
    pipe = NoveltyPipeline(Expert(backend, ExpertConfig()))
    out = pipe.judge([_seq("a", [1]), _seq("b", [1])], {1: "started <*>"})
    assert [(v.source, v.status) for v in out] == [("llm", "normal"), ("novelty", "normal")]
    assert len(backend.requests) == 1 and "never-seen" in out[0].note


def test_warmup_section_needs_an_end():
    assert WarmupSection().lines == 5000 and WarmupSection().minutes == 10
    with pytest.raises(ValueError, match="lines or minutes"):
        WarmupSection(lines=None, minutes=None)
