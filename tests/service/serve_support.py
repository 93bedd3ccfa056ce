"""Helpers for the serve tests: a small model trained once per session, real uvicorn servers
(in a thread, or a subprocess that can be SIGKILLed), and a misbehaving LLM server."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"
GROUPING = {"kind": "session", "idle_lines": 1500}
"""Sessions close while the stream runs (the model's own grouping waits for the end)."""


def trained_model(base: Path) -> Path:
    """PCA on the bundled HDFS sample, trained once per test session (cached under ``base``)."""
    from logsieve.evaluate.detection import run_detection

    out = base / "serve-model-pca"
    lock = base / "serve-model.lock"
    if not (out / "bundle.json").exists():
        with open(lock, "w"):
            run_detection("hdfs-demo", "pca", data_dir=REPO / "examples",
                          extra_specs=[REPO / "examples" / "datasets.yaml"], save_to=out)
    return out


def trained_logreg(base: Path) -> Path:
    """Logistic regression on the bundled HDFS sample, with its example bank (what adaptation
    needs: a supervised model and the labelled train and validation sequences), once per session."""
    from logsieve.evaluate.detection import run_detection

    out = base / "serve-model-logreg"
    if not (out / "bundle.json").exists():
        run_detection("hdfs-demo", "logreg", data_dir=REPO / "examples",
                      extra_specs=[REPO / "examples" / "datasets.yaml"], save_to=out)
    return out


def demo_lines(n: int | None = None) -> list[str]:
    lines = gzip.open(DEMO, "rt").read().splitlines()
    return lines if n is None else lines[:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe: Callable[[], Any], timeout_s: float, every_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = probe()
        except (httpx.HTTPError, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every_s)


class ServerThread:
    """The real app on a real uvicorn server bound to 127.0.0.1, in this process."""

    def __init__(self, config: Any, token: str | None = None) -> None:
        from logsieve.service.app import Service, create_app

        self.service = Service(config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.service, token), host="127.0.0.1",
                                                    port=self.port, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        wait_for("the server to start", lambda: self.server.started, 30)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(60)


def serve_process(model: Path, store: Path, config: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """``logsieve serve`` as a child process (so it can be SIGKILLed); returns it and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "logsieve", "serve", "--model", str(model), "--store", str(store),
                             "--config", str(config), "--port", "0", "--llm", "none", "--json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline().decode()
    if not line:
        raise AssertionError(f"serve did not start: {proc.stderr.read().decode()[-2000:]}")
    url = json.loads(line)["url"].rstrip("/")
    wait_for("the child server", lambda: httpx.get(url + "/health", timeout=2).status_code == 200, 60)
    return proc, url


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


class BadLLM:
    """An OpenAI-compatible server that misbehaves: ``slow`` (answers after ``delay_s``) or
    ``garbage`` (200 with text that is no verdict). For ``down``, use a closed port."""

    def __init__(self, mode: str, delay_s: float = 1.0) -> None:
        self.calls = 0
        parent = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                parent.calls += 1
                self.rfile.read(int(self.headers.get("content-length", 0)))
                if mode == "slow":
                    time.sleep(delay_s)
                content = "I think it is fine {not json" if mode == "garbage" else json.dumps(
                    {"status": "normal", "explanation": "ok", "lines": []})
                body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}],
                                   "usage": {"prompt_tokens": 10, "completion_tokens": 5}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout): that is the point of "slow"

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> BadLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
