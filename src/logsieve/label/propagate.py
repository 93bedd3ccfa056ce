"""Spreading the representatives' labels to every train sequence.

* ``cluster`` (default): a cluster takes the majority label of its labelled members (with
  one labelled representative per cluster, that representative's label; a tie goes to
  abnormal, the rarer class, whose examples the detector needs most); every sequence takes
  its cluster's label.
* ``knn``: each distinct content takes the label of the nearest labelled content in
  embedding space (Euclidean), wherever the cluster boundaries fall.

A cluster whose representative got no label (the LLM's answer stayed malformed or the backend
was down) falls back to ``knn`` for its members; the count is reported as ``fallback_clusters``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from logsieve._optional import require
from logsieve.label.cluster import Clustering
from logsieve.label.embed import Contents

np = require("numpy", purpose="ALPHA labelling")


@dataclass(frozen=True)
class Propagated:
    labels: "np.ndarray"
    """0/1 per embedded sequence."""
    fallback_clusters: int


def propagate(contents: Contents, clustering: Clustering, labelled: Mapping[int, int],
              method: str = "cluster") -> Propagated:
    """Labels for every sequence from ``labelled`` (content id -> 0/1)."""
    if not labelled:
        raise ValueError("no representative has a label: nothing to propagate (was the LLM reachable?)")
    if method not in ("cluster", "knn"):
        raise ValueError(f"propagation must be 'cluster' or 'knn', not {method!r}")
    per_content = _knn(contents, labelled)
    fallback = 0
    if method == "cluster":
        for j in range(clustering.k):
            members = clustering.members(j)
            votes = [labelled[c] for c in members if c in labelled]
            if votes:
                per_content[members] = int(2 * sum(votes) >= len(votes))
            else:
                fallback += 1  # members keep their nearest labelled neighbour's label
    return Propagated(per_content[contents.of], fallback)


def _knn(contents: Contents, labelled: Mapping[int, int]) -> "np.ndarray":
    ids = sorted(labelled)
    dist = np.linalg.norm(contents.vectors[:, None, :] - contents.vectors[ids][None, :, :], axis=2)
    nearest = np.argmin(np.round(dist, 6), axis=1)
    return np.array([labelled[ids[i]] for i in nearest], dtype=np.int64)
