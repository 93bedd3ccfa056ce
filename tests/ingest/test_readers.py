"""Readers: every kind of source and every kind of bad input; counts always add up."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from logsieve.ingest import IngestStats, RawLine, StreamSource, get_format, read_lines, read_records
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord

RAW = get_format("raw")
HDFS = get_format("HDFS")
LINE = "081109 203615 148 INFO dfs.DataNode: PacketResponder 1 for block blk_1 terminating"
R = QuarantineReason


def _read(sources, fmt=RAW, **kw):
    stats = IngestStats()
    out = list(read_records(sources, fmt, stats=stats, **kw))
    assert stats.records + stats.quarantined == stats.lines_read == len(out)
    assert stats.records == sum(isinstance(r, LogRecord) for r in out)
    assert sum(stats.by_reason.values()) == stats.quarantined and stats.consistent
    return out, stats


def _contents(out):
    return [r.content for r in out if isinstance(r, LogRecord)]


def _what(out):
    return [r.content if isinstance(r, LogRecord) else r.reason.value for r in out]


def _expected_lines(data: bytes) -> int:
    """How many lines a byte string holds: a last line needs no newline; a BOM is not one."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_plain_gz_dir_and_glob(tmp_path):
    (tmp_path / "a.log").write_text("one\ntwo\n")
    with gzip.open(tmp_path / "b.log.gz", "wt") as fh:
        fh.write("three\nfour")  # no final newline
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_bytes(b"five\r\n")
    out, _ = _read([tmp_path])
    assert _contents(out) == ["one", "two", "three", "four", "five"]
    assert [(r.source, r.line_no) for r in out[:3]] == [
        (str(tmp_path / "a.log"), 1), (str(tmp_path / "a.log"), 2), (str(tmp_path / "b.log.gz"), 1)]
    out, _ = _read([str(tmp_path / "*.log*")])
    assert _contents(out) == ["one", "two", "three", "four"]
    out, _ = _read([str(tmp_path / "**" / "*.txt")])
    assert _contents(out) == ["five"]


def test_a_single_path_is_one_source_not_its_characters(tmp_path):
    (tmp_path / "a.log").write_text("x\n")
    out, _ = _read(str(tmp_path / "a.log"))
    assert _contents(out) == ["x"]
    out, _ = _read(tmp_path / "a.log")
    assert _contents(out) == ["x"]


def test_gzip_is_detected_by_content_not_name(tmp_path):
    with gzip.open(tmp_path / "noext", "wt") as fh:
        fh.write("hidden\n")
    (tmp_path / "plain.gz").write_text("not compressed\n")
    out, _ = _read([tmp_path / "noext", tmp_path / "plain.gz"])
    assert _contents(out) == ["hidden", "not compressed"]


def test_concatenated_gzip_members_and_zero_padding(tmp_path):
    f = tmp_path / "multi.gz"
    f.write_bytes(gzip.compress(b"a\nb") + gzip.compress(b"c\n") + b"\0" * 100)
    out, _ = _read([f])
    assert _contents(out) == ["a", "bc"]  # members join as one stream, like zcat


def test_gzip_bomb_line_is_cut_without_inflating_it_whole(tmp_path):
    f = tmp_path / "bomb.gz"
    f.write_bytes(gzip.compress(b"ok\n" + b"x" * 50_000_000 + b"\nafter\n", compresslevel=9))
    out, stats = _read([f], max_line_bytes=1000, chunk_bytes=1 << 16)
    assert _contents(out) == ["ok", "after"] and stats.by_reason == {"too_long": 1}


def test_stream_sources_and_real_stdin(tmp_path):
    out, _ = _read([StreamSource("buf", io.BytesIO(b"x\ny\n")), io.BytesIO(gzip.compress(b"z\n"))])
    assert _contents(out) == ["x", "y", "z"]
    assert [r.source for r in out] == ["buf", "buf", "<stream>"]
    code = (
        "from logsieve.ingest import read_records, get_format, IngestStats;"
        "s = IngestStats(); n = sum(1 for r in read_records(['-'], get_format('raw'), stats=s));"
        "print(n, s.records)"
    )
    res = subprocess.run([sys.executable, "-c", code], input=b"a\nb\nc\n", capture_output=True, check=True, timeout=60)
    assert res.stdout.split() == [b"3", b"3"]
    res = subprocess.run([sys.executable, "-c", code], input=gzip.compress(b"a\nb\n"), capture_output=True,
                         check=True, timeout=60)
    assert res.stdout.split() == [b"2", b"2"]


def test_text_streams_are_refused_clearly():
    with pytest.raises(TypeError, match="binary"):
        list(read_records([io.StringIO("x\n")], RAW))


def test_invalid_utf8_random_bytes_and_format_mismatch(tmp_path):
    f = tmp_path / "bad.log"
    noise = os.urandom(5000)
    f.write_bytes(LINE.encode() + b"\n" + b"\xff\xfe broken \x80\n" + b"not a hdfs line\n" + noise)
    out, stats = _read([f], HDFS)
    assert isinstance(out[0], LogRecord) and out[0].line_no == 1
    assert out[1].reason is R.DECODE_ERROR and out[1].raw == b"\xff\xfe broken \x80" and out[1].line_no == 2
    assert out[2].reason is R.NO_FORMAT_MATCH and out[2].raw == b"not a hdfs line" and "'HDFS'" in out[2].detail
    assert len(out) == 3 + _expected_lines(noise)
    assert stats.by_reason[R.DECODE_ERROR.value] >= 1


def test_ten_megabyte_line_is_quarantined_and_reading_goes_on(tmp_path):
    f = tmp_path / "huge.log"
    with f.open("wb") as fh:
        fh.write(b"before\n" + b"x" * 10_000_000 + b"\nafter\n" + b"y" * 3_000_000)
    out, stats = _read([f], max_line_bytes=1_000_000)
    assert [type(r).__name__ for r in out] == ["LogRecord", "QuarantineRecord", "LogRecord", "QuarantineRecord"]
    assert out[1].reason is R.TOO_LONG and out[1].raw == b"x" * 256 and out[1].line_no == 2
    assert out[2].content == "after" and out[2].line_no == 3
    assert out[3].reason is R.TOO_LONG and out[3].line_no == 4  # the last line, with no newline
    assert stats.by_reason == {"too_long": 2}


def test_line_length_limit_is_exact(tmp_path):
    f = tmp_path / "edge.log"
    f.write_bytes(b"12345\n123456\n1234\r\n12345\r\n123456\r\n12345\r")
    out, _ = _read([f], max_line_bytes=5)  # counted without the \n or \r\n that ends a line
    assert _what(out) == ["12345", "too_long", "1234", "12345", "too_long", "12345"]


def test_truncated_gz_keeps_what_was_readable(tmp_path):
    data = gzip.compress("".join(f"line {i}\n" for i in range(50_000)).encode())
    f = tmp_path / "cut.gz"
    f.write_bytes(data[: len(data) // 2])
    (tmp_path / "next.log").write_text("next\n")
    out, stats = _read([f, tmp_path / "next.log"], chunk_bytes=4096)
    recs = [r for r in out if isinstance(r, LogRecord) and r.source == str(f)]
    assert len(recs) > 1000 and [r.content for r in recs] == [f"line {i}" for i in range(len(recs))]
    cut = out[len(recs)]
    assert cut.reason is R.TRUNCATED_ARCHIVE and cut.line_no == len(recs) + 1
    assert "cut short" in cut.detail and cut.raw == f"line {len(recs)}".encode()[: len(cut.raw)]
    assert _contents(out[len(recs) + 1 :]) == ["next"]
    assert stats.by_reason == {"truncated_archive": 1}


def test_corrupt_gz_body_and_garbage_after_it(tmp_path):
    data = bytearray(gzip.compress(b"".join(b"line %d\n" % i for i in range(20_000))))
    data[len(data) // 2 : len(data) // 2 + 64] = b"\x00" * 64
    (tmp_path / "corrupt.gz").write_bytes(bytes(data))
    (tmp_path / "tail.gz").write_bytes(gzip.compress(b"ok\n") + b"garbage")
    out, stats = _read([tmp_path / "corrupt.gz", tmp_path / "tail.gz"])
    reasons = [r.reason for r in out if isinstance(r, QuarantineRecord)]
    assert reasons == [R.TRUNCATED_ARCHIVE, R.TRUNCATED_ARCHIVE]
    assert "corrupt" in out[-1].detail and _contents(out)[-1] == "ok"


def test_gzip_magic_followed_by_noise(tmp_path):
    (tmp_path / "fake.gz").write_bytes(b"\x1f\x8b" + os.urandom(500))
    out, _ = _read([tmp_path / "fake.gz"])
    assert [r.reason for r in out] == [R.TRUNCATED_ARCHIVE]


def test_empty_missing_unmatched_glob_and_unreadable(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "emptydir").mkdir()
    out, stats = _read([tmp_path / "empty.log", tmp_path / "emptydir", tmp_path / "missing.log",
                        str(tmp_path / "*.nothing")])
    assert [(r.reason, r.line_no) for r in out] == [(R.READ_ERROR, 0), (R.READ_ERROR, 0)]
    assert out[0].detail == f"file not found: {tmp_path / 'missing.log'}"
    assert out[1].detail.startswith("no file matches")
    assert stats.lines_read == 2 and stats.records == 0


def test_unreadable_file_is_reported_and_the_next_one_read(tmp_path, monkeypatch):
    import logsieve.ingest.readers as readers_module

    locked = tmp_path / "locked.log"
    locked.write_text("secret\n")
    (tmp_path / "ok.log").write_text("fine\n")
    real_open = readers_module.open_path

    def guarded_open(p):
        if p == locked:
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p)

    monkeypatch.setattr(readers_module, "open_path", guarded_open)
    out, _ = _read([locked, tmp_path / "ok.log"])
    assert (out[0].reason, out[0].line_no, out[0].detail) == (R.READ_ERROR, 0, f"permission denied: {locked}")
    assert _contents(out) == ["fine"]


class _FailingStream(io.RawIOBase):
    """Gives some lines, then fails like a disk error would."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls == 1:
            return b"one\ntwo\nthr"
        raise OSError(5, "Input/output error")


def test_a_read_error_part_way_keeps_the_lines_before_it():
    out, stats = _read([StreamSource("disk", _FailingStream()), io.BytesIO(b"next\n")])
    assert _what(out) == ["one", "two", "read_error", "next"]
    assert (out[2].line_no, out[2].raw) == (3, b"thr") and "Input/output error" in out[2].detail


def test_bom_crlf_and_lone_cr(tmp_path):
    (tmp_path / "bom.log").write_bytes(b"\xef\xbb\xbfhello\r\nmid\rdle\r\n\xef\xbb\xbfsecond bom stays\n")
    out, _ = _read([tmp_path / "bom.log"])
    assert _contents(out) == ["hello", "mid\rdle", "\ufeffsecond bom stays"]


def test_read_lines_gives_bytes(tmp_path):
    (tmp_path / "a.log").write_bytes(b"\xef\xbb\xbfa\r\n\xff\n" + b"z" * 20 + b"\nend")
    out = list(read_lines([tmp_path / "a.log"], max_line_bytes=10))
    assert out[:2] == [RawLine(str(tmp_path / "a.log"), 1, b"a"), RawLine(str(tmp_path / "a.log"), 2, b"\xff")]
    assert out[2].reason is R.TOO_LONG and out[3] == RawLine(str(tmp_path / "a.log"), 4, b"end")


def test_max_line_bytes_must_be_positive():
    with pytest.raises(ValueError, match="max_line_bytes"):
        list(read_records([io.BytesIO(b"x")], RAW, max_line_bytes=0))


def test_stats_are_exact_while_iterating(tmp_path):
    (tmp_path / "a.log").write_bytes(b"".join(b"%d\n" % i for i in range(1000)) + b"\xff\n")
    stats = IngestStats()
    for n, _item in enumerate(read_records([tmp_path / "a.log"], RAW, stats=stats), 1):
        assert stats.lines_read == n and stats.consistent
    assert stats.as_dict() == {"lines_read": 1001, "records": 1000, "quarantined": 1,
                               "by_reason": {"decode_error": 1}, "joined_lines": 0}


_BYTES = st.binary(max_size=3000) | st.lists(
    st.sampled_from([b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xe2\x82", b"a", b"abc ", LINE.encode()]),
    max_size=200).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_BYTES, limit=st.integers(min_value=1, max_value=200), chunk=st.integers(min_value=1, max_value=64),
       fmt=st.sampled_from([RAW, HDFS]))
def test_any_bytes_give_one_entry_per_line_and_counts_add_up(data, limit, chunk, fmt):
    assume(not data.startswith(b"\x1f\x8b"))  # that would be read as a (broken) gzip archive
    out, stats = _read([StreamSource("fuzz", io.BytesIO(data))], fmt, max_line_bytes=limit, chunk_bytes=chunk)
    assert stats.lines_read == _expected_lines(data)
    assert [r.line_no for r in out] == list(range(1, len(out) + 1))
    assert all(len(r.raw) <= 256 for r in out if isinstance(r, QuarantineRecord))


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)),
                              max_size=60).filter(lambda s: not s.endswith("\r")), max_size=30),
       chunk=st.integers(min_value=1, max_value=50))
def test_raw_format_content_is_the_line(lines, chunk):
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    out, _ = _read([StreamSource("t", io.BytesIO(data))], chunk_bytes=chunk)
    expected = list(lines)
    if expected and expected[0].startswith("\ufeff"):
        expected[0] = expected[0][1:]  # a BOM at the start of a source is not content
    assert _contents(out) == expected


def test_hdfs_sample_reads_completely(hdfs_sample):
    stats = IngestStats()
    last = None
    for last in read_records([hdfs_sample], HDFS, stats=stats):
        pass
    assert stats.lines_read == stats.records == 222_579 and last.timestamp is not None


@settings(max_examples=300, deadline=None)
@given(data=_BYTES, limit=st.integers(min_value=1, max_value=100), chunk=st.integers(min_value=1, max_value=64))
def test_read_lines_matches_a_simple_model(data, limit, chunk):
    """However the bytes arrive, lines are what a plain split says they are."""
    assume(not data.startswith(b"\x1f\x8b"))
    got = [r.data if isinstance(r, RawLine) else r.reason
           for r in read_lines([io.BytesIO(data)], max_line_bytes=limit, chunk_bytes=chunk)]
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    lines = body.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    expected = []
    for line in lines:
        content = line[:-1] if line.endswith(b"\r") else line
        expected.append(content if len(content) <= limit else R.TOO_LONG)
    assert got == expected


def test_recursive_glob_reads_each_file_once(tmp_path):
    (tmp_path / "logs" / "sub").mkdir(parents=True)
    (tmp_path / "logs" / "a.log").write_text("a\n")
    (tmp_path / "logs" / "sub" / "b.log").write_text("b\n")
    out, _ = _read([str(tmp_path / "logs" / "**")], "raw")  # a preset may be named
    assert _contents(out) == ["a", "b"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_inside_a_directory_is_skipped_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.log").write_text("a\n")
    out, _ = _read([tmp_path, str(tmp_path / "*")])
    assert _contents(out) == ["a", "a"]
