"""Grouping configs: one registry, strict validation, errors that say what to fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from logsieve.sessions import (
    GROUPERS,
    FixedWindowConfig,
    FixedWindowGrouper,
    IdSessionGrouper,
    SessionConfig,
    SlidingWindowConfig,
    SlidingWindowGrouper,
    TimeWindowConfig,
    TimeWindowGrouper,
    make_grouper,
    parse_grouping,
)


def test_registry_maps_every_kind_to_its_grouper() -> None:
    assert dict(GROUPERS) == {"session": IdSessionGrouper, "fixed": FixedWindowGrouper,
                              "sliding": SlidingWindowGrouper, "time": TimeWindowGrouper}
    with pytest.raises(TypeError):
        GROUPERS["other"] = IdSessionGrouper  # type: ignore[index]


@pytest.mark.parametrize(("data", "cls"), [
    ({"kind": "session"}, IdSessionGrouper),
    ({"kind": "fixed", "size": 5}, FixedWindowGrouper),
    ({"kind": "sliding", "size": 5, "step": 2}, SlidingWindowGrouper),
    ({"kind": "time", "span": 60, "step": 30}, TimeWindowGrouper),
])
def test_make_grouper_from_mapping(data: dict, cls: type) -> None:
    grouper = make_grouper(data)
    assert type(grouper) is cls
    assert grouper.config.kind == data["kind"]
    assert make_grouper(grouper.config).config == grouper.config


@pytest.mark.parametrize("data", [
    {"kind": "bogus"},
    {"kind": "fixed", "size": 0},
    {"kind": "fixed", "szie": 5},  # a typo must not fall back to a default
    {"kind": "sliding", "size": 5, "step": 6},
    {"kind": "time", "span": 10, "step": 20},
    {"kind": "time", "span": 10, "step": 0.0001},
    {"kind": "session", "id_pattern": "blk_("},
    {"kind": "session", "id_pattern": "x*"},
    {"kind": "session", "id_pattern": "(a)(b)"},
    {"kind": "session", "max_open": 0},
])
def test_bad_configs_are_rejected(data: dict) -> None:
    with pytest.raises(ValidationError):
        parse_grouping(data)


def test_configs_are_frozen_and_describe_themselves() -> None:
    cfg = FixedWindowConfig(size=20)
    with pytest.raises(ValidationError):
        cfg.size = 3  # type: ignore[misc]
    assert cfg.describe() == "fixed windows of 20 lines per source"
    assert "step 5" in SlidingWindowConfig(size=10, step=5, per_source=False).describe()
    assert "over all sources" in SlidingWindowConfig(size=10, step=5, per_source=False).describe()
    assert "30s" in TimeWindowConfig(span=60, step=30).describe()
    assert "idle 60s" in SessionConfig(idle_seconds=60).describe()
    assert "idle 5 lines" in SessionConfig(idle_lines=5).describe()
