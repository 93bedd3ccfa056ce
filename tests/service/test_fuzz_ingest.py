"""Fuzzing the way in: arbitrary bytes and content types through ``split_body``, the file and
stream readers of ``logsieve.ingest``, and the real app's ``POST /ingest``.

The promise under test: no input crashes anything, no request gets a 5xx, and every line that
cannot be taken is quarantined with a reason (never dropped silently). ``benchmarks/fuzz.py``
runs the same checks on 100,000+ inputs; these few thousand keep the suite fast.
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logsieve.ingest import IngestStats, read_lines, read_records
from logsieve.ingest.splitter import RAW_PREFIX_BYTES
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord
from logsieve.service.ingest_body import UnsupportedMediaType, media_kind, split_body

REASONS = set(QuarantineReason)
LOG_LINES = ["081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3886 terminating",
             "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS "
             "KERNEL INFO instruction cache parity error corrected",
             "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", "", " ", "\t", "ü∂ 漢字 🚀"]

content_types = st.one_of(
    st.sampled_from(["text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN;charset=\"UTF-8\"", "text/plain; charset=latin-1",
                     "application/x-ndjson", "application/ndjson; charset=utf-8", "application/jsonl",
                     "application/json", "multipart/form-data; boundary=x", "", ";", "text/plain;;;charset=",
                     "application/x-ndjson; charset=utf-16"]),
    st.text(max_size=40))
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=10)
ndjson_objects = st.one_of(
    st.fixed_dictionaries({"line": st.one_of(st.sampled_from(LOG_LINES), st.text(max_size=200))},
                          optional={"source": st.one_of(st.text(max_size=20), st.integers(), st.none()), "x": json_values}),
    json_values)


@st.composite
def bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "text", "ndjson"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    if kind == "text":
        lines = draw(st.lists(st.one_of(st.sampled_from(LOG_LINES), st.text(max_size=80)), max_size=10))
        raw = draw(st.sampled_from(["\n", "\r\n"])).join(lines).encode("utf-8", "surrogatepass")
    else:
        objs = draw(st.lists(ndjson_objects, max_size=8))
        raw = b"\n".join(json.dumps(o, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass") for o in objs)
    # corrupt it a little: invalid UTF-8, stray newlines, a byte-order mark, truncation
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\n", b"\r", b"\x00", b"{",
                                               b"\xef\xbb\xbf", b""])) + raw[at:]
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


def check_batch(body: bytes, ctype: str, limit: int):
    """split_body's whole contract for one input; returns the batch (None for a 415)."""
    if media_kind(ctype) is None:
        with pytest.raises(UnsupportedMediaType):
            split_body(body, ctype, limit)
        return None
    batch = split_body(body, ctype, limit)
    assert len(batch.lines) == len(batch.sources) == len(batch.positions)
    numbers = batch.positions + [q.line_no for q in batch.quarantined]
    assert len(numbers) == len(set(numbers))  # each line of the body is taken once at most
    for line in batch.lines:
        assert isinstance(line, str) and len(line.encode("utf-8")) <= limit and "\n" not in line
    for q in batch.quarantined:
        assert q.reason in REASONS and q.detail and len(q.raw) <= RAW_PREFIX_BYTES and q.line_no >= 1
    pieces = body.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    n = len(pieces) - (1 if pieces[-1] == b"" else 0)
    if media_kind(ctype) == "text":
        assert len(numbers) == n  # every line accepted or quarantined
    else:
        blank = sum(1 for p in pieces[:n] if not p.removesuffix(b"\r").strip())
        assert len(numbers) + blank == n  # only blank separator lines are skipped
    return batch


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies(), ctype=content_types, limit=st.integers(1, 300))
def test_split_body_never_raises_and_quarantines_with_reasons(body, ctype, limit):
    check_batch(body, ctype, limit)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies(), fmt=st.sampled_from(["raw", "HDFS", "BGL", "Apache"]), limit=st.integers(1, 400),
       chunk=st.integers(1, 64))
def test_readers_take_or_quarantine_every_line_whatever_the_chunking(body, fmt, limit, chunk):
    stats = IngestStats()
    items = list(read_records(io.BytesIO(body), fmt, max_line_bytes=limit, stats=stats, chunk_bytes=chunk))
    assert stats.consistent and stats.lines_read == len(items)
    for item in items:
        assert isinstance(item, (LogRecord, QuarantineRecord))
        if isinstance(item, QuarantineRecord):
            assert item.reason in REASONS and item.detail
    whole = list(read_records(io.BytesIO(body), fmt, max_line_bytes=limit))
    # block boundaries change nothing (but the raw prefix a too-long line keeps, which can be
    # shorter with tiny blocks: bounded either way)
    assert [_shape(x) for x in whole] == [_shape(x) for x in items]
    raw = list(read_lines(io.BytesIO(body), max_line_bytes=limit, chunk_bytes=chunk))
    assert len(raw) == len(items)


def _shape(item):
    if isinstance(item, QuarantineRecord):
        return ("q", item.line_no, item.reason, item.detail)
    return item


# ------------------------------------------------------------------------ the real app

@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    from fastapi.testclient import TestClient
    from serve_support import GROUPING, trained_model

    from logsieve.service.app import Service, create_app
    from logsieve.service.config import ServeConfig

    cfg = ServeConfig(model=trained_model(tmp_path_factory.getbasetemp()), store=tmp_path_factory.mktemp("fuzz") / "s.db",
                      llm=None, grouping=GROUPING, batch_size=64, max_wait_s=0.5, max_body_bytes=4096,
                      max_line_bytes=256)
    service = Service(cfg)
    with TestClient(create_app(service, None), raise_server_exceptions=False) as client:
        yield client, service


sources = st.one_of(st.none(), st.sampled_from(["app", "x" * 201, "", "a\x00b", "ü/日志", "%00", "a b"]), st.text(max_size=30))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(body=st.one_of(bodies(), st.binary(min_size=4000, max_size=5000)), ctype=content_types, source=sources)
def test_ingest_endpoint_never_5xx_and_counts_match_split_body(app_client, body, ctype, source):
    client, service = app_client
    params = {} if source is None else {"source": source}
    # headers travel as bytes: what the server sees is their Latin-1 reading
    headers = {"Content-Type": ctype.encode("utf-8", "surrogatepass")} if ctype else {}
    ctype = ctype.encode("utf-8", "surrogatepass").decode("latin-1")
    r = client.post("/ingest", content=body, headers=headers, params=params)
    assert r.status_code < 500, r.text
    assert r.status_code in (202, 413, 415, 422), r.status_code
    if r.status_code == 202:
        batch = split_body(body, ctype, service.config.max_line_bytes)
        doc = r.json()
        assert (doc["accepted"], doc["quarantined"]) == (len(batch.lines), len(batch.quarantined))
    elif r.status_code == 413:
        assert len(body) > service.config.max_body_bytes
    elif r.status_code == 415:
        assert media_kind(ctype) is None


def test_every_quarantined_line_in_the_store_has_a_reason(app_client):
    client, service = app_client
    r = client.post("/ingest?source=fuzz-check", content=b"ok\n\xff\xfe\n" + b"x" * 300 + b"\n",
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 202 and r.json()["quarantined"] == 2
    rows = service.store.connection.execute("SELECT reason, detail FROM service_quarantine").fetchall()
    assert len(rows) >= 2 and all(reason in {q.value for q in REASONS} and detail for reason, detail in rows)
    assert client.get("/health").status_code == 200
