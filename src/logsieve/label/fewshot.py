"""The few-shot set: labelled sequences the annotation prompt shows, nearest first.

Retrieval is cosine similarity between content vectors (the clustering embedding). A query
never gets its own content back as an example: that would hand the LLM the answer, and the
refinement's accuracy on the seed would mean nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logsieve._optional import require
from logsieve.label.annotate import Example
from logsieve.records import Sequence

np = require("numpy", purpose="ALPHA labelling")

STATUS = ("normal", "abnormal")


@dataclass
class FewShotSet:
    """Examples as (content id, its vector, its sequence, label 0/1), in the order added."""

    items: list[tuple[int, "np.ndarray", Sequence, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def contents(self) -> list[int]:
        return [c for c, _, _, _ in self.items]

    def add(self, content: int, vector: "np.ndarray", seq: Sequence, label: int) -> bool:
        """Add one example; False (nothing changes) when its content is already there."""
        if content in self.contents:
            return False
        self.items.append((content, np.asarray(vector, dtype=np.float32), seq, int(label)))
        return True

    def normal_templates(self) -> set[int]:
        """Every template of the normal examples: what the comparison line calls known."""
        return {t for _, _, seq, label in self.items if label == 0 for t in seq.template_ids}

    def nearest(self, content: int, vector: "np.ndarray", k: int) -> list[Example]:
        """The ``k`` examples most similar to ``vector``, excluding ``content`` itself, in a
        canonical order (by template ids) so equal example blocks make equal prompt text.

        With ``k >= 2`` both labels are shown when the set has both: a small model shown only
        normal neighbours copies "normal", and the rare shapes it labels sit next to normal ones."""
        pool = [it for it in self.items if it[0] != content]
        if k <= 0 or not pool:
            return []
        mat = _unit(np.stack([v for _, v, _, _ in pool]))
        sims = mat @ _unit(np.asarray(vector, dtype=np.float32)[None, :])[0]
        order = np.argsort(-np.round(sims, 6), kind="stable")
        top = list(order[:k])
        other = [i for i in order[k:] if pool[i][3] != pool[top[0]][3]]
        if k >= 2 and other and len({pool[i][3] for i in top}) == 1:
            top[-1] = other[0]  # both labels shown: the nearest example of the other one replaces the last
        chosen = [(pool[i][2], STATUS[pool[i][3]]) for i in top]
        return sorted(chosen, key=lambda e: (tuple(e[0].template_ids), e[1]))


def _unit(x: "np.ndarray") -> "np.ndarray":
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)
