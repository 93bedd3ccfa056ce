"""Header times -> POSIX seconds, without calling ``strptime`` on every line.

``datetime.strptime`` costs several microseconds a call, and a busy log starts a new second every
few lines (HDFS: 42k distinct times in 222k lines), so a cache alone does not make it cheap. A
:class:`TimestampSpec` is therefore compiled once into a regex plus integer arithmetic that
accepts what ``strptime`` accepts for the common directives; formats with other directives fall
back to ``strptime`` itself. Results are cached per text because neighbouring lines mostly share
their time.

Times without ``%z`` are read as UTC: log headers rarely carry a zone, and guessing the local one
would make results depend on the machine that reads the file. A time that does not parse gives
``None``; it never rejects the line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache

EPOCH = "epoch"
"""Pseudo-format: the field is already POSIX seconds (HPC, Thunderbird)."""

DEFAULT_YEAR = 1900
"""Year for formats without one when the spec names none (what ``strptime`` assumes)."""

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NO = {**{m: i for i, m in enumerate(_MONTHS, 1)}, **{m[:3]: i for i, m in enumerate(_MONTHS, 1)}}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _names(words: tuple[str, ...]) -> str:
    """Full names before abbreviations, so ``June`` is not read as ``Jun`` + ``e``."""
    return "|".join(list(words) + [w[:3] for w in words])


# The same value ranges strptime accepts, so both agree on what is a valid time.
_DIRECTIVES: dict[str, str] = {
    "Y": r"(?P<Y>\d\d\d\d)",
    "y": r"(?P<y>\d\d)",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": r"(?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(?P<H>2[0-3]|[0-1]\d|\d)",
    "I": r"(?P<I>1[0-2]|0[1-9]|[1-9])",
    "M": r"(?P<M>[0-5]\d|\d)",
    "S": r"(?P<S>6[0-1]|[0-5]\d|\d)",
    "f": r"(?P<f>\d{1,6})",
    "j": r"(?P<j>36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])",
    "b": f"(?P<b>{_names(_MONTHS)})",
    "a": f"(?:{_names(_DAYS)})",
    "p": r"(?P<p>am|pm)",
    "z": r"(?P<z>Z|[+-]\d\d:?[0-5]\d)",
}
_DIRECTIVES.update(B=_DIRECTIVES["b"], h=_DIRECTIVES["b"], A=_DIRECTIVES["a"])


@dataclass(frozen=True, slots=True)
class TimestampSpec:
    """Which header fields make up the time (joined by one space) and how to read them.

    ``format`` is a ``strptime`` format or ``"epoch"``. ``default_year`` fills in the year for
    year-less headers (syslog's ``Jun  9 06:06:20``); without it the year is 1900, as in strptime.
    """

    fields: tuple[str, ...]
    format: str
    default_year: int | None = None

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValueError("a timestamp needs at least one field")
        if not self.format:
            raise ValueError("a timestamp needs a format")


def compile_time_parser(spec: TimestampSpec) -> Callable[[str], float | None]:
    """A cached ``text -> POSIX seconds | None`` function for ``spec``."""
    if spec.format == EPOCH:
        return lru_cache(maxsize=4096)(_parse_epoch)
    year = DEFAULT_YEAR if spec.default_year is None else spec.default_year
    regex = _translate(spec.format)
    if regex is None:
        return lru_cache(maxsize=4096)(lambda text: _parse_with_strptime(text, spec.format, year))
    return lru_cache(maxsize=4096)(_FastParser(regex, year))


def compile_stamp(spec: TimestampSpec) -> Callable[[Mapping[str, str]], float | None]:
    """``header fields -> POSIX seconds | None``, the per-line entry point.

    For one or two fields (every preset) it remembers the last fields it saw: consecutive lines
    mostly share their time, and comparing two short strings is far cheaper than joining them
    and looking the result up.
    """
    parse_time = compile_time_parser(spec)
    if len(spec.fields) == 1:
        return _one_field_stamp(spec.fields[0], parse_time)
    if len(spec.fields) == 2:
        return _two_field_stamp(*spec.fields, parse_time)
    names = spec.fields

    def stamp(fields: Mapping[str, str]) -> float | None:
        parts = [fields.get(n) for n in names]
        return parse_time(" ".join(parts)) if all(parts) else None  # type: ignore[arg-type]

    return stamp


# The memo is one tuple swapped whole, so threads sharing a format never see a torn pair.


def _one_field_stamp(name: str, parse_time: Callable[[str], float | None]) -> Callable[[Mapping[str, str]], float | None]:
    memo: list[tuple[str | None, float | None]] = [(None, None)]

    def stamp(fields: Mapping[str, str]) -> float | None:
        text = fields.get(name)
        last_text, last_value = memo[0]
        if text == last_text:
            return last_value
        value = parse_time(text) if text else None
        memo[0] = (text, value)
        return value

    return stamp


def _two_field_stamp(first: str, second: str, parse_time: Callable[[str], float | None]
                     ) -> Callable[[Mapping[str, str]], float | None]:
    memo: list[tuple[str | None, str | None, float | None]] = [(None, None, None)]

    def stamp(fields: Mapping[str, str]) -> float | None:
        a, b = fields.get(first), fields.get(second)
        last_a, last_b, last_value = memo[0]
        if a == last_a and b == last_b:
            return last_value
        value = parse_time(a + " " + b) if a and b else None
        memo[0] = (a, b, value)
        return value

    return stamp


def _parse_epoch(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _translate(fmt: str) -> re.Pattern[str] | None:
    """strptime format -> regex with one group per directive; ``None`` if a directive is unknown."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch.isspace():  # like strptime: any run of blanks matches any run of blanks
            if not out or out[-1] != r"\s+":
                out.append(r"\s+")
            i += 1
            continue
        if ch != "%":
            out.append(re.escape(ch))
            i += 1
            continue
        directive = fmt[i + 1 : i + 2]
        if directive == "%":
            out.append("%")
        elif directive in _DIRECTIVES:
            out.append(_DIRECTIVES[directive])
        else:
            return None
        i += 2
    try:
        return re.compile("".join(out), re.IGNORECASE)
    except re.error:  # a directive used twice: leave it to strptime, which will say so
        return None


class _FastParser:
    """One strptime format, compiled: regex groups -> integer arithmetic.

    Day numbers are cached per (year, month, day) text, since a log spans few days; what is left
    per call is the regex and a handful of ``int()`` calls.
    """

    def __init__(self, regex: re.Pattern[str], default_year: int) -> None:
        self.regex = regex
        self.default_year = default_year
        self._days: dict[tuple[str | None, ...], int | None] = {}

    def __call__(self, text: str) -> float | None:
        m = self.regex.fullmatch(text)
        if m is None:
            return None
        g = m.groupdict()
        key = (g.get("Y"), g.get("y"), g.get("m"), g.get("b"), g.get("d"), g.get("j"))
        day = self._days.get(key, -1)
        if day == -1:
            day = self._day_seconds(*key)
            if len(self._days) > 10_000:
                self._days.clear()
            self._days[key] = day
        if day is None:
            return None
        second = int(g.get("S") or 0)
        if second > 59:  # strptime reads 60 and 61, but datetime then refuses them
            return None
        hour = _hour(g)
        seconds = day + hour * 3600 + int(g.get("M") or 0) * 60 + second - _offset(g.get("z"))
        fraction = g.get("f")
        return seconds + int(fraction.ljust(6, "0")) / 1e6 if fraction else float(seconds)

    def _day_seconds(self, y4: str | None, y2: str | None, month: str | None, name: str | None,
                     day: str | None, yday: str | None) -> int | None:
        """Seconds from the epoch to the start of that day, or ``None`` for a date that does not exist."""
        year = int(y4) if y4 else _two_digit_year(int(y2)) if y2 else self.default_year
        try:
            if month or name or not yday:
                number = int(month) if month else _MONTH_NO[name.lower()] if name else 1
                ordinal = date(year, number, int(day) if day else 1).toordinal()
            else:
                ordinal = date(year, 1, 1).toordinal() + int(yday) - 1
                if date.fromordinal(ordinal).year != year:  # day 366 of a common year
                    return None
        except ValueError:
            return None
        return (ordinal - _EPOCH_ORDINAL) * 86400


def _two_digit_year(short: int) -> int:
    return short + (1900 if short >= 69 else 2000)  # the POSIX rule strptime follows


def _hour(g: dict[str, str | None]) -> int:
    if g.get("I"):
        hour = int(g["I"]) % 12  # type: ignore[arg-type]
        return hour + 12 if (g.get("p") or "").lower() == "pm" else hour
    return int(g.get("H") or 0)


def _offset(zone: str | None) -> int:
    """Seconds east of UTC written as ``Z``, ``+0200`` or ``-05:30``."""
    if not zone or zone in "zZ":
        return 0
    digits = zone[1:].replace(":", "")
    seconds = int(digits[:2]) * 3600 + int(digits[2:4]) * 60
    return -seconds if zone[0] == "-" else seconds


def _parse_with_strptime(text: str, fmt: str, default_year: int) -> float | None:
    try:
        dt = datetime.strptime(text, fmt)
    except (ValueError, OverflowError):
        return None
    if not re.search(r"%[YyGjUWcxC]", fmt):  # strptime put 1900 there: use the spec's year
        try:
            dt = dt.replace(year=default_year)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
