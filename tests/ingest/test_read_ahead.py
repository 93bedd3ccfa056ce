"""Reading in a child process gives the parent exactly what reading inline gives."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from logsieve.ingest import IngestStats, get_format, read_records
from logsieve.ingest import read_ahead
from logsieve.ingest.read_ahead import can_read_ahead, read_records_ahead
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainParser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def _both(sources, fmt, **kw):
    inline_stats, ahead_stats = IngestStats(), IngestStats()
    inline_formats, ahead_formats = [], []
    inline = list(read_records(sources, fmt, stats=inline_stats, on_format=lambda n, g: inline_formats.append((n, g)), **kw))
    ahead = list(read_records_ahead(sources, fmt, stats=ahead_stats, batch=7,
                                    on_format=lambda n, g: ahead_formats.append((n, g)), **kw))
    return inline, ahead, (inline_stats, ahead_stats), (inline_formats, ahead_formats)


def test_every_fixture_format_reads_the_same_ahead_and_inline():
    sources = sorted(str(p) for p in FIXTURES.iterdir())
    inline, ahead, stats, formats = _both(sources, "auto")
    assert ahead == inline and len(inline) > 40
    assert [type(x) for x in ahead] == [type(x) for x in inline]  # records stay LogRecords
    assert stats[0] == stats[1] and stats[1].quarantined > 0  # the undecodable fixture
    assert formats[0] == formats[1] and len(formats[1]) == len(sources)


def test_a_named_format_with_bad_lines_reads_the_same(tmp_path):
    log = tmp_path / "a.log.gz"
    lines = [b"081109 203615 148 INFO dfs.DataNode$PacketResponder: line %d" % i for i in range(3000)]
    lines[10] = b"not a header"
    lines[20] = b"\xff\xfe broken"
    log.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    inline, ahead, stats, _ = _both([str(log)], get_format("HDFS"))
    assert ahead == inline and stats[0] == stats[1] and stats[1].quarantined == 2


def test_a_reader_that_fails_in_the_child_is_an_error_here(tmp_path, monkeypatch):
    log = tmp_path / "a.log"
    log.write_text("a line\n")

    def boom(*args, **kwargs):
        raise ValueError("disk on fire")
        yield  # pragma: no cover

    monkeypatch.setattr(read_ahead, "read_records", boom)  # the forked child inherits the patch
    with pytest.raises(RuntimeError, match="disk on fire"):
        list(read_records_ahead([str(log)], "auto"))


def test_a_child_that_dies_is_an_error_not_a_short_stream(tmp_path, monkeypatch):
    log = tmp_path / "a.log"
    log.write_text("a line\n")
    monkeypatch.setattr(read_ahead, "read_records", lambda *a, **k: os._exit(3))
    with pytest.raises(RuntimeError, match="exit code 3"):
        list(read_records_ahead([str(log)], "auto"))


def test_only_large_regular_files_are_read_ahead(tmp_path):
    big = tmp_path / "big.log"
    big.write_bytes(b"x\n" * 600_000)
    small = tmp_path / "small.log"
    small.write_text("x\n")
    expected = read_ahead.usable_cores() >= 2
    assert can_read_ahead([str(big)]) is expected
    assert not can_read_ahead([str(small)])
    assert not can_read_ahead(["-"]) and not can_read_ahead([str(tmp_path)])
    assert not can_read_ahead([str(tmp_path / "missing.log")])


def test_parse_stream_gives_the_same_lines_with_and_without_read_ahead(hdfs_sample):
    def parsed(read_ahead_on: bool, share: float = 0.0):
        job = ParseJobConfig((str(hdfs_sample),), get_format("HDFS"), read_ahead=read_ahead_on,
                             reader_mask_share=share)
        summary = ParseSummary()
        lines = [(p.record, p.template_id, p.template, p.params, p.is_new_template)
                 for p in parse_stream(job, DrainParser(), summary)]
        return lines, summary

    inline, s1 = parsed(False)
    assert len(inline) == 222_579
    for share in (0.0, 0.5):
        ahead, s2 = parsed(True, share)
        assert ahead == inline
        assert (s1.lines, s1.parsed, s1.quarantined, s1.new_templates) == (s2.lines, s2.parsed, s2.quarantined, s2.new_templates)
