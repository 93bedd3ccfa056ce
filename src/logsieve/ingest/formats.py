"""Log formats: loghub-style header templates compiled to one anchored regex.

A format such as ``<Date> <Time> <Pid> <Level> <Component>: <Content>`` names the header fields
of a line; ``<Content>`` is the message the parser sees. Presets for the 16 loghub systems (and
``raw``, the whole line as content) ship in ``formats.yaml``; users add their own in a YAML file
with the same layout, so a new system is one entry, not code.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

_FIELD = re.compile(r"(<[^<>]+>)")


@dataclass(frozen=True)
class TimestampSpec:
    """Which header fields hold the time, and how to read them (strptime, or ``epoch``)."""

    fields: tuple[str, ...]
    format: str
    default_year: int | None = None


@dataclass(frozen=True)
class LogFormat:
    """A named header template; :meth:`parse` splits a line into header fields and content."""

    name: str
    pattern: str
    timestamp: TimestampSpec | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    header_fields: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex, names = compile_pattern(self.pattern)
        if "Content" not in names:
            raise ValueError(f"format {self.name!r} has no <Content> field: {self.pattern!r}")
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "header_fields", tuple(n for n in names if n != "Content"))

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        """Return (header fields, content), or ``None`` when the line does not fit the format."""
        m = self.regex.match(line)
        if m is None:
            return None
        groups = m.groupdict()
        content = groups.pop("Content")
        return {k: v for k, v in groups.items() if v is not None}, content

    def timestamp_of(self, fields: dict[str, str]) -> float | None:
        """POSIX seconds (header times are read as UTC), or ``None`` when absent or unparseable."""
        spec = self.timestamp
        if spec is None:
            return None
        try:
            text = " ".join(fields[f] for f in spec.fields)
        except KeyError:
            return None
        return _parse_time(text, spec.format, spec.default_year)


def compile_pattern(pattern: str) -> tuple[re.Pattern[str], list[str]]:
    """Header fields become named lazy groups; runs of spaces in literal text match any blanks.

    Literal text is used as a regex fragment (the loghub convention), which is how presets write
    optional parts such as ``(\\[<PID>\\])?``.
    """
    parts = _FIELD.split(pattern)
    out, names = [], []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.sub(" +", r"\\s+", part))
            continue
        name = part[1:-1].strip()
        if not name.isidentifier():
            raise ValueError(f"field name {name!r} in {pattern!r} must be an identifier")
        if name in names:
            raise ValueError(f"field <{name}> appears twice in {pattern!r}")
        names.append(name)
        out.append(f"(?P<{name}>.*)" if name == "Content" else f"(?P<{name}>.*?)")
    try:
        return re.compile("^" + "".join(out) + "$", re.DOTALL), names
    except re.error as exc:
        raise ValueError(f"format pattern {pattern!r} does not compile: {exc}") from exc


@lru_cache(maxsize=65536)
def _parse_time(text: str, fmt: str, default_year: int | None) -> float | None:
    # Cached: consecutive lines mostly share their time string, and strptime is slow.
    try:
        if fmt == "epoch":
            return float(text)
        if default_year is not None:
            dt = datetime.strptime(f"{default_year} {text}", f"%Y {fmt}")
        else:
            dt = datetime.strptime(text, fmt)
    except (ValueError, OverflowError):
        return None
    return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6


def _formats_from_yaml(text: str, origin: str) -> dict[str, LogFormat]:
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("formats"), dict):
        raise ValueError(f"{origin}: a formats file needs a top-level 'formats:' mapping of name -> {{pattern: ...}}")
    out = {}
    for name, spec in data["formats"].items():
        if isinstance(spec, str):
            spec = {"pattern": spec}
        if not isinstance(spec, dict) or "pattern" not in spec:
            raise ValueError(f"{origin}: format {name!r} needs a 'pattern'")
        ts = spec.get("timestamp")
        stamp = None
        if ts is not None:
            try:
                stamp = TimestampSpec(tuple(ts["fields"]), str(ts["format"]), ts.get("default_year"))
            except (KeyError, TypeError) as exc:
                raise ValueError(f"{origin}: format {name!r}: timestamp needs 'fields' and 'format'") from exc
        out[str(name)] = LogFormat(str(name), str(spec["pattern"]), stamp)
    return out


@lru_cache(maxsize=1)
def _presets() -> dict[str, LogFormat]:
    text = resources.files("logsieve.ingest").joinpath("formats.yaml").read_text("utf-8")
    return _formats_from_yaml(text, "logsieve/ingest/formats.yaml")


def load_formats(path: str | Path) -> dict[str, LogFormat]:
    """Read a user's formats file (same layout as the packaged ``formats.yaml``)."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError as exc:
        raise ValueError(f"formats file not found: {p}") from exc
    return _formats_from_yaml(text, str(p))


def list_formats(extra_paths: tuple[str | Path, ...] = ()) -> list[LogFormat]:
    merged = dict(_presets())
    for path in extra_paths:
        merged.update(load_formats(path))
    return list(merged.values())


def get_format(name: str, extra_paths: tuple[str | Path, ...] = ()) -> LogFormat:
    """Look a format up by name (case-insensitive); user files override presets."""
    known = {f.name: f for f in list_formats(extra_paths)}
    if name in known:
        return known[name]
    folded = {k.lower(): v for k, v in known.items()}
    if name.lower() in folded:
        return folded[name.lower()]
    raise ValueError(
        f"unknown log format {name!r}; known formats: {', '.join(sorted(known))}. "
        "Add your own with --formats-file FILE.yaml"
    )
