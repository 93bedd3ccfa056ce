"""Format detection: which known format a file's lines are written in, and how sure that is.

Why by trial and not by heuristics per format: every format already knows how to parse a line,
so the format that parses the most of a file's head *is* the best description of it, and a new
user format takes part without any code. The rules:

* a line counts for a format when the format parses it **and** its time parses where the format
  has one (that is what tells HDFS's ``081109 203615`` from Spark's ``17/06/09 20:10:40``,
  whose header regexes both fit either line);
* for a header format (every preset, syslog, logfmt, stamped; not JSON or container lines), a
  line it does not parse but that looks like the continuation of the record before it (leading
  blanks, ``at ``, ``Caused by``, ``Traceback``, ``...``, ``SomeError:``) counts too, and makes
  the guess ``multiline``: the readers then join such lines to the record before them;
* the **share** of the sample's non-empty lines that count is the score and the confidence;
* ties go to the more **specific** format: a loghub preset scores its header fields (half for
  one in an optional group such as ``(\\[<PID>\\])?``) plus half its literal letters (OpenSSH's
  ``sshd``), user formats half a point more, the families what
  :mod:`logsieve.ingest.families` sets (syslog-3164 sits above the looser Linux preset and
  below OpenSSH and Mac, the generic ``stamped`` at 1);
* ``raw`` is the last resort: only when no format reaches :data:`MIN_SHARE` of the lines. Since
  ``raw`` parses everything, its confidence is ``1 -`` the best other share (how clearly nothing
  else fits), not 1.

Only the head of a file is read (:data:`SAMPLE_LINES` non-empty lines, at most
:data:`HEAD_BYTES`), so detection costs the same for a 1 KB and a 10 GB file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from logsieve.ingest.families import FieldFormat
from logsieve.ingest.formats import AnyFormat, LogFormat, _presets, load_formats
from logsieve.ingest.sources import ArchiveDamaged, iter_chunks, open_path
from logsieve.ingest.timestamps import EPOCH

SAMPLE_LINES = 200
HEAD_BYTES = 1 << 20
MIN_SHARE = 0.5
"""Below this share of lines parsed by any format, the file is ``raw``."""
RAW = "raw"

CONTINUATION = re.compile(
    r"[ \t]+\S|at |Caused by|Traceback|\.\.\.|File \"|During handling|The above exception"
    r"|[\w.$]+(?:Error|Exception|Exit|Interrupt|Warning)(?::|\s|\Z)"
)
"""What a line that continues the record before it looks like (stack traces, tracebacks)."""

_OPTIONAL_GROUP = re.compile(r"\((?:[^()\\]|\\.)*\)\?")
_FIELD = re.compile(r"<[^<>]+>")
_EPOCH_SHAPE = re.compile(r"\d{9,10}(?:\.\d{1,9})?|\d{12,13}")


@dataclass(frozen=True)
class FormatGuess:
    """What :func:`detect_format` chose.

    ``confidence``: share of the sampled lines the format reads (parsed with a time that parses,
    or a continuation line when ``multiline``). ``alternatives``: the next best formats and their
    shares. ``lines``: how many non-empty lines were sampled. ``source``: the file, when known.
    """

    format: str
    confidence: float
    family: str
    alternatives: tuple[tuple[str, float], ...] = ()
    multiline: bool = False
    lines: int = 0
    source: str | None = None

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["alternatives"] = [{"format": n, "score": s} for n, s in self.alternatives]
        return data

    def describe(self) -> str:
        """One line for people: ``format: HDFS (sure: 0.99) for app.log``."""
        where = f" for {self.source}" if self.source else ""
        extra = ", multi-line records" if self.multiline else ""
        return f"format: {self.format} (sure: {self.confidence:.2f}{extra}){where}"


def format_family(fmt: AnyFormat) -> str:
    """``loghub`` for a preset, ``user`` for a format from a formats file, else the family."""
    if isinstance(fmt, FieldFormat):
        return fmt.family
    if fmt.name == RAW:
        return RAW
    preset = _presets().get(fmt.name)
    return "loghub" if preset is not None and preset == fmt else "user"


def format_specificity(fmt: AnyFormat) -> float:
    """How particular a format is, to break ties (see the module docstring)."""
    if isinstance(fmt, FieldFormat):
        return fmt.specificity
    if fmt.name == RAW:
        return 0.0
    literal = re.sub(r"<[^<>]+>|\\.", "", fmt.pattern)
    optional = sum(len(_FIELD.findall(group)) for group in _OPTIONAL_GROUP.findall(fmt.pattern))
    score = len(fmt.fields) - optional / 2 + sum(ch.isalpha() for ch in literal) / 2
    return score + (0.5 if format_family(fmt) == "user" else 0.0)


def supports_multiline(fmt: AnyFormat) -> bool:
    """Whether lines a format does not parse may continue the record before them."""
    if isinstance(fmt, FieldFormat):
        return fmt.multiline
    return bool(fmt.fields)  # raw has no header to tell a record's first line


def time_ok(fmt: AnyFormat, fields: Mapping[str, str]) -> bool:
    """A parsed line's time parses, or the format has none, or (a family format) the line
    carries none: a JSON object without a time key is still a JSON line."""
    if isinstance(fmt, LogFormat) and fmt.timestamp is not None and fmt.timestamp.format == EPOCH:
        # the readers take any number as POSIX seconds; detection wants one that looks like a
        # time, or BGL's <Timestamp> would read OpenSSH's day of month "10" as 1970
        return all(_EPOCH_SHAPE.fullmatch(fields.get(name, "")) for name in fmt.timestamp.fields)
    if not fmt.has_timestamp or fmt.timestamp_of(fields) is not None:
        return True
    return isinstance(fmt, FieldFormat) and fields.get(fmt.time_field, "") in ("", "-")


def score_format(fmt: AnyFormat, lines: Sequence[str]) -> tuple[int, int]:
    """(lines parsed with a good time, continuation lines after a parsed one)."""
    parse, multi = fmt.parse, supports_multiline(fmt)
    matched = continued = 0
    for line in lines:
        try:
            parsed = parse(line)
        except Exception:  # noqa: BLE001 - a user format must not break detection for the others
            parsed = None
        if parsed is not None and time_ok(fmt, parsed[0]):
            matched += 1
        elif multi and matched and CONTINUATION.match(line):
            continued += 1
    return matched, continued


def detect_format(
    lines: Sequence[str],
    formats: Iterable[AnyFormat] | None = None,
    *,
    extra_paths: Iterable[str | Path] = (),
    source: str | None = None,
) -> FormatGuess:
    """The format that best reads ``lines`` (a file's head; empty lines are left out).

    ``formats``: the candidates (default: every known format, with those of ``extra_paths``).
    """
    sample = [ln for ln in lines if ln.strip()][:SAMPLE_LINES]
    candidates = list(formats) if formats is not None else list(load_formats(*tuple(extra_paths)).values())
    raw = next((f for f in candidates if f.name.lower() == RAW), None)
    n = len(sample)
    if n == 0:
        return FormatGuess(raw.name if raw else RAW, 0.0, RAW, (), False, 0, source)
    ranked = []
    for fmt in candidates:
        if fmt.name.lower() == RAW:
            continue
        matched, continued = score_format(fmt, sample)
        if matched == 0:
            continue
        share = (matched + continued) / n
        ranked.append(((share, format_specificity(fmt), matched), fmt, continued))
    ranked.sort(key=lambda item: item[0], reverse=True)
    scores = [(fmt.name, round(key[0], 4)) for key, fmt, _ in ranked]
    if not ranked or ranked[0][0][0] < MIN_SHARE:
        best = ranked[0][0][0] if ranked else 0.0
        return FormatGuess(raw.name if raw else RAW, round(1.0 - best, 4), RAW, tuple(scores[:3]), False, n, source)
    (share, _, _), fmt, continued = ranked[0]
    return FormatGuess(fmt.name, round(share, 4), format_family(fmt), tuple(scores[1:4]),
                       continued > 0, n, source)


def decode_sample(raw_lines: Iterable[bytes], limit: int = SAMPLE_LINES) -> list[str]:
    """The first ``limit`` non-empty lines that decode as UTF-8 (a bad line is the readers' to
    quarantine; it says nothing about the format)."""
    out: list[str] = []
    for raw in raw_lines:
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if line.strip():
            out.append(line)
            if len(out) >= limit:
                break
    return out


def read_head(path: str | os.PathLike[str], max_lines: int = SAMPLE_LINES, max_bytes: int = HEAD_BYTES) -> list[str]:
    """The first non-empty lines of a file (gzip read through), for detection."""
    data, complete = b"", True
    try:
        with open_path(Path(path)) as stream:
            for chunk in iter_chunks(stream):
                data += chunk
                if data.count(b"\n") > max_lines * 2 or len(data) >= max_bytes:
                    complete = False
                    break
    except ArchiveDamaged:
        pass  # detect on what could be read; the readers report the damage
    data = data.removeprefix(b"\xef\xbb\xbf")
    pieces = data[:max_bytes].split(b"\n")
    if not complete and len(pieces) > 1:
        pieces = pieces[:-1]  # the last piece may be a line cut short
    return decode_sample(pieces, max_lines)


def detect_file_format(
    path: str | os.PathLike[str],
    *,
    extra_paths: Iterable[str | Path] = (),
    formats: Iterable[AnyFormat] | None = None,
) -> FormatGuess:
    """Detect one file's format from its head. Raises ``OSError`` when it cannot be read."""
    return detect_format(read_head(path), formats, extra_paths=extra_paths, source=str(path))


__all__ = ["CONTINUATION", "FormatGuess", "LogFormat", "decode_sample", "detect_file_format",
           "detect_format", "format_family", "format_specificity", "read_head", "score_format",
           "supports_multiline", "time_ok"]
