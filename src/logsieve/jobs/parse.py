"""The parse job: ingest -> Drain -> parsed lines, a summary, optional saved state and output.

Used by ``logsieve parse`` and by the Python API. Lines that cannot become records are counted
and handed to the quarantine sink with their reason, never dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from logsieve.ingest import IngestStats, LogFormat, read_records
from logsieve.parsing import DrainConfig, DrainParser
from logsieve.parsing.state import state_file
from logsieve.records import ParsedLine, QuarantineRecord

ProgressHook = Callable[[int], None]


@dataclass(frozen=True)
class ParseJobConfig:
    """What to parse and how. ``state`` is a directory: loaded when it exists, saved at the end."""

    sources: tuple[str, ...]
    log_format: LogFormat
    drain: DrainConfig = field(default_factory=DrainConfig)
    state: Path | None = None
    learn: bool = True
    max_line_bytes: int = 1_000_000


@dataclass
class ParseSummary:
    """Counts a script can rely on: ``lines == parsed + quarantined``."""

    lines: int = 0
    parsed: int = 0
    quarantined: int = 0
    templates: int = 0
    new_templates: int = 0
    unmatched: int = 0
    seconds: float = 0.0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    state_path: str | None = None

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "parsed": self.parsed,
            "quarantined": self.quarantined,
            "templates": self.templates,
            "new_templates": self.new_templates,
            "unmatched": self.unmatched,
            "seconds": round(self.seconds, 4),
            "lines_per_s": round(self.lines_per_s, 1),
            "quarantine_reasons": dict(self.quarantine_reasons),
            "state": self.state_path,
        }


def open_parser(config: ParseJobConfig) -> DrainParser:
    """Resume from saved state when there is one, so template ids stay stable across runs."""
    if config.state is not None and state_file(config.state).exists():
        return DrainParser.load(config.state)
    return DrainParser(config.drain)


def parse_stream(
    config: ParseJobConfig,
    parser: DrainParser,
    summary: ParseSummary,
    on_quarantine: Callable[[QuarantineRecord], None] | None = None,
    progress: ProgressHook | None = None,
) -> Iterator[ParsedLine]:
    """Yield parsed lines; quarantined lines go to ``on_quarantine`` and are counted."""
    stats = IngestStats()
    parse = parser.learn if config.learn else parser.match
    every = 5000
    records = read_records(
        list(config.sources), config.log_format, max_line_bytes=config.max_line_bytes, stats=stats
    )
    for n, item in enumerate(records, 1):
        if progress is not None and n % every == 0:
            progress(n)
        if isinstance(item, QuarantineRecord):
            if on_quarantine is not None:
                on_quarantine(item)
            continue
        result = parse(item.content)
        if result.template_id is None:
            summary.unmatched += 1
            yield ParsedLine(item, -1, "", ())
            continue
        if result.change == "new":
            summary.new_templates += 1
        yield ParsedLine(item, result.template_id, result.template or "", result.params, result.change == "new")
    summary.lines = stats.lines_read
    summary.parsed = stats.records
    summary.quarantined = stats.quarantined
    summary.quarantine_reasons = {str(getattr(k, "value", k)): v for k, v in stats.by_reason.items()}


def run_parse(
    config: ParseJobConfig,
    sink: Callable[[Iterable[ParsedLine]], None] | None = None,
    on_quarantine: Callable[[QuarantineRecord], None] | None = None,
    progress: ProgressHook | None = None,
) -> tuple[ParseSummary, DrainParser]:
    """Run the whole job; ``sink`` consumes the parsed lines (e.g. a CSV writer)."""
    summary = ParseSummary()
    parser = open_parser(config)
    start = time.perf_counter()
    stream = parse_stream(config, parser, summary, on_quarantine, progress)
    if sink is None:
        for _ in stream:
            pass
    else:
        sink(stream)
    summary.seconds = time.perf_counter() - start
    summary.templates = len(parser)
    if config.state is not None:
        summary.state_path = str(parser.save(config.state))
    return summary, parser
