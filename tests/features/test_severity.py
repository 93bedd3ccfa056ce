"""Severity from the format's own level field."""

from __future__ import annotations

from hypothesis import given, strategies as st

from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch
from logsieve.features.severity import is_severe, severe_lines
from logsieve.records import LogRecord, ParsedLine, Sequence


def _seq(key: str, levels: list[dict[str, str]]) -> Sequence:
    lines = [ParsedLine(LogRecord("a.log", i + 1, "m", f, None), 1, "m") for i, f in enumerate(levels)]
    return Sequence(key, [1] * len(lines), lines)


def test_error_or_worse_counts_and_warnings_do_not():
    assert is_severe({"Level": "ERROR"}) and is_severe({"Level": "fatal"}) and is_severe({"Level": "[CRIT]"})
    assert not is_severe({"Level": "WARN"}) and not is_severe({"Level": "INFO"}) and not is_severe({"Level": "E"})
    assert is_severe({"Pri": "11"}) and not is_severe({"Pri": "14"})  # 11 % 8 = 3 (err); 14 % 8 = 6 (info)
    assert severe_lines([{"Level": "ERROR"}, {"Level": "INFO"}, {}, {"Level": "SEVERE"}]) == 2


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=4))
def test_never_raises_on_any_header(fields):
    assert is_severe(fields) in (True, False)


def test_severity_floor_flags_windows_with_a_severe_line_whatever_validation_says():
    train = SequenceBatch([_seq("a", [{"Level": "INFO"}] * 3), _seq("b", [{"Level": "INFO"}])], {1: "m"})
    test = SequenceBatch([_seq("c", [{"Level": "INFO"}, {"Level": "FATAL"}]), _seq("d", [{"Level": "WARNING"}])],
                         {1: "m"})
    det = make_detector("severity")
    det.fit(train, train)
    assert det.score(test).abnormal.tolist() == [True, False]


_LEVELS = st.sampled_from(["INFO", "ERROR", "[error]", "warn", "FATAL:", "E", "", "Crit"])
_PRIS = st.sampled_from(["0", "3", "4", "11", "x", ""])


@given(st.lists(st.one_of(
    st.just({}),
    st.fixed_dictionaries({"Level": _LEVELS}),
    st.fixed_dictionaries({"Pri": _PRIS}),
    st.fixed_dictionaries({"Level": _LEVELS, "Pri": _PRIS, "Component": st.text(max_size=3)}),
), max_size=30))
def test_counting_by_distinct_level_equals_judging_each_line(fields):
    assert severe_lines(fields) == sum(1 for f in fields if f and is_severe(f))
