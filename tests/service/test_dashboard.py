"""The dashboard in a real browser: Debian's chromium, driven by Playwright, against the real
service (``Service`` + ``create_app`` under uvicorn on a free 127.0.0.1 port, in this process so
the imports are paid once; real SQLite store, parser, small model and HTTP LLM backend), fed
through ``POST /ingest`` with lines of the bundled HDFS sample. Only the LLM is a stand-in (an
OpenAI-compatible server on loopback, see ``dashboard_support``), so the store holds LLM, cache
and small-model verdicts with cited lines.

The test loads the page, filters, searches, opens an anomaly, checks what the page shows against
what the API says, fails on any console error or failed request, and saves screenshots under
``out/artifacts/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import gzip
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from dashboard_support import FakeLLM, free_port, wait_for
from playwright.sync_api import expect, sync_playwright

from logsieve.evaluate.detection import run_detection

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "out" / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEAD_LINES = 1200
TRAIN_LINES = 6000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium: `make install` installs it (apt-get install chromium); "
           "Playwright never downloads a browser here")


@dataclass
class Served:
    url: str
    llm: FakeLLM
    lines: int

    def get(self, path: str, **params: Any) -> Any:
        resp = httpx.get(self.url + path, params=params, timeout=10)
        resp.raise_for_status()
        return resp.json()


def stream_lines() -> list[str]:
    """A small real stream: the sample's first lines, then every later line of the blocks its
    label file calls anomalous (in file order), so the store gets anomalies of several kinds.
    The labels only choose which lines are sent; the service judges them without labels."""
    labels = (REPO / "examples" / "hdfs" / "anomaly_label.csv").read_text().splitlines()
    bad = {row.split(",")[0] for row in labels[1:] if row.endswith(",Anomaly")}
    lines = gzip.open(DEMO, "rt", encoding="utf-8").read().splitlines()
    block = re.compile(r"blk_-?\d+")
    later = [line for line in lines[HEAD_LINES:] if (m := block.search(line)) and m.group(0) in bad]
    return lines[:HEAD_LINES] + later


def small_dataset(root: Path) -> Path:
    """The sample's first TRAIN_LINES lines as a data set of its own (same format, grouping and
    labels as ``hdfs-demo``): a model trained in about a second. The stream sent to the
    service goes further into the file, so the service also meets templates the model never saw."""
    (root / "hdfs").mkdir()
    head = gzip.open(DEMO, "rt", encoding="utf-8").read().splitlines(keepends=True)[:TRAIN_LINES]
    with gzip.open(root / "hdfs" / "head.log.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(head)
    shutil.copy(REPO / "examples" / "hdfs" / "anomaly_label.csv", root / "hdfs" / "anomaly_label.csv")
    spec = yaml.safe_load((REPO / "examples" / "datasets.yaml").read_text())
    dataset = spec["datasets"]["hdfs-demo"] | {"files": ["hdfs/head.log.gz"], "description": "the demo's first lines"}
    spec = {"version": spec["version"], "datasets": {"hdfs-head": dataset}}
    (root / "datasets.yaml").write_text(yaml.safe_dump(spec))
    return root / "datasets.yaml"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Served:
    """The real service (``Service`` + ``create_app`` under uvicorn, as ``logsieve serve`` runs
    them) on a free loopback port, its SQLite store seeded through ``POST /ingest``."""
    from logsieve.service.app import Service, create_app
    from logsieve.service.config import load_serve_config

    tmp = tmp_path_factory.mktemp("dashboard")
    model = tmp / "model-pca"
    run_detection("hdfs-head", "pca", data_dir=tmp, extra_specs=[small_dataset(tmp)], save_to=model)
    with FakeLLM() as llm:
        config = {
            "host": "127.0.0.1", "port": 0, "model": str(model), "store": str(tmp / "serve.db"),
            "llm": {"kind": "openai", "base_url": llm.url, "retries": 0, "timeout_s": 10, "redact": False},
            "tau": 0.999,  # send most sequences past the small model, so LLM and cache verdicts exist
            "batch_size": 32, "max_wait_s": 0.2, "checkpoint_s": 0.5,
            "grouping": {"kind": "session", "id_pattern": r"blk_-?\d+", "idle_lines": 300},
        }
        (tmp / "serve.yaml").write_text(yaml.safe_dump(config))
        cfg = load_serve_config(tmp / "serve.yaml")
        sock = socket.create_server((cfg.host, cfg.port))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(create_app(Service(cfg), None), log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            wait_for("the service answering /health", lambda: httpx.get(url + "/health", timeout=2).status_code == 200,
                     60)
            lines = stream_lines()
            # two waves a second apart, each judged before the next: the timeline gets a shape
            waves = [lines[: len(lines) // 2], lines[len(lines) // 2:]]
            for i, wave in enumerate(waves):
                if i:
                    time.sleep(1.0)
                resp = httpx.post(url + "/ingest", params={"source": "hdfs.log"}, content="\n".join(wave) + "\n",
                                  headers={"content-type": "text/plain"}, timeout=30)
                assert resp.status_code == 202 and resp.json()["accepted"] == len(wave), resp.text
                httpx.post(url + "/admin/flush", timeout=120).raise_for_status()
            yield Served(url, llm, len(lines))
        finally:
            server.should_exit = True
            thread.join(30)
            sock.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh context per test (no shared storage or routes), dark as an on-call night is."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    try:
        yield context.new_page()
    finally:
        context.close()


def _watch(page) -> list[str]:
    """Everything that counts as a problem: console errors, page exceptions, failed requests."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return problems


def test_dashboard_filters_opens_an_anomaly_and_highlights_its_cited_lines(served, page):
    problems = _watch(page)
    llm_anomalies = served.get("/anomalies", source="llm", limit=1000)
    assert llm_anomalies["total"] > 0, "the stand-in LLM judged no sequence abnormal: nothing to show"
    all_abnormal = served.get("/anomalies", limit=1000)["total"]

    page.goto(served.url + "/")
    rows = page.locator("#anomaly-rows tr")
    expect(rows).to_have_count(min(all_abnormal, 100))
    expect(page.locator("#health")).to_contain_text(f"{served.lines:,}")
    expect(page.locator("#timeline-chart svg rect.bar-anom").first).to_be_visible()

    # time filter: drag across the timeline's bars (a zoom); every verdict lies inside it
    bars = page.locator("#timeline-chart rect.bar-seq")
    first, last = bars.first.bounding_box(), bars.last.bounding_box()
    chart = page.locator("#timeline-chart svg").bounding_box()
    y = chart["y"] + chart["height"] / 2
    def the_list(r) -> bool:  # not the per-source counts the page also asks for (limit=1)
        return "/anomalies?" in r.url and "until=" in r.url and "limit=100" in r.url

    with page.expect_response(the_list) as zoomed:
        page.mouse.move(first["x"] - 6, y)
        page.mouse.down()
        page.mouse.move(first["x"], y, steps=4)
        page.mouse.move(last["x"] + last["width"] + 3, y, steps=4)
        page.mouse.up()
    assert zoomed.value.json()["total"] == all_abnormal
    expect(page.locator("#custom-range")).to_be_visible()
    expect(page.locator("#count")).to_contain_text(f"of {all_abnormal:,}")
    assert "since=" in page.url and "until=" in page.url

    # filter: decided by the LLM
    page.click("#source button[data-source=llm]")
    expect(page.locator("#source button[data-source=llm]")).to_have_attribute("aria-checked", "true")
    expect(rows).to_have_count(min(llm_anomalies["total"], 100))
    expect(page.locator("#anomaly-rows .src")).to_have_text(["LLM"] * min(llm_anomalies["total"], 100))
    expect(page.locator("#count")).to_contain_text(f"of {llm_anomalies['total']:,}")

    # search inside the filter: the list is what the API answers for the same query
    # the newest anomaly whose LLM answer cited lines (one the trust rule kept against an LLM
    # "normal" cites none: the LLM found nothing to point at)
    newest = next(item for item in llm_anomalies["items"]
                  if any(line["cited"] for line in served.get(f"/verdicts/{item['id']}")["lines"]))
    phrase = newest["explanation"]
    searched = served.get("/anomalies", source="llm", q=phrase, limit=1000)
    page.fill("#q", phrase)
    expect(page.locator("#count")).to_contain_text(f"of {searched['total']:,}")
    expect(rows).to_have_count(min(searched["total"], 100))

    # open the newest one: explanation, origin, model version and the cited line highlighted
    verdict = served.get(f"/verdicts/{newest['id']}")
    cited = [line for line in verdict["lines"] if line["cited"]]
    assert cited, f"verdict {newest['id']} cites no line: {verdict}"
    page.click(f"#anomaly-rows tr[data-id='{newest['id']}']")
    expect(page.locator("#explanation")).to_have_text(verdict["explanation"])
    expect(page.locator("#detail-body .d-origin .src")).to_have_text("LLM")
    expect(page.locator("#detail-body .facts")).to_contain_text(f"v{verdict['model_version']}")
    expect(page.locator("#lines .line")).to_have_count(len(verdict["lines"]))
    highlighted = page.locator("#lines .line.cited")
    expect(highlighted).to_have_count(len(cited))
    expect(highlighted.first.locator(".txt")).to_have_text(cited[0]["text"])
    expect(highlighted.first.locator(".ln")).to_have_text(str(cited[0]["line"]))
    backgrounds = page.evaluate("""() => {
        const bg = (el) => el && getComputedStyle(el).backgroundColor;
        const line = (sel) => document.querySelector('#lines ' + sel);
        return [bg(line('.line.cited')), bg(line('.line:not(.cited)'))];
    }""")
    assert backgrounds[0] != backgrounds[1], f"the cited line is not set apart: {backgrounds}"
    assert f"id={newest['id']}" in page.url  # the open anomaly is in the link, to share it

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))

    # the other views, by keyboard, with what the API lists
    page.locator("#q").blur()
    templates = served.get("/templates", limit=500)
    page.keyboard.press("2")
    expect(page.locator("#template-rows tr")).to_have_count(min(templates["total"], 500))
    expect(page.locator("#drift-chart svg")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-templates.png"))
    models = served.get("/models")["items"]
    page.keyboard.press("3")
    expect(page.locator("#model-rows tr")).to_have_count(len(models))
    expect(page.locator("#cost-chart svg path.line.llm")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "dashboard-llm.png"))

    assert problems == []


def test_dashboard_says_what_failed_and_recovers(served, page):
    problems = _watch(page)
    failing = {"on": True}

    def anomalies(route):
        if failing["on"]:
            route.fulfill(status=503, json={"detail": "store is busy"})
        else:
            route.continue_()

    page.route("**/anomalies?*", anomalies)
    page.goto(served.url + "/#id=987654321&range=all")
    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Cannot load /anomalies")
    expect(banner).to_contain_text("HTTP 503: store is busy")
    expect(page.locator("#list-state.error")).to_contain_text("could not be loaded")
    expect(page.locator("#detail-body")).to_contain_text("Verdict #987654321 does not exist")

    # the service answers again: refresh (r) clears the banner and fills the list
    failing["on"] = False
    page.keyboard.press("r")
    expect(banner).to_be_hidden()
    expect(page.locator("#anomaly-rows tr")).to_have_count(min(served.get("/anomalies", limit=1000)["total"], 100))

    # pause and resume auto-refresh from the keyboard
    page.keyboard.press("p")
    expect(page.locator("#pause")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("p")
    expect(page.locator("#pause")).to_have_attribute("aria-pressed", "false")

    # the only problems are the ones staged here: the 503s and the unknown verdict's 404
    unexpected = [p for p in problems if not ("503" in p or "404" in p or "Failed to load resource" in p)]
    assert unexpected == []
    assert any("503" in p for p in problems) and any("987654321" in p for p in problems)
