"""logsieve serve's HTTP contract (service_api.md) on a real uvicorn server and a real store."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from serve_support import GROUPING, ServerThread, demo_lines, trained_model, wait_for

from logsieve.service.auth import TokenMissing, resolve_token
from logsieve.service.config import ServeConfig

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ITEM_KEYS = {"id", "key", "status", "source", "score", "confidence", "explanation", "start", "end", "created_at",
             "n_lines", "detector", "model_version", "pattern", "span"}
METRICS = ["logsieve_lines_in_total", "logsieve_lines_quarantined_total", "logsieve_sequences_total",
           "logsieve_anomalies_total", "logsieve_llm_calls_total", "logsieve_cache_hits_total",
           "logsieve_ingest_latency_seconds_bucket", "logsieve_llm_latency_seconds_bucket",
           "logsieve_batch_seconds_bucket"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    cfg = ServeConfig(model=trained_model(base), store=tmp_path_factory.mktemp("api") / "s.db", llm=None,
                      grouping=GROUPING, batch_size=16, max_wait_s=0.2, checkpoint_s=0.5, max_body_bytes=64 * 1024,
                      max_line_bytes=2000)
    with ServerThread(cfg, token=TOKEN) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def ingested(client):
    """3,000 HDFS lines in text bodies of 300, then an NDJSON body, then everything judged."""
    lines = demo_lines(3000)
    for i in range(0, 3000, 300):
        r = client.post("/ingest?source=hdfs", content="\n".join(lines[i:i + 300]) + "\n",
                        headers={"Content-Type": "text/plain; charset=utf-8"})
        assert r.status_code == 202 and r.json() == {"accepted": 300, "quarantined": 0, "offset": i + 300}
    body = b"\n".join([json.dumps({"line": lines[0], "source": "other"}).encode(), b"{broken",
                       json.dumps({"nope": 1}).encode(), b"\xff\xfe"])
    r = client.post("/ingest", content=body, headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 202 and r.json()["accepted"] == 1 and r.json()["quarantined"] == 3
    r = client.post("/admin/flush")
    assert r.status_code == 200 and r.json()["cursor"] >= 3001
    return lines


def test_health_and_totals(client, ingested):
    h = client.get("/health").json()
    assert {"status", "version", "uptime_s", "lines_in", "sequences", "anomalies", "llm", "model"} <= set(h)
    assert h["status"] == "ok" and h["llm"] == "none" and h["backlog"] == 0 and h["open_sequences"] == 0
    assert h["store_connections"] >= 1  # the request thread's and the detection thread's, not one per retired thread
    assert h["lines_in"] == 3004 and h["sequences"] > 100 and 0 < h["anomalies"] < h["sequences"]


def test_anomalies_and_one_verdict_with_its_lines(client, ingested):
    page = client.get("/anomalies", params={"status": "all", "limit": 500}).json()
    assert page["total"] == client.get("/health").json()["sequences"]
    assert all(set(item) == ITEM_KEYS for item in page["items"])
    ids = [item["id"] for item in page["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    bad = client.get("/anomalies").json()
    assert bad["items"] and all(i["status"] == "abnormal" for i in bad["items"])
    assert all(i["source"] == "fallback" for i in bad["items"])  # no LLM: marked as such
    assert client.get("/anomalies", params={"source": "llm"}).json()["total"] == 0
    key = bad["items"][0]["key"]
    assert key in {i["key"] for i in client.get("/anomalies", params={"q": key[4:]}).json()["items"]}
    v = client.get(f"/verdicts/{bad['items'][0]['id']}").json()
    assert set(v) >= ITEM_KEYS | {"lines", "template_ids", "prompt", "backend", "note", "root_cause"}
    assert len(v["lines"]) == v["n_lines"] == len(v["template_ids"]) > 0
    sent = {("hdfs", i + 1): text for i, text in enumerate(ingested)} | {("other", 1): ingested[0]}
    assert all(ln["text"] == sent[ln["source"], ln["line"]] for ln in v["lines"])  # whole lines, as sent
    assert all(key in ln["text"] for ln in v["lines"]) and v["note"] == "no LLM configured"
    covered = [(s["file"], n) for s in v["span"] for n in range(s["from"], s["to"] + 1)]
    assert covered == sorted((ln["source"], ln["line"]) for ln in v["lines"])  # the span names exactly its lines
    assert v["span"] == bad["items"][0]["span"]
    r = client.get("/verdicts/987654321")
    assert r.status_code == 404 and "detail" in r.json()


def test_templates_models_timeline(client, ingested):
    t = client.get("/templates", params={"limit": 5}).json()
    assert t["total"] >= 6 and len(t["items"]) == 5
    assert all(set(i) == {"id", "template", "count", "first_seen"} and i["count"] > 0 for i in t["items"])
    models = client.get("/models").json()["items"]
    assert len(models) == 1 and models[0]["status"] == "live" and models[0]["name"] == "pca"
    tl = client.get("/stats/timeline", params={"bucket_s": 3600}).json()
    assert tl["bucket_s"] == 3600
    assert sum(b["sequences"] for b in tl["buckets"]) == client.get("/health").json()["sequences"]
    assert sum(b["new_templates"] for b in tl["buckets"]) == t["total"]
    assert client.get("/stats/timeline", params={"bucket_s": 1, "since": 0}).status_code == 400


def test_metrics_and_openapi(client, ingested):
    text = client.get("/metrics").text
    for name in METRICS:
        assert name in text
    assert "logsieve_lines_in_total 3001.0" in text and "logsieve_lines_quarantined_total 3.0" in text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/anomalies", "/verdicts/{verdict_id}", "/templates", "/models", "/stats/timeline",
            "/metrics", "/ingest"} <= set(paths)


def test_refusals_413_415_401_422(server, client):
    big = b"x" * (64 * 1024 + 1)
    assert client.post("/ingest", content=big, headers={"Content-Type": "text/plain"}).status_code == 413

    def chunks():  # no Content-Length: the endpoint counts as it streams
        for _ in range(80):
            yield b"y" * 1024

    assert client.post("/ingest", content=chunks(), headers={"Content-Type": "text/plain"}).status_code == 413
    assert client.post("/ingest", content=b"a", headers={"Content-Type": "application/json"}).status_code == 415
    assert client.post("/ingest", content=b"a", headers={"Content-Type": "text/plain; charset=latin-1"}).status_code == 415
    assert client.post("/ingest?source=%01", content=b"a", headers={"Content-Type": "text/plain"}).status_code == 422
    r = client.post("/ingest", content=b"a" * 2001 + b"\n", headers={"Content-Type": "text/plain"})
    assert r.status_code == 202 and r.json()["quarantined"] == 1  # a line over max_line_bytes
    bare = httpx.Client(base_url=server.url, timeout=10)
    for path in ("/health", "/anomalies", "/metrics", "/verdicts/1"):
        assert bare.get(path).status_code == 401
    assert bare.get("/health", headers={"Authorization": "Bearer wrong-token-xxxxxxxxxx"}).status_code == 401
    r = bare.post("/ingest", content=big, headers={"Content-Type": "text/plain"})
    assert r.status_code == 401  # the token is checked before the body
    assert bare.get("/").status_code == 200 and bare.get("/openapi.json").status_code == 200


def test_off_loopback_needs_a_token(tmp_path):
    with pytest.raises(TokenMissing, match="LOGSIEVE_TOKEN"):
        resolve_token(ServeConfig(host="0.0.0.0"), {})
    with pytest.raises(TokenMissing, match="shorter"):
        resolve_token(ServeConfig(host="0.0.0.0"), {"LOGSIEVE_TOKEN": "short"})
    assert resolve_token(ServeConfig(host="127.0.0.1"), {}) is None
    assert resolve_token(ServeConfig(host="::1"), {}) is None
    assert resolve_token(ServeConfig(host="0.0.0.0"), {"LOGSIEVE_TOKEN": TOKEN}) == TOKEN
    env = {k: v for k, v in __import__("os").environ.items() if k != "LOGSIEVE_TOKEN"}
    res = subprocess.run([sys.executable, "-m", "logsieve", "serve", "--host", "0.0.0.0", "--port", "0",
                          "--store", str(tmp_path / "x.db")], capture_output=True, timeout=120, env=env)
    assert res.returncode == 2
    assert "token is required" in " ".join(res.stderr.decode().split()) and not (tmp_path / "x.db").exists()


def test_a_followed_file_resumes_at_its_offset(tmp_path_factory, tmp_path):
    """Lines of a followed file are taken once each across a restart (offset kept in the store)."""
    lines = demo_lines(1200)
    log = tmp_path / "app.log"
    log.write_text("\n".join(lines[:700]) + "\n" + lines[700][:20])  # an unfinished last line
    cfg = ServeConfig(model=trained_model(tmp_path_factory.getbasetemp()), store=tmp_path / "f.db", llm=None,
                      grouping=GROUPING, files=(log,), poll_s=0.05, checkpoint_s=0.2)

    def taken(c):
        return next((s["lines"] for s in c.get("/sources").json()["items"] if s["source"] == str(log)), 0)

    with ServerThread(cfg) as srv, httpx.Client(base_url=srv.url) as c:
        wait_for("700 lines", lambda: taken(c) == 700, 20)
    with log.open("a") as fh:
        fh.write(lines[700][20:] + "\n" + "\n".join(lines[701:]) + "\n")
    with ServerThread(cfg) as srv, httpx.Client(base_url=srv.url) as c:
        wait_for("1200 lines", lambda: taken(c) == 1200, 20)
        c.post("/admin/flush")
        n = sum(v["n_lines"] for v in c.get("/anomalies", params={"status": "all", "limit": 1000}).json()["items"])
    assert n == 1200  # every line in exactly one sequence: none lost, none read twice


def test_stdin_lines_are_numbered_on_and_rejects_quarantined(tmp_path):
    """`--stdin`: lines committed as they arrive; numbering continues across restarts."""
    import os

    from logsieve.service.sources import StdinReader
    from logsieve.service.state import ServiceState
    from logsieve.store import Store

    with Store(tmp_path / "s.db") as store:
        state = ServiceState(store)
        for round_ in range(2):
            r, w = os.pipe()
            reader = StdinReader(state, max_line_bytes=100, on_lines=lambda *_: None, stream=os.fdopen(r, "rb"))
            reader.start()
            os.write(w, b"one\r\ntwo\n\xff bad\n" + b"z" * 300 + b"\nlast without newline")
            os.close(w)
            reader._thread.join(10)
            assert reader.error is None
        rows = store.connection.execute("SELECT line_no, text FROM service_log ORDER BY id").fetchall()
        bad = store.connection.execute("SELECT line_no, reason FROM service_quarantine ORDER BY line_no").fetchall()
    assert rows == [(1, "one"), (2, "two"), (5, "last without newline"), (6, "one"), (7, "two"),
                    (10, "last without newline")]
    assert bad == [(3, "decode_error"), (4, "too_long"), (8, "decode_error"), (9, "too_long")]
