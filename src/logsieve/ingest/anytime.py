"""Times of common shapes -> POSIX seconds, for formats whose time field has no fixed layout.

The loghub presets name one ``strptime`` layout each (:mod:`logsieve.ingest.timestamps`). JSON
lines, logfmt, container and syslog lines, and the generic "stamped" format, carry whatever their
writer chose, so they are read here by shape instead:

* ISO 8601 / RFC 3339: ``2016-10-06T00:17:09.669794202Z``, ``2024-01-15 10:00:00,123``,
  ``2024/01/15 10:00:00``, with an optional fraction (up to 9 digits, kept to microseconds) and
  an optional zone (``Z``, ``+02:00``, ``-0500``);
* the BSD syslog time ``Oct 11 22:14:15`` (no year: ``default_year``, 1900 unless given, as
  ``strptime`` and the presets without ``default_year`` do, so a result never depends on the
  day it was computed);
* POSIX seconds with 10 digits (optional fraction) and milliseconds with 13 digits.

Times without a zone are read as UTC, as everywhere in ingest. Anything else gives ``None``.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from logsieve.ingest.timestamps import DEFAULT_YEAR

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NO = {m: i for i, m in enumerate(_MONTHS, 1)}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

ISO_TIME = (r"(?P<Y>\d{4})[-/](?P<m>\d\d)[-/](?P<d>\d\d)[T ](?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)"
            r"(?:[.,](?P<f>\d{1,9}))?(?: ?(?P<z>Z|[+-]\d\d:?\d\d))?")
BSD_TIME = (r"(?P<b>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<bd>\d{1,2}) "
            r"(?P<bH>\d\d):(?P<bM>\d\d):(?P<bS>\d\d)(?:\.(?P<bf>\d{1,6}))?")
EPOCH_TIME = r"(?P<e>\d{10}(?:\.\d{1,9})?|\d{13})"
ANY_TIME = f"(?:{ISO_TIME}|{BSD_TIME}|{EPOCH_TIME})"
"""One regex for every shape; group names say which matched. Exported for the stamped format."""

_WHOLE = re.compile(ANY_TIME + r"\Z")


@lru_cache(maxsize=8192)
def parse_time(text: str, default_year: int = DEFAULT_YEAR) -> float | None:
    """POSIX seconds for a whole time string of one of the shapes above, else ``None``."""
    m = _WHOLE.match(text.strip())
    return None if m is None else seconds_of(m, default_year)


def seconds_of(m: re.Match[str], default_year: int = DEFAULT_YEAR) -> float | None:
    """POSIX seconds from a match of :data:`ANY_TIME` (whole or leading), or ``None`` for a
    date or time that does not exist (month 13, 25:00)."""
    g = m.groupdict()
    if g.get("e"):
        text = g["e"]
        return int(text) / 1000 if len(text) == 13 and "." not in text else float(text)
    if g.get("Y"):
        year, month, day = int(g["Y"]), int(g["m"]), int(g["d"])
        hour, minute, second, fraction, zone = g["H"], g["M"], g["S"], g.get("f"), g.get("z")
    else:
        year, month, day = default_year, _MONTH_NO[g["b"].lower()], int(g["bd"])
        hour, minute, second, fraction, zone = g["bH"], g["bM"], g["bS"], g.get("bf"), None
    h, mi, s = int(hour), int(minute), int(second)
    if h > 23 or mi > 59 or s > 60:
        return None
    try:
        ordinal = date(year, month, day).toordinal()
    except ValueError:
        return None
    value = (ordinal - _EPOCH_ORDINAL) * 86400 + h * 3600 + mi * 60 + min(s, 59) - _offset(zone)
    return value + int(fraction[:6].ljust(6, "0")) / 1e6 if fraction else float(value)


def _offset(zone: str | None) -> int:
    if not zone or zone == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    seconds = int(digits[:2]) * 3600 + int(digits[2:4]) * 60
    return -seconds if zone[0] == "-" else seconds
