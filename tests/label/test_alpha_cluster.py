"""Distinct contents, clustering, representatives, seed: deterministic, within the budget."""

from __future__ import annotations

import numpy as np
import pytest
from label_data import bag_embed, splits

from logsieve.label.cluster import choose_k, cluster_contents, pick_seed
from logsieve.label.config import AlphaConfig
from logsieve.label.embed import distinct


def _contents():
    train, _, _ = splits()
    return train, distinct(bag_embed(train.sequences, train.templates))


def test_distinct_groups_copies_in_time_order():
    train, c = _contents()
    assert len(c) == 11  # 6 normal + 5 abnormal shapes, all drawn
    assert sum(c.counts) == len(train)
    for content, members in enumerate(c.members):
        assert members == sorted(members)
        assert {tuple(train.sequences[i].template_ids) for i in members} == {tuple(train.sequences[members[0]].template_ids)}
        assert (c.of[members] == content).all()
    firsts = [m[0] for m in c.members]
    assert firsts == sorted(firsts)  # numbered by first copy


def test_clustering_and_seed_are_deterministic_under_a_seed():
    _, c = _contents()
    a, b = cluster_contents(c, 5, seed=3), cluster_contents(c, 5, seed=3)
    assert (a.cluster_of == b.cluster_of).all() and a.representatives == b.representatives
    assert pick_seed(c, a, 3) == pick_seed(c, b, 3)
    assert pick_seed(c, a, 3, rule="spread") == pick_seed(c, b, 3, rule="spread")


def test_representative_is_the_commonest_content_of_its_cluster():
    _, c = _contents()
    cl = cluster_contents(c, 4, seed=0)
    assert cl.k == 4 and len(cl.representatives) == 4
    for j, rep in enumerate(cl.representatives):
        members = cl.members(j)
        assert rep in members
        assert c.counts[rep] == max(c.counts[m] for m in members)


def test_seed_is_the_largest_clusters_by_default():
    _, c = _contents()
    cl = cluster_contents(c, 8, seed=0)
    sizes = {cl.representatives[j]: int(c.counts[cl.members(j)].sum()) for j in range(cl.k)}
    seed = pick_seed(c, cl, 3)
    assert [sizes[r] for r in seed] == sorted(sizes.values(), reverse=True)[:3]


def test_spread_seed_starts_with_the_largest_cluster_and_spreads_out():
    _, c = _contents()
    cl = cluster_contents(c, 8, seed=0)
    seed = pick_seed(c, cl, 4, rule="spread")
    sizes = {j: int(c.counts[cl.members(j)].sum()) for j in range(cl.k)}
    largest = max(sizes, key=sizes.get)
    assert seed[0] == cl.representatives[largest]
    assert len(set(seed)) == 4 and set(seed) <= set(cl.representatives)
    # the second pick is the representative farthest from the first
    d = {r: np.linalg.norm(c.vectors[r] - c.vectors[seed[0]]) for r in cl.representatives}
    assert d[seed[1]] == pytest.approx(max(d.values()))


@pytest.mark.parametrize("budget,n_train,expected", [(0.02, 2300, 46), (0.02, 100, 2), (0.001, 100, 1), (10, 2300, 10),
                                                     (5000, 2300, 2300)])
def test_budget_as_fraction_or_count(budget, n_train, expected):
    assert AlphaConfig(budget=budget).annotations(n_train) == expected


def test_k_is_the_budget_capped_by_the_distinct_contents():
    assert choose_k(46, 91) == 46
    assert choose_k(46, 11) == 11
    _, c = _contents()
    cl = cluster_contents(c, choose_k(46, len(c)))
    assert cl.k == len(c) and sorted(cl.representatives) == list(range(len(c)))
