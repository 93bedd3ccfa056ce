"""Clustering distinct contents, one representative per cluster, and the label-blind seed.

**k rule: k = the budget.** Every cluster gets exactly one labelled representative, so no
cluster is left without a label and no label is spent twice on one cluster; with fewer
distinct contents than the budget, every content is its own cluster (k = contents) and the
unspent budget is reported as such. (Silhouette was considered and not used: it rewards a few
well-separated clusters, while labels propagate best from many small, pure ones, and the
budget is the number of labels we can pay for anyway.)

k-means (scikit-learn, ``n_init=10``, seeded) runs on the distinct contents *unweighted*: a
shape seen 500 times and one seen once are one point each, so rare shapes (where anomalies
are) get clusters of their own instead of being absorbed by the common ones.

**Representative** of a cluster: its content with the most copies (ties: nearest the
centroid, then the earliest). Its label is the one that reaches the most sequences when the
cluster's label is propagated, so that is the one worth paying for.

**Seed** (the at most 20 sequences a person labels), chosen among the representatives without
looking at any label, by one of two rules:

* ``largest`` (default): the representatives of the largest clusters (by sequences). A
  person's label on the commonest shapes reaches the most sequences through propagation, and
  the LLM is left the long tail of rare shapes, where the anomalies are and where a wrong label
  reaches few sequences. Measured on the HDFS sample (2% budget): with ``spread`` the LLM had
  to label large normal clusters, called several of them abnormal (they carry "Got exception
  while serving"), and propagated 651 anomalies for 124 true ones.
* ``spread``: greedy k-center: first the representative of the largest cluster, then again
  and again the one farthest from those chosen (routine and unusual shapes alike).
"""

from __future__ import annotations

from dataclasses import dataclass

from logsieve._optional import require
from logsieve.label.embed import Contents

np = require("numpy", purpose="ALPHA labelling")


@dataclass(frozen=True)
class Clustering:
    """``cluster_of[c]``: the cluster of content ``c``; ``representatives[j]``: the content
    that represents cluster ``j`` (clusters numbered by their representative's first copy)."""

    k: int
    cluster_of: "np.ndarray"
    representatives: list[int]

    def members(self, j: int) -> list[int]:
        return np.flatnonzero(self.cluster_of == j).tolist()


def choose_k(budget: int, n_contents: int) -> int:
    """The stated rule: one cluster per affordable label, at most one per distinct content."""
    return max(1, min(budget, n_contents))


def cluster_contents(contents: Contents, k: int, seed: int = 0) -> Clustering:
    """k-means over the distinct content vectors (unweighted), one representative per cluster."""
    n = len(contents)
    if n == 0:
        raise ValueError("nothing to cluster: no sequences were embedded")
    k = min(k, n)
    if k == n:
        labels = np.arange(n)
        centroids = contents.vectors
    else:
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(contents.vectors.astype(np.float64))
        labels, centroids = km.labels_, km.cluster_centers_
    reps = [_representative(contents, np.flatnonzero(labels == j), centroids[j]) for j in range(k)]
    order = sorted(range(k), key=lambda j: contents.members[reps[j]][0])  # renumber by first copy
    renumber = np.empty(k, dtype=np.int64)
    renumber[order] = np.arange(k)
    return Clustering(k, renumber[labels], [reps[j] for j in order])


def _representative(contents: Contents, members: "np.ndarray", centroid: "np.ndarray") -> int:
    counts = contents.counts[members]
    dist = np.linalg.norm(contents.vectors[members] - centroid, axis=1)
    best = min(range(len(members)), key=lambda i: (-counts[i], round(float(dist[i]), 6), int(members[i])))
    return int(members[best])


def pick_seed(contents: Contents, clustering: Clustering, n: int, rule: str = "largest") -> list[int]:
    """``n`` representative contents by ``rule`` (see the module doc), in pick order."""
    reps = clustering.representatives
    n = min(n, len(reps))
    if n <= 0:
        return []
    sizes = {r: int(contents.counts[clustering.cluster_of == clustering.cluster_of[r]].sum()) for r in reps}
    by_size = sorted(reps, key=lambda r: (-sizes[r], contents.members[r][0]))
    if rule == "largest":
        return by_size[:n]
    if rule != "spread":
        raise ValueError(f"seed rule must be 'largest' or 'spread', not {rule!r}")
    chosen = by_size[:1]
    vecs = contents.vectors
    nearest = np.linalg.norm(vecs[reps] - vecs[chosen[0]], axis=1)
    while len(chosen) < n:
        nearest[[reps.index(c) for c in chosen]] = -1.0
        i = int(np.argmax(np.round(nearest, 6)))  # first of the farthest: deterministic
        chosen.append(reps[i])
        nearest = np.minimum(nearest, np.linalg.norm(vecs[reps] - vecs[reps[i]], axis=1))
    return chosen
