"""Atomic JSON files: the one way logsieve writes saved state (parser, features, models).

A state file is written to a temporary file beside it and renamed over the target, so a crash
or a full disk never leaves a half-written state that a later run would half-read.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(target: Path, doc: dict[str, Any]) -> Path:
    """Write ``doc`` as compact JSON to ``target`` (temp file + rename); return ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, separators=(",", ":"))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_json_marked(target: Path, fmt: str, *, what: str, error: type[Exception]) -> dict[str, Any]:
    """Read a file written by :func:`write_json_atomic` and check its format marker.

    For states whose version the caller checks itself (a saved detector: each class has its
    own version). ``what`` names the state in messages, ``error`` is the caller's exception.
    """
    try:
        doc = json.loads(target.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{target} is not {what} ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise error(f"{target} is not {what} (format marker missing or different)")
    return doc


def read_json_checked(
    target: Path, fmt: str, version: int, *, what: str, error: type[Exception], advice: str,
) -> dict[str, Any]:
    """:func:`read_json_marked`, and the version checked too.

    ``advice`` says what to do about a version mismatch. The caller checks that the file
    exists, because each kind of state says differently how to create one.
    """
    doc = read_json_marked(target, fmt, what=what, error=error)
    if doc.get("version") != version:
        raise error(
            f"{target} was written as {what} version {doc.get('version')}, this logsieve reads "
            f"version {version}; {advice}"
        )
    return doc
