"""Header times: the compiled parser must agree with datetime.strptime (read as UTC)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.ingest import TimestampSpec, get_format
from logsieve.ingest.timestamps import compile_time_parser

PRESET_FORMATS = sorted({f.timestamp.format for f in map(get_format, ["HDFS", "Hadoop", "Spark", "Android", "Apache",
                                                                       "HealthApp", "Linux", "Proxifier", "OpenStack",
                                                                       "Windows", "Zookeeper"])})
OTHER_FORMATS = ["%d/%b/%Y:%H:%M:%S %z", "%Y-%m-%dT%H:%M:%S.%f%z", "%I:%M:%S %p %d %B %Y", "%Y %j %H", "%y%m%d%H%M%S"]


def _strptime(text: str, fmt: str, default_year: int) -> float | None:
    """The oracle: strptime, with the year put first so year-less formats take the default."""
    if "%Y" not in fmt and "%y" not in fmt:
        text, fmt = f"{default_year} {text}", f"%Y {fmt}"
    try:
        dt = datetime.strptime(text, fmt)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


@settings(max_examples=300, deadline=None)
@given(fmt=st.sampled_from(PRESET_FORMATS + OTHER_FORMATS),
       when=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2060, 12, 31)))
def test_formatted_times_read_back_like_strptime(fmt, when):
    text = when.strftime(fmt.replace("%z", "+0130") if "%z" in fmt else fmt)
    parse = compile_time_parser(TimestampSpec(("T",), fmt, default_year=2017))
    expected = _strptime(text, fmt, 2017)
    if expected is None:  # 29 February in a year-less format: 2017 has no such day
        assert "%Y" not in fmt and "%y" not in fmt and parse(text) is None
    else:
        assert parse(text) == pytest.approx(expected, abs=1e-6)


@settings(max_examples=500, deadline=None)
@given(fmt=st.sampled_from(PRESET_FORMATS + OTHER_FORMATS),
       text=st.text(alphabet="0123456789 -:.,/TZ+APMaeJnb", max_size=26))
def test_arbitrary_text_parses_exactly_when_strptime_does(fmt, text):
    parse = compile_time_parser(TimestampSpec(("T",), fmt, default_year=2017))
    expected = _strptime(text, fmt, 2017)
    got = parse(text)
    assert (got is None) == (expected is None)
    if got is not None:
        assert got == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("fmt, text, expected", [
    ("%Y-%m-%d %H:%M:%S", "2021-02-30 00:00:00", None),  # no such day
    ("%Y-%m-%d %H:%M:%S", "2021-02-28 00:00:60", None),  # strptime reads 60, datetime refuses it
    ("%b %d %H:%M:%S", "Feb 29 10:00:00", None),  # 2017 (the default year) is not a leap year
    ("%Y %j", "2021 366", None),
    ("%Y %j", "2020 366", 1609372800.0),
    ("%Y-%m-%d %H:%M:%S%z", "2021-01-01 02:00:00+0200", 1609459200.0),
    ("%Y-%m-%d %H:%M:%S", "2021-01-01 00:00:00 trailing", None),
    ("epoch", "1117838570", 1117838570.0),
    ("epoch", "1117838570.25", 1117838570.25),
    ("epoch", "nan", None),
    ("epoch", "-", None),
    ("%H:%M %Q", "10:00 x", None),  # an unknown directive: strptime itself decides (and fails)
])
def test_edge_cases(fmt, text, expected):
    assert compile_time_parser(TimestampSpec(("T",), fmt, default_year=2017))(text) == expected


def test_unsupported_directives_fall_back_to_strptime():
    parse = compile_time_parser(TimestampSpec(("T",), "%Y week %U day %w", default_year=2017))
    assert parse("2021 week 01 day 1") == datetime(2021, 1, 4, tzinfo=timezone.utc).timestamp()


def test_stamp_memo_follows_changing_fields():
    fmt = get_format("HDFS")
    a = {"Date": "081109", "Time": "203615"}
    b = {"Date": "081109", "Time": "203616"}
    assert [fmt.timestamp_of(x) for x in (a, a, b, a)] == [1226262975.0, 1226262975.0, 1226262976.0, 1226262975.0]
    assert fmt.timestamp_of({"Date": "081109"}) is None
    assert fmt.timestamp_of({"Date": "", "Time": "203615"}) is None


def test_a_spec_needs_fields_and_a_format():
    with pytest.raises(ValueError):
        TimestampSpec((), "%H")
    with pytest.raises(ValueError):
        TimestampSpec(("T",), "")
