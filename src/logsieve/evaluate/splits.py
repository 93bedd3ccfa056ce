"""Chronological train / validation / test splits that cannot leak the future into training.

Two ways to cut, one rule: no sequence of an earlier split starts after one of a later split.

* **Sessions** (:func:`chronological_split`): order the sequences by start time (ties by key
  in natural order), then cut by count: the first ``train`` share trains, the next
  ``validation`` share validates, the rest tests. This is the usual HDFS protocol ("split
  blocks by their first line's time"), with one more rule: a session of an earlier split keeps
  only its lines from before the next split begins (``cut_future``). A model trained at that
  moment could not have seen later lines, and they are not harmless: an HDFS block is deleted
  hours after it is written, so uncut train sessions all end with their deletion while the
  sessions near the end of the log (in test) do not, and a detector learns "no deletion yet"
  as an anomaly. Cut, the train split holds unfinished normal sessions just as test does.
  Validation is cut at the test start for the same reason: the threshold is chosen at that
  moment, on validation sessions as they stand then. (Whole validation sessions were measured
  too: none of their normals is unfinished, and the threshold they chose flagged every
  unfinished test normal.)
* **Windows** (:func:`split_then_group`): cutting an already windowed stream would let a
  sliding window hold lines of two splits, so the *line* stream is ordered by time and cut by
  line count first, and each part is windowed on its own by a fresh grouper. No window
  straddles two splits; the price is that a part's last window may be short, and window keys
  (``<source>#w<k>``) restart in each part: a key is unique within a split, not across splits.

The default shares, 0.2 / 0.1 / 0.7, are those of the CoLA paper.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from logsieve.records import ParsedLine, Sequence
from logsieve.sessions import Grouper

SPLIT_NAMES: tuple[str, str, str] = ("train", "validation", "test")
_DIGITS = re.compile(r"(\d+)")


class SplitConfig(BaseModel):
    """Shares of the data per split, in time order; they must add up to 1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    train: float = Field(default=0.2, ge=0.0, le=1.0)
    validation: float = Field(default=0.1, ge=0.0, le=1.0)
    test: float = Field(default=0.7, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitConfig:
        total = self.train + self.validation + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"train + validation + test must be 1, got {total:g}")
        return self

    @classmethod
    def parse(cls, text: str) -> SplitConfig:
        """``"0.2,0.1,0.7"`` (train, validation, test), as the CLI takes it."""
        parts = [p.strip() for p in text.replace("/", ",").split(",")]
        if len(parts) != 3:
            raise ValueError(f"expected three shares TRAIN,VALIDATION,TEST such as 0.2,0.1,0.7, got {text!r}")
        try:
            train, validation, test = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"split shares must be numbers such as 0.2,0.1,0.7, got {text!r}") from None
        return cls(train=train, validation=validation, test=test)


def split_counts(n: int, config: SplitConfig) -> tuple[int, int, int]:
    """How many of ``n`` items go to each split: cumulative shares, rounded down."""
    n_train = math.floor(n * config.train + 1e-9)
    n_head = math.floor(n * (config.train + config.validation) + 1e-9)
    return n_train, n_head - n_train, n - n_head


def time_order_key(seq: Sequence) -> tuple[float, tuple[str | int, ...]]:
    """Start time, then key in natural order (``w9`` before ``w10``, as in the stream).

    A sequence with no timestamp sorts after every timed one.
    """
    start = seq.start
    return (math.inf if start is None else start, natural_key(seq.key))


def natural_key(key: str) -> tuple[str | int, ...]:
    """``"a#w10"`` -> ``("a#w", 10, "")``: digit runs compare as numbers."""
    return tuple(int(p) if i % 2 else p for i, p in enumerate(_DIGITS.split(key)))


@dataclass
class Splits:
    """The three splits, each in time order. ``method`` is ``sequences`` or ``lines``."""

    train: list[Sequence]
    validation: list[Sequence]
    test: list[Sequence]
    method: str = "sequences"

    def parts(self) -> dict[str, list[Sequence]]:
        return {"train": self.train, "validation": self.validation, "test": self.test}

    def sequences(self) -> list[Sequence]:
        """All sequences, train first: time order, since the splits are."""
        return [*self.train, *self.validation, *self.test]

    def summary(self) -> dict[str, dict[str, object]]:
        """Sizes and anomaly counts per split: what every reported figure must come with."""
        return {name: _part_summary(part) for name, part in self.parts().items()}


def chronological_split(
    sequences: Iterable[Sequence], config: SplitConfig | None = None, *, cut_future: bool = True
) -> Splits:
    """Order ``sequences`` by :func:`time_order_key` and cut them by count; with ``cut_future``
    each earlier split's sessions lose their lines from the next split's start on."""
    ordered = sorted(sequences, key=time_order_key)
    n_train, n_val, _ = split_counts(len(ordered), config or SplitConfig())
    train, val, test = ordered[:n_train], ordered[n_train:n_train + n_val], ordered[n_train + n_val:]
    if cut_future:
        train = _cut_before(train, _first_start(val + test))
        val = _cut_before(val, _first_start(test))
    return Splits(train, val, test)


def _first_start(part: list[Sequence]) -> float | None:
    starts = [s.start for s in part if s.start is not None]
    return min(starts) if starts else None


def _cut_before(part: list[Sequence], boundary: float | None) -> list[Sequence]:
    """Each sequence up to its first line stamped at or after ``boundary`` (untimed lines stay
    with the lines before them; a sequence never loses its first line)."""
    if boundary is None:
        return part
    out = []
    for seq in part:
        times = seq.timestamps
        cut = next((i for i, t in enumerate(times) if t is not None and t >= boundary and i > 0), len(times))
        out.append(seq if cut == len(times) else seq.head(cut))
    return out


def split_lines(
    lines: Iterable[ParsedLine], config: SplitConfig | None = None
) -> tuple[list[ParsedLine], list[ParsedLine], list[ParsedLine]]:
    """Order lines by time and cut them by count into train, validation and test lines.

    A line without a timestamp takes the time of the line before it in its source (the very
    first lines of a source, before any timestamp, sort first); ties keep input order, so an
    untimed log is split in stream order.
    """
    items = list(lines)
    times = _carried_times(items)
    order = sorted(range(len(items)), key=times.__getitem__)
    ordered = [items[i] for i in order]
    n_train, n_val, _ = split_counts(len(ordered), config or SplitConfig())
    return ordered[:n_train], ordered[n_train:n_train + n_val], ordered[n_train + n_val:]


def split_then_group(
    lines: Iterable[ParsedLine], make_grouper: Callable[[], Grouper], config: SplitConfig | None = None
) -> Splits:
    """Split the line stream by time, then window each part with its own fresh grouper."""
    parts = [sorted(make_grouper().group(part), key=time_order_key) for part in split_lines(lines, config)]
    return Splits(parts[0], parts[1], parts[2], method="lines")


def _carried_times(lines: list[ParsedLine]) -> list[float]:
    last: dict[str, float] = {}
    out: list[float] = []
    for line in lines:
        rec = line.record
        t = rec.timestamp
        if t is None:
            t = last.get(rec.source, -math.inf)
        else:
            last[rec.source] = t
        out.append(t)
    return out


def _part_summary(part: list[Sequence]) -> dict[str, object]:
    starts = [s.start for s in part if s.start is not None]
    ends = [s.end for s in part if s.end is not None]
    return {
        "sequences": len(part),
        "anomalous": sum(1 for s in part if s.label == 1),
        "normal": sum(1 for s in part if s.label == 0),
        "unlabelled": sum(1 for s in part if s.label is None),
        "lines": sum(len(s) for s in part),
        "start": min(starts) if starts else None,
        "end": max(ends) if ends else None,
    }
