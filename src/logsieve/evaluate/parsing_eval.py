"""Run a parser over parsing-accuracy data sets and score it (``logsieve evaluate parsing``).

Each data set is parsed from a fresh parser in train mode, line by line as a stream would be.
A line's predicted template is its cluster's *final* template (Drain templates generalise as
lines arrive) and its group is its cluster id, which is how the reference benchmark scores an
online parser. Speed is lines per second of the parse loop alone (no file reading, no scoring).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from logsieve.evaluate.loghub import ParsingDataset
from logsieve.evaluate.metrics import ParsingScores, parsing_scores
from logsieve.parsing import DrainConfig, DrainParser

METRICS = ("GA", "PA", "FGA", "FTA", "RI")


@dataclass(frozen=True)
class DatasetResult:
    name: str
    scores: ParsingScores
    seconds: float
    templates: int

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
        }


def parse_groups(contents: Sequence[str], parser: DrainParser) -> tuple[list[int], list[str], float]:
    """Parse in train mode; return per-line cluster ids, final templates, and parse seconds."""
    learn = parser.learn
    start = time.perf_counter()
    ids = [learn(c).template_id for c in contents]
    seconds = time.perf_counter() - start
    final = {t.id: t.text for t in parser.templates}
    return ids, [final[i] for i in ids], seconds


def evaluate_dataset(dataset: ParsingDataset, make_parser: Callable[[], DrainParser]) -> DatasetResult:
    parser = make_parser()
    ids, templates, seconds = parse_groups(dataset.contents, parser)
    scores = parsing_scores(dataset.templates, templates, group_keys=ids)
    return DatasetResult(dataset.name, scores, seconds, len(parser))


def evaluate_parsing(
    datasets: Sequence[ParsingDataset],
    config: DrainConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Score every data set; the summary averages each metric over data sets (not lines)."""
    cfg = config or DrainConfig()
    per: dict[str, dict] = {}
    for ds in datasets:
        if progress is not None:
            progress(ds.name)
        per[ds.name] = evaluate_dataset(ds, lambda: DrainParser(cfg)).as_dict()
    n = len(per)
    summary: dict = {"datasets": n}
    for m in METRICS:
        summary[m] = round(sum(r[m] for r in per.values()) / n, 4) if n else 0.0
    summary["lines_per_s"] = round(sum(r["lines_per_s"] for r in per.values()) / n, 1) if n else 0.0
    summary["per_dataset"] = per
    return summary
