"""Readers: every kind of source and every kind of bad input; counts always add up."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.ingest import IngestStats, StreamSource, get_format, read_records
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord

RAW = get_format("raw")
HDFS = get_format("HDFS")
LINE = "081109 203615 148 INFO dfs.DataNode: PacketResponder 1 for block blk_1 terminating"


def _read(sources, fmt=RAW, **kw):
    stats = IngestStats()
    out = list(read_records(sources, fmt, stats=stats, **kw))
    assert stats.records + stats.quarantined == stats.lines_read == len(out)
    return out, stats


def test_plain_gz_dir_and_glob(tmp_path):
    (tmp_path / "a.log").write_text("one\ntwo\n")
    with gzip.open(tmp_path / "b.log.gz", "wt") as fh:
        fh.write("three\nfour")  # no final newline
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_bytes(b"five\r\n")
    out, _ = _read([tmp_path])
    assert [r.content for r in out] == ["one", "two", "three", "four", "five"]
    assert [(r.source.endswith("a.log"), r.line_no) for r in out[:2]] == [(True, 1), (True, 2)]
    out, _ = _read([str(tmp_path / "*.log*")])
    assert [r.content for r in out] == ["one", "two", "three", "four"]


def test_gzip_is_detected_by_content_not_name(tmp_path):
    with gzip.open(tmp_path / "noext", "wt") as fh:
        fh.write("hidden\n")
    out, _ = _read([tmp_path / "noext"])
    assert out[0].content == "hidden"


def test_stream_source_and_real_stdin(tmp_path):
    out, _ = _read([StreamSource("buf", io.BytesIO(b"x\ny\n"))])
    assert [r.content for r in out] == ["x", "y"]
    code = (
        "from logsieve.ingest import read_records, get_format;"
        "print(sum(1 for r in read_records(['-'], get_format('raw'))))"
    )
    res = subprocess.run([sys.executable, "-c", code], input=b"a\nb\nc\n", capture_output=True, check=True)
    assert res.stdout.strip() == b"3"


def test_invalid_utf8_random_bytes_and_format_mismatch(tmp_path):
    f = tmp_path / "bad.log"
    f.write_bytes(LINE.encode() + b"\n" + b"\xff\xfe broken \x80\n" + b"not a hdfs line\n" + os.urandom(2000))
    out, stats = _read([f], HDFS)
    assert isinstance(out[0], LogRecord)
    assert out[1].reason is QuarantineReason.DECODE_ERROR and out[1].raw.startswith(b"\xff\xfe")
    assert out[2].reason is QuarantineReason.NO_FORMAT_MATCH
    assert stats.by_reason["decode_error"] >= 1


def test_ten_megabyte_line_is_quarantined_and_reading_goes_on(tmp_path):
    f = tmp_path / "huge.log"
    with f.open("wb") as fh:
        fh.write(b"before\n" + b"x" * 10_000_000 + b"\nafter\n")
    out, stats = _read([f], max_line_bytes=1_000_000)
    assert [type(r).__name__ for r in out] == ["LogRecord", "QuarantineRecord", "LogRecord"]
    assert out[1].reason is QuarantineReason.TOO_LONG and len(out[1].raw) <= 256
    assert out[2].content == "after" and out[2].line_no == 3


def test_truncated_gz_keeps_what_was_readable(tmp_path):
    data = gzip.compress(("".join(f"line {i}\n" for i in range(5000))).encode())
    f = tmp_path / "cut.gz"
    f.write_bytes(data[: len(data) // 2])
    out, stats = _read([f, tmp_path / "cut.gz"])
    recs = [r for r in out if isinstance(r, LogRecord)]
    assert recs and recs[0].content == "line 0"
    cuts = [r for r in out if isinstance(r, QuarantineRecord)]
    assert [c.reason for c in cuts] == [QuarantineReason.TRUNCATED_ARCHIVE] * 2
    assert "cut short" in cuts[0].detail


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    out, stats = _read([tmp_path / "empty.log", tmp_path / "missing.log", str(tmp_path / "*.nothing")])
    assert [r.reason for r in out] == [QuarantineReason.READ_ERROR, QuarantineReason.READ_ERROR]
    assert "file not found" in out[0].detail and "no file matches" in out[1].detail


def test_bom_is_ignored(tmp_path):
    (tmp_path / "bom.log").write_bytes(b"\xef\xbb\xbfhello\n")
    out, _ = _read([tmp_path / "bom.log"])
    assert out[0].content == "hello"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=8, max_value=200))
def test_any_bytes_give_one_entry_per_line_and_counts_add_up(data, limit):
    out, stats = _read([StreamSource("fuzz", io.BytesIO(data))], HDFS, max_line_bytes=limit)
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert stats.lines_read == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=60), max_size=30))
def test_raw_format_content_is_the_line(lines):
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    out, _ = _read([StreamSource("t", io.BytesIO(data))])
    expected = [ln[1:] if i == 0 and ln.startswith("\ufeff") else ln for i, ln in enumerate(lines)]
    assert [r.content for r in out] == expected
