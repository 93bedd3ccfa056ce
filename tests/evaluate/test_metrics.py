"""Parsing metrics: hand-computed cases, edge cases, and property checks against brute force."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Hashable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.evaluate import ParsingScores, parsing_scores, rand_index

# A 9-line case with 5 ground-truth groups, one of each kind of mistake:
#   line  GT template         predicted template
#   0,1   "open <*>"          "open <*>"         G1: exact group, right text
#   2,3   "read <*> bytes"    "read <*> bytes"   G2: split ...
#   4     "read <*> bytes"    "read 42 bytes"        ... into two predicted groups
#   5     "close <*>"         "close <*>"        G3 and G4 merged into one
#   6     "closed"            "close <*>"            predicted group
#   7,8   "write <*>"         "write data <*>"   G5: exact group, wrong text
GT = ["open <*>"] * 2 + ["read <*> bytes"] * 3 + ["close <*>", "closed"] + ["write <*>"] * 2
PRED = (
    ["open <*>"] * 2
    + ["read <*> bytes"] * 2
    + ["read 42 bytes"]
    + ["close <*>"] * 2
    + ["write data <*>"] * 2
)
# The same predictions, but grouped by cluster id: the parser kept G2 together in cluster 2
# and merely emitted a stale template string for line 4.
IDS = [1, 1, 2, 2, 2, 3, 3, 4, 4]


def test_hand_computed_grouping_by_template_string() -> None:
    s = parsing_scores(GT, PRED)
    # GA: only G1 (2 lines) and G5 (2 lines) are reproduced exactly -> 4/9.
    assert s.ga == pytest.approx(4 / 9)
    # PA: lines 0,1,2,3,5 carry the right string -> 5/9.
    assert s.pa == pytest.approx(5 / 9)
    # FGA: 2 exact groups; 5 predicted groups, 5 GT groups -> P = R = 2/5 -> F1 = 0.4.
    assert s.fga == pytest.approx(0.4)
    # FTA (loghub2 rule): "open <*>" correct; "read <*> bytes" too (its 2 lines are all GT
    # "read <*> bytes", the split-off line 4 does not matter); the other 3 are not.
    # P = R = 2/5 -> 0.4.
    assert s.fta == pytest.approx(0.4)
    # RI: C(9,2) = 36 pairs. Pairs together in both: G1, G2[2,3], G5 -> 3. Together in GT:
    # 1 + 3 + 0 + 0 + 1 = 5. Together in prediction: 1 + 1 + 0 + 1 + 1 = 4.
    # Agreeing = 36 + 2*3 - 5 - 4 = 33 -> 33/36.
    assert s.ri == pytest.approx(33 / 36)
    assert (s.lines, s.gt_groups, s.pred_groups) == (9, 5, 5)


def test_hand_computed_exact_fta_rule() -> None:
    # Exact rule: G1 only (G2 is not reproduced as a whole, G5 has the wrong text).
    # P = R = 1/5 -> 0.2. The other metrics do not depend on the rule.
    s = parsing_scores(GT, PRED, fta_rule="exact")
    assert s.fta == pytest.approx(0.2)
    assert s.ga == pytest.approx(4 / 9)


def test_hand_computed_grouping_by_ids() -> None:
    s = parsing_scores(GT, PRED, group_keys=IDS)
    # GA: G1 (2), G2 (3, all in cluster 2), G5 (2) -> 7/9.
    assert s.ga == pytest.approx(7 / 9)
    # PA still compares strings -> 5/9.
    assert s.pa == pytest.approx(5 / 9)
    # FGA: 3 exact groups; 4 predicted, 5 GT -> P = 3/4, R = 3/5 -> F1 = 0.9/1.35 = 2/3.
    assert s.fga == pytest.approx(2 / 3)
    # FTA loghub2 groups by string regardless of ids -> unchanged 0.4.
    assert s.fta == pytest.approx(0.4)
    # RI: together in prediction: 1 + 3 + 1 + 1 = 6; together in both: 1 + 3 + 1 = 5.
    # Agreeing = 36 + 2*5 - 5 - 6 = 35 -> 35/36.
    assert s.ri == pytest.approx(35 / 36)
    assert s.pred_groups == 4


def test_hand_computed_exact_fta_with_ids() -> None:
    # G1 correct; G2 is reproduced as cluster 2 but line 4's string is wrong; G5 wrong text.
    # 1 correct; P = 1/4, R = 1/5 -> F1 = 2*(1/20)/(9/20) = 2/9.
    s = parsing_scores(GT, PRED, group_keys=IDS, fta_rule="exact")
    assert s.fta == pytest.approx(2 / 9)


def test_perfect_parse_scores_one() -> None:
    s = parsing_scores(GT, GT)
    assert (s.ga, s.pa, s.fga, s.fta, s.ri) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert parsing_scores(GT, GT, fta_rule="exact").fta == 1.0


def test_all_one_group() -> None:
    # Perfect when the parser also keeps one group with the right text.
    assert parsing_scores(["a <*>"] * 4, ["a <*>"] * 4).as_dict() == {
        "ga": 1.0, "pa": 1.0, "fga": 1.0, "fta": 1.0, "ri": 1.0,
        "lines": 4, "gt_groups": 1, "pred_groups": 1,
    }  # fmt: skip
    # One GT group split into 4 singletons: no group right, no pair agrees (all 6 GT pairs are
    # split) -> RI 0. Template strings are all wrong, so PA = FTA = 0.
    s = parsing_scores(["a <*>"] * 4, ["a 1", "a 2", "a 3", "a 4"])
    assert (s.ga, s.pa, s.fga, s.fta, s.ri) == (0.0, 0.0, 0.0, 0.0, 0.0)


def test_all_distinct() -> None:
    gt = ["x", "y", "z"]
    assert parsing_scores(gt, gt).ga == 1.0
    # Everything merged into one group: every one of the 3 pairs disagrees -> RI 0; GA 0.
    # Line 0 happens to get its own GT string -> PA 1/3; but the merged group holds three GT
    # templates, so FTA is 0.
    s = parsing_scores(gt, ["x"] * 3)
    assert (s.ga, s.fga, s.fta, s.ri) == (0.0, 0.0, 0.0, 0.0)
    assert s.pa == pytest.approx(1 / 3)


def test_single_line() -> None:
    s = parsing_scores(["a"], ["b"])
    # One line in its own group on both sides: grouping is right, the text is not.
    assert (s.ga, s.fga, s.pa, s.fta, s.ri) == (1.0, 1.0, 0.0, 0.0, 1.0)


def test_empty_input_is_vacuously_perfect() -> None:
    s = parsing_scores([], [])
    assert (s.ga, s.pa, s.fga, s.fta, s.ri) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert (s.lines, s.gt_groups, s.pred_groups) == (0, 0, 0)
    assert rand_index([], []) == 1.0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length: 2 != 1"):
        parsing_scores(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="group_keys has 1 entries but there are 2 lines"):
        parsing_scores(["a", "b"], ["a", "b"], group_keys=[1])
    with pytest.raises(ValueError, match="differ in length"):
        rand_index([1, 2], [1])


def test_unknown_fta_rule_is_an_error() -> None:
    with pytest.raises(ValueError, match="fta_rule"):
        parsing_scores(["a"], ["a"], fta_rule="paper")  # type: ignore[arg-type]


def test_scores_are_frozen_and_dict_ready() -> None:
    s = parsing_scores(GT, PRED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.ga = 1.0  # type: ignore[misc]
    assert list(s.as_dict()) == [f.name for f in dataclasses.fields(ParsingScores)]


def test_accepts_iterables_of_any_sequence_type() -> None:
    assert parsing_scores(tuple(GT), tuple(PRED)) == parsing_scores(GT, PRED)


def test_import_does_not_pull_heavy_dependencies() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys, logsieve.evaluate; "
        "heavy = {'numpy', 'pandas', 'sklearn', 'scipy'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# --- property checks ------------------------------------------------------------------------

labelings = st.integers(min_value=0, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
    )
)


def _brute_ga(gt: Sequence[Hashable], keys: Sequence[Hashable]) -> float:
    """Line i is right when exactly the lines sharing its GT label share its predicted label."""
    n = len(gt)
    if n == 0:
        return 1.0
    right = sum(
        {j for j in range(n) if gt[j] == gt[i]} == {j for j in range(n) if keys[j] == keys[i]}
        for i in range(n)
    )
    return right / n


def _brute_ri(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    pairs = [(i, j) for i in range(len(a)) for j in range(i + 1, len(a))]
    if not pairs:
        return 1.0
    return sum((a[i] == a[j]) == (b[i] == b[j]) for i, j in pairs) / len(pairs)


def _brute_fga(gt: Sequence[Hashable], keys: Sequence[Hashable]) -> float:
    def groups(labels: Sequence[Hashable]) -> set[frozenset[int]]:
        return {frozenset(i for i, x in enumerate(labels) if x == lab) for lab in set(labels)}

    g, p = groups(gt), groups(keys)
    correct = len(g & p)
    if correct == 0:
        return 0.0
    precision, recall = correct / len(p), correct / len(g)
    return 2 * precision * recall / (precision + recall)


@settings(max_examples=200, deadline=None)
@given(labelings)
def test_rand_index_matches_sklearn_and_brute_force(pair: tuple[list[int], list[int]]) -> None:
    from sklearn.metrics import rand_score

    a, b = pair
    ri = rand_index(a, b)
    assert ri == pytest.approx(_brute_ri(a, b))
    if len(a) > 0:  # sklearn's empty-input behaviour is not ours to pin down
        assert ri == pytest.approx(rand_score(a, b))


@settings(max_examples=200, deadline=None)
@given(labelings)
def test_ga_and_fga_match_brute_force(pair: tuple[list[int], list[int]]) -> None:
    gt_ids, pred_ids = pair
    gt = [f"t{x}" for x in gt_ids]
    pred = [f"t{x}" for x in pred_ids]
    s = parsing_scores(gt, pred)
    assert s.ga == pytest.approx(_brute_ga(gt, pred))
    if gt:
        assert s.fga == pytest.approx(_brute_fga(gt, pred))
    assert s.ri == pytest.approx(_brute_ri(gt, pred))
    # Grouping is about partitions, not names: relabelling the predicted groups changes nothing.
    by_id = parsing_scores(gt, pred, group_keys=[f"cluster-{x}" for x in pred_ids])
    assert (by_id.ga, by_id.fga, by_id.ri) == (s.ga, s.fga, s.ri)


@settings(max_examples=200, deadline=None)
@given(labelings)
def test_fta_rules_agree_with_their_definitions(pair: tuple[list[int], list[int]]) -> None:
    gt = [f"t{x}" for x in pair[0]]
    pred = [f"t{x}" for x in pair[1]]
    if not gt:
        return
    loghub2 = parsing_scores(gt, pred).fta
    exact = parsing_scores(gt, pred, fta_rule="exact").fta
    # Brute force of each rule, straight from its wording.
    lines_of = {p: [i for i, x in enumerate(pred) if x == p] for p in set(pred)}
    gt_lines = {t: [i for i, x in enumerate(gt) if x == t] for t in set(gt)}
    lenient = sum({gt[i] for i in idx} == {p} for p, idx in lines_of.items())
    strict = sum(gt_lines.get(p) == idx for p, idx in lines_of.items())
    for value, correct in ((loghub2, lenient), (exact, strict)):
        if correct == 0:
            assert value == 0.0
        else:
            precision, recall = correct / len(lines_of), correct / len(gt_lines)
            assert value == pytest.approx(2 * precision * recall / (precision + recall))
    # The exact rule only ever removes credit.
    assert exact <= loghub2 + 1e-12
