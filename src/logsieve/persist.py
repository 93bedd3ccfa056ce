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
