"""Log formats: presets against the real loghub files, the logparser reference, user YAML, errors."""

from __future__ import annotations

import csv
import string
import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import SYSTEMS, logparser_parse, logparser_regex

from logsieve.ingest import FormatError, IngestStats, LogFormat, get_format, list_formats, load_formats, read_records
from logsieve.records import LogRecord

# The corrected loghub CSV inserted blanks into this one line that the raw log does not have
# ("totalSteps=7163Calories:..." in the log, "totalSteps=7163 Calories:..." in the CSV).
GROUND_TRUTH_EDITS = {("HealthApp", 702)}


def _csv_rows(folder, system):
    with open(folder / f"{system}_2k.log_structured_corrected.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _same_as_csv(ours: str, cell: str) -> bool:
    """The CSVs went through pandas: NULL became empty, numbers lost leading zeros or gained .0."""
    return ours == cell or (ours == "NULL" and cell == "") or (ours.lstrip("0") or "0") == cell or ours + ".0" == cell


@pytest.mark.parametrize("system", SYSTEMS)
def test_preset_parses_every_line_of_its_loghub_file(system, loghub_2k):
    folder = loghub_2k / system
    fmt = get_format(system)
    stats = IngestStats()
    records = list(read_records([folder / f"{system}_2k.log"], fmt, stats=stats))
    assert stats.records == stats.lines_read == 2000 and stats.quarantined == 0
    rows = _csv_rows(folder, system)
    assert len(rows) == len(records)
    for rec, row in zip(records, rows):
        assert isinstance(rec, LogRecord)
        if (system, rec.line_no) in GROUND_TRUTH_EDITS:
            assert rec.content.split() != row["Content"].split()
            assert "".join(rec.content.split()) == "".join(row["Content"].split())
        else:
            assert rec.content == row["Content"], rec.line_no
        assert set(rec.fields) == set(fmt.fields)
        for name, value in rec.fields.items():
            assert _same_as_csv(value, row[name]), (rec.line_no, name, value, row[name])
        assert rec.timestamp is not None


@pytest.mark.parametrize("system", SYSTEMS)
def test_preset_agrees_with_the_plain_logparser_regex(system, loghub_2k):
    fmt = get_format(system)
    reference = logparser_regex(fmt.pattern)
    for line in (loghub_2k / system / f"{system}_2k.log").read_text("utf-8").splitlines():
        assert fmt.parse(line) == logparser_parse(reference, line, strip=True)


@pytest.mark.parametrize("system", SYSTEMS)
def test_preset_timestamps_equal_strptime(system, loghub_2k):
    """The fast time parser against datetime.strptime on every line (epoch specs: float())."""
    fmt = get_format(system)
    spec = fmt.timestamp
    for line in (loghub_2k / system / f"{system}_2k.log").read_text("utf-8").splitlines()[:500]:
        fields, _ = fmt.parse(line)
        text = " ".join(fields[f] for f in spec.fields)
        if spec.format == "epoch":
            expected = float(text)
        else:
            fmt_str, text = (f"%Y {spec.format}", f"{spec.default_year} {text}") if spec.default_year else (spec.format, text)
            expected = datetime.strptime(text, fmt_str).replace(tzinfo=timezone.utc).timestamp()
        assert fmt.timestamp_of(fields) == pytest.approx(expected, abs=1e-6)


def test_hdfs_fields_and_timestamp():
    fmt = get_format("hdfs")
    fields, content = fmt.parse("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating")
    assert fields == {"Date": "081109", "Time": "203615", "Pid": "148", "Level": "INFO",
                      "Component": "dfs.DataNode$PacketResponder"}
    assert content == "PacketResponder 1 terminating"
    assert fmt.timestamp_of(fields) == 1226262975.0  # 2008-11-09 20:36:15 UTC


def test_optional_fields_are_empty_strings_not_missing():
    fmt = get_format("Linux")
    with_pid, _ = fmt.parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown")
    without, content = fmt.parse("Jun 14 15:16:02 combo kernel: Linux version 2.6.5")
    assert with_pid["PID"] == "19939" and without["PID"] == "" and content == "Linux version 2.6.5"
    assert set(with_pid) == set(without) == set(fmt.fields)


def test_bad_time_keeps_the_line_with_no_timestamp(tmp_path):
    f = tmp_path / "x.log"
    f.write_text("999999 999999 1 INFO x: y\n081109 203615 148 INFO a.B: ok\n")
    stats = IngestStats()
    recs = list(read_records([f], get_format("HDFS"), stats=stats))
    assert [r.timestamp for r in recs] == [None, 1226262975.0]
    assert stats.quarantined == 0


def test_raw_format_keeps_the_line_as_is():
    raw = get_format("raw")
    assert raw.parse("  anything: at all  ") == ({}, "  anything: at all  ")
    assert raw.fields == () and raw.timestamp is None


FAMILIES = {"json", "docker", "cri", "logfmt", "syslog-3164", "syslog-5424", "stamped", "leveled"}


def test_list_formats_has_the_16_presets_raw_and_the_families():
    names = {f.name for f in list_formats()}
    assert names == set(SYSTEMS) | {"raw"} | FAMILIES


def test_unknown_format_lists_the_known_ones():
    with pytest.raises(FormatError, match=r"unknown log format 'NoSuchSystem'; known formats: .*HDFS.*raw"):
        get_format("NoSuchSystem")


def test_user_yaml_adds_a_format(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(
        "formats:\n"
        "  myapp:\n"
        "    pattern: '<Date> <Time> \\[<Level>\\] <Content>'\n"
        "    timestamp: {fields: [Date, Time], format: '%Y-%m-%d %H:%M:%S'}\n"
        "  short: '<Level>: <Content>'\n"
    )
    fmt = get_format("myapp", extra_paths=(f,))
    fields, content = fmt.parse("2024-01-02 03:04:05 [WARN] disk almost full")
    assert fields["Level"] == "WARN" and content == "disk almost full"
    assert fmt.timestamp_of(fields) == 1704164645.0
    assert get_format("SHORT", extra_paths=[f]).parse("E: boom") == ({"Level": "E"}, "boom")
    merged = load_formats(f)
    assert {"myapp", "short", "HDFS", "raw"} <= set(merged)
    assert "myapp" in {x.name for x in list_formats(f)}  # one path is one file, not characters


def test_user_format_replaces_a_preset_ignoring_case(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("formats:\n  hdfs: '<Pid> <Content>'\n")
    assert get_format("HDFS", extra_paths=[f]).pattern == "<Pid> <Content>"
    assert [x.name for x in list_formats([f])].count("hdfs") == 1
    assert "HDFS" not in {x.name for x in list_formats([f])}


@pytest.mark.parametrize("text, message", [
    ("nothing: here\n", "top-level 'formats:'"),
    ("formats: [a, b]\n", "top-level 'formats:'"),
    ("formats:\n  a: {nopattern: 1}\n", "format 'a': pattern: Field required; nopattern: Extra inputs"),
    ("formats:\n  a: 42\n", "pattern string or a mapping"),
    ("formats:\n  a: '<Date> <Time>'\n", "exactly one <Content>"),
    ("formats:\n  a: '<1x> <Content>'\n", "identifier"),
    ("formats:\n  a: '<A> <A> <Content>'\n", "appears twice"),
    ("formats:\n  a: '<A> [<B>] <Content>'\n", r"unclosed '\['.*write \\\["),
    ("formats:\n  a: '<A> (<B> <Content>'\n", "does not compile"),
    ("formats:\n  a: {pattern: '<A> <Content>', timestamp: {fields: [B], format: '%H'}}\n", r"\['B'\] are not header fields"),
    ("formats:\n  a: {pattern: '<A> <Content>', strip: maybe}\n", "strip"),
    ("formats:\n  a: '<A> <Content>'\n  A: '<B> <Content>'\n", "defined twice"),
    ("formats: {a: '<Content>'}\nextra: 1\n", "unknown top-level"),
    ("formats: {a: [\n", "not valid YAML"),
])
def test_bad_format_files_say_what_is_wrong(tmp_path, text, message):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(FormatError, match=message) as info:
        load_formats(f)
    assert str(f) in str(info.value)


def test_missing_formats_file_is_a_clear_error(tmp_path):
    with pytest.raises(FormatError, match="formats file not found"):
        get_format("HDFS", extra_paths=[tmp_path / "nope.yaml"])


def test_content_need_not_be_last():
    fmt = LogFormat("tail-level", r"<Content> \[<Level>\]")
    assert fmt.parse("a [b] c [WARN]") == ({"Level": "WARN"}, "a [b] c")
    assert fmt.parse("no level here") is None


def test_header_must_end_within_max_header_chars():
    fmt = LogFormat("kv", "<Key>=<Content>", max_header_chars=8)
    assert fmt.parse("short=value") == ({"Key": "short"}, "value")
    assert fmt.parse("much_longer_key=value") is None
    assert LogFormat("sp", "<A> <Content>", max_header_chars=4).parse("abc" + " " * 10 + "x") == ({"A": "abc"}, "x")


ADVERSARIAL = {
    "words": "a " * 200_000,
    "brackets": "a b c d " + "[" * 400_000,
    "bracket pairs": "a b c d e [" + "x] [" * 100_000,
    "colons": "a: " * 100_000,
    "blanks": "a" + " " * 400_000 + "b",
    "pipes": "x|" * 200_000,
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_lines_that_do_not_match_cost_bounded_time(system):
    """The plain logparser regex needs minutes for an HDFS header against 400 chars of words."""
    fmt = get_format(system)
    for line in ADVERSARIAL.values():
        start = time.perf_counter()
        fmt.parse(line)
        assert time.perf_counter() - start < 1.0


_ALPHABET = string.ascii_letters[:4] + string.digits[:3] + " :[]()|-,.@\t"


@settings(max_examples=300, deadline=None)
@given(system=st.sampled_from(SYSTEMS), line=st.text(alphabet=_ALPHABET, max_size=40))
def test_where_a_preset_matches_it_agrees_with_logparser(system, line):
    """The safeguards only ever turn a match into no match, never into a different match."""
    fmt = get_format(system)
    ours = fmt.parse(line)
    if ours is not None:
        assert ours == logparser_parse(logparser_regex(fmt.pattern), line, strip=True)


_TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "._-/$", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_TOKEN, min_size=5, max_size=5), content=st.text(max_size=60).map(str.strip).filter(bool))
def test_lines_written_from_a_template_parse_back(values, content):
    fmt = get_format("HDFS")
    header = dict(zip(("Date", "Time", "Pid", "Level", "Component"), values))
    line = "{Date} {Time} {Pid} {Level} {Component}: ".format(**header) + content
    assert fmt.parse(line) == (header, content)


def test_formats_pickle_for_worker_processes():
    import pickle

    fmt = get_format("Linux")
    copy = pickle.loads(pickle.dumps(fmt))
    line = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"
    assert copy == fmt and copy.parse(line) == fmt.parse(line)
    assert copy.timestamp_of(copy.parse(line)[0]) == fmt.timestamp_of(fmt.parse(line)[0])
