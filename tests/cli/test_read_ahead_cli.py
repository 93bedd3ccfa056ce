"""`logsieve parse --read-ahead/--no-read-ahead` as a user runs it: same output either way."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _parse(log: Path, out: Path, *flags: str) -> dict:
    res = subprocess.run([sys.executable, "-m", "logsieve", "parse", str(log), "--format", "HDFS", "--out", str(out),
                          "--json", *flags], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_parse_writes_the_same_lines_with_and_without_read_ahead(shared_data, tmp_path):
    with gzip.open(shared_data / "hdfs_sample" / "HDFS_sample.log.gz", "rb") as f:
        head = b"".join(f.readline() for _ in range(12_000))
    log = tmp_path / "hdfs.log"
    log.write_bytes(head + b"not an HDFS line\n")
    assert log.stat().st_size > 1_000_000  # large enough to be read ahead
    ahead = _parse(log, tmp_path / "ahead.csv")
    inline = _parse(log, tmp_path / "inline.csv", "--no-read-ahead")
    assert (tmp_path / "ahead.csv").read_bytes() == (tmp_path / "inline.csv").read_bytes()
    drop = ("seconds", "lines_per_s", "state", "out", "quarantine_file")
    assert {k: v for k, v in ahead.items() if k not in drop} == {k: v for k, v in inline.items() if k not in drop}
    assert ahead["lines"] == 12_001 and ahead["quarantined"] == 1
    assert (tmp_path / "ahead.quarantine.jsonl").read_text() == (tmp_path / "inline.quarantine.jsonl").read_text()
