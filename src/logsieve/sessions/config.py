"""Grouping settings: one frozen pydantic model per grouper, chosen in YAML by ``kind``.

A config file names a grouper the way it names everything else, so switching from block-id
sessions to windows is one line::

    grouping: {kind: session, id_pattern: 'blk_-?\\d+', idle_seconds: 3600}
    grouping: {kind: fixed, size: 20}
    grouping: {kind: sliding, size: 20, step: 10}
    grouping: {kind: time, span: 60, step: 30}

Every limit that bounds memory (``max_open``, ``max_lines``) has a finite default: a stream
service must not grow without bound because a config left a field out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

DEFAULT_ID_PATTERN = r"blk_-?\d+"
"""HDFS block ids (``blk_-42``, ``blk_7``): the session key of the HDFS benchmarks."""

MAX_WINDOWS_PER_LINE = 10_000
"""Upper bound on ``size/step`` (``span/step``): each line is copied into that many windows."""


class GrouperConfig(BaseModel):
    """What every grouper shares (only strictness for now: unknown keys are errors).

    Sequences hold references to their parsed lines, so contents are always at hand for prompts
    at no extra copy; memory is bounded by each grouper's caps on open sequences and lines.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def describe(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


class SessionConfig(GrouperConfig):
    """Sessions keyed by an id found in the content (HDFS block ids by default).

    ``id_pattern`` is a regex searched in the content; with a capture group, group 1 is the id,
    else the whole match. A line naming several distinct ids joins each of their sessions.
    A session closes when it has been idle for more than ``idle_seconds`` of event time (the
    largest timestamp seen so far) or more than ``idle_lines`` pushed lines, whichever comes
    first; either may be ``None`` (no such timeout). Lines without a timestamp do not move the
    event clock, so on untimed logs only ``idle_lines`` can close a session before the end.
    ``max_open`` caps open sessions (the least recently active one is closed first) and
    ``max_lines`` caps one session's length (it is emitted and continues as ``<id>#p2``, ...).
    """

    kind: Literal["session"] = "session"
    id_pattern: str = DEFAULT_ID_PATTERN
    idle_seconds: float | None = Field(default=None, gt=0)
    idle_lines: int | None = Field(default=None, ge=1)
    max_open: int = Field(default=100_000, ge=1)
    max_lines: int = Field(default=10_000, ge=1)
    unkeyed_lines: int | None = Field(default=None, ge=1)
    """Lines that name no id go, per source, into windows of this many lines (keys
    ``<source>#u``, then ``#p2``, ...), so that no line goes unjudged. ``None``: they join nothing
    and are counted in ``skipped``, as in the HDFS benchmarks, where every line names its block."""

    @field_validator("id_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        """Fail at config load, not on the first line, and never accept an empty-matching id."""
        try:
            regex = re.compile(value)
        except re.error as exc:
            raise ValueError(f"id_pattern {value!r} is not a valid regex: {exc}") from exc
        if regex.groups > 1:
            raise ValueError(f"id_pattern {value!r} has {regex.groups} groups; use at most one (the id)")
        if regex.fullmatch("") is not None:
            raise ValueError(f"id_pattern {value!r} matches the empty string; every line would get an empty id")
        return value

    def describe(self) -> str:
        limits = [f"at most {self.max_open:,} open", f"{self.max_lines:,} lines each"]
        if self.idle_seconds is not None:
            limits.append(f"idle {self.idle_seconds:g}s")
        if self.idle_lines is not None:
            limits.append(f"idle {self.idle_lines:,} lines")
        if self.unkeyed_lines is not None:
            limits.append(f"lines without an id in windows of {self.unkeyed_lines:,}")
        return f"sessions by id /{self.id_pattern}/ ({', '.join(limits)})"


class _LineWindowConfig(GrouperConfig):
    """Windows counted in lines; ``per_source`` keeps each file's lines apart (the default)."""

    size: int = Field(default=20, ge=1)
    per_source: bool = True

    @property
    def stride(self) -> int:
        """Lines from one window's start to the next's (``size`` for fixed windows)."""
        return self.size

    def _scope(self) -> str:
        return "per source" if self.per_source else "over all sources"


class FixedWindowConfig(_LineWindowConfig):
    """Consecutive, non-overlapping windows of ``size`` lines; the last one may be shorter."""

    kind: Literal["fixed"] = "fixed"

    def describe(self) -> str:
        return f"fixed windows of {self.size} lines {self._scope()}"


class SlidingWindowConfig(_LineWindowConfig):
    """Windows of ``size`` lines starting every ``step`` lines (``step <= size``, so no gaps)."""

    kind: Literal["sliding"] = "sliding"
    step: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _no_gaps(self) -> SlidingWindowConfig:
        _check_step(self.step, self.size, "size")
        return self

    @property
    def stride(self) -> int:
        return self.step

    def describe(self) -> str:
        return f"sliding windows of {self.size} lines, step {self.step}, {self._scope()}"


class TimeWindowConfig(GrouperConfig):
    """Windows of ``span`` seconds starting every ``step`` seconds, aligned to the epoch.

    Window ``k`` covers ``[k*step, k*step + span)`` in POSIX seconds, so windows line up across
    files and runs. ``untimed`` says what happens to a line without a timestamp: ``carry`` puts
    it at the time of the line before it in its stream (a line before any timestamp in its
    stream joins nothing), ``drop`` sends it nowhere; both count it. ``max_lines`` caps one
    window's length as for sessions (a burst continues as ``<key>#p2``).
    """

    kind: Literal["time"] = "time"
    span: float = Field(default=60.0, gt=0)
    step: float = Field(default=60.0, gt=0)
    untimed: Literal["carry", "drop"] = "carry"
    per_source: bool = True
    max_lines: int = Field(default=10_000, ge=1)

    @model_validator(mode="after")
    def _no_gaps(self) -> TimeWindowConfig:
        _check_step(self.step, self.span, "span")
        return self

    def describe(self) -> str:
        scope = "per source" if self.per_source else "over all sources"
        return f"time windows of {self.span:g}s, step {self.step:g}s, {scope}"


GroupingConfig = Annotated[
    Union[SessionConfig, FixedWindowConfig, SlidingWindowConfig, TimeWindowConfig],
    Field(discriminator="kind"),
]
"""Any grouper's config; YAML picks the class by its ``kind`` key."""

_ADAPTER: TypeAdapter[Any] = TypeAdapter(GroupingConfig)


def parse_grouping(data: Mapping[str, Any] | GrouperConfig) -> GrouperConfig:
    """A config object from a mapping such as ``{"kind": "fixed", "size": 20}``."""
    if isinstance(data, GrouperConfig):
        return data
    return _ADAPTER.validate_python(dict(data))


def _check_step(step: float, size: float, size_name: str) -> None:
    """A step longer than the window would leave lines in no window at all."""
    if step > size:
        raise ValueError(f"step ({step}) must not exceed {size_name} ({size}): lines between windows would be lost")
    if size / step > MAX_WINDOWS_PER_LINE:
        raise ValueError(f"{size_name}/step = {size / step:g} copies every line into too many windows "
                         f"(at most {MAX_WINDOWS_PER_LINE:,})")
