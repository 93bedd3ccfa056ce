"""`logsieve train --llm` as a user runs it, with the real llama.cpp runtime and the tiny
SmolLM2 model: the LLM is measured on the validation split through the engine, the bundle
keeps the trust rule with its figures, and `detect` then runs with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"


def run(*args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args], capture_output=True, timeout=900, cwd=REPO,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    if res.returncode != 0:
        raise AssertionError(f"exit {res.returncode}: {res.stderr.decode()[-2000:]}")
    return res


def test_train_measures_the_trust_rule_and_detect_applies_it(tmp_path):
    pytest.importorskip("xllamacpp")
    model = tmp_path / "model"
    res = run("train", "--detector", "logreg", "--dataset", "hdfs-demo", "--datasets-file", "examples/datasets.yaml",
              "--data-dir", "examples", "--out", str(model), "--llm", "embedded", "--llm-model", "smollm2-135m",
              "--calibrate-max", "4", "--json")
    trust = json.loads(res.stdout.decode().strip().splitlines()[-1])["trust"]
    assert {trust["abnormal"], trust["unsure"], trust["unseen"]} <= {"llm", "small", "both"}
    asked = sum(trust["figures"][s]["n"] for s in ("abnormal", "unsure", "unseen"))
    assert 0 < asked <= 12  # at most 4 per situation
    saved = json.loads((model / "bundle.json").read_text())["bundle"]
    assert saved["trust"] == trust and saved["expert"]["backend"].startswith("embedded")
    assert saved["examples"] > 0 and saved["known_templates"]

    out = tmp_path / "v.jsonl"
    run("detect", str(DEMO), "--model", str(model), "--llm", "embedded", "--llm-model", "smollm2-135m",
        "--max-llm-calls", "3", "--no-explain", "--store", str(tmp_path / "s.db"), "--out", str(out))
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(verdicts) == 1200
    asked = [v for v in verdicts if v["source"] in ("llm", "cache")]
    # where the LLM was asked, the final status follows the bundle's rule for its situation
    for v in asked:
        assert v["llm_status"] in ("normal", "abnormal")
        if v["status"] != v["llm_status"]:
            assert "small model's verdict stands" in v["note"]
