"""CollaborLog's small model: a learned sequence embedding plus nearest neighbours.

The mean MiniLM template embedding of a sequence (shared featurizer, see
:mod:`logsieve.detectors.autoencoder`) goes through a small MLP (384 -> 128 -> 64) trained with
a class-weighted cross-entropy head, so that in its 64-d output normal and abnormal sequences
lie apart. The head is only a training device: decisions come from the k nearest labelled
sequences (scikit-learn ``NearestNeighbors``) among the embedded train sequences, so that a
labelled example counts the moment it is remembered, without retraining. That is how
CollaborLog's small model takes in what the LLM judged.

Score = the distance-weighted share of abnormal neighbours (weights ``1 / (distance + eps)``),
in [0, 1]; the base class turns it into a normal-confidence that is high when the neighbours
are normal.

The memory keeps each remembered sequence's 384-d input (so it can be re-embedded after the
network is fine-tuned) and its label, in arrival order; it holds at most ``memory`` rows and
drops the oldest first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.autoencoder import MeanEmbeddingFeatures, Standardize, adam, mlp, run_steps
from logsieve.detectors.base import Detector, DetectorError, DetectorInputError, SequenceBatch
from logsieve.detectors.training import (
    TorchConfig, load_state, predict_in_batches, save_state, seeded, train_with_selection,
)
from logsieve.features.sentence import DIM

np = require("numpy", purpose="the CollaborLog detectors")
torch = require("torch", purpose="the CollaborLog detectors")
require("sklearn", purpose="the CollaborLog small model")
nn = torch.nn

STATE_FILE = "model.pt"


class KnnConfig(TorchConfig):
    """``hidden``/``dim``: the embedding network 384 -> hidden -> dim. ``k``: neighbours.
    ``eps``: added to distances before inverting them (an exact duplicate does not take all the
    weight when others are as close). ``memory``: most labelled sequences kept. ``replay``: in
    :meth:`KnnSmallModel.partial_fit`, remembered rows mixed in per new row (against forgetting).
    ``update_lr``: learning rate of ``partial_fit`` (None: ``lr``)."""

    epochs: int = Field(default=30, ge=1)
    patience: int = Field(default=6, ge=1)
    batch_size: int = Field(default=128, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    hidden: int = Field(default=128, ge=1)
    dim: int = Field(default=64, ge=1)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    k: int = Field(default=5, ge=1)
    eps: float = Field(default=1e-3, gt=0)
    memory: int = Field(default=50_000, ge=1)
    replay: float = Field(default=1.0, ge=0)
    update_lr: float | None = Field(default=None, gt=0)


class EmbeddingNet(nn.Module):
    """Standardised input -> MLP -> L2-normalised embedding; ``head`` classifies it while training."""

    def __init__(self, config: KnnConfig) -> None:
        super().__init__()
        self.scale = Standardize(DIM)
        self.body = mlp([DIM, config.hidden, config.dim], config.dropout)
        self.head = nn.Linear(config.dim, 2)

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        return nn.functional.normalize(self.body(self.scale(x)), dim=1)

    def logits(self, x: "torch.Tensor") -> "torch.Tensor":
        return self.head(self.forward(x))


class KnnMemory:
    """Labelled inputs in arrival order (bounded, oldest dropped), their embeddings and an index."""

    def __init__(self, capacity: int, k: int, eps: float) -> None:
        self.capacity, self.k, self.eps = capacity, k, eps
        self.x = np.zeros((0, DIM), np.float32)
        self.y = np.zeros(0, np.int64)
        self.z = np.zeros((0, 0), np.float32)
        self.index: Any = None

    def __len__(self) -> int:
        return len(self.y)

    def add(self, x: "np.ndarray", y: "np.ndarray") -> None:
        self.x = np.concatenate([self.x, x])[-self.capacity :]
        self.y = np.concatenate([self.y, y])[-self.capacity :]

    def reindex(self, z: "np.ndarray") -> None:
        """Set the embeddings of every remembered row (after adding or after the net changed)."""
        from sklearn.neighbors import NearestNeighbors

        self.z = np.ascontiguousarray(z, dtype=np.float32)
        self.index = NearestNeighbors(n_neighbors=min(self.k, len(self.z)), algorithm="brute", n_jobs=1)
        self.index.fit(self.z)

    def abnormal_share(self, z: "np.ndarray") -> "np.ndarray":
        """Distance-weighted share of abnormal labels among each row's k nearest neighbours."""
        dist, idx = self.index.kneighbors(z)
        weights = 1.0 / (dist.astype(np.float64) + self.eps)
        return (weights * self.y[idx]).sum(axis=1) / weights.sum(axis=1)


class KnnSmallModel(MeanEmbeddingFeatures, Detector):
    """Embedding network + KNN over labelled sequences (supervised; unlabelled rows are skipped).

    ``fit`` trains the network on the labelled train sequences (class-weighted cross entropy),
    chooses the epoch by the KNN's validation F1, and remembers the train sequences.
    :meth:`remember` adds labelled sequences without training; :meth:`partial_fit` fine-tunes
    the network on them first.
    """

    name = "knn"
    config_type = KnnConfig
    supervised = True

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.net: EmbeddingNet | None = None
        self.memory = KnnMemory(self.config.memory, self.config.k, self.config.eps)
        self.updates = 0

    # ------------------------------------------------------------------ fit / score
    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        cfg = self.config
        gen = seeded(cfg)
        known = y >= 0
        x, y = x[known], y[known]
        self.net = EmbeddingNet(cfg)
        self.net.scale.fit(x)
        self.memory = KnnMemory(cfg.memory, cfg.k, cfg.eps)
        self.memory.add(x, y)
        optim = adam(self.net, cfg)
        loss = _weighted_ce(y)
        result = train_with_selection(
            self.net, lambda _: self._train_pass(x, y, optim, gen, loss), lambda: self._rescore(x_val),
            y_val, cfg, val_loss=lambda: self._val_loss(x_val, y_val, loss))
        self._reembed()
        self.updates = 0
        return {"epochs": result.best_epoch, "epochs_run": result.epochs_run, "selected_by": result.criterion,
                "memory": len(self.memory)}

    def _train_pass(self, x, y, optim, gen, loss) -> float:
        net = self._need_net()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        return run_steps(net, optim, len(x), self.config.batch_size, gen, lambda i: loss(net.logits(tx[i]), ty[i]))

    def _rescore(self, x: "np.ndarray") -> "np.ndarray":
        """Scores with the memory re-embedded by the current weights (epoch selection)."""
        self._reembed()
        return self._score_array(x)

    def _val_loss(self, x: "np.ndarray", y: "np.ndarray", loss: Any) -> float:
        known = y >= 0
        logits = self._need_net().logits(torch.from_numpy(x[known]))
        return float(loss(logits, torch.from_numpy(y[known])))

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        if self.memory.index is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        return self.memory.abnormal_share(self.embed(x))

    def embed(self, x: "np.ndarray") -> "np.ndarray":
        """(n, dim) embeddings of featurized rows (what the KNN compares)."""
        return predict_in_batches(self._need_net(), x, self.config.score_batch)

    def _reembed(self) -> None:
        self.memory.reindex(self.embed(self.memory.x))

    def _need_net(self) -> EmbeddingNet:
        if self.net is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        return self.net

    # ------------------------------------------------------------------ learning from the LLM
    def remember(self, batch: SequenceBatch) -> int:
        """Add the labelled sequences of ``batch`` to the KNN memory, no training; how many added.

        A remembered sequence decides its near-duplicates at once. Unlabelled rows are skipped;
        the oldest rows go when the memory is full.
        """
        x, y = self._labelled(batch)
        self._need_net()
        self.memory.add(x, y)
        self._reembed()
        return len(y)

    def partial_fit(self, batch: SequenceBatch, epochs: int = 1) -> float:
        """Fine-tune the network on the labelled sequences of ``batch`` (with ``replay`` rows of
        the memory mixed in), then remember them; returns the last pass's mean loss.

        The memory is re-embedded with the new weights, so old and new rows stay comparable.
        Threshold and calibration stay as fitted.
        """
        x, y = self._labelled(batch)
        net = self._need_net()
        self.updates += 1
        gen = seeded(self.config.model_copy(update={"seed": self.config.seed + self.updates}))
        xs, ys = self._with_replay(x, y, gen)
        optim, loss = adam(net, self.config, self.config.update_lr), _weighted_ce(ys)
        last = 0.0
        for _ in range(epochs):
            last = self._train_pass(xs, ys, optim, gen, loss)
        self.memory.add(x, y)
        self._reembed()
        return last

    def _with_replay(self, x, y, gen) -> tuple["np.ndarray", "np.ndarray"]:
        n = min(len(self.memory), int(round(self.config.replay * len(x))))
        if n == 0:
            return x, y
        pick = torch.randperm(len(self.memory), generator=gen)[:n].numpy()
        return np.concatenate([x, self.memory.x[pick]]), np.concatenate([y, self.memory.y[pick]])

    def _labelled(self, batch: SequenceBatch) -> tuple["np.ndarray", "np.ndarray"]:
        if self.calibration is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        x, y = self.featurize(batch), batch.labels
        self.check_array(x)
        if not (y >= 0).any():
            raise DetectorInputError(f"{self.name} learns from labelled sequences; this batch has no labels")
        return x[y >= 0], y[y >= 0]

    # ------------------------------------------------------------------ persistence
    def _save_model(self, path: Path) -> dict[str, Any]:
        # the memory as tensors in the state file (no pickle); embeddings saved too, so a load
        # needs no recomputation and scores are bit-identical
        mem = self.memory
        save_state(self._need_net(), path / STATE_FILE, {
            "memory_x": torch.from_numpy(mem.x), "memory_y": torch.from_numpy(mem.y),
            "memory_z": torch.from_numpy(mem.z)})
        return {"state": STATE_FILE, "memory": len(mem), "updates": self.updates}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        state = load_state(path / meta.get("state", STATE_FILE))
        self.net = EmbeddingNet(self.config)
        self.net.load_state_dict(state["model"])
        self.net.eval()
        self.memory = KnnMemory(self.config.memory, self.config.k, self.config.eps)
        self.memory.add(state["memory_x"].numpy(), state["memory_y"].numpy())
        self.memory.reindex(state["memory_z"].numpy())
        self.updates = int(meta.get("updates", 0))


def _weighted_ce(y: "np.ndarray") -> Any:
    """Cross entropy with classes weighted inversely to their frequency (anomalies are rare)."""
    counts = np.bincount(y, minlength=2).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / (2 * np.maximum(counts, 1)), 0.0)
    return nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32))
