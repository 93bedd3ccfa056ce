"""Propagation on a toy case: cluster majority, nearest labelled content, fallback."""

from __future__ import annotations

import numpy as np
import pytest

from logsieve.label.cluster import Clustering
from logsieve.label.embed import Contents
from logsieve.label.propagate import propagate

# Five contents on a line; sequences 0..7 map onto them.
VECS = np.array([[0.0, 0], [0.1, 0], [1.0, 0], [1.1, 0], [3.0, 0]], dtype=np.float32)
OF = np.array([0, 0, 1, 2, 2, 3, 4, 1])
CONTENTS = Contents(VECS, [np.flatnonzero(OF == c).tolist() for c in range(5)], OF)
CLUSTERS = Clustering(3, np.array([0, 0, 1, 1, 2]), [0, 2, 4])


def test_cluster_majority_reaches_every_member():
    p = propagate(CONTENTS, CLUSTERS, {0: 0, 2: 1, 4: 0})
    assert p.labels.tolist() == [0, 0, 0, 1, 1, 1, 0, 0]
    assert p.fallback_clusters == 0


def test_majority_over_several_labelled_members_and_ties_go_to_abnormal():
    p = propagate(CONTENTS, CLUSTERS, {0: 0, 1: 1, 2: 1, 3: 0, 4: 0})
    # cluster 0: one normal, one abnormal -> tie -> abnormal; cluster 1 likewise
    assert p.labels.tolist() == [1, 1, 1, 1, 1, 1, 0, 1]


def test_knn_follows_distance_not_clusters():
    p = propagate(CONTENTS, CLUSTERS, {1: 1, 4: 0}, method="knn")
    # contents 0, 1, 2, 3 are nearer to content 1 (x=0.1) than to content 4 (x=3)
    assert p.labels.tolist() == [1, 1, 1, 1, 1, 1, 0, 1]


def test_a_cluster_without_a_label_falls_back_to_the_nearest_labelled_content():
    p = propagate(CONTENTS, CLUSTERS, {0: 1, 4: 0})  # cluster 1's representative got no label
    assert p.fallback_clusters == 1
    # contents 2 (x=1.0) and 3 (x=1.1) are nearer to content 0 (x=0) than to content 4 (x=3)
    assert p.labels.tolist() == [1, 1, 1, 1, 1, 1, 0, 1]


def test_nothing_labelled_is_a_clear_error():
    with pytest.raises(ValueError, match="no representative has a label"):
        propagate(CONTENTS, CLUSTERS, {})
    with pytest.raises(ValueError, match="cluster' or 'knn"):
        propagate(CONTENTS, CLUSTERS, {0: 1}, method="vote")
