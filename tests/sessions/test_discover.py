"""Grouping discovery: synthetic logs with known ids (or none), then real loghub logs."""

from __future__ import annotations

import csv
import json
import random
import re
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from logsieve.evaluate.loghub import default_data_dir
from logsieve.ingest import get_format
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainParser
from logsieve.records import LogRecord, ParsedLine
from logsieve.sessions import (
    FixedWindowConfig,
    GroupingChoice,
    SessionConfig,
    TimeWindowConfig,
    discover_grouping,
    make_grouper,
)
from logsieve.sessions.discover import NICE_SECONDS, DiscoveryConfig, shape_regex, token_shape



def _data_dir() -> Path:
    """The shared data folder (``$LOGSIEVE_DATA_DIR`` or a ``shared/data`` above), or a path
    that does not exist, so the real-log tests skip where the data is absent."""
    try:
        return default_data_dir()
    except FileNotFoundError:
        return Path("/nonexistent/shared/data")


DATA = _data_dir()
T0 = 1_700_000_000.0


def _line(content: str, i: int, ts: float | None, params: tuple[str, ...] = ()) -> ParsedLine:
    return ParsedLine(LogRecord("app.log", i + 1, content, {}, ts), 1, content, params)


def _parsed(path: Path, fmt: str) -> list[ParsedLine]:
    """Lines through the project's own parse path (reader, format, Drain), as `learn` gets them."""
    job = ParseJobConfig((str(path),), get_format(fmt))
    return list(parse_stream(job, DrainParser(), ParseSummary()))


def _uuid_requests(n_requests: int = 300, seed: int = 7) -> list[ParsedLine]:
    """Interleaved requests of 4 lines each, keyed by a uuid, plus id-free heartbeat lines."""
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(n_requests)]
    events = []
    for k, rid in enumerate(ids):
        start = k * 0.5
        steps = ["request {} received from 10.0.0.{} port 8080", "request {} auth ok for user42",
                 "request {} wrote 64MB", "request {} done in {} ms"]
        for j, step in enumerate(steps):
            events.append((start + j * 1.3, step.format(rid, rng.randint(1, 250)) if j != 3
                           else step.format(rid, rng.randint(1, 900))))
    for k in range(n_requests // 2):
        events.append((k * 1.0, f"heartbeat 2023-11-14 12:00:{k % 60:02d} load {rng.random():.2f}"))
    events.sort()
    return [_line(text, i, T0 + t) for i, (t, text) in enumerate(events)]


def test_uuid_requests_become_sessions_one_per_request() -> None:
    lines = _uuid_requests()
    choice = discover_grouping(lines)
    assert choice.kind == "session"
    assert isinstance(choice.grouping, SessionConfig)
    pattern = re.compile(choice.grouping.id_pattern)
    # the pattern finds the request ids and nothing of other shapes (time, IP, sizes, numbers)
    assert pattern.findall("2023-11-14 12:00:01 10.0.0.7:8080 wrote 64MB in 123 ms, pid 4242") == []
    seqs = list(make_grouper(choice.grouping).group(lines))
    sessions = [s for s in seqs if "#u" not in s.key]
    assert len(sessions) == 300 and all(len(s) == 4 for s in sessions)
    # the 150 lines without a request id are judged too, in windows of their own
    assert choice.grouping.unkeyed_lines == 20 and "windows of 20 lines" in choice.reason
    assert sum(len(s) for s in seqs if "#u" in s.key) == 150
    best = choice.candidates[0]
    assert best.qualifies and best.distinct_ids == 300 and best.median_lines == 4
    assert best.coverage == round(1200 / 1350, 4)
    assert "recur across 4 lines each on median" in choice.reason and "89% of lines" in choice.reason
    # generous idle timeout: no request is cut in two
    assert choice.grouping.idle_seconds is not None and choice.grouping.idle_seconds >= 60


def test_hex_trace_ids_win_over_single_line_span_ids() -> None:
    """W3C trace context: a 32-hex trace id spans a request, a 16-hex span id names one line."""
    rng = random.Random(3)
    lines = []
    for k in range(200):
        trace = f"{rng.getrandbits(128):032x}"
        for j in range(rng.randint(3, 6)):
            span = f"{rng.getrandbits(64):016x}"
            lines.append(f"trace_id={trace} span_id={span} svc=cart step {j} ok")
    rng.shuffle(lines)  # traces interleave; without timestamps, no idle timeout is proposed
    parsed = [_line(text, i, None) for i, text in enumerate(lines)]
    choice = discover_grouping(parsed)
    assert choice.kind == "session"
    assert choice.grouping.id_pattern == r"(?<![\w-])[0-9a-f]{32}(?![\w-])"
    assert choice.grouping.idle_seconds is None
    span_shape = next(c for c in choice.candidates if "{16}" in c.pattern)
    assert not span_shape.qualifies and span_shape.median_lines == 1
    assert len(list(make_grouper(choice.grouping).group(parsed))) == 200


def test_no_ids_with_timestamps_gives_time_windows_sized_from_the_rate() -> None:
    # 10 lines a second: 2 s windows hold 20 lines, 5 s hold 50; 20 is nearer 30 on a log scale
    lines = [_line(f"worker {i % 7} processed batch of {i % 13} items", i, T0 + i / 10) for i in range(3000)]
    choice = discover_grouping(lines)
    assert choice.kind == "time"
    assert isinstance(choice.grouping, TimeWindowConfig)
    assert choice.grouping.span == choice.grouping.step == 2.0
    assert choice.stats["median_window_lines"] == 20
    assert "2 s windows" in choice.reason and "100% of lines have a timestamp" in choice.reason


def test_span_is_a_nice_value_near_the_target() -> None:
    # one line every 7 s: 30 lines take 210 s, so 5 min windows (about 43 lines) beat 2 min (17)
    lines = [_line(f"tick {i % 5}", i, T0 + 7 * i) for i in range(2000)]
    choice = discover_grouping(lines, DiscoveryConfig(target_lines=30))
    assert choice.grouping.span in NICE_SECONDS and choice.grouping.span == 300


def test_no_timestamps_gives_fixed_windows() -> None:
    lines = [_line(f"worker {i % 7} processed batch", i, None) for i in range(500)]
    choice = discover_grouping(lines)
    assert choice.kind == "fixed"
    assert choice.grouping == FixedWindowConfig(size=20)
    assert "no line has a timestamp" in choice.reason


def test_few_timestamps_gives_fixed_windows() -> None:
    lines = [_line("job step", i, T0 + i if i % 2 else None) for i in range(500)]
    choice = discover_grouping(lines)
    assert choice.kind == "fixed" and "only 50% of lines have a timestamp" in choice.reason


def test_empty_input_gives_fixed_windows() -> None:
    choice = discover_grouping([])
    assert choice.kind == "fixed" and choice.sample_lines == 0 and choice.candidates == ()


def test_ids_seen_once_do_not_make_sessions() -> None:
    """An access log names a fresh request id on every line: sessions would be single lines."""
    lines = [_line(f"GET /index req-{uuid.UUID(int=i)} 200", i, T0 + i) for i in range(1000)]
    choice = discover_grouping(lines)
    assert choice.kind == "time"
    assert choice.candidates[0].median_lines == 1 and not choice.candidates[0].qualifies
    assert "the median id is on 1 line(s)" in choice.reason


def test_a_handful_of_hosts_is_not_a_session_key() -> None:
    lines = [_line(f"node-{i % 4} heartbeat ok", i, T0 + i) for i in range(1000)]
    choice = discover_grouping(lines)
    assert choice.kind == "time"
    assert choice.candidates[0].distinct_ids == 4 and "4 distinct id(s), fewer than 10" in choice.reason


def test_prefixed_ids_keep_their_prefix_and_sign() -> None:
    rng = random.Random(1)
    blocks = [rng.randint(-(10**18), 10**18) for _ in range(50)]
    lines = [_line(f"Receiving block blk_{b} src: /10.0.0.1:50010 size 67108864", i, None)
             for i, b in enumerate(blocks * 3)]
    choice = discover_grouping(lines)
    assert choice.grouping.id_pattern == r"(?<![A-Za-z0-9])blk_-?\d+"
    assert choice.candidates[0].distinct_ids == 50


def test_sample_is_the_head_and_bounded() -> None:
    lines = _uuid_requests()
    choice = discover_grouping(iter(lines), DiscoveryConfig(max_sample_lines=100))
    assert choice.sample_lines == 100


def test_as_dict_is_json_and_round_trips() -> None:
    choice = discover_grouping(_uuid_requests())
    data = json.loads(json.dumps(choice.as_dict()))
    assert data["kind"] == "session" and data["grouping"]["kind"] == "session"
    assert data["candidates"][0]["pattern"] == choice.grouping.id_pattern
    assert GroupingChoice.from_dict(data) == choice


@pytest.mark.parametrize("token", ["blk_-42", "req-5f0c9d3e-1c1d-4c8e-9a3b-2f4d5e6f7a8b", "job_123_45",
                                   "attempt_1445144423722_0020_m_000001_0", "container_e01_1445_0001_01_000002",
                                   "4bf92f3577b34da6a3ce929d0e0e4736", "0x24ed93119420016", "MININT-FNANLI5"])
def test_identifiers_have_a_shape_that_finds_them(token: str) -> None:
    got = token_shape(token)
    assert got is not None
    match = re.search(shape_regex(*got), f"saw [{token}] here")
    assert match is not None and match.group() == token


@pytest.mark.parametrize("token", ["12345", "2023-11-14", "2015-10-18T18", "64MB", "1024KiB", "100ms", "u0",
                                   "t761", "0x1", "v2", "-42", "error"])
def test_non_identifiers_have_no_shape(token: str) -> None:
    assert token_shape(token) is None


def test_signed_and_unsigned_numbers_share_a_shape() -> None:
    neg, pos = token_shape("blk_-42"), token_shape("blk_7")
    assert neg is not None and pos is not None and neg[0] == pos[0]
    assert shape_regex(neg[0], neg[1] | pos[1]) == r"(?<![A-Za-z0-9])blk_-?\d+"


_TOKENS = st.text(alphabet="abcdefxyzABF0123456789_-", min_size=1, max_size=40).filter(
    lambda t: re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?", t) is not None)


@settings(max_examples=300, deadline=None)
@given(_TOKENS)
def test_a_tokens_own_shape_finds_exactly_it(token: str) -> None:
    """Whatever counts as an id, the regex built from its shape finds it whole in a line."""
    got = token_shape(token)
    if not any(c.isdigit() for c in token):
        assert got is None  # an id has a variable part, and every variable part holds a digit
    assume(got is not None)
    match = re.search(shape_regex(*got), f"x {token} y")
    assert match is not None and match.group() == token


# --- real logs (skipped where the shared data is absent) ---------------------------------------

HDFS_SAMPLE = DATA / "hdfs_sample" / "HDFS_sample.log.gz"
LOGHUB = DATA / "loghub_2k"


@pytest.mark.skipif(not HDFS_SAMPLE.exists(), reason="needs shared/data/hdfs_sample")
def test_hdfs_sample_chooses_block_ids_and_groups_the_datasets_blocks() -> None:
    lines = _parsed(HDFS_SAMPLE, "HDFS")
    cpu = time.process_time()
    choice = discover_grouping(lines)
    cpu = time.process_time() - cpu
    assert cpu < 2.0, f"discovery took {cpu:.2f} s of CPU on {len(lines):,} lines"
    assert choice.kind == "session" and choice.sample_lines == 50_000
    assert "blk_" in choice.candidates[0].example and choice.candidates[0].coverage == 1.0
    ours, theirs = re.compile(choice.grouping.id_pattern), re.compile(r"blk_-?\d+")
    assert all(ours.findall(line.record.content) == theirs.findall(line.record.content) for line in lines)
    grouper = make_grouper(choice.grouping)
    seqs = list(grouper.group(lines))
    with (HDFS_SAMPLE.parent / "anomaly_label.csv").open() as fh:
        labelled = {row["BlockId"] for row in csv.DictReader(fh)}
    # the idle timeout and caps split no block: one sequence per labelled block
    assert len(seqs) == len(labelled) == 11_501 and {s.key for s in seqs} == labelled
    assert grouper.stats.split == grouper.stats.evicted == 0


@pytest.mark.skipif(not LOGHUB.exists(), reason="needs shared/data/loghub_2k")
def test_openstack_chooses_instance_uuids() -> None:
    """Request ids sit in the header (the ADDR field), not in the content the grouper searches.
    In the content the uuid shape is mostly instance uuids (`[instance: <uuid>]`); one image id
    (the image cache's lines) and port ids of `network-vif-plugged` events (one line each) share it."""
    lines = _parsed(LOGHUB / "OpenStack" / "OpenStack_2k.log", "OpenStack")
    choice = discover_grouping(lines)
    assert choice.kind == "session"
    pattern = re.compile(choice.grouping.id_pattern)
    assert pattern.fullmatch("b9000564-fe1a-409b-b8cc-1e88b294cd1d")
    per_line = [set(pattern.findall(line.record.content)) for line in lines]
    instances = {m for line in lines for m in re.findall(r"\[instance: ([0-9a-f-]{36})\]", line.record.content)}
    assert instances and instances <= set().union(*per_line)
    with_id = [ids for ids in per_line if ids]
    assert sum(bool(ids & instances) for ids in with_id) >= 0.7 * len(with_id)
    assert choice.candidates[0].median_lines >= 2 and choice.candidates[0].coverage >= 0.3


@pytest.mark.skipif(not LOGHUB.exists(), reason="needs shared/data/loghub_2k")
def test_bgl_chooses_time_windows() -> None:
    choice = discover_grouping(_parsed(LOGHUB / "BGL" / "BGL_2k.log", "BGL"))
    assert choice.kind == "time"
    assert not any(c.qualifies for c in choice.candidates)
