"""Saving a fitted feature as one versioned JSON file, written atomically.

Fitted state (a count vocabulary, an IDF table) decides which column or weight a template gets;
loading it into a different format version could silently shift every vector, so the reader
checks the format marker and version and says what to do when they differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from logsieve.persist import write_json_atomic


class FeatureStateError(ValueError):
    """A saved feature file is missing, of another kind, or of another format version."""


def write_state(path: str | Path, fmt: str, version: int, payload: dict[str, Any]) -> Path:
    """Write ``payload`` under a format marker (temp file + rename: never half-written)."""
    return write_json_atomic(Path(path), {"format": fmt, "version": version, **payload})


def read_state(path: str | Path, fmt: str, version: int) -> dict[str, Any]:
    """The payload written by :func:`write_state`, after checking marker and version."""
    target = Path(path)
    if not target.exists():
        raise FeatureStateError(f"no saved {fmt} at {target}")
    try:
        doc = json.loads(target.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeatureStateError(f"{target} is not a saved {fmt} ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise FeatureStateError(f"{target} is not a saved {fmt} (format marker missing or different)")
    if doc.get("version") != version:
        raise FeatureStateError(
            f"{target} was saved as {fmt} version {doc.get('version')}, this logsieve reads "
            f"version {version}; fit the feature again and save it anew"
        )
    return doc
