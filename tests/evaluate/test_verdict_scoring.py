"""Scoring a finished run's verdicts against a user's labels: session CSVs, BGL-style line
labels read through each verdict's span, and a real small-only run of the demo sample."""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from logsieve.evaluate.verdict_scoring import ScoringConfig, ScoringError, detect_labels_kind, score_verdicts

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "hdfs" / "HDFS_demo.log.gz"
DEMO_LABELS = REPO / "examples" / "hdfs" / "anomaly_label.csv"


def _verdict(key: str, status: str, source: str = "small", span: list[tuple[str, int, int]] | None = None) -> dict:
    row: dict = {"key": key, "status": status, "source": source, "lines": [], "n_lines": 1}
    if span is not None:
        row["span"] = [{"file": f, "from": a, "to": b} for f, a, b in span]
    return row


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- session labels

def test_session_csv_scores_sessions_and_counts_what_no_verdict_covers(tmp_path):
    labels = tmp_path / "anomaly_label.csv"
    labels.write_text("BlockId,Label\nblk_1,Anomaly\nblk_2,Anomaly\nblk_3,Normal\nblk_4,Normal\nblk_5,Anomaly\n")
    verdicts = _jsonl(tmp_path / "v.jsonl", [
        _verdict("blk_1", "abnormal", "llm", [("app.log", 1, 3)]),
        _verdict("blk_2", "normal", span=[("app.log", 4, 4)]),
        _verdict("blk_2#p2", "abnormal", "small", [("app.log", 9, 9)]),  # a continuation part counts for blk_2
        _verdict("blk_3", "abnormal", "cache", [("app.log", 5, 6)]),  # a false alarm
        _verdict("blk_4", "normal", span=[("app.log", 7, 8)]),
        _verdict("blk_9", "abnormal", span=[("app.log", 10, 10)]),  # not in the labels: left out
        _verdict("blk_1", "abnormal", "llm", [("app.log", 1, 3)]),  # the same verdict appended twice
    ])
    r = score_verdicts(verdicts, [labels])
    assert r.kind == "session"
    # blk_5 is an anomaly no verdict covers: it counts as not found
    assert (r.flagged, r.anomalies, r.found, r.false_alarms, r.unmatched) == (3, 3, 2, 1, 1)
    assert (r.verdicts, r.duplicates, r.scored, r.unlabelled, r.flagged_unlabelled) == (6, 1, 4, 1, 1)
    assert r.precision == pytest.approx(2 / 3) and r.recall == pytest.approx(2 / 3) and r.f1 == pytest.approx(2 / 3)
    assert r.by_source == {"cache": {"flagged": 1, "found": 0}, "llm": {"flagged": 1, "found": 1},
                           "small": {"flagged": 1, "found": 1}}
    d = r.as_dict()
    assert {"precision", "recall", "f1", "flagged", "anomalies", "found", "unmatched"} <= set(d)
    assert "line_recall" not in d and json.loads(json.dumps(d)) == d


def test_session_csv_without_header_by_position_and_a_named_anomaly_value(tmp_path):
    labels = tmp_path / "labels.txt"  # no header, label first, id second, its own words
    labels.write_text("bad,s1\nok,s2\nok,s3\n")
    verdicts = _jsonl(tmp_path / "v.jsonl", [_verdict("s1", "abnormal"), _verdict("s2", "abnormal"),
                                             _verdict("s3", "normal")])
    assert detect_labels_kind(labels) == "session"
    cfg = ScoringConfig(id_column="1", label_column="0", anomaly_values=("bad",))
    r = score_verdicts(verdicts, [labels], cfg)
    assert (r.scored, r.flagged, r.anomalies, r.found) == (3, 2, 1, 1)  # "ok,s2" is a row, not a header
    with pytest.raises(ScoringError, match="neither anomalous"):  # without the option, "bad" means nothing
        score_verdicts(verdicts, [labels], ScoringConfig(id_column="1", label_column="0"))


def test_session_csv_named_columns_and_numeric_labels(tmp_path):
    labels = tmp_path / "y.csv"
    labels.write_text("\ufeffnode,when,is_anomaly\nn1,1,1\nn2,2,0\nn3,3,true\n")  # BOM, a third column
    verdicts = _jsonl(tmp_path / "v.jsonl", [_verdict("n1", "abnormal"), _verdict("n2", "normal"),
                                             _verdict("n3", "normal")])
    r = score_verdicts(verdicts, [labels], ScoringConfig(id_column="node"))  # the label column is found by name
    assert (r.flagged, r.anomalies, r.found, r.unmatched) == (1, 2, 1, 0)
    with pytest.raises(ScoringError, match=r"no id column 'BlockId'; columns are \['node', 'when', 'is_anomaly'\]"):
        score_verdicts(verdicts, [labels], ScoringConfig(id_column="BlockId", label_column="is_anomaly"))


# --------------------------------------------------------------------------- line labels

BGL_NORMAL = "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL " \
             "INFO instruction cache parity error corrected"
BGL_ALERT = "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS " \
            "KERNEL FATAL data TLB error interrupt"


def _bgl(path: Path, alerts: set[int], n: int, *, crlf: bool = False, gz: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    text = "".join((BGL_ALERT if i in alerts else BGL_NORMAL) + end for i in range(1, n + 1)).encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


def test_line_labels_are_read_through_each_verdicts_span(tmp_path):
    labels = _bgl(tmp_path / "BGL_2k.log", alerts={3, 4, 12, 25}, n=30)
    spans = "BGL_2k.log"  # as detect named it, run in another directory: matched by file name
    verdicts = _jsonl(tmp_path / "v.jsonl", [
        _verdict("*#w0", "abnormal", "llm", [(spans, 1, 10)]),  # holds lines 3, 4: found
        _verdict("*#w1", "normal", span=[(spans, 11, 20)]),  # holds line 12: missed
        _verdict("*#w2", "abnormal", span=[(spans, 21, 22), (spans, 24, 24)]),  # no alert line: false alarm
        _verdict("*#w3", "normal", span=[(spans, 26, 30)]),
        _verdict("other#w0", "abnormal", span=[("elsewhere.log", 1, 5)]),  # no label file: left out
    ])
    assert detect_labels_kind(labels) == "line"
    r = score_verdicts(verdicts, [labels])
    assert r.kind == "line"
    assert (r.scored, r.flagged, r.anomalies, r.found, r.false_alarms) == (4, 2, 2, 1, 1)
    assert (r.unlabelled, r.flagged_unlabelled) == (1, 1)
    # line 25 lies in a gap between spans: an anomalous line no verdict covers
    assert (r.anomalous_lines, r.lines_found, r.unmatched) == (4, 2, 1)
    assert r.line_recall == pytest.approx(0.5) and r.precision == pytest.approx(0.5) and r.recall == pytest.approx(0.5)
    assert [(f.path, f.lines, f.anomalous_lines, f.verdicts) for f in r.label_files] == [(str(labels), 30, 4, 4)]
    assert r.by_source == {"llm": {"flagged": 1, "found": 1}, "small": {"flagged": 1, "found": 0}}


def test_line_labels_number_lines_as_the_readers_do(tmp_path):
    # gzip, CRLF, a line too long for the reader and an empty line all keep their numbers
    long_alert = "APPSEV " + "x" * 2_000_000
    text = "\r\n".join([BGL_NORMAL, long_alert, "", BGL_NORMAL, BGL_ALERT]) + "\r\n"
    labels = tmp_path / "bgl.log.gz"
    labels.write_bytes(gzip.compress(text.encode()))
    verdicts = _jsonl(tmp_path / "v.jsonl", [
        _verdict("a", "abnormal", span=[(str(labels), 2, 2)]), _verdict("b", "normal", span=[(str(labels), 3, 4)]),
        _verdict("c", "abnormal", span=[(str(labels), 5, 5)]), _verdict("d", "normal", span=[(str(labels), 1, 1)])])
    r = score_verdicts(verdicts, [labels], ScoringConfig(kind="line"))
    assert (r.anomalies, r.found, r.flagged, r.anomalous_lines, r.unmatched) == (2, 2, 2, 2, 0)
    assert r.label_files[0].lines == 5


def test_a_custom_normal_token_and_verdicts_without_spans(tmp_path):
    labels = tmp_path / "tagged.log"
    labels.write_text("OK a\nOK b\nFAIL c\n")
    with_span = _jsonl(tmp_path / "v.jsonl", [_verdict("w0", "normal", span=[("tagged.log", 1, 2)]),
                                              _verdict("w1", "abnormal", span=[("tagged.log", 3, 3)])])
    r = score_verdicts(with_span, [labels], ScoringConfig(normal_token="OK"))
    assert (r.anomalies, r.found, r.precision) == (1, 1, 1.0)
    old = _jsonl(tmp_path / "old.jsonl", [_verdict("w0", "normal")])
    with pytest.raises(ScoringError, match="no verdict carries a span"):
        score_verdicts(old, [labels], ScoringConfig(normal_token="OK"))


def test_two_label_files_with_one_name_need_the_detect_paths(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    la, lb = _bgl(tmp_path / "a" / "x.log", {1}, 3), _bgl(tmp_path / "b" / "x.log", {2}, 3)
    v = _jsonl(tmp_path / "v.jsonl", [_verdict("w", "abnormal", span=[("/elsewhere/x.log", 1, 3)])])
    with pytest.raises(ScoringError, match="several label files"):
        score_verdicts(v, [la, lb])
    exact = _jsonl(tmp_path / "e.jsonl", [_verdict("w", "abnormal", span=[(str(la), 1, 1)]),
                                          _verdict("w", "normal", span=[(str(lb), 1, 1)])])
    r = score_verdicts(exact, [la, lb])
    assert (r.scored, r.anomalies, r.found, r.unmatched) == (2, 1, 1, 1)  # b's line 2 is covered by nothing


def test_bad_inputs_say_what_to_change(tmp_path):
    labels = tmp_path / "l.csv"
    labels.write_text("id,label\nx,Anomaly\n")
    bad = tmp_path / "v.jsonl"
    bad.write_text('{"key": "x", "status": "abnormal"}\nnot json\n')
    with pytest.raises(ScoringError, match=r"v.jsonl:2: not a verdict line"):
        score_verdicts(bad, [labels])
    with pytest.raises(ScoringError, match="does not exist"):
        score_verdicts(tmp_path / "missing.jsonl", [labels])
    with pytest.raises(ScoringError, match="different kinds"):
        score_verdicts(bad, [labels, _bgl(tmp_path / "b.log", set(), 2)])


# --------------------------------------------------------------------------- a real run

def _run(*args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args], capture_output=True, timeout=600, cwd=REPO)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return res


@pytest.fixture(scope="module")
def small_only_run(tmp_path_factory) -> Path:
    """The demo's model (logreg on hdfs-demo, as `make demo` trains it) and a small-only run."""
    work = tmp_path_factory.mktemp("demo")
    _run("train", "--detector", "logreg", "--dataset", "hdfs-demo", "--datasets-file", "examples/datasets.yaml",
         "--data-dir", "examples", "--out", str(work / "model"))
    out = work / "small_verdicts.jsonl"
    _run("detect", str(DEMO), "--model", str(work / "model"), "--mode", "small-only", "--llm", "none",
         "--out", str(out), "--store", str(work / "s.db"))
    return out


def test_a_small_only_demo_run_scores_against_the_sample_labels(small_only_run, tmp_path):
    r = score_verdicts(small_only_run, [DEMO_LABELS])
    with DEMO_LABELS.open() as fh:
        truth = {row["BlockId"]: row["Label"] == "Anomaly" for row in csv.DictReader(fh)}
    flagged = {json.loads(x)["key"] for x in small_only_run.read_text().splitlines()
               if json.loads(x)["status"] == "abnormal"}
    assert r.kind == "session" and r.scored == r.verdicts == len(truth) == 1200 and r.unmatched == 0
    assert r.anomalies == sum(truth.values()) == 56
    assert r.flagged == len(flagged) and r.found == sum(truth[k] for k in flagged)
    assert r.found > 20 and r.precision >= 0.9


def test_line_labels_through_the_span_agree_with_session_labels_on_a_real_run(small_only_run, tmp_path):
    """The sample's session labels written onto its lines (token `-` or the label), as a file of
    the same name in another folder: scoring through the spans must give the session figures,
    which holds only if every span names exactly its session's lines, numbered as read."""
    with DEMO_LABELS.open() as fh:
        bad = {row["BlockId"] for row in csv.DictReader(fh) if row["Label"] == "Anomaly"}
    lines = gzip.decompress(DEMO.read_bytes()).decode().splitlines()
    tagged = [("Anomaly " if set(re.findall(r"blk_-?\d+", ln)) & bad else "- ") + ln for ln in lines]
    labels = tmp_path / DEMO.name
    labels.write_bytes(gzip.compress(("\n".join(tagged) + "\n").encode()))
    by_session = score_verdicts(small_only_run, [DEMO_LABELS])
    by_line = score_verdicts(small_only_run, [labels])
    assert by_line.kind == "line" and by_line.unlabelled == 0 and by_line.unmatched == 0
    for key in ("scored", "flagged", "anomalies", "found", "precision", "recall", "f1"):
        assert getattr(by_line, key) == getattr(by_session, key), key
    assert by_line.label_files[0].lines == len(lines) == 26145
