"""Saving a fitted feature as one versioned JSON file, written atomically.

Fitted state (a count vocabulary, an IDF table) decides which column or weight a template gets;
loading it into a different format version could silently shift every vector, so the reader
checks the format marker and version and says what to do when they differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logsieve.persist import read_json_checked, write_json_atomic


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
    return read_json_checked(target, fmt, version, what=f"a saved {fmt}", error=FeatureStateError,
                             advice="fit the feature again and save it anew")
