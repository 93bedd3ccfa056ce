"""The command line as a user runs it: a real subprocess, real files, JSON contracts."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"


def run(*args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args], input=input, capture_output=True, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(f"exit {res.returncode}: {res.stderr.decode()[-2000:]}")
    return res


def last_json(res: subprocess.CompletedProcess) -> dict:
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def test_parse_demo_sample_json_and_outputs(tmp_path):
    out = tmp_path / "parsed.csv"
    res = run("parse", str(DEMO), "--format", "HDFS", "--state", str(tmp_path / "st"), "--out", str(out), "--json")
    summary = last_json(res)
    for key in ("lines", "templates", "quarantined", "seconds", "lines_per_s"):
        assert key in summary
    assert summary["lines"] == 26145 and summary["quarantined"] == 0
    assert summary["parsed"] + summary["quarantined"] == summary["lines"]
    assert 10 <= summary["templates"] <= 60
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 26145 and rows[0]["template_id"]
    # a second run resumes from the state: same ids, nothing new
    again = last_json(run("parse", str(DEMO), "--format", "HDFS", "--state", str(tmp_path / "st"), "--json"))
    assert again["new_templates"] == 0 and again["templates"] == summary["templates"]


def test_parquet_output(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "a.log"
    src.write_text("hello 1\nhello 2\nbye\n")
    run("parse", str(src), "--out", str(tmp_path / "p.parquet"), "--json")
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.num_rows == 3 and "template" in table.column_names


def test_bad_inputs_are_counted_and_quarantined(tmp_path):
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"081109 203615 148 INFO x: ok line\n\xff\xfe\n" + b"y" * 2_000_000 + b"\nnot hdfs\n")
    trunc = tmp_path / "t.gz"
    data = gzip.compress(b"081109 203615 148 INFO x: hi\n" * 2000)
    trunc.write_bytes(data[: len(data) // 2])
    q = tmp_path / "q.jsonl"
    res = run("parse", str(bad), str(trunc), str(tmp_path / "missing.log"), "--format", "HDFS",
              "--quarantine", str(q), "--json")
    s = last_json(res)
    assert s["parsed"] + s["quarantined"] == s["lines"]
    assert set(s["quarantine_reasons"]) == {"decode_error", "too_long", "no_format_match", "truncated_archive", "read_error"}
    reasons = [json.loads(line)["reason"] for line in q.read_text().splitlines()]
    assert len(reasons) == s["quarantined"]


def test_stdin_and_empty_input(tmp_path):
    s = last_json(run("parse", "-", "--json", input=b"a 1\na 2\n"))
    assert s["lines"] == 2 and s["templates"] == 1
    (tmp_path / "empty.log").write_bytes(b"")
    s = last_json(run("parse", str(tmp_path / "empty.log"), "--json"))
    assert s["lines"] == 0 and s["templates"] == 0


def test_errors_say_what_to_do(tmp_path):
    res = run("parse", "x.log", "--format", "Nope", check=False)
    assert res.returncode == 2 and b"known formats" in res.stderr
    res = run("parse", "x.log", "--match-only", check=False)
    assert res.returncode == 2 and b"--state" in res.stderr
    st = tmp_path / "st"
    st.mkdir()
    (st / "drain_state.json").write_text('{"format": "logsieve-drain-state", "version": 0}')
    res = run("parse", str(DEMO), "--format", "HDFS", "--state", str(st), check=False)
    assert res.returncode == 2 and b"re-create" in res.stderr


def test_match_only_learns_nothing(tmp_path):
    src = tmp_path / "a.log"
    src.write_text("open file a\nopen file b\n")
    run("parse", str(src), "--state", str(tmp_path / "st"), "--json")
    (tmp_path / "b.log").write_text("open file c\ntotally new shape of line\n")
    s = last_json(run("parse", str(tmp_path / "b.log"), "--state", str(tmp_path / "st"), "--match-only", "--json"))
    assert s["unmatched"] == 1 and s["templates"] == 1
    t = last_json(run("templates", "--state", str(tmp_path / "st"), "--json"))
    assert [x["template"] for x in t["templates"]] == ["open file <*>"]


def test_evaluate_parsing_json(shared_data):
    res = run("evaluate", "parsing", "--dataset", "loghub2k/Apache", "--data-dir", str(shared_data), "--json")
    s = last_json(res)
    assert s["datasets"] == 1 and set(s) >= {"GA", "PA", "FGA", "FTA", "RI", "per_dataset"}
    assert s["per_dataset"]["loghub2k/Apache"]["GA"] == 1.0


def test_help_teaches():
    out = run("parse", "--help").stdout.decode()
    assert "Example:" in out and "--state" in out and "quarantine" in out
    assert "HDFS" in run("formats").stdout.decode()


def test_parse_with_the_learned_stamp_parser(tmp_path):
    """--parser stamp trains on the head, saves tagger and templates, and resumes untrained."""
    st = tmp_path / "stamp"
    first = last_json(run("parse", str(DEMO), "--format", "HDFS", "--parser", "stamp", "--train-lines", "2000",
                          "--state", str(st), "--json"))
    assert first["parser"] == "stamp" and first["train_lines"] == 2000 and first["train_seconds"] > 0
    assert first["parsed"] == 26145 and first["unmatched"] == 0
    assert 10 <= first["templates"] <= 60
    again = last_json(run("parse", str(DEMO), "--format", "HDFS", "--parser", "stamp", "--state", str(st), "--json"))
    assert again["train_lines"] == 0 and again["new_templates"] == 0 and again["templates"] == first["templates"]
    shown = last_json(run("templates", "--state", str(st), "--json"))
    assert len(shown["templates"]) == first["templates"]
    # a state directory belongs to one parser: the other one is refused with advice
    wrong = run("parse", str(DEMO), "--format", "HDFS", "--state", str(st), check=False)
    assert wrong.returncode != 0 and b"--parser stamp" in wrong.stderr


def test_stamp_trains_on_a_tenth_of_the_files(tmp_path):
    from logsieve.ingest import get_format
    from logsieve.jobs.parse import STREAM_TRAIN_LINES, ParseJobConfig, train_head_lines

    log = tmp_path / "a.log.gz"
    with gzip.open(log, "wt") as fh:
        fh.write("\n".join(f"line {i}" for i in range(1234)))  # no final newline: still 1234 lines
    cfg = ParseJobConfig(sources=(str(log),), log_format=get_format("raw"), parser="stamp")
    assert train_head_lines(cfg, 0.1) == 123
    assert train_head_lines(ParseJobConfig(sources=("-",), log_format=get_format("raw")), 0.1) == STREAM_TRAIN_LINES
