"""split_body: the pure decoder behind POST /ingest (the fuzz helper runs it far harder)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.records import QuarantineReason
from logsieve.service.ingest_body import UnsupportedMediaType, media_kind, split_body


def test_text_lines_crlf_bom_and_final_line():
    batch = split_body(b"\xef\xbb\xbfa one\r\nb two\nc three", "text/plain; charset=utf-8", 100)
    assert batch.lines == ["a one", "b two", "c three"]
    assert batch.quarantined == [] and batch.sources == [None, None, None]


def test_text_bad_utf8_and_too_long_are_quarantined_with_reasons():
    batch = split_body(b"ok\n\xff\xfe bad\n" + b"x" * 11 + b"\nlast\n", "text/plain", 10)
    assert batch.lines == ["ok", "last"]
    reasons = [(q.line_no, q.reason) for q in batch.quarantined]
    assert reasons == [(2, QuarantineReason.DECODE_ERROR), (3, QuarantineReason.TOO_LONG)]


def test_ndjson_objects_sources_and_bad_objects():
    body = b"\n".join([
        json.dumps({"line": "hello", "source": "app1"}).encode(),
        json.dumps({"line": "plain"}).encode(),
        b"{not json",
        json.dumps(["line"]).encode(),
        json.dumps({"line": 5}).encode(),
        json.dumps({"line": "a\nb"}).encode(),
        b'{"line": "\\ud800"}',
        b"",
    ])
    batch = split_body(body, "application/x-ndjson", 100)
    assert batch.lines == ["hello", "plain"]
    assert batch.sources == ["app1", None]
    assert [q.line_no for q in batch.quarantined] == [3, 4, 5, 6, 7]
    assert all(q.reason is QuarantineReason.BAD_NDJSON and q.detail for q in batch.quarantined)


def test_media_kinds():
    assert media_kind("application/x-ndjson") == "ndjson"
    assert media_kind("text/plain; charset=latin-1") is None
    assert media_kind("application/json") is None
    with pytest.raises(UnsupportedMediaType):
        split_body(b"x", "application/json", 10)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), ndjson=st.booleans(), limit=st.integers(1, 50))
def test_never_raises_and_accounts_for_every_line(body, ndjson, limit):
    ctype = "application/x-ndjson" if ndjson else "text/plain"
    batch = split_body(body, ctype, limit)
    assert len(batch.sources) == len(batch.lines) == len(batch.positions)
    assert sorted(batch.positions + [q.line_no for q in batch.quarantined]) == sorted(set(batch.positions + [q.line_no for q in batch.quarantined]))
    for line in batch.lines:
        assert len(line.encode("utf-8")) <= limit and "\n" not in line
    if not ndjson:  # text: every line is either accepted or quarantined
        pieces = body.removeprefix(b"\xef\xbb\xbf").split(b"\n")
        expected = len(pieces) - (1 if pieces[-1] == b"" else 0)
        assert len(batch.lines) + len(batch.quarantined) == expected
