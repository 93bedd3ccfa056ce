"""Learning while serving: a software upgrade streamed into a real `serve` (uvicorn on
127.0.0.1, an LLM reached over HTTP) makes a new live model version and fewer LLM calls, and a
restart on the same store resumes with that version and the pseudo-labels not yet learnt from.

The LLM is :class:`~logsieve.evaluate.word_judge.WordJudge` behind an OpenAI-compatible
endpoint: it reads the prompt's judged section and answers in milliseconds, the same way every
time. The upgrade is the evolution benchmark's (templates rewritten from the first line after
training on), sent block by block so sessions close while the stream runs."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import httpx
import pytest
from serve_support import DEMO, REPO, ServerThread, trained_logreg

from logsieve.adapt.registry import ModelRegistry
from logsieve.detectors import load_detector
from logsieve.engine.adapting import read_version_meta
from logsieve.evaluate.datasets import get_dataset_spec, load_dataset
from logsieve.evaluate.evolution import upgraded_after_training
from logsieve.evaluate.word_judge import JudgeServer, WordJudge, failure_events
from logsieve.jobs.bundle import ModelBundle
from logsieve.service.config import ServeConfig
from logsieve.store import Store

SPECS = [REPO / "examples" / "datasets.yaml"]
ADAPT = {"warmup": 30, "retrain_every": 60, "retrain_after_drift": 15, "known_after": 5, "drift_window": 100,
         "retrain_interval": 400, "interval_min_labels": 10, "filter": {"warmup": 20}}
SESSIONS = 500
"""Of the ~840 sessions after training: enough for two or more retrains, under a minute."""
CHUNKS = 10


def settle(client: httpx.Client, timeout_s: float = 120.0) -> dict:
    """/health once every line is parsed, closed sequences are judged and no retrain runs or
    waits to be recorded (two polls in a row with the same count)."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        h = client.get("/health").json()
        a = h["adapt"]
        quiet = h["backlog"] == 0 and not a.get("retraining") and not a.get("unrecorded")
        if quiet and h["sequences"] == last:
            return h
        last = h["sequences"] if quiet else None
        time.sleep(0.3)
    raise AssertionError(f"serve did not settle: {h}")


@pytest.fixture(scope="module")
def upgrade():
    """The stream after training (upgraded, block by block) and a judge that knows the log's failure events."""
    ds = load_dataset("hdfs-demo", REPO / "examples", extra_specs=SPECS)
    raw = gzip.open(DEMO, "rt").read().splitlines()
    stream, rules, _ = upgraded_after_training(raw, get_dataset_spec("hdfs-demo", SPECS).parser, 0.3, 0,
                                               whole_sessions=True)
    keys, cut = set(), len(stream)
    for i, line in enumerate(stream):  # the first SESSIONS blocks, whole
        keys.add(line.split("blk_", 1)[1].split()[0] if "blk_" in line else "")
        if len(keys) > SESSIONS:
            cut = i
            break
    assert rules and len(keys) > SESSIONS
    return stream[:cut], WordJudge(failure_events(ds.sequences, ds.templates))


@pytest.fixture(scope="module")
def served(tmp_path_factory, upgrade):
    """One serve run over the upgrade; then the store, the judge and what the API said."""
    stream, judge = upgrade
    model = trained_logreg(tmp_path_factory.getbasetemp())
    store = tmp_path_factory.mktemp("adapt") / "serve.db"
    with JudgeServer(judge) as llm:
        cfg = ServeConfig(model=model, store=store, llm=llm.url, grouping={"kind": "session", "idle_lines": 200},
                          batch_size=16, max_wait_s=0.3, checkpoint_s=0.5, adapt=ADAPT)
        with ServerThread(cfg) as srv, httpx.Client(base_url=srv.url, timeout=60) as client:
            start = client.get("/health").json()
            step = -(-len(stream) // CHUNKS)
            for i in range(0, len(stream), step):
                r = client.post("/ingest?source=hdfs", content="\n".join(stream[i:i + step]) + "\n",
                                headers={"Content-Type": "text/plain"})
                assert r.status_code == 202
                settle(client)
            assert client.post("/admin/flush").status_code == 200
            end = settle(client)
            verdicts = sorted(_all_verdicts(client), key=lambda v: v["id"])
            models = client.get("/models").json()["items"]
        yield {"model": model, "store": store, "cfg": cfg, "judge": judge, "start": start, "end": end,
               "verdicts": verdicts, "models": models, "llm": llm}


def _all_verdicts(client: httpx.Client) -> list[dict]:
    items: list[dict] = []
    while True:
        page = client.get("/anomalies", params={"status": "all", "limit": 1000, "offset": len(items)}).json()["items"]
        items += page
        if len(page) < 1000:
            return items


def _call_rate(verdicts: list[dict]) -> float:
    return sum(v["source"] == "llm" for v in verdicts) / len(verdicts)


def test_a_streamed_upgrade_makes_a_new_live_version_and_the_llm_call_rate_falls(served):
    start, end, models = served["start"], served["end"], served["models"]
    assert start["adapt"]["enabled"] and start["model_version"] == models[0]["version"]
    live = [m for m in models if m["status"] == "live"]
    assert len(live) == 1 and live[0]["version"] > start["model_version"]  # a version this run made
    assert end["model_version"] == live[0]["version"] == end["adapt"]["live_version"]
    assert end["adapt"]["swaps"] >= 1 and "adapted" in live[0]["note"]
    assert live[0]["trained_on"] > 0 and live[0]["validation"] is not None

    # the version is a whole bundle, next to the store, loadable like any
    entry = ModelRegistry(Store(served["store"])).get(live[0]["version"])
    path = Path(entry.path)
    assert path.parent == Path(f"{served['store']}.models") and path.name == f"v{entry.version}"
    bundle = ModelBundle.load(path)
    assert load_detector(path).name == "logreg" and (path / "parser").is_dir()
    origins = [line for line in (path / "examples.jsonl").read_text().splitlines() if '"origin": "pseudo"' in line]
    assert origins and bundle.examples == len((path / "examples.jsonl").read_text().splitlines())
    meta = read_version_meta(path)
    assert meta is not None and meta.live and meta.base == str(served["model"].resolve())
    assert set(bundle.known_templates) > set(ModelBundle.load(served["model"]).known_templates)  # it learnt new ones

    # verdicts carry the version that judged them; the LLM is asked less once one is live
    verdicts = served["verdicts"]
    fifth = len(verdicts) // 5
    first, last = verdicts[:fifth], verdicts[-fifth:]
    stamped = [v["model_version"] for v in verdicts]
    assert stamped == sorted(stamped) and stamped[-1] == live[0]["version"]
    assert set(stamped) <= {m["version"] for m in models if m["status"] != "aside"}
    assert _call_rate(last) < _call_rate(first)
    assert _call_rate(first) > 0.1


def test_a_restart_resumes_the_live_version_and_the_pending_pseudo_labels(served):
    live = next(m for m in served["models"] if m["status"] == "live")
    store = Store(served["store"])
    meta = read_version_meta(Path(ModelRegistry(store).get(live["version"]).path))
    pending = store.connection.execute("SELECT COUNT(*) FROM pseudo_labels WHERE created_at > ?",
                                       (meta.labels_until,)).fetchone()[0]
    store.close()
    assert pending > 0  # labels came after the live version took its own
    with JudgeServer(served["judge"]) as llm:
        cfg = served["cfg"].model_copy(update={"llm": llm.url})
        with ServerThread(cfg) as srv, httpx.Client(base_url=srv.url, timeout=60) as client:
            h = client.get("/health").json()
            assert h["model_version"] == live["version"] and h["adapt"]["live_version"] == live["version"]
            assert h["adapt"]["resumed"] == pending and h["adapt"]["pseudo_labels"] >= pending
            assert srv.service.engine.run_dir == Path(ModelRegistry(srv.service.store).get(live["version"]).path)
            assert h["restored"].startswith("resumed")  # the parser and open sessions came back too
            assert [m["version"] for m in client.get("/models").json()["items"]] == \
                [m["version"] for m in served["models"]]  # nothing registered twice


def test_no_adapt_and_no_llm_say_so(served, tmp_path):
    off = served["cfg"].model_copy(update={"store": tmp_path / "off.db", "adapt": served["cfg"].adapt.model_copy(
        update={"enabled": False}), "llm": None})
    with ServerThread(off) as srv, httpx.Client(base_url=srv.url, timeout=60) as client:
        a = client.get("/health").json()["adapt"]
        assert a == {"enabled": False, "live_version": 1}
    no_llm = off.model_copy(update={"store": tmp_path / "nollm.db", "adapt": served["cfg"].adapt})
    with ServerThread(no_llm) as srv, httpx.Client(base_url=srv.url, timeout=60) as client:
        a = client.get("/health").json()["adapt"]
        assert not a["enabled"] and "no LLM" in a["why"]


CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium (`make install`)")
def test_the_dashboard_models_panel_lists_the_versions_the_run_made(served):
    playwright = pytest.importorskip("playwright.sync_api")
    with JudgeServer(served["judge"]) as llm:
        cfg = served["cfg"].model_copy(update={"llm": llm.url})
        with ServerThread(cfg) as srv, httpx.Client(base_url=srv.url, timeout=60) as client:
            models = client.get("/models").json()["items"]
            with playwright.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                try:
                    page = browser.new_page()
                    page.goto(srv.url + "/")
                    page.keyboard.press("3")  # the cost & models view
                    rows = page.locator("#model-rows tr")
                    playwright.expect(rows).to_have_count(len(models))
                    live = next(m for m in models if m["status"] == "live")
                    live_row = page.locator("#model-rows tr", has=page.locator(".mstatus.live"))
                    playwright.expect(live_row).to_have_count(1)
                    playwright.expect(live_row).to_contain_text(live["note"])
                    playwright.expect(page.locator("#model-meta")).to_contain_text(f"{len(models)} versions")
                    playwright.expect(page.locator("#model-meta")).to_contain_text("adapting")
                finally:
                    browser.close()
