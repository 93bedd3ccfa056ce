"""Formats that a header regex cannot describe: JSON lines, Docker json-file, CRI, logfmt,
syslog (RFC 3164 and 5424), and a generic "stamped" line that starts with a time.

Each behaves like :class:`logsieve.ingest.formats.LogFormat` where the readers look
(``name``, ``parse(line) -> (fields, content) | None``, ``fields``, ``has_timestamp``,
``timestamp_of``, ``stamp_function``, ``pattern``, ``strip``, ``timestamp``), so
``read_records``, ``follow`` and the parse job take them unchanged. Every record of a format
carries the same header keys (``""`` when a line leaves one out), as with the presets.

Two attributes serve format detection (:mod:`logsieve.ingest.detect`): ``family`` (what kind
of format it is) and ``specificity`` (which of two formats that parse the same lines is the
more particular; a loghub preset scores its number of header fields plus its literal words).
``multiline`` says whether lines that do not fit may be continuation lines of the record
before them (a header format: yes; one JSON object per line: no).

Times are read by shape (:mod:`logsieve.ingest.anytime`), since these formats do not fix one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from logsieve.ingest.anytime import ANY_TIME, BSD_TIME, ISO_TIME, parse_time, seconds_of

TIME_KEYS = ("time", "timestamp", "@timestamp", "ts", "t")
LEVEL_KEYS = ("level", "severity", "lvl", "log.level")
MESSAGE_KEYS = ("msg", "message", "log", "event")
SERVICE_KEYS = ("service", "logger", "component", "app")


@dataclass(frozen=True)
class FieldFormat:
    """Base of the non-regex formats: the shared ``LogFormat``-like surface.

    Subclasses set the class attributes and implement :meth:`parse`. Instances hold no state,
    so they pickle by class and compare equal by class.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    pattern: ClassVar[str] = ""
    """A readable shape for ``logsieve formats`` (not a regex)."""
    description: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ("Time",)
    specificity: ClassVar[float] = 1.0
    multiline: ClassVar[bool] = True
    timestamp: ClassVar[None] = None  # no strptime layout: times are read by shape
    strip: ClassVar[bool] = False
    time_field: ClassVar[str] = "Time"

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        raise NotImplementedError

    @property
    def has_timestamp(self) -> bool:
        return True

    def timestamp_of(self, fields: Mapping[str, str]) -> float | None:
        """POSIX seconds from the time field, or ``None`` when absent or of no known shape."""
        text = fields.get(self.time_field)
        return parse_time(text) if text else None

    @property
    def stamp_function(self) -> Callable[[Mapping[str, str]], float | None]:
        return self.timestamp_of


def _scalar(value: Any) -> str | None:
    """A JSON value as field text; objects and arrays are not field values."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _pick(obj: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The first key of ``keys`` holding a scalar; ``a.b`` also looks in a nested ``{"a": {"b"}}``
    (Elastic Common Schema writes ``log.level`` either way)."""
    for key in keys:
        if key in obj:
            text = _scalar(obj[key])
            if text is not None:
                return text
        if "." in key:
            outer, inner = key.split(".", 1)
            nested = obj.get(outer)
            if isinstance(nested, dict) and inner in nested:
                text = _scalar(nested[inner])
                if text is not None:
                    return text
    return ""


def _json_object(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


@dataclass(frozen=True)
class JsonLines(FieldFormat):
    """One JSON object per line; time, level, message and service from the common keys.

    Content is the message; a line without one gets the object without its time and level
    keys (compact JSON), so Drain still sees what the line says. Other keys are not fields.
    """

    name: ClassVar[str] = "json"
    family: ClassVar[str] = "json"
    pattern: ClassVar[str] = '{"time": ..., "level": ..., "msg": ..., "service": ...} (JSON lines)'
    description: ClassVar[str] = "JSON lines: time/timestamp/@timestamp/ts/t, level/severity/lvl/log.level, msg/message/log/event, service/logger/component/app."
    fields: ClassVar[tuple[str, ...]] = ("Time", "Level", "Service")
    specificity: ClassVar[float] = 3.0
    multiline: ClassVar[bool] = False

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        obj = _json_object(line)
        if obj is None:
            return None
        fields = {"Time": _pick(obj, TIME_KEYS), "Level": _pick(obj, LEVEL_KEYS),
                  "Service": _pick(obj, SERVICE_KEYS)}
        for key in MESSAGE_KEYS:
            text = _scalar(obj.get(key))
            if text is not None:
                return fields, text.rstrip("\r\n")
        rest = {k: v for k, v in obj.items() if k not in TIME_KEYS and k not in LEVEL_KEYS}
        return fields, json.dumps(rest, ensure_ascii=False, separators=(",", ":")) if rest else ""


@dataclass(frozen=True)
class DockerJson(FieldFormat):
    """Docker's json-file driver: ``{"log":"text\\n","stream":"stdout","time":"..."}``."""

    name: ClassVar[str] = "docker"
    family: ClassVar[str] = "container"
    pattern: ClassVar[str] = '{"log": "<Content>\\n", "stream": "<Stream>", "time": "<Time>"}'
    description: ClassVar[str] = "Docker json-file log lines."
    fields: ClassVar[tuple[str, ...]] = ("Time", "Stream")
    specificity: ClassVar[float] = 8.0
    multiline: ClassVar[bool] = False

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        obj = _json_object(line)
        if obj is None:
            return None
        log, stream, time = obj.get("log"), obj.get("stream"), obj.get("time")
        if not isinstance(log, str) or not isinstance(stream, str) or not isinstance(time, str):
            return None
        return {"Time": time, "Stream": stream}, log.rstrip("\r\n")


_CRI = re.compile(r"(?P<Time>\d{4}-\d\d-\d\dT\S+) (?P<Stream>stdout|stderr) (?P<Tag>[FP])(?: (?P<Content>.*))?\Z", re.DOTALL)


@dataclass(frozen=True)
class CriLines(FieldFormat):
    """The CRI (containerd, CRI-O) log line: ``<RFC 3339 time> <stream> <F|P> <message>``.

    ``Tag`` is ``F`` for a full line and ``P`` for a part of a longer one; the readers join the
    parts to the line that completes them (:func:`logsieve.ingest.readers.joined_partials`).
    """

    name: ClassVar[str] = "cri"
    family: ClassVar[str] = "container"
    pattern: ClassVar[str] = "<Time> <Stream> <Tag> <Content>"
    description: ClassVar[str] = "Kubernetes CRI container log lines (containerd, CRI-O)."
    fields: ClassVar[tuple[str, ...]] = ("Time", "Stream", "Tag")
    specificity: ClassVar[float] = 8.0
    multiline: ClassVar[bool] = False
    partial_lines: ClassVar[bool] = True

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        m = _CRI.match(line)
        if m is None:
            return None
        return {"Time": m["Time"], "Stream": m["Stream"], "Tag": m["Tag"]}, m["Content"] or ""


_LOGFMT_PAIR = re.compile(r'[ \t]*([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def logfmt_pairs(line: str) -> list[tuple[str, str | None, str]] | None:
    """``(key, value or None for a bare key, original text)`` for each pair, or ``None`` when
    the line is not logfmt: not made of pairs only, or fewer than two ``key=value`` pairs, or
    more bare words than pairs (plain prose)."""
    text = line.rstrip()
    pos, out, with_value = 0, [], 0
    while pos < len(text):
        m = _LOGFMT_PAIR.match(text, pos)
        if m is None or m.end() == pos:
            return None
        end = m.end()
        if end < len(text) and not text[end].isspace():
            return None
        key, raw = m.group(1), m.group(2)
        if raw is None:
            value = None
        else:
            with_value += 1
            value = _UNESCAPE.sub(lambda e: _ESCAPES.get(e.group(1), e.group(0)), raw[1:-1]) if raw.startswith('"') else raw
        out.append((key, value, m.group(0).strip()))
        pos = end
    if with_value < 2 or with_value * 2 < len(out):
        return None
    return out


@dataclass(frozen=True)
class Logfmt(FieldFormat):
    """``key=value`` pairs (values quoted when they hold blanks), as Go services and Heroku log.

    Content is ``msg`` (or ``message``); without one, the line less its time and level pairs.
    """

    name: ClassVar[str] = "logfmt"
    family: ClassVar[str] = "logfmt"
    pattern: ClassVar[str] = 'time=<Time> level=<Level> msg="<Content>" key=value ...'
    description: ClassVar[str] = "logfmt key=value lines."
    fields: ClassVar[tuple[str, ...]] = ("Time", "Level", "Service")
    specificity: ClassVar[float] = 4.0

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        pairs = logfmt_pairs(line)
        if pairs is None:
            return None
        values = {k: v for k, v, _ in pairs if v is not None}
        fields = {"Time": _pick(values, TIME_KEYS), "Level": _pick(values, LEVEL_KEYS),
                  "Service": _pick(values, SERVICE_KEYS)}
        for key in ("msg", "message"):
            if key in values:
                return fields, values[key]  # type: ignore[return-value]
        kept = [text for k, _, text in pairs if k not in TIME_KEYS and k not in LEVEL_KEYS]
        return fields, " ".join(kept)


_PRI = r"(?:<(?P<Pri>\d{1,3})>)"
_SYSLOG_3164 = re.compile(
    rf"{_PRI}?(?P<Time>{BSD_TIME.replace('?P<', '?P<t_')}|\d{{4}}-\d\d-\d\dT\S+) +(?P<Host>\S+) "
    r"(?P<App>[\w./-]{1,48})(?:\[(?P<Pid>\d{1,10})\])?: ?(?P<Content>.*)\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class Syslog3164(FieldFormat):
    """BSD syslog (RFC 3164), with or without ``<PRI>``: ``<34>Oct 11 22:14:15 host app[123]: msg``.

    The tag must be what the RFC allows (letters, digits and ``_./-``, then an optional
    ``[pid]`` and ``:``): a looser tag (``sshd(pam_unix)``) is what the Linux preset is for.
    The time has no year (read as 1900); an ISO time (rsyslog's high-precision form) is read too.
    """

    name: ClassVar[str] = "syslog-3164"
    family: ClassVar[str] = "syslog"
    pattern: ClassVar[str] = "<PRI>?<Time> <Host> <App>[<Pid>]: <Content>"
    description: ClassVar[str] = "BSD syslog (RFC 3164), with or without the <PRI> prefix."
    fields: ClassVar[tuple[str, ...]] = ("Pri", "Time", "Host", "App", "Pid")
    specificity: ClassVar[float] = 6.0  # above the looser Linux preset (5.5), below Mac (6.5) and OpenSSH (7)

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        m = _SYSLOG_3164.match(line.rstrip())
        if m is None:
            return None
        return ({"Pri": m["Pri"] or "", "Time": m["Time"], "Host": m["Host"], "App": m["App"],
                 "Pid": m["Pid"] or ""}, m["Content"])


_SD = r'(?:-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)'
_SYSLOG_5424 = re.compile(
    rf"{_PRI}(?P<Version>\d{{1,2}}) (?P<Time>\S+) (?P<Host>\S+) (?P<App>\S+) (?P<ProcId>\S+) "
    rf"(?P<MsgId>\S+) (?P<SD>{_SD})(?: (?P<Content>.*))?\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class Syslog5424(FieldFormat):
    """IETF syslog (RFC 5424): ``<165>1 2003-10-11T22:14:15.003Z host app 123 ID47 [sd] msg``.

    ``-`` stands for an absent field (kept as ``-``; a ``-`` time gives no timestamp). The
    structured data is kept whole in ``SD``; a UTF-8 BOM before the message is dropped.
    """

    name: ClassVar[str] = "syslog-5424"
    family: ClassVar[str] = "syslog"
    pattern: ClassVar[str] = "<PRI>VERSION <Time> <Host> <App> <ProcId> <MsgId> <SD> <Content>"
    description: ClassVar[str] = "IETF syslog (RFC 5424)."
    fields: ClassVar[tuple[str, ...]] = ("Pri", "Version", "Time", "Host", "App", "ProcId", "MsgId", "SD")
    specificity: ClassVar[float] = 9.0

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        m = _SYSLOG_5424.match(line.rstrip())
        if m is None:
            return None
        fields = {k: m[k] for k in self.fields}
        return fields, (m["Content"] or "").removeprefix("\ufeff")

    def timestamp_of(self, fields: Mapping[str, str]) -> float | None:
        text = fields.get("Time")
        return parse_time(text) if text and text != "-" else None


_LEVEL_WORDS = "TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|CRIT|FATAL|SEVERE|ALERT|EMERG"
_STAMPED = re.compile(
    rf"\[?(?P<Stamp>{ANY_TIME})\]?(?=[\s,|:\]-]|\Z)[\s,|:-]*"
    rf"(?:\[?(?P<Level>(?i:{_LEVEL_WORDS}))\]?(?:[\s:|-]+|\Z))?(?P<Content>.*)\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class Stamped(FieldFormat):
    """The fallback for any line that starts with a time of a common shape (ISO 8601,
    ``YYYY-MM-DD HH:MM:SS,mmm``, ``MMM dd HH:MM:SS``, epoch seconds), optionally in brackets and
    followed by a level word; the rest is the content.
    """

    name: ClassVar[str] = "stamped"
    family: ClassVar[str] = "stamped"
    pattern: ClassVar[str] = "<Time> <Level>? <Content> (a leading time of a common shape)"
    description: ClassVar[str] = "Generic: a leading timestamp, an optional level, then the message."
    fields: ClassVar[tuple[str, ...]] = ("Time", "Level")
    specificity: ClassVar[float] = 1.0

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        m = _STAMPED.match(line.rstrip())
        if m is None:
            return None
        return {"Time": m["Stamp"], "Level": (m["Level"] or "").upper()}, m["Content"]


_LEVELED = re.compile(rf"\[?(?P<Level>(?:{_LEVEL_WORDS}))\]?(?:[\s:|-]+|\Z)(?P<Content>.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Leveled(FieldFormat):
    """A line that starts with an upper-case level word and has no time (``INFO nova.compute
    [req-...] Claim successful``): what a collector leaves when it strips the timestamp. Without
    it such a file is ``raw`` and its level, the one statement of trouble a log makes itself, is
    lost in the content. Ranked below every timed format.
    """

    name: ClassVar[str] = "leveled"
    family: ClassVar[str] = "leveled"
    pattern: ClassVar[str] = "<Level> <Content> (a leading level word, no time)"
    description: ClassVar[str] = "Generic: a leading level word (INFO, ERROR, ...) then the message; no time."
    fields: ClassVar[tuple[str, ...]] = ("Level",)
    specificity: ClassVar[float] = 0.5

    @property
    def has_timestamp(self) -> bool:
        return False

    def timestamp_of(self, fields: Mapping[str, str]) -> float | None:
        return None

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        m = _LEVELED.match(line.rstrip())
        if m is None:
            return None
        return {"Level": m["Level"]}, m["Content"]


FAMILY_FORMATS: tuple[FieldFormat, ...] = (
    JsonLines(), DockerJson(), CriLines(), Logfmt(), Syslog3164(), Syslog5424(), Stamped(), Leveled(),
)
"""Every non-regex format, registered by name next to the presets."""

__all__ = ["FAMILY_FORMATS", "CriLines", "DockerJson", "FieldFormat", "JsonLines", "Logfmt",
           "Leveled", "Stamped", "Syslog3164", "Syslog5424", "logfmt_pairs", "seconds_of", "ISO_TIME"]
