"""Crash recovery: `logsieve serve` SIGKILLed while ingesting, restarted on the same store, ends
with exactly the verdicts of an uninterrupted run (none lost, none duplicated)."""

from __future__ import annotations

import json
import random
import sqlite3
import time

import httpx
import yaml
from serve_support import GROUPING, ServerThread, demo_lines, kill, serve_process, trained_model

from logsieve.service.config import ServeConfig

LINES = 4000
BODY = 200
SETTINGS = {"grouping": GROUPING, "batch_size": 16, "max_wait_s": 0.2, "checkpoint_s": 0.3}


def verdict_rows(db) -> dict[str, tuple]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT v.identity, v.status, v.template_ids, (SELECT COUNT(*) FROM service_verdict_lines l "
                            "WHERE l.verdict_id = v.id) FROM verdicts v").fetchall()
    finally:
        conn.close()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def send(url: str, lines: list[str], start: int, stop: int) -> int:
    """Post lines[start:stop] in bodies; return how far it got (the server may be killed)."""
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(start, stop, BODY):
            r = c.post("/ingest?source=hdfs", content="\n".join(lines[i:min(i + BODY, stop)]) + "\n",
                       headers={"Content-Type": "text/plain"})
            assert r.status_code == 202
    return stop


def resume_point(url: str) -> int:
    """What the store holds for our source: the client resumes right after it."""
    items = httpx.get(url + "/sources", timeout=30).json()["items"]
    return next((s["lines"] for s in items if s["source"] == "hdfs"), 0)


def test_sigkill_while_ingesting_loses_and_duplicates_nothing(tmp_path_factory, tmp_path):
    model = trained_model(tmp_path_factory.getbasetemp())
    lines = demo_lines(LINES)
    with ServerThread(ServeConfig(model=model, store=tmp_path / "ref.db", llm=None, **SETTINGS)) as ref:
        send(ref.url, lines, 0, LINES)
        assert httpx.post(ref.url + "/admin/flush", timeout=120).status_code == 200
    expected = verdict_rows(tmp_path / "ref.db")
    assert sum(n for _, _, n in expected.values()) == LINES  # every line in exactly one sequence

    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump(SETTINGS))
    store = tmp_path / "crash.db"
    rng = random.Random(7)
    kills = sorted(rng.sample(range(BODY, LINES - BODY), 1))  # benchmarks/crash_recovery.py kills 20 times
    sent = 0
    for point in kills:
        proc, url = serve_process(model, store, config)
        sent = send(url, lines, resume_point(url), point)
        time.sleep(rng.uniform(0.0, 0.4))  # mid-parse, mid-judge or mid-checkpoint
        kill(proc)
    proc, url = serve_process(model, store, config)
    try:
        health = httpx.get(url + "/health", timeout=30).json()
        assert health["restored"].startswith("resumed at log id")
        start = resume_point(url)
        assert start == sent  # every acknowledged body was kept
        send(url, lines, start, LINES)
        assert httpx.post(url + "/admin/flush", timeout=120).status_code == 200
    finally:
        kill(proc)
    got = verdict_rows(store)
    lost = set(expected) - set(got)
    extra = set(got) - set(expected)
    assert not lost and not extra, json.dumps({"lost": sorted(lost)[:5], "extra": sorted(extra)[:5]})
    assert got == expected  # same statuses, same template ids, same number of lines
