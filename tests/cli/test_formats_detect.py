"""`logsieve formats --detect` and `logsieve parse --format auto` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "formats"


def run(*args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args], capture_output=True, text=True, timeout=300,
                         cwd=REPO, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def test_formats_detect_json_last_line_per_file():
    res = run("formats", "--detect", str(FIXTURES / "syslog5424.log"), "--json")
    last = json.loads(res.stdout.strip().splitlines()[-1])
    assert {"format", "confidence", "family", "multiline", "alternatives"} <= set(last)
    assert (last["format"], last["family"], last["confidence"]) == ("syslog-5424", "syslog", 1.0)
    res = run("formats", "--detect", str(FIXTURES), "--json")
    rows = [json.loads(line) for line in res.stdout.strip().splitlines()]
    assert len(rows) == len(list(FIXTURES.iterdir()))
    assert {Path(r["source"]).name: r["format"] for r in rows}["java_app.log"] == "stamped"


def test_formats_detect_table_and_several_files():
    res = run("formats", "--detect", str(FIXTURES / "cri.log"), str(FIXTURES / "logfmt.log"))
    assert "cri" in res.stdout and "logfmt" in res.stdout


def test_parse_defaults_to_auto_and_says_what_it_chose():
    res = run("parse", str(FIXTURES / "java_app.log"), "--json")
    assert "format: stamped (sure: 1.00, multi-line records) for" in res.stderr
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert (summary["parsed"], summary["quarantined"], summary["joined_lines"]) == (6, 0, 8)
    assert summary["formats"][str(FIXTURES / "java_app.log")]["format"] == "stamped"


def test_parse_with_a_named_format_is_as_before():
    res = run("parse", str(FIXTURES / "java_app.log"), "--format", "stamped", "--json")
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert (summary["parsed"], summary["quarantined"], summary["joined_lines"]) == (6, 8, 0)
    assert "format:" not in res.stderr and "formats" not in summary
