"""Format detection and multi-line records (issue 19): the loghub logs, the fixtures of
tests/fixtures/formats, per-file detection in a mixed directory, and the join's limits."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from logsieve.ingest import IngestStats, read_records
from logsieve.ingest.detect import FormatGuess, detect_file_format, detect_format
from logsieve.ingest.readers import joined_records
from logsieve.records import LogRecord, QuarantineReason, QuarantineRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SYSTEMS = ["Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH",
           "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper"]
EXPECTED = {  # fixture -> (format, multiline)
    "app.jsonl": ("json", False),
    "docker.log": ("docker", False),
    "cri.log": ("cri", False),
    "logfmt.log": ("logfmt", False),
    "syslog3164_pri.log": ("syslog-3164", False),
    "syslog3164.log": ("syslog-3164", False),
    "syslog5424.log": ("syslog-5424", False),
    "java_app.log": ("stamped", True),
    "python_app.log": ("stamped", True),
    "hdfs_undecodable.log": ("HDFS", False),
}


def records(path: Path, fmt: str = "auto", **kw) -> tuple[list[LogRecord], list[QuarantineRecord], IngestStats]:
    stats = IngestStats()
    items = list(read_records([path], fmt, stats=stats, **kw))
    assert stats.consistent
    return ([r for r in items if isinstance(r, LogRecord)], [q for q in items if isinstance(q, QuarantineRecord)], stats)


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_loghub_log_gets_its_preset(loghub_2k, system):
    guess = detect_file_format(loghub_2k / system / f"{system}_2k.log")
    assert (guess.format, guess.family, guess.multiline) == (system, "loghub", False)
    assert guess.confidence == 1.0 and guess.lines == 200


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_is_detected(name):
    guess = detect_file_format(FIXTURES / name)
    assert (guess.format, guess.multiline) == EXPECTED[name]
    assert guess.confidence == 1.0


def test_json_lines_read_time_level_service_and_message():
    recs, bad, _ = records(FIXTURES / "app.jsonl")
    assert not bad
    assert [r.content for r in recs] == ["server started", "GET /health 200", "slow query 1530 ms", "connection reset",
                                         "cache warmed", "user login"]
    assert recs[0].timestamp == 1709287200.125 and recs[2].timestamp == 1709287202 - 3600
    assert recs[4].timestamp == 1709287204.25
    assert [r.fields["Level"] for r in recs] == ["info", "debug", "warn", "error", "info", "info"]
    assert [r.fields["Service"] for r in recs] == ["api", "api", "db", "api", "cache", "auth"]


def test_docker_and_cri_lines():
    recs, bad, _ = records(FIXTURES / "docker.log")
    assert not bad and recs[0].content == "Starting nginx" and recs[2].fields["Stream"] == "stderr"
    assert recs[0].timestamp == pytest.approx(1556654606.123457)
    recs, bad, _ = records(FIXTURES / "cri.log")
    assert not bad and [r.content for r in recs][:3] == ["log content 1", "log content 2", "a long line in two parts"]
    assert recs[2].fields["Tag"] == "F" and recs[0].timestamp == pytest.approx(1475712929.669794)  # P part joined


def test_logfmt_message_and_unquoting():
    recs, bad, _ = records(FIXTURES / "logfmt.log")
    assert not bad
    assert [r.content for r in recs] == ["request served", 'retrying "upstream"', "timeout",
                                         "component=cache hit=true key=user:42", "shutdown complete"]
    assert recs[0].timestamp == 1709287200.0 and recs[3].fields["Level"] == "debug"


def test_syslog_3164_with_and_without_pri():
    recs, bad, _ = records(FIXTURES / "syslog3164_pri.log")
    assert not bad and recs[0].fields["Pri"] == "34" and recs[0].fields["App"] == "su" and recs[0].fields["Pid"] == "230"
    assert recs[0].content == "'su root' failed for lonvick on /dev/pts/8" and recs[2].fields["Pid"] == ""
    assert recs[0].timestamp is not None
    recs, bad, _ = records(FIXTURES / "syslog3164.log")
    assert not bad and recs[1].fields["Host"] == "web01" and recs[1].content == "[ 1234.5678] eth0: link down"
    assert recs[1].timestamp - recs[0].timestamp == 2.0


def test_syslog_5424():
    recs, bad, _ = records(FIXTURES / "syslog5424.log")
    assert not bad
    assert recs[0].content == "An application event log entry" and recs[0].fields["MsgId"] == "ID47"
    assert recs[0].timestamp == pytest.approx(1065910455.003)
    assert recs[2].timestamp == pytest.approx(1061727255.000003)
    assert recs[3].fields["SD"] == '[a@1 k="v\\]"][b@2 x="y"]' and recs[3].content == "two SD elements"


def test_java_stack_traces_join_their_record():
    recs, bad, stats = records(FIXTURES / "java_app.log")
    assert not bad and len(recs) == 6 and stats.joined_lines == 8
    second = recs[1]
    assert second.line_no == 2 and second.fields["Level"] == "ERROR"
    assert second.content.splitlines()[0] == "4242 --- [nio-8080-exec-1] c.e.shop.OrderController : order failed"
    assert second.content.endswith("\tat org.h2.Driver.run(Driver.java:1)\n\t... 12 more")
    assert [r.line_no for r in recs] == [1, 2, 9, 10, 11, 14]


def test_python_traceback_joins_its_record():
    recs, bad, stats = records(FIXTURES / "python_app.log")
    assert not bad and len(recs) == 5 and stats.joined_lines == 6
    assert recs[1].content.startswith("worker: job 1 failed\nTraceback (most recent call last):")
    assert recs[1].content.endswith("ZeroDivisionError: division by zero") and recs[1].timestamp == 1709287200.25


def test_named_format_keeps_quarantining_lines_that_do_not_match():
    recs, bad, stats = records(FIXTURES / "java_app.log", "stamped")
    assert len(recs) == 6 and len(bad) == 8 and stats.joined_lines == 0
    assert {q.reason for q in bad} == {QuarantineReason.NO_FORMAT_MATCH}
    recs, bad, _ = records(FIXTURES / "java_app.log", "stamped", multiline=True)
    assert len(recs) == 6 and not bad


def test_undecodable_lines_are_quarantined_and_the_rest_read():
    recs, bad, _ = records(FIXTURES / "hdfs_undecodable.log")
    assert len(recs) == 5 and [q.line_no for q in bad] == [4, 6]
    assert {q.reason for q in bad} == {QuarantineReason.DECODE_ERROR}
    assert recs[0].fields["Component"] == "dfs.DataNode$PacketResponder"


def test_a_directory_of_mixed_files_is_detected_per_file():
    seen: dict[str, FormatGuess] = {}
    list(read_records([FIXTURES], on_format=lambda name, guess: seen.__setitem__(Path(name).name, guess)))
    assert {name: (g.format, g.multiline) for name, g in seen.items()} == EXPECTED


def test_streams_and_gzip_are_detected(tmp_path):
    data = (FIXTURES / "logfmt.log").read_bytes()
    seen = []
    recs = list(read_records(io.BytesIO(data), on_format=lambda _n, g: seen.append(g.format)))
    assert seen == ["logfmt"] and len(recs) == 5
    gz = tmp_path / "app.log.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "syslog5424.log").read_bytes()))
    assert detect_file_format(gz).format == "syslog-5424"


def test_prose_and_empty_input_fall_back_to_raw():
    guess = detect_format(["just some words", "and more words here", "nothing like a log"])
    assert guess.format == "raw" and guess.family == "raw" and not guess.multiline
    assert detect_format([]).confidence == 0.0 and detect_format(["", "  "]).format == "raw"


def test_a_user_format_takes_part(tmp_path):
    spec = tmp_path / "mine.yaml"
    spec.write_text("formats:\n  myapp:\n    pattern: '<Level>|<Code>|<Content>'\n")
    guess = detect_format(["INFO|17|started", "WARN|18|slow"], extra_paths=[spec])
    assert (guess.format, guess.family) == ("myapp", "user")


def test_a_joined_record_is_capped():
    lines = ["2024-03-01 10:00:00 ERROR boom"] + [f"\tat frame{i}" for i in range(6)] + ["2024-03-01 10:00:01 INFO ok"]
    from logsieve.ingest import get_format

    stats = IngestStats()
    out = list(joined_records("x", [(1, "\n".join(lines).encode())], get_format("stamped"), stats, max_lines=4))
    assert [type(o).__name__ for o in out] == ["LogRecord", "QuarantineRecord", "QuarantineRecord",
                                                "QuarantineRecord", "LogRecord"]
    assert out[0].content.count("\n") == 3 and out[1].reason is QuarantineReason.TOO_LONG
    assert "multi-line record at line 1" in out[1].detail and stats.consistent and stats.joined_lines == 3
