"""Property tests for the non-regex formats and the shape-based time reader: no input makes
them raise, and generated records read back to what they were made of."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.ingest import get_format
from logsieve.ingest.anytime import parse_time
from logsieve.ingest.detect import detect_format
from logsieve.ingest.families import FAMILY_FORMATS

TIMES = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(tzinfo=timezone.utc))
WORD = st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters='"=\\[]:'), min_size=1, max_size=12)
MESSAGE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60).map(str.strip)
LEVELS = st.sampled_from(["info", "warn", "error", "debug"])


def iso(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_no_family_format_raises_on_any_text(line):
    for fmt in FAMILY_FORMATS:
        parsed = fmt.parse(line)
        if parsed is not None:
            fields, content = parsed
            assert set(fields) == set(fmt.fields) and isinstance(content, str)
            fmt.timestamp_of(fields)


@settings(max_examples=100)
@given(st.lists(st.text(max_size=120), max_size=30))
def test_detection_never_raises_and_scores_in_range(lines):
    guess = detect_format(lines)
    assert 0.0 <= guess.confidence <= 1.0 and guess.format


@given(TIMES)
def test_iso_times_read_back(d):
    assert parse_time(iso(d)) == d.timestamp()
    assert parse_time(d.strftime("%Y-%m-%d %H:%M:%S,") + f"{d.microsecond // 1000:03d}") == \
        d.replace(microsecond=d.microsecond // 1000 * 1000).timestamp()
    shifted = d.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert parse_time(shifted.isoformat()) == d.timestamp()


@given(TIMES, LEVELS, MESSAGE, WORD)
def test_json_records_round_trip(d, level, msg, service):
    line = json.dumps({"time": iso(d), "level": level, "msg": msg, "service": service, "extra": [1]})
    fields, content = get_format("json").parse(line)
    assert (fields["Level"], fields["Service"], content) == (level, service, msg)
    assert get_format("json").timestamp_of(fields) == d.timestamp()


@given(TIMES, LEVELS, MESSAGE, WORD)
def test_logfmt_records_round_trip(d, level, msg, key):
    quoted = '"' + msg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    line = f"time={iso(d)} level={level} {key}x=1 msg={quoted}"
    fields, content = get_format("logfmt").parse(line)
    assert (fields["Level"], content) == (level, msg)
    assert get_format("logfmt").timestamp_of(fields) == d.timestamp()


@given(TIMES, st.sampled_from(["stdout", "stderr"]), st.sampled_from("FP"), MESSAGE)
def test_cri_records_round_trip(d, stream, tag, msg):
    fields, content = get_format("cri").parse(f"{d.strftime('%Y-%m-%dT%H:%M:%S.%f')}123Z {stream} {tag} {msg}")
    assert (fields["Stream"], fields["Tag"], content) == (stream, tag, msg)
    assert get_format("cri").timestamp_of(fields) == d.timestamp()


@given(TIMES, st.integers(0, 191), st.from_regex(r"[a-z][a-z0-9.-]{0,15}", fullmatch=True),
       st.from_regex(r"[A-Za-z][\w./-]{0,20}", fullmatch=True), st.integers(1, 99999), MESSAGE)
def test_syslog_records_round_trip(d, pri, host, app, pid, msg):
    line = f"<{pri}>{d.strftime('%b')} {d.day:2d} {d.strftime('%H:%M:%S')} {host} {app}[{pid}]: {msg}"
    fields, content = get_format("syslog-3164").parse(line)
    assert (fields["Pri"], fields["Host"], fields["App"], fields["Pid"], content) == (str(pri), host, app, str(pid), msg)
    line = f"<{pri}>1 {iso(d)} {host} {app} {pid} - - {msg}"
    fields, content = get_format("syslog-5424").parse(line)
    assert (fields["Host"], fields["App"], fields["ProcId"], content) == (host, app, str(pid), msg)
    assert get_format("syslog-5424").timestamp_of(fields) == d.timestamp()


@given(TIMES, LEVELS, MESSAGE.filter(lambda m: m[:1].isalpha()))
def test_stamped_records_round_trip(d, level, msg):
    fields, content = get_format("stamped").parse(f"{d.strftime('%Y-%m-%d %H:%M:%S')} {level.upper()} {msg}")
    assert (fields["Level"], content) == (level.upper(), msg)
    assert get_format("stamped").timestamp_of(fields) == d.replace(microsecond=0).timestamp()


def test_a_leveled_log_without_times_keeps_its_level(tmp_path):
    from logsieve.ingest import read_records
    from logsieve.ingest.detect import detect_file_format

    log = tmp_path / "nova.log"
    log.write_text("INFO nova.compute.claims [req-1] Claim successful on node a\n"
                   "ERROR nova.compute.manager [req-2] Instance failed to spawn\n"
                   "WARNING nova.virt [req-3] Timeout waiting for vif\n" * 5, "utf-8")
    guess = detect_file_format(log)
    assert guess.format == "leveled" and guess.confidence == 1.0
    recs = list(read_records([log]))
    assert recs[1].fields["Level"] == "ERROR" and recs[1].content.startswith("nova.compute.manager")
    assert recs[1].timestamp is None
