"""The grouping key of an anomaly: which templates it shows, in order of first appearance.

Two sessions that fail the same way differ in ids, times and how often each line repeats,
but show the same templates in the same order; hashing the ordered *distinct* template ids
gives them one key, so an on-call person gets one alert for a storm of identical failures.
The dashboard's ``pattern`` column is this same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

PATTERN_CHARS = 12
"""Hex characters kept: 48 bits, collision-free in practice for the patterns one system shows."""


def distinct_in_order(template_ids: Iterable[int]) -> list[int]:
    seen: set[int] = set()
    out: list[int] = []
    for tid in template_ids:
        if tid not in seen:
            seen.add(tid)
            out.append(tid)
    return out


def pattern_key(template_ids: Iterable[int]) -> str:
    """Short hash of the ordered distinct template ids (``""`` ids hash too: an empty sequence
    is one pattern of its own)."""
    ids = distinct_in_order(template_ids)
    text = ",".join(str(int(t)) for t in ids)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:PATTERN_CHARS]
