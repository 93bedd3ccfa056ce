"""The parse job: ingest -> a parser -> parsed lines, a summary, optional saved state and output.

Used by ``logsieve parse`` and by the Python API. Lines that cannot become records are counted
and handed to the quarantine sink with their reason, never dropped.

Two parsers: Drain (the default, online from the first line) and LogStamp (``parser="stamp"``),
which must learn its tagger first. Without a trained state, LogStamp trains on the head of the
input, the first ``train_fraction`` (10%) of the files' lines, or ``train_lines`` when given or
when the input is a stream whose length is unknown, and then parses every line online, the
head included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from itertools import chain, islice, repeat
from typing import TYPE_CHECKING, Literal, Union

from logsieve.ingest import IngestStats, LogFormat, read_records
from logsieve.ingest.read_ahead import can_read_ahead, read_records_ahead
from logsieve.ingest.sources import count_lines
from logsieve.parsing import DrainConfig, DrainParser, ParseResult
from logsieve.parsing.masking import Premasked, Premasker
from logsieve.parsing.state import state_file
from logsieve.records import LogRecord, ParsedLine, QuarantineRecord

if TYPE_CHECKING:
    from logsieve.ingest.detect import FormatGuess
    from logsieve.parsing.stamp import StampConfig, StampParser

ProgressHook = Callable[[int], None]
ParserKind = Literal["drain", "stamp"]
Parser = Union[DrainParser, "StampParser"]
STREAM_TRAIN_LINES = 5000
"""LogStamp's training head when the input's length is unknown (stdin)."""
MAX_TRAIN_LINES = 100_000
"""Cap on the 10% head of a large input: training cost grows with distinct lines, not lines."""


@dataclass(frozen=True)
class ParseJobConfig:
    """What to parse and how. ``state`` is a directory: loaded when it exists, saved at the end."""

    sources: tuple[str, ...]
    log_format: LogFormat | str  # a format, or "auto": detected per source (see ingest.detect)
    drain: DrainConfig = field(default_factory=DrainConfig)
    state: Path | None = None
    learn: bool = True
    max_line_bytes: int = 1_000_000
    parser: ParserKind = "drain"
    stamp: "StampConfig | None" = None
    train_lines: int | None = None
    formats_files: tuple[Path, ...] = ()
    multiline: bool | None = None  # None: as detected with "auto", off with a named format
    on_format: Callable[[str, FormatGuess], None] | None = None
    read_ahead: bool = True
    """Read large files in a second process where that is possible (:mod:`logsieve.ingest.read_ahead`);
    the lines and their order are the same either way."""
    reader_mask_share: float = 0.0
    """With read-ahead and Drain: the share of lines the reading process also masks (the rest
    are masked here); the parsed lines are the same whatever the share (see
    :class:`~logsieve.parsing.masking.Premasker`)."""


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
    parser: str = "drain"
    train_lines: int = 0
    train_seconds: float = 0.0
    formats: dict[str, dict] = field(default_factory=dict)
    joined_lines: int = 0

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
            "parser": self.parser,
            "joined_lines": self.joined_lines,
        } | ({"formats": dict(self.formats)} if self.formats else {}) | ({"train_lines": self.train_lines, "train_seconds": round(self.train_seconds, 3)}
             if self.parser == "stamp" else {})


def open_parser(config: ParseJobConfig) -> Parser:
    """Resume from saved state when there is one, so template ids stay stable across runs."""
    from logsieve.parsing.stamp import STAMP_META

    state = config.state
    has_drain = state is not None and state_file(state).exists()
    has_stamp = state is not None and (state / STAMP_META).exists()
    if config.parser == "stamp":
        from logsieve.parsing.stamp import StampParser

        if has_drain and not has_stamp:
            raise RuntimeError(f"{state} holds a Drain parser state; use --parser drain with it, "
                               "or give --parser stamp a new --state directory")
        return StampParser.load(state) if has_stamp else StampParser(config.stamp)  # type: ignore[arg-type]
    if has_stamp and not has_drain:
        raise RuntimeError(f"{state} holds a LogStamp parser state; use --parser stamp with it, "
                           "or give Drain a new --state directory")
    return DrainParser.load(state) if has_drain else DrainParser(config.drain)  # type: ignore[arg-type]


def parse_stream(
    config: ParseJobConfig,
    parser: Parser,
    summary: ParseSummary,
    on_quarantine: Callable[[QuarantineRecord], None] | None = None,
    progress: ProgressHook | None = None,
    reader: Callable[[IngestStats], Iterable[LogRecord | QuarantineRecord]] | None = None,
) -> Iterator[ParsedLine]:
    """Yield parsed lines; quarantined lines go to ``on_quarantine`` and are counted.

    ``reader(stats)`` replaces reading ``config.sources`` (e.g. following a growing file).
    """
    stats = IngestStats()

    def on_format(name: str, guess: FormatGuess) -> None:
        summary.formats[name] = {"format": guess.format, "confidence": guess.confidence,
                                 "family": guess.family, "multiline": guess.multiline}
        if config.on_format is not None:
            config.on_format(name, guess)

    yield from _lines(config, parser, summary, stats, on_format, on_quarantine, progress, reader)
    summary.lines = stats.lines_read
    summary.parsed = stats.records
    summary.quarantined = stats.quarantined
    summary.joined_lines = stats.joined_lines
    summary.quarantine_reasons = {str(getattr(k, "value", k)): v for k, v in stats.by_reason.items()}


def _lines(
    config: ParseJobConfig,
    parser: Parser,
    summary: ParseSummary,
    stats: IngestStats,
    on_format: Callable[[str, FormatGuess], None],
    on_quarantine: Callable[[QuarantineRecord], None] | None,
    progress: ProgressHook | None,
    reader: Callable[[IngestStats], Iterable[LogRecord | QuarantineRecord]] | None,
) -> Iterator[ParsedLine]:
    """The parsed lines, from whichever reader fits: ``reader``, a reading process (which also
    masks ``reader_mask_share`` of the lines, with a copy of the Drain parser's own masker) or
    inline reading."""
    drain = isinstance(parser, DrainParser)
    ahead = reader is None and config.read_ahead and can_read_ahead(config.sources)
    how = {"max_line_bytes": config.max_line_bytes, "stats": stats, "multiline": config.multiline,
           "extra_paths": config.formats_files, "on_format": on_format}
    if ahead and drain and config.reader_mask_share > 0:
        masked = read_records_ahead(list(config.sources), config.log_format, **how,  # type: ignore[arg-type]
                                    annotate=Premasker(parser.masker, config.reader_mask_share))  # type: ignore[union-attr]
        return _drain_lines(parser, masked, config.learn, summary, on_quarantine, progress)  # type: ignore[arg-type]
    if reader is not None:
        records = reader(stats)
    else:
        read = read_records_ahead if ahead else read_records
        records = read(list(config.sources), config.log_format, **how)  # type: ignore[arg-type]
    if drain:
        return _drain_lines(parser, zip(records, repeat(None)), config.learn, summary, on_quarantine, progress)  # type: ignore[arg-type]
    results = _stamp_results(parser, config, summary, _records_only(records, on_quarantine, progress))  # type: ignore[arg-type]
    return (_parsed_line(record, result, summary) for record, result in results)


def _parsed_line(record: LogRecord, result: ParseResult, summary: ParseSummary) -> ParsedLine:
    if result.template_id is None:
        summary.unmatched += 1
        return ParsedLine(record, -1, "", ())
    if result.change == "new":
        summary.new_templates += 1
    return ParsedLine(record, result.template_id, result.template or "", result.params, result.change == "new")


def _drain_lines(
    parser: DrainParser,
    items: Iterable[tuple[LogRecord | QuarantineRecord, Premasked | None]],
    learn: bool,
    summary: ParseSummary,
    on_quarantine: Callable[[QuarantineRecord], None] | None,
    progress: ProgressHook | None,
) -> Iterator[ParsedLine]:
    """Drain, line by line: the hot loop of the default parser, kept flat (one generator, the
    common case inline, the :class:`ParsedLine` built by ``tuple.__new__`` in C).

    ``items`` pairs each record with what the reading process made of its masking, or ``None``
    for a line masked here (every line, when reading inline: ``zip(records, repeat(None))``)."""
    parse_masked = parser.learn_masked if learn else parser.match_masked
    parse = parser.learn if learn else parser.match
    new = tuple.__new__
    every = 5000
    for n, (item, masked) in enumerate(items, 1):
        if progress is not None and n % every == 0:
            progress(n)
        if type(item) is QuarantineRecord:
            if on_quarantine is not None:
                on_quarantine(item)
            continue
        if masked is None:  # left to this process (reader_mask_share)
            tid, template, params, change = parse(item[2])
        else:
            raw, key = masked
            tid, template, params, change = parse_masked(item[2].split() if raw is None else raw, key)
        if tid is None or change != "none":
            yield _parsed_line(item, ParseResult(tid, template, params, change), summary)  # type: ignore[arg-type]
            continue
        yield new(ParsedLine, (item, tid, template, params, False))


def _records_only(
    records: Iterable[LogRecord | QuarantineRecord],
    on_quarantine: Callable[[QuarantineRecord], None] | None,
    progress: ProgressHook | None,
) -> Iterator[LogRecord]:
    for n, item in enumerate(records, 1):
        if progress is not None and n % 5000 == 0:
            progress(n)
        if isinstance(item, QuarantineRecord):
            if on_quarantine is not None:
                on_quarantine(item)
            continue
        yield item


def _stamp_results(
    parser: StampParser, config: ParseJobConfig, summary: ParseSummary, records: Iterator[LogRecord]
) -> Iterator[tuple[LogRecord, ParseResult]]:
    """LogStamp: train on the head first if the parser is untrained, then tag in batches."""
    summary.parser = "stamp"
    if not parser.trained:
        if not config.learn:
            raise RuntimeError("--match-only needs a trained LogStamp state (--state DIR from an earlier run)")
        head = list(islice(records, train_head_lines(config, parser.config.train_fraction)))
        if not head:
            return
        report = parser.fit([r.content for r in head])
        summary.train_lines, summary.train_seconds = report.lines, report.seconds
        records = chain(head, records)
    size = parser.config.infer_batch
    while chunk := list(islice(records, size)):
        yield from zip(chunk, parser.learn_many([r.content for r in chunk], learn=config.learn))


def train_head_lines(config: ParseJobConfig, fraction: float) -> int:
    """How many lines LogStamp trains on: see the module docstring."""
    if config.train_lines is not None:
        return max(1, config.train_lines)
    total = count_lines(config.sources)
    if total is None:
        return STREAM_TRAIN_LINES
    return max(1, min(MAX_TRAIN_LINES, round(total * fraction)))


def run_parse(
    config: ParseJobConfig,
    sink: Callable[[Iterable[ParsedLine]], None] | None = None,
    on_quarantine: Callable[[QuarantineRecord], None] | None = None,
    progress: ProgressHook | None = None,
) -> tuple[ParseSummary, Parser]:
    """Run the whole job; ``sink`` consumes the parsed lines (e.g. a CSV writer)."""
    summary = ParseSummary(parser=config.parser)
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
    if config.state is not None and getattr(parser, "trained", True):  # LogStamp with no input has nothing to save
        summary.state_path = str(parser.save(config.state))
    return summary, parser
