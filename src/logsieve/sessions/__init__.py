"""Sessions: turn a stream of parsed lines into the sequences a detector judges.

Four groupers behind one interface (:class:`Grouper`: ``push(line) -> closed sequences``,
``flush() -> the rest``, ``group(lines) -> all``), picked by a config's ``kind``:

* ``session``: lines that name an id (HDFS ``blk_...`` by default) form that id's session;
* ``fixed`` / ``sliding``: windows of N lines (every ``step`` lines for sliding);
* ``time``: windows of ``span`` seconds every ``step`` seconds, in event time.

They stream with bounded memory (caps on open sessions and on lines per sequence), count every
line they could not place (:class:`GroupStats`), and emit in an order fixed by the input alone.
"""

from logsieve.sessions.base import PART_SEPARATOR, GroupStats, Grouper, base_key
from logsieve.sessions.config import (
    DEFAULT_ID_PATTERN,
    FixedWindowConfig,
    GrouperConfig,
    GroupingConfig,
    SessionConfig,
    SlidingWindowConfig,
    TimeWindowConfig,
    parse_grouping,
)
from logsieve.sessions.discover import DiscoveryConfig, GroupingChoice, IdCandidate, discover_grouping
from logsieve.sessions.ids import IdSessionGrouper
from logsieve.sessions.registry import GROUPERS, make_grouper
from logsieve.sessions.time_windows import TimeWindowGrouper, time_window_indices
from logsieve.sessions.windows import ALL_SOURCES, FixedWindowGrouper, SlidingWindowGrouper, window_count

__all__ = [
    "ALL_SOURCES",
    "DEFAULT_ID_PATTERN",
    "DiscoveryConfig",
    "GROUPERS",
    "PART_SEPARATOR",
    "FixedWindowConfig",
    "FixedWindowGrouper",
    "GroupStats",
    "GroupingChoice",
    "Grouper",
    "GrouperConfig",
    "GroupingConfig",
    "IdCandidate",
    "IdSessionGrouper",
    "SessionConfig",
    "SlidingWindowConfig",
    "SlidingWindowGrouper",
    "TimeWindowConfig",
    "TimeWindowGrouper",
    "base_key",
    "discover_grouping",
    "make_grouper",
    "parse_grouping",
    "time_window_indices",
    "window_count",
]
