"""Log parsing accuracy: GA, PA, FGA, FTA and the Rand index.

The definitions follow the Loghub-2.0 benchmark's evaluation code (logpai/loghub-2.0:
``logparser/utils/evaluator.py::get_accuracy`` for GA and FGA,
``evaluation/utils/PA_calculator.py::calculate_parsing_accuracy`` for PA and
``evaluation/utils/template_level_analysis.py::evaluate_template_level`` for FTA), so that our
numbers can be set beside the published tables. Everything is counted with ``Counter`` in one
pass over the lines: no numpy/pandas at runtime, and nothing quadratic in the number of lines.

Choices made where the reference is silent, ambiguous or differs from its own paper:

* **Ground-truth groups are keyed by the template string** (the EventTemplate column), not by
  EventId, exactly as the reference does. (In loghub_2k/Linux two EventIds share a template, so
  the two keyings really do differ there.)
* **No normalisation before string comparison.** The reference's evaluator compares
  EventTemplate strings verbatim (pandas ``eq``); its template "correction" rules are applied
  once to the ground-truth files when they are built, never at scoring time. We do the same:
  PA and FTA use exact ``==``. Callers who want whitespace or ``<*>`` folding must normalise
  both sides themselves, and should say so when reporting.
* **GA counts lines**, not groups: it is the fraction of lines whose ground-truth group is
  reproduced exactly by one predicted group (reference: ``accurate_events += len(group)``).
  FGA is the group-level counterpart.
* **FTA comes in two rules** (see :data:`FtaRule`); the default reproduces the reference code.
* **Missing ground truth.** The reference drops lines whose ground-truth template is NaN before
  GA/FGA/FTA, but keeps them (as wrong) in PA. Our inputs are strings, so nothing is dropped;
  the shipped Loghub CSVs contain no empty templates.
* **Empty input** scores 1.0 on every metric (nothing was mis-parsed), matching scikit-learn's
  convention for the Rand index of fewer than two samples; the reference would divide by zero.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

FtaRule = Literal["loghub2", "exact"]
"""How FTA decides that a predicted template is correct.

``"loghub2"`` (default) reproduces ``evaluate_template_level``: predicted templates are grouped
by their *string*, and a predicted template ``s`` is correct when every line that received ``s``
has ground-truth template ``s``. It does not ask the predicted group to hold *all* lines of that
ground-truth group: if a parser splits ``T`` into ``T`` and ``T'``, the ``T`` fragment counts.

``"exact"`` is the stricter reading of the Loghub-2.0 paper's prose: a predicted group (keyed by
``group_keys``) is correct when its set of lines equals a ground-truth group's set of lines *and*
every predicted template string in it equals that group's template. Precision is over predicted
groups, recall over ground-truth templates.
"""


@dataclass(frozen=True)
class ParsingScores:
    """Scores for one parsed data set; every rate lies in [0, 1]."""

    ga: float
    pa: float
    fga: float
    fta: float
    ri: float
    lines: int
    gt_groups: int
    pred_groups: int

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict, so results can go straight to JSON/CSV writers."""
        return dataclasses.asdict(self)


def parsing_scores(
    gt_templates: Sequence[str],
    pred_templates: Sequence[str],
    group_keys: Sequence[Hashable] | None = None,
    *,
    fta_rule: FtaRule = "loghub2",
) -> ParsingScores:
    """Score a parser's output against ground truth, one entry per log line.

    ``gt_templates`` is the EventTemplate column; ``pred_templates`` the parser's template per
    line. ``group_keys`` says how the parser grouped the lines; it defaults to the predicted
    template strings (as the reference does), but a parser whose templates evolve (Drain) may
    rather be judged on its cluster ids. GA, FGA, RI and the "exact" FTA use ``group_keys``;
    PA and the "loghub2" FTA use the template strings.
    """
    gt, pred = list(gt_templates), list(pred_templates)
    keys = pred if group_keys is None else list(group_keys)
    _check_lengths(gt, pred, keys)
    if fta_rule not in get_args(FtaRule):
        raise ValueError(f"fta_rule must be one of {get_args(FtaRule)}, got {fta_rule!r}")
    gt_sizes, key_sizes = Counter(gt), Counter(keys)
    if not gt:
        return ParsingScores(1.0, 1.0, 1.0, 1.0, 1.0, 0, 0, 0)
    exact = _exact_groups(gt, keys, gt_sizes, key_sizes)
    ga = sum(gt_sizes[t] for t, _ in exact) / len(gt)
    pa = sum(g == p for g, p in zip(gt, pred)) / len(gt)
    fga = _f1(len(exact), len(key_sizes), len(gt_sizes))
    if fta_rule == "loghub2":
        fta = _f1(_loghub2_correct_templates(gt, pred), len(set(pred)), len(gt_sizes))
    else:
        correct = _exact_correct_templates(exact, pred, keys, key_sizes)
        fta = _f1(correct, len(key_sizes), len(gt_sizes))
    ri = rand_index(gt, keys)
    return ParsingScores(ga, pa, fga, fta, ri, len(gt), len(gt_sizes), len(key_sizes))


def rand_index(labels_a: Sequence[Hashable], labels_b: Sequence[Hashable]) -> float:
    """Fraction of line pairs on which two partitions agree (same group in both, or in neither).

    Computed from the contingency table: with ``tp`` the pairs together in both, ``sa`` and
    ``sb`` the pairs together in each, the agreeing pairs are ``C(n,2) + 2*tp - sa - sb``. This
    is O(n) rather than O(n^2), so it scales to full Loghub-2.0 files. Defined as 1.0 for n < 2.
    """
    a, b = list(labels_a), list(labels_b)
    if len(a) != len(b):
        raise ValueError(f"label sequences differ in length: {len(a)} != {len(b)}")
    total = _pairs(len(a))
    if total == 0:
        return 1.0
    tp = _sum_pairs(Counter(zip(a, b)).values())
    agree = total + 2 * tp - _sum_pairs(Counter(a).values()) - _sum_pairs(Counter(b).values())
    return agree / total


def _check_lengths(gt: list[str], pred: list[str], keys: list[Hashable]) -> None:
    """Fail loudly: a silent ``zip`` truncation would report a plausible but wrong score."""
    if len(gt) != len(pred):
        raise ValueError(
            f"gt_templates and pred_templates differ in length: {len(gt)} != {len(pred)}"
        )
    if len(keys) != len(gt):
        raise ValueError(f"group_keys has {len(keys)} entries but there are {len(gt)} lines")


def _exact_groups(
    gt: list[str],
    keys: list[Hashable],
    gt_sizes: Counter[str],
    key_sizes: Counter[Hashable],
) -> list[tuple[str, Hashable]]:
    """(gt template, predicted key) pairs whose line sets coincide exactly.

    A contingency cell equal to both its row and its column total means neither group has a
    line outside the other: the parser reproduced that ground-truth group.
    """
    cells = Counter(zip(gt, keys))
    return [(t, k) for (t, k), n in cells.items() if n == gt_sizes[t] == key_sizes[k]]


def _loghub2_correct_templates(gt: list[str], pred: list[str]) -> int:
    """Predicted template strings whose lines all carry that very string as ground truth."""
    pred_sizes = Counter(pred)
    hits = Counter(p for g, p in zip(gt, pred) if g == p)
    return sum(1 for p, n in hits.items() if n == pred_sizes[p])


def _exact_correct_templates(
    exact: Iterable[tuple[str, Hashable]],
    pred: list[str],
    keys: list[Hashable],
    key_sizes: Counter[Hashable],
) -> int:
    """Exactly reproduced groups whose lines all got the ground-truth template string."""
    key_template = Counter(zip(keys, pred))
    return sum(1 for t, k in exact if key_template[(k, t)] == key_sizes[k])


def _f1(correct: int, n_predicted: int, n_truth: int) -> float:
    """Harmonic mean of correct/predicted and correct/truth; 0 when nothing is correct."""
    if correct == 0:
        return 0.0
    precision, recall = correct / n_predicted, correct / n_truth
    return 2 * precision * recall / (precision + recall)


def _pairs(n: int) -> int:
    """C(n, 2) in exact integer arithmetic."""
    return n * (n - 1) // 2


def _sum_pairs(sizes: Iterable[int]) -> int:
    """Number of same-group pairs in a partition with these group sizes."""
    return sum(_pairs(s) for s in sizes)
