"""The one place that maps a config's ``kind`` to the grouper class that implements it.

Adding a grouper means one config class (in :mod:`logsieve.sessions.config`), one class here;
callers only ever say :func:`make_grouper` and never import a grouper by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from logsieve.sessions.base import Grouper
from logsieve.sessions.config import GrouperConfig, parse_grouping
from logsieve.sessions.ids import IdSessionGrouper
from logsieve.sessions.time_windows import TimeWindowGrouper
from logsieve.sessions.windows import FixedWindowGrouper, SlidingWindowGrouper

GROUPERS: Mapping[str, type[Grouper]] = MappingProxyType({
    "session": IdSessionGrouper,
    "fixed": FixedWindowGrouper,
    "sliding": SlidingWindowGrouper,
    "time": TimeWindowGrouper,
})
"""Config ``kind`` -> grouper class (read-only)."""


def make_grouper(config: GrouperConfig | Mapping[str, Any]) -> Grouper:
    """A fresh grouper for ``config`` (a config object or a mapping with a ``kind`` key)."""
    cfg = parse_grouping(config)
    kind = getattr(cfg, "kind")
    try:
        cls = GROUPERS[kind]
    except KeyError:  # a config class without a registered grouper is a programming error
        raise ValueError(f"no grouper registered for kind {kind!r}; known: {sorted(GROUPERS)}") from None
    return cls(cfg)  # type: ignore[call-arg]
