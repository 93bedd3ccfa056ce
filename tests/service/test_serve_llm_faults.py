"""The LLM down, slow or answering garbage while the service runs: every sequence still gets
its verdict, and each one the LLM should have judged is marked ``fallback`` with the reason."""

from __future__ import annotations

import httpx
import pytest
from serve_support import GROUPING, BadLLM, ServerThread, demo_lines, free_port, trained_model

from logsieve.service.config import ServeConfig

LINES = 300


def run(model, store, llm) -> list[dict]:
    cfg = ServeConfig(model=model, store=store, llm=llm, tau=0.999, grouping=GROUPING, batch_size=8,
                      max_wait_s=0.2)
    with ServerThread(cfg) as srv, httpx.Client(base_url=srv.url, timeout=120) as c:
        assert c.post("/ingest?source=hdfs", content="\n".join(demo_lines(LINES)) + "\n",
                      headers={"Content-Type": "text/plain"}).status_code == 202
        assert c.post("/admin/flush").status_code == 200
        items = c.get("/anomalies", params={"status": "all", "limit": 1000}).json()["items"]
        metrics = c.get("/metrics").text
        notes = {i["id"]: c.get(f"/verdicts/{i['id']}").json()["note"] for i in items if i["source"] != "small"}
    for item in items:
        item["note"] = notes.get(item["id"], "")
    item_metrics = {line.split()[0]: float(line.split()[1]) for line in metrics.splitlines()
                    if line.startswith(("logsieve_llm_calls_total", "logsieve_sequences_total"))}
    assert item_metrics["logsieve_sequences_total"] == len(items)
    return items


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    model = trained_model(tmp_path_factory.getbasetemp())
    return model, run(model, tmp_path_factory.mktemp("ref") / "s.db", None)


@pytest.mark.parametrize("fault", ["down", "slow", "garbage"])
def test_every_sequence_gets_a_marked_verdict(reference, tmp_path, fault):
    model, expected = reference
    assert any(i["source"] == "fallback" for i in expected)  # with tau 0.999 the LLM is wanted
    if fault == "down":
        llm = {"kind": "openai", "base_url": f"http://127.0.0.1:{free_port()}/v1", "retries": 1, "backoff_s": 0.01,
               "timeout_s": 1}
        items = run(model, tmp_path / "s.db", llm)
        calls = None
    else:
        with BadLLM(fault, delay_s=0.6) as bad:
            llm = {"kind": "openai", "base_url": bad.url, "retries": 0, "timeout_s": 0.15}
            items = run(model, tmp_path / "s.db", llm)
            calls = bad.calls
    assert sorted((i["key"], i["n_lines"], i["start"]) for i in items) == \
        sorted((i["key"], i["n_lines"], i["start"]) for i in expected)  # same sequences, one verdict each
    asked = [i for i in items if i["source"] != "small"]
    assert asked and all(i["source"] == "fallback" and i["note"].startswith("LLM gave no verdict") for i in asked)
    assert len(asked) == sum(i["source"] == "fallback" for i in expected)
    if calls is not None:
        assert calls >= len(asked)  # the server was really asked (garbage: asked again after a bad answer)
