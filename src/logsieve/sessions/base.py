"""What every grouper shares: the push/flush interface, its counters, capped open sequences.

A grouper is fed one :class:`ParsedLine` at a time and hands back the sequences that line
closed, so it works the same on a file and on an endless stream; :meth:`Grouper.flush` closes
what is still open at the end of input. Output order is a function of the input order only
(no hashing, no clocks), so two runs on the same lines give the same sequences in the same order.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from logsieve.records import ParsedLine, Sequence
from logsieve.sessions.config import GrouperConfig

PART_SEPARATOR = "#p"
"""Key suffix of a continuation: ``blk_7#p2`` is the second part of a capped ``blk_7``."""

_PART_SUFFIX = re.compile(re.escape(PART_SEPARATOR) + r"\d+$")


def base_key(key: str) -> str:
    """The key without a continuation suffix, i.e. the session id a label file knows."""
    return _PART_SUFFIX.sub("", key)


@dataclass
class GroupStats:
    """Counters a caller can check: ``lines == grouped + skipped`` always holds.

    ``skipped`` lines joined no sequence (no id in the line, or no usable time for a time
    window); ``memberships`` counts line-in-sequence pairs of emitted sequences, so a line in
    three overlapping windows counts three. ``timed_out``, ``evicted`` and ``split`` say why
    sequences closed before the end; ``untimed`` and ``late`` count lines with no timestamp or
    an earlier one than the clock; ``peak_open`` is the most sequences held open at once.
    """

    lines: int = 0
    grouped: int = 0
    skipped: int = 0
    memberships: int = 0
    emitted: int = 0
    timed_out: int = 0
    evicted: int = 0
    split: int = 0
    untimed: int = 0
    late: int = 0
    peak_open: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def combine(cls, parts: Iterable[GroupStats]) -> GroupStats:
        """Totals over several groupers (e.g. one per split part); ``peak_open`` is the max."""
        total = cls()
        for part in parts:
            for name, value in part.as_dict().items():
                merged = max(getattr(total, name), value) if name == "peak_open" else getattr(total, name) + value
                setattr(total, name, merged)
        return total


class OpenSequence:
    """A sequence being filled, which continues under a new key once it holds ``max_lines``.

    Capping length is what bounds memory per key; continuing (rather than dropping lines)
    keeps every line in some sequence.
    """

    __slots__ = ("base", "part", "seq", "opened_at")

    def __init__(self, base: str) -> None:
        self.base = base
        self.part = 1
        self.seq = Sequence(base)
        self.opened_at = 0  # input position of the open part's first line: the flush order

    def add(self, line: ParsedLine, max_lines: int, position: int) -> Sequence | None:
        """Append ``line``; return the sequence if it just reached ``max_lines`` (a new part opens)."""
        seq = self.seq
        if not seq.template_ids:
            self.opened_at = position
        seq.append(line)
        if len(seq.template_ids) < max_lines:
            return None
        full = self.seq
        self.part += 1
        self.seq = Sequence(f"{self.base}{PART_SEPARATOR}{self.part}")
        return full

    def take(self) -> Sequence | None:
        """The sequence for emitting at close, or ``None`` when the open part is still empty."""
        return self.seq if self.seq.template_ids else None


class Grouper(ABC):
    """Turns parsed lines into sequences, streaming; see :mod:`logsieve.sessions`."""

    def __init__(self, config: GrouperConfig) -> None:
        self.config = config
        self.stats = GroupStats()

    @abstractmethod
    def push(self, line: ParsedLine) -> list[Sequence]:
        """Take one line; return the sequences it closed, oldest first."""

    @abstractmethod
    def flush(self) -> list[Sequence]:
        """End of input: close and return every open sequence; the grouper starts over empty."""

    @property
    @abstractmethod
    def open_count(self) -> int:
        """Sequences held open now (the state whose size the limits bound)."""

    def group(self, lines: Iterable[ParsedLine]) -> Iterator[Sequence]:
        """Every sequence of ``lines``, then those still open at the end, in emission order."""
        push = self.push
        for line in lines:
            closed = push(line)
            if closed:
                yield from closed
        yield from self.flush()

    def _note_open(self) -> None:
        open_now = self.open_count
        if open_now > self.stats.peak_open:
            self.stats.peak_open = open_now

    def _emit(self, closed: list[Sequence], seq: Sequence | None) -> bool:
        """Add ``seq`` to ``closed`` when it holds lines, counting it; say whether it did."""
        if seq is None:
            return False
        closed.append(seq)
        self.stats.emitted += 1
        self.stats.memberships += len(seq)
        return True
