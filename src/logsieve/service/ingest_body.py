"""Decode one ``POST /ingest`` body into log lines and quarantine records.

A pure function, apart from the web layer, so the fuzz tests can call it on millions of inputs
directly and the app stays a thin shell around it. The promise: for *any* bytes it returns, it
never raises; every piece of the body that cannot become a line is a
:class:`~logsieve.records.QuarantineRecord` with its reason, so nothing vanishes silently.

Two media types (``service_api.md``): ``text/plain`` (one log line per line) and
``application/x-ndjson`` (one ``{"line": str, "source": str?}`` object per line; extra keys
are ignored so a shipper may add its own). Only UTF-8 is accepted; an unknown media type or
charset is the caller's 415, found with :func:`media_kind` before calling :func:`split_body`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from logsieve.ingest.splitter import RAW_PREFIX_BYTES, UTF8_BOM
from logsieve.records import QuarantineReason, QuarantineRecord

MediaKind = Literal["text", "ndjson"]

_TEXT_TYPES = {"text/plain"}
_NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl",
                 "application/x-jsonlines"}
_UTF8_CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}
MAX_SOURCE_CHARS = 200
"""An NDJSON ``source`` longer than this is a bad object: a source name is a label, not data."""


class UnsupportedMediaType(ValueError):
    """The body's content type is neither text/plain nor NDJSON in UTF-8 (HTTP 415)."""


@dataclass(slots=True)
class IngestBatch:
    """What one body held: accepted lines (in order) and what was set aside.

    ``sources[i]`` is the per-line source an NDJSON object named, or None (use the request's
    ``?source=``); ``positions[i]`` is the line's 1-based number in the body (quarantine records
    carry theirs as ``line_no``), so a caller can number lines and rejects in body order. Both
    are always as long as ``lines``.
    """

    lines: list[str] = field(default_factory=list)
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)


def media_kind(content_type: str | None) -> MediaKind | None:
    """``"text"`` or ``"ndjson"`` for a content type we decode, else None (answer 415).

    Parameters other than ``charset`` are ignored; a charset other than UTF-8/ASCII is refused
    rather than guessed, because a mis-decoded log line is worse than a clear 415.
    """
    if not content_type:
        return None
    parts = [p.strip() for p in content_type.split(";")]
    base = parts[0].lower()
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8_CHARSETS:
            return None
    if base in _TEXT_TYPES:
        return "text"
    if base in _NDJSON_TYPES:
        return "ndjson"
    return None


def split_body(body: bytes, content_type: str, max_line_bytes: int, *,
               source: str = "http") -> IngestBatch:
    """Lines and quarantine records of ``body``; never raises on any bytes.

    Raises :class:`UnsupportedMediaType` only for a content type :func:`media_kind` refuses
    (check that first), and ValueError for ``max_line_bytes < 1`` (a programming error).
    Line numbers in quarantine records are 1-based within the body. A final line without a
    newline is a line; the empty piece after a final newline is not. ``\\r\\n`` ends a line
    like ``\\n``; a UTF-8 BOM at the start is dropped.
    """
    if max_line_bytes < 1:
        raise ValueError(f"max_line_bytes must be at least 1, got {max_line_bytes}")
    kind = media_kind(content_type)
    if kind is None:
        raise UnsupportedMediaType(
            f"unsupported content type {content_type!r}: send text/plain or application/x-ndjson"
            " in UTF-8")
    batch = IngestBatch()
    for line_no, raw in enumerate(_raw_lines(body), start=1):
        if kind == "text":
            _take_text(batch, source, line_no, raw, max_line_bytes)
        else:
            _take_ndjson(batch, source, line_no, raw, max_line_bytes)
    return batch


def _raw_lines(body: bytes) -> list[bytes]:
    if body.startswith(UTF8_BOM):
        body = body[len(UTF8_BOM):]
    if not body:
        return []
    pieces = body.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    return [p[:-1] if p.endswith(b"\r") else p for p in pieces]


def _bad(batch: IngestBatch, source: str, line_no: int, reason: QuarantineReason,
         detail: str, raw: bytes) -> None:
    batch.quarantined.append(QuarantineRecord(source, line_no, reason, detail, raw[:RAW_PREFIX_BYTES]))


def _take_text(batch: IngestBatch, source: str, line_no: int, raw: bytes, limit: int) -> None:
    if len(raw) > limit:
        _bad(batch, source, line_no, QuarantineReason.TOO_LONG,
             f"line longer than {limit} bytes (kept its first {RAW_PREFIX_BYTES})", raw)
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _bad(batch, source, line_no, QuarantineReason.DECODE_ERROR,
             f"not UTF-8 at byte {exc.start}", raw)
        return
    batch.lines.append(text)
    batch.sources.append(None)
    batch.positions.append(line_no)


def _take_ndjson(batch: IngestBatch, source: str, line_no: int, raw: bytes, limit: int) -> None:
    # JSON escapes can make an object up to 6x its text (\uXXXX), so the raw cap is looser;
    # the decoded line is then held to the same limit as a text line.
    if len(raw) > 6 * limit + 256:
        _bad(batch, source, line_no, QuarantineReason.TOO_LONG,
             f"NDJSON object longer than {6 * limit + 256} bytes", raw)
        return
    if not raw.strip():
        return  # blank separator lines are common in NDJSON files; they carry nothing
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        _bad(batch, source, line_no, QuarantineReason.DECODE_ERROR, f"not UTF-8 at byte {exc.start}", raw)
        return
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge ints, deep nesting
        _bad(batch, source, line_no, QuarantineReason.BAD_NDJSON, f"not JSON: {str(exc)[:120]}", raw)
        return
    problem = _object_problem(obj, limit)
    if problem is not None:
        reason = QuarantineReason.TOO_LONG if problem.startswith("line longer") else QuarantineReason.BAD_NDJSON
        _bad(batch, source, line_no, reason, problem, raw)
        return
    batch.lines.append(obj["line"])
    batch.sources.append(obj.get("source"))
    batch.positions.append(line_no)


def _object_problem(obj: object, limit: int) -> str | None:
    """Why a decoded NDJSON value cannot be taken, or None when it can."""
    if not isinstance(obj, dict):
        return 'expected an object like {"line": "..."}'
    line = obj.get("line")
    if not isinstance(line, str):
        return 'missing "line" string'
    if "\n" in line or "\r" in line:
        return '"line" holds a line break: send one object per log line'
    encoded = _utf8(line)
    if encoded is None:
        return '"line" holds an unpaired surrogate escape (not valid Unicode)'
    if len(encoded) > limit:
        return f"line longer than {limit} bytes"
    src = obj.get("source")
    if src is not None:
        if not isinstance(src, str) or not src or len(src) > MAX_SOURCE_CHARS or _utf8(src) is None:
            return f'"source" must be a non-empty string of at most {MAX_SOURCE_CHARS} characters'
        if any(ord(c) < 32 for c in src):
            return '"source" holds control characters'
    return None


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None
