"""Run a parser over parsing-accuracy data sets and score it (``logsieve evaluate parsing``).

Each data set is parsed from a fresh parser in train mode, line by line as a stream would be.
A line's predicted template is its cluster's *final* template (Drain templates generalise as
lines arrive) and its group is its cluster id, which is how the reference benchmark scores an
online parser. Speed is lines per second of the parse loop alone (no file reading, no scoring).

A parser that must be trained first (LogStamp: it has ``fit_head``) is trained on the head of
each data set before the stream starts; that time is reported apart as ``train_seconds``, and
every line, the training head included, is still parsed online and scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from logsieve.evaluate.loghub import ParsingDataset
from logsieve.evaluate.metrics import ParsingScores, parsing_scores
from logsieve.parsing import DrainConfig, DrainParser, ParseResult, Template

METRICS = ("GA", "PA", "FGA", "FTA", "RI")


class OnlineParser(Protocol):
    """What evaluation needs of a parser: Drain and LogStamp both provide it."""

    @property
    def templates(self) -> list[Template]: ...

    def learn_many(self, contents: Iterable[str]) -> Iterator[ParseResult]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class DatasetResult:
    name: str
    scores: ParsingScores
    seconds: float
    templates: int
    train_seconds: float | None = None

    @property
    def lines_per_s(self) -> float:
        return self.scores.lines / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        s = self.scores
        return {
            "GA": round(s.ga, 4),
            "PA": round(s.pa, 4),
            "FGA": round(s.fga, 4),
            "FTA": round(s.fta, 4),
            "RI": round(s.ri, 4),
            "lines": s.lines,
            "gt_templates": s.gt_groups,
            "templates": s.pred_groups,
            "lines_per_s": round(self.lines_per_s, 1),
        } | ({} if self.train_seconds is None else {"train_seconds": round(self.train_seconds, 3)})


def parse_groups(contents: Sequence[str], parser: OnlineParser) -> tuple[list[int], list[str], float]:
    """Parse in train mode; return per-line cluster ids, final templates, and parse seconds.

    ``learn_many`` rather than ``learn`` per line, so a parser that batches (LogStamp tags
    uncached lines 256 at a time) is timed the way it runs on a stream.
    """
    start = time.perf_counter()
    ids = [r.template_id for r in parser.learn_many(contents)]
    seconds = time.perf_counter() - start
    final = {t.id: t.text for t in parser.templates}
    return ids, [final[i] for i in ids], seconds


def evaluate_dataset(dataset: ParsingDataset, make_parser: Callable[[], OnlineParser]) -> DatasetResult:
    parser = make_parser()
    train_seconds = _train(parser, dataset.contents)
    ids, templates, seconds = parse_groups(dataset.contents, parser)
    scores = parsing_scores(dataset.templates, templates, group_keys=ids)
    return DatasetResult(dataset.name, scores, seconds, len(parser), train_seconds)


def _train(parser: OnlineParser, contents: Sequence[str]) -> float | None:
    """Train a parser that needs it on the head of the data; ``None`` for one that does not."""
    fit_head = getattr(parser, "fit_head", None)
    if fit_head is None:
        return None
    start = time.perf_counter()
    fit_head(contents)
    return time.perf_counter() - start


def evaluate_parsing(
    datasets: Sequence[ParsingDataset],
    config: DrainConfig | None = None,
    progress: Callable[[str], None] | None = None,
    make_parser: Callable[[], OnlineParser] | None = None,
) -> dict:
    """Score every data set; the summary averages each metric over data sets (not lines).

    ``make_parser`` replaces the default Drain parser (built from ``config``); with a parser
    that trains, the summary adds ``train_seconds``, the total over data sets.
    """
    cfg = config or DrainConfig()
    factory = make_parser or (lambda: DrainParser(cfg))
    per: dict[str, dict] = {}
    for ds in datasets:
        if progress is not None:
            progress(ds.name)
        per[ds.name] = evaluate_dataset(ds, factory).as_dict()
    n = len(per)
    summary: dict = {"datasets": n}
    for m in METRICS:
        summary[m] = round(sum(r[m] for r in per.values()) / n, 4) if n else 0.0
    summary["lines_per_s"] = round(sum(r["lines_per_s"] for r in per.values()) / n, 1) if n else 0.0
    if any("train_seconds" in r for r in per.values()):
        summary["train_seconds"] = round(sum(r.get("train_seconds", 0.0) for r in per.values()), 3)
    summary["per_dataset"] = per
    return summary
