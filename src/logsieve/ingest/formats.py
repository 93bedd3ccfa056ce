"""Log formats: loghub-style header templates compiled to one anchored regex.

A format such as ``<Date> <Time> <Pid> <Level> <Component>: <Content>`` names the header fields
of a line; ``<Content>`` is the message the parser sees. Presets for the 16 loghub systems (and
``raw``, the whole line as content) ship in ``formats.yaml``; users add their own in a YAML file
with the same layout, so a new system is one entry, not code.

Compilation follows the logpai/logparser convention, so the loghub presets mean what they mean
there: the template is split on ``<Name>`` tokens, each field becomes ``(?P<Name>.*?)`` (Content
the greedy ``.*``), and the literal text between fields is kept as a regex fragment in which runs
of spaces become ``\\s+`` (which is how presets write optional parts such as ``(\\[<PID>\\])?``).

Two safeguards are added, because Python's regex engine backtracks and the plain logparser regex
takes time exponential in the number of fields on a line that does *not* match (an HDFS header
against a 400-character line of words runs for minutes):

* each field together with the literal text after it is an atomic group ``(?>...)``: a field
  ends at the first place where its separator matches and is never stretched later to rescue a
  failing match. When such a regex matches, the fields are exactly those of the logparser regex
  (the atomic groups only cut alternatives that come *after* the first success); a line that
  logparser could only match by stretching an earlier field over a later separator is not
  matched. No loghub 2k line needs that. (In the rare template where Content is not last, the
  pieces from Content on stay plain, since a greedy Content must give back to the fields after
  it.) A lone ``<Field> `` piece is written ``(?P<Field>\\S*+)\\s++``, the same match, faster.
* when ``<Content>`` ends the template, only the header is matched, and it must end within the
  first ``max_header_chars`` characters; Content is the rest of the line. This bounds the work
  per line whatever its length (loghub headers are at most 251 characters long).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from logsieve.ingest.timestamps import TimestampSpec, compile_stamp

if TYPE_CHECKING:
    from logsieve.ingest.families import FieldFormat

CONTENT = "Content"
AUTO = "auto"
"""Not a format: the name that asks the readers to detect each file's format (see detect.py)."""
DEFAULT_MAX_HEADER_CHARS = 1024
PRESETS_FILE = "formats.yaml"

_FIELD_TOKEN = re.compile(r"(<[^<>]+>)")


class FormatError(ValueError):
    """A format or formats file that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class LogFormat:
    """A named header template; :meth:`parse` splits a line into header fields and content.

    ``strip`` removes surrounding whitespace before matching, as logparser does (the loghub
    presets set it, so their Content equals the loghub ground truth, which has no trailing
    blanks). Header fields a line leaves out (an optional ``(\\[<PID>\\])?``) come back as ``""``
    so every record of a format has the same keys.
    """

    name: str
    pattern: str
    timestamp: TimestampSpec | None = None
    strip: bool = False
    max_header_chars: int = DEFAULT_MAX_HEADER_CHARS
    description: str = ""
    fields: tuple[str, ...] = field(init=False, compare=False)
    _compiled: _Compiled = field(init=False, repr=False, compare=False)
    _stamp: Callable[[Mapping[str, str]], float | None] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise FormatError(f"a format needs a non-empty name, got {self.name!r}")
        if self.max_header_chars < 1:
            raise FormatError(f"format {self.name!r}: max_header_chars must be at least 1")
        compiled = compile_pattern(self.pattern)
        header = tuple(n for n in compiled.names if n != CONTENT)
        if self.timestamp is not None:
            missing = [f for f in self.timestamp.fields if f not in header]
            if missing:
                raise FormatError(
                    f"format {self.name!r}: timestamp field(s) {missing} are not header fields "
                    f"of {self.pattern!r} (header fields: {list(header)})"
                )
        object.__setattr__(self, "fields", header)
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_stamp", _stamp_function(self.timestamp))

    def __reduce__(self) -> tuple[type[LogFormat], tuple[object, ...]]:
        """Pickle by definition (the compiled parts hold closures): formats can go to workers."""
        return (LogFormat, (self.name, self.pattern, self.timestamp, self.strip, self.max_header_chars,
                            self.description))

    def parse(self, line: str) -> tuple[dict[str, str], str] | None:
        """Return (header fields, content), or ``None`` when the line does not fit the format."""
        if self.strip:
            line = line.strip()
        c = self._compiled
        if c.header is None:
            if c.full is None:  # the raw format: nothing to split
                return {}, line
            m = c.full.match(line)
            if m is None:
                return None
            fields = m.groupdict("")
            return fields, fields.pop(CONTENT)
        limit = self.max_header_chars
        m = c.header.match(line, 0, limit)
        if m is None:
            return None
        end = m.end()
        if end == limit and end < len(line):  # the window may have cut a separator short
            m = c.header.match(line)
            if m is None:
                return None
            end = m.end()
        return m.groupdict(""), line[end:]

    @property
    def has_timestamp(self) -> bool:
        return self._stamp is not None

    def timestamp_of(self, fields: Mapping[str, str]) -> float | None:
        """POSIX seconds from the header fields, or ``None`` when absent or unparseable."""
        stamp = self._stamp
        return None if stamp is None else stamp(fields)

    @property
    def stamp_function(self) -> Callable[[Mapping[str, str]], float | None] | None:
        """:meth:`timestamp_of` without the indirection, or ``None``: for per-line loops."""
        return self._stamp


def _stamp_function(spec: TimestampSpec | None) -> Callable[[Mapping[str, str]], float | None] | None:
    return None if spec is None else compile_stamp(spec)


@dataclass(frozen=True)
class _Compiled:
    """``header``: regex for the fields before a final Content (``None`` if Content is not last).

    ``full``: anchored regex for the whole line, used when Content is not last. Both ``None``
    means the template is just ``<Content>``.
    """

    names: tuple[str, ...]
    header: re.Pattern[str] | None
    full: re.Pattern[str] | None


def compile_pattern(pattern: str) -> _Compiled:
    """Compile a loghub-style template (see the module docstring for the rules)."""
    if not isinstance(pattern, str) or not pattern:
        raise FormatError(f"a format pattern must be a non-empty string, got {pattern!r}")
    pieces, names, content_last = _pieces(pattern)
    if names.count(CONTENT) != 1:
        raise FormatError(f"format pattern {pattern!r} needs exactly one <{CONTENT}> field")
    if content_last and not pieces:
        return _Compiled(tuple(names), None, None)
    if content_last:
        source = "".join(_atomic(p) for p in pieces)
    else:  # from Content on, plain backtracking: a greedy Content must give back to later fields
        at = next(i for i, p in enumerate(pieces) if "(?P<Content>" in p)
        source = "".join(_atomic(p) for p in pieces[:at]) + "".join(pieces[at:]) + r"\Z"
    try:
        regex = re.compile(source, re.DOTALL)
    except re.error as exc:
        raise FormatError(f"format pattern {pattern!r} does not compile as a regex: {exc}") from exc
    return _Compiled(tuple(names), regex, None) if content_last else _Compiled(tuple(names), None, regex)


_LONE_FIELD = re.compile(r"\(\?P<(\w+)>\.\*\?\)\\s\+")


def _atomic(piece: str) -> str:
    """``(?>piece)``; for the common ``<Field> `` piece an equivalent possessive form.

    A lazy field followed only by blanks stops at the first blank, so ``\\S*+\\s++`` is the
    same match, and several times faster in the hot loop.
    """
    lone = _LONE_FIELD.fullmatch(piece)
    if lone:
        return f"(?P<{lone.group(1)}>\\S*+)\\s++"
    return f"(?>{piece})"


def _pieces(pattern: str) -> tuple[list[str], list[str], bool]:
    """Split a template into regex pieces, each a field plus the literal text after it, cut
    where the literal's parentheses are balanced (so ``(\\[<PID>\\])?`` stays in one piece).

    Returns the pieces, the field names in order, and whether Content closes the template (then
    the pieces stop before it).
    """
    parts = _FIELD_TOKEN.split(pattern)
    pieces: list[str] = []
    names: list[str] = []
    current, depth = "", 0
    for i, part in enumerate(parts):
        if i % 2 == 0:
            current += re.sub(" +", r"\\s+", part)
            depth += _paren_delta(part, pattern)
            if depth == 0 and current:
                pieces.append(current)
                current = ""
            continue
        name = _field_name(part, pattern, names)
        names.append(name)
        is_last = i == len(parts) - 2 and parts[-1] == ""
        if name == CONTENT and is_last and depth == 0 and not current:
            return pieces, names, True
        current += "(?P<Content>.*)" if name == CONTENT else f"(?P<{name}>.*?)"
    if current:
        pieces.append(current)
    return pieces, names, False


def _field_name(token: str, pattern: str, seen: list[str]) -> str:
    name = token[1:-1].strip()
    if not name.isidentifier() or not name.isascii():
        raise FormatError(f"field name {name!r} in {pattern!r} must be an identifier (letters, digits, _)")
    if name in seen:
        raise FormatError(f"field <{name}> appears twice in {pattern!r}")
    return name


def _paren_delta(fragment: str, pattern: str) -> int:
    """Open minus closed regex groups in a fragment, skipping escapes and character classes."""
    delta, i = 0, 0
    while i < len(fragment):
        ch = fragment[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(fragment, i)
            if i < 0:
                raise FormatError(
                    f"unclosed '[' in the literal text {fragment!r} of {pattern!r}: literal text is a "
                    "regex fragment (the loghub convention), so write \\[ for a bracket"
                )
            continue
        delta += (ch == "(") - (ch == ")")
        i += 1
    return delta


def _class_end(text: str, start: int) -> int:
    """Index just past the character class opening at ``text[start]`` (``[]a]`` holds a ``]``),
    or -1 when the class does not close within ``text``."""
    i = start + 1
    if text[i : i + 1] == "^":
        i += 1
    if text[i : i + 1] == "]":
        i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "]":
            return i + 1
        i += 1
    return -1


# ---- formats files ---------------------------------------------------------------------------


class _TimestampModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(min_length=1)
    format: str = Field(min_length=1)
    default_year: int | None = Field(default=None, ge=1, le=9999)


class _FormatModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(min_length=1)
    timestamp: _TimestampModel | None = None
    strip: bool = False
    max_header_chars: int = Field(default=DEFAULT_MAX_HEADER_CHARS, ge=1)
    description: str = ""


def parse_formats_yaml(text: str, origin: str) -> dict[str, LogFormat]:
    """Formats defined in one YAML document; errors name ``origin`` and the faulty entry."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormatError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("formats"), dict):
        raise FormatError(
            f"{origin}: a formats file needs a top-level 'formats:' mapping, e.g.\n"
            "formats:\n  myapp:\n    pattern: '<Date> <Time> <Level> <Content>'"
        )
    unknown = set(data) - {"version", "formats"}
    if unknown:
        raise FormatError(f"{origin}: unknown top-level key(s) {sorted(map(str, unknown))}; expected 'formats:'")
    out: dict[str, LogFormat] = {}
    for name, spec in data["formats"].items():
        name = str(name)
        if name.lower() in {k.lower() for k in out}:
            raise FormatError(f"{origin}: format {name!r} is defined twice (names ignore case)")
        try:
            out[name] = _build(name, spec)
        except ValidationError as exc:
            raise FormatError(f"{origin}: format {name!r}: {_explain(exc)}") from exc
        except ValueError as exc:
            raise FormatError(f"{origin}: format {name!r}: {exc}") from exc
    return out


def _explain(exc: ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}" for err in exc.errors()]
    return "; ".join(problems)


def _build(name: str, raw: object) -> LogFormat:
    """One entry: a pattern string, or a mapping with ``pattern`` and optional settings."""
    if isinstance(raw, str):
        raw = {"pattern": raw}
    if not isinstance(raw, dict):
        raise FormatError(f"expected a pattern string or a mapping with 'pattern:', got {type(raw).__name__}")
    spec = _FormatModel.model_validate(raw)
    stamp = None
    if spec.timestamp is not None:
        t = spec.timestamp
        stamp = TimestampSpec(tuple(t.fields), t.format, t.default_year)
    return LogFormat(name, spec.pattern, stamp, spec.strip, spec.max_header_chars, spec.description)


@lru_cache(maxsize=1)
def _presets() -> dict[str, LogFormat]:
    text = resources.files("logsieve.ingest").joinpath(PRESETS_FILE).read_text("utf-8")
    return parse_formats_yaml(text, f"logsieve/ingest/{PRESETS_FILE}")


def _read_file(path: str | Path) -> dict[str, LogFormat]:
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError as exc:
        raise FormatError(f"formats file not found: {p}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read formats file {p}: {exc}") from exc
    return parse_formats_yaml(text, str(p))


AnyFormat = Union[LogFormat, "FieldFormat"]
"""A header-regex format or one of the non-regex families (JSON lines, syslog, ...): the readers
use both the same way."""


def _families() -> dict[str, FieldFormat]:
    from logsieve.ingest.families import FAMILY_FORMATS

    return {f.name: f for f in FAMILY_FORMATS}


def load_formats(*paths: str | Path, include_presets: bool = True) -> dict[str, AnyFormat]:
    """The presets and the built-in families (``json``, ``docker``, ``cri``, ``logfmt``,
    ``syslog-3164``, ``syslog-5424``, ``stamped``) merged with the formats of each file in turn
    (later files win).

    A user format replaces a preset of the same name, ignoring case, so ``hdfs:`` in your file
    is what ``get_format("HDFS")`` returns.
    """
    merged: dict[str, AnyFormat] = {}
    sources: list[Mapping[str, AnyFormat]] = [_presets(), _families()] if include_presets else []
    sources.extend(_read_file(p) for p in paths)
    for formats in sources:
        for name, fmt in formats.items():
            for old in [k for k in merged if k.lower() == name.lower()]:
                del merged[old]
            merged[name] = fmt
    return merged


def list_formats(extra_paths: Iterable[str | Path] = ()) -> list[AnyFormat]:
    """Every known format: presets first, then those of ``extra_paths``."""
    return list(load_formats(*_as_paths(extra_paths)).values())


def get_format(name: str, extra_paths: Iterable[str | Path] = ()) -> AnyFormat:
    """Look a format up by name, ignoring case; formats in ``extra_paths`` override presets.

    ``auto`` is not a format but a request to detect one per file: the readers resolve it
    (``read_records(..., "auto")``); alone, use :func:`logsieve.ingest.detect.detect_file_format`.
    """
    if name.lower() == AUTO:
        raise FormatError("'auto' is resolved per file by the readers; call "
                          "logsieve.ingest.detect.detect_file_format(path) for one file's format")
    known = load_formats(*_as_paths(extra_paths))
    for key, fmt in known.items():
        if key.lower() == name.lower():
            return fmt
    raise FormatError(
        f"unknown log format {name!r}; known formats: {', '.join(sorted(known, key=str.lower))}. "
        "Add your own in a YAML file (load_formats(path), or --formats-file FILE.yaml)."
    )


def _as_paths(paths: Iterable[str | Path] | str | Path) -> tuple[str | Path, ...]:
    """A single path is one file, not an iterable of characters."""
    if isinstance(paths, (str, Path)):
        return (paths,)
    return tuple(paths)

