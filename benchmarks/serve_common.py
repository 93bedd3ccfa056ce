"""Shared by benchmarks/crash_recovery.py and benchmarks/load.py: a trained model, the bundled
labelled HDFS stream, and `logsieve serve` as a child process that can be SIGKILLed."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"
SERVE_SETTINGS = {"grouping": {"kind": "session", "idle_lines": 2000}, "batch_size": 32, "max_wait_s": 0.5,
                  "checkpoint_s": 1.0, "max_body_bytes": 4 * 1024 * 1024}
"""Sessions close after 2,000 lines without a line of theirs, so verdicts are committed while
the stream runs (the model's own grouping would keep every block open to the end)."""


def model_dir(given: Path | None) -> Path:
    """``given``, or PCA trained on the bundled HDFS sample (cached in the temp directory)."""
    if given is not None:
        return given
    out = Path(tempfile.gettempdir()) / "logsieve-bench-serve-model-pca"
    if not (out / "bundle.json").exists():
        from logsieve.evaluate.detection import run_detection

        run_detection("hdfs-demo", "pca", data_dir=REPO / "examples", extra_specs=[REPO / "examples" / "datasets.yaml"],
                      save_to=out)
    return out


def demo_lines() -> list[str]:
    return gzip.open(DEMO, "rt").read().splitlines()


def write_config(path: Path, **extra) -> Path:
    path.write_text(yaml.safe_dump({**SERVE_SETTINGS, **extra}))
    return path


class Serve:
    """One `logsieve serve` child process; ``kill()`` is SIGKILL (no cleanup at all)."""

    def __init__(self, model: Path, store: Path, config: Path, llm: str = "none", log: Path | None = None,
                 extra: tuple[str, ...] = ()) -> None:
        """``log``: where the server's stderr (its log) goes (default: discarded)."""
        self.started = time.perf_counter()
        self._log = log.open("ab") if log is not None else None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "logsieve", "serve", "--model", str(model), "--store", str(store),
             "--config", str(config), "--port", "0", "--llm", llm, "--json", *extra],
            stdout=subprocess.PIPE, stderr=self._log or subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self.proc.stdout.readline().decode()
        if not line:
            raise RuntimeError("logsieve serve did not start (run it by hand to see why)")
        self.url = json.loads(line)["url"].rstrip("/")
        self.client = httpx.Client(base_url=self.url, timeout=300)
        deadline = time.monotonic() + 300
        while True:
            try:
                if self.client.get("/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("logsieve serve did not answer /health")
            time.sleep(0.05)
        self.start_seconds = time.perf_counter() - self.started

    def lines_taken(self, source: str) -> int:
        items = self.client.get("/sources").json()["items"]
        return next((s["lines"] for s in items if s["source"] == source), 0)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill(self) -> None:
        self.client.close()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(60)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        self.client.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_log()
