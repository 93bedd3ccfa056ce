"""`logsieve evaluate verdicts` as a user runs it: a real subprocess, real files, the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"
DEMO_LABELS = REPO / "examples" / "hdfs" / "anomaly_label.csv"
CONTRACT = {"precision", "recall", "f1", "flagged", "anomalies", "found"}


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args], capture_output=True, timeout=600, cwd=REPO,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    if check and res.returncode != 0:
        raise AssertionError(f"exit {res.returncode}: {res.stderr.decode()[-2000:]}")
    return res


def last_json(res: subprocess.CompletedProcess) -> dict:
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def _jsonl(path: Path, rows: list[tuple[str, str, list[tuple[str, int, int]]]]) -> Path:
    path.write_text("".join(json.dumps({"key": k, "status": s, "source": "small",
                                        "span": [{"file": f, "from": a, "to": b} for f, a, b in span]}) + "\n"
                            for k, s, span in rows))
    return path


def test_the_demo_chain_train_detect_small_only_then_score(tmp_path):
    run("train", "--detector", "logreg", "--dataset", "hdfs-demo", "--datasets-file", "examples/datasets.yaml",
        "--data-dir", "examples", "--out", str(tmp_path / "model"))
    verdicts = tmp_path / "small_verdicts.jsonl"
    run("detect", str(DEMO), "--model", str(tmp_path / "model"), "--mode", "small-only", "--llm", "none",
        "--out", str(verdicts), "--store", str(tmp_path / "s.db"))
    score = last_json(run("evaluate", "verdicts", str(verdicts), "--labels", str(DEMO_LABELS), "--json"))
    assert CONTRACT <= set(score)
    assert score["kind"] == "session" and score["anomalies"] == 56 and score["unmatched"] == 0
    assert score["found"] > 20 and score["precision"] >= 0.9
    assert score["flagged"] == sum(json.loads(x)["status"] == "abnormal" for x in verdicts.read_text().splitlines())
    summary = run("evaluate", "verdicts", str(verdicts), "--labels", str(DEMO_LABELS)).stdout.decode()
    assert "F1" in summary and f"{score['f1']:.3f}" in summary and "sessions scored" in summary


def test_line_labels_with_a_custom_normal_token(tmp_path):
    labels = tmp_path / "tagged.log"
    labels.write_text("OK start\nOK work\nFAIL disk gone\nOK work\nOK stop\nFAIL again\n")
    verdicts = _jsonl(tmp_path / "v.jsonl", [("w0", "abnormal", [("logs/tagged.log", 1, 3)]),
                                             ("w1", "normal", [("logs/tagged.log", 4, 5)])])
    score = last_json(run("evaluate", "verdicts", str(verdicts), "--labels", str(labels), "--normal", "OK", "--json"))
    assert (score["kind"], score["flagged"], score["anomalies"], score["found"]) == ("line", 1, 1, 1)
    assert (score["anomalous_lines"], score["lines_found"], score["unmatched"]) == (2, 1, 1)  # line 6: no span
    summary = run("evaluate", "verdicts", str(verdicts), "--labels", str(labels), "--normal", "OK").stdout.decode()
    assert "1 in no verdict's span" in summary


def test_session_columns_by_option_and_clear_errors(tmp_path):
    labels = tmp_path / "ids.txt"
    labels.write_text("session,verdict\na,bad\nb,fine\n")
    verdicts = _jsonl(tmp_path / "v.jsonl", [("a", "abnormal", []), ("b", "abnormal", [])])
    score = last_json(run("evaluate", "verdicts", str(verdicts), "--labels", str(labels), "--label-column", "verdict",
                          "--anomaly-value", "bad", "--json"))
    assert (score["flagged"], score["found"], score["precision"]) == (2, 1, 0.5)
    res = run("evaluate", "verdicts", str(verdicts), "--labels", str(labels), "--label-column", "verdict", check=False)
    assert res.returncode == 2 and "neither anomalous" in res.stderr.decode() and "--anomaly-value" in res.stderr.decode()
    res = run("evaluate", "verdicts", str(tmp_path / "nope.jsonl"), "--labels", str(labels), check=False)
    assert res.returncode == 2 and "does not exist" in res.stderr.decode()
    res = run("evaluate", "verdicts", str(verdicts), "--labels", str(labels), "--labels-kind", "rows", check=False)
    assert res.returncode == 2 and "session, line or auto" in res.stderr.decode()


def test_help_teaches_both_label_kinds():
    text = run("evaluate", "verdicts", "--help").stdout.decode()
    assert "--labels examples/hdfs/anomaly_label.csv" in text and "--labels BGL.log" in text
    assert "--normal OK" in text and "--id-column session" in text and "by its file name alone" in text
