"""CollaborLog's coordinator: a deep autoencoder that says which sequences are unfamiliar.

CollaborLog sends a sequence to the LLM when the small model is unlikely to know it. The
coordinator measures that as the reconstruction error of an autoencoder trained on the
sequences the system already knows (normal train sequences): a sequence far from them, such as
one carrying templates introduced by a software update, reconstructs badly. The error doubles
as an (unsupervised, weaker) anomaly score, which is how the detector contract evaluates it.

Input is the CollaborLog sequence embedding: the mean of the sequence's lines' all-MiniLM-L6-v2
template embeddings (384-d), standardised with the normal train sequences' per-dimension mean
and spread (kept in the model as buffers, so they are saved with the weights). Without the
standardisation the error is dominated by the few dimensions that every HDFS template shares.

The evolve mechanism: :meth:`AutoencoderCoordinator.partial_fit` trains a few more steps on
new sequences (normal ones, or ones the LLM has judged), so they become familiar and stop being
routed. :meth:`AutoencoderCoordinator.unfamiliar` is the routing decision.

The featurizer (:class:`MeanEmbeddingFeatures`) and the small torch helpers here are shared
with CollaborLog's small model (:mod:`logsieve.detectors.knn`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.base import Detector, DetectorError, SequenceBatch
from logsieve.detectors.training import (
    TorchConfig, batches, load_state, predict_in_batches, save_state, seeded, train_with_selection,
)
from logsieve.features.embeddings import TemplateEmbeddings
from logsieve.features.sentence import DIM, SentenceEncoder

np = require("numpy", purpose="the CollaborLog detectors")
torch = require("torch", purpose="the CollaborLog detectors")
nn = torch.nn

STATE_FILE = "model.pt"


# ---------------------------------------------------------------------------- shared parts
@lru_cache(maxsize=4)
def _shared_encoder(threads: int | None) -> SentenceEncoder:
    """One MiniLM per thread setting per process: loading it costs seconds, and its vectors
    depend only on the text, so every detector instance can use the same one."""
    return SentenceEncoder(threads=threads)


class MeanEmbeddingFeatures:
    """Featurizer of both CollaborLog models: the (n, 384) float32 mean template embedding.

    The per-template cache lives in the instance (template ids belong to one parser state);
    the MiniLM model is shared and comes from the installed package, so it is never saved.
    Mixed in before :class:`~logsieve.detectors.base.Detector`; needs ``config.threads``.
    """

    config: TorchConfig
    _embeddings: TemplateEmbeddings | None = None

    @property
    def embeddings(self) -> TemplateEmbeddings:
        if self._embeddings is None:
            self._embeddings = TemplateEmbeddings(encoder=_shared_encoder(self.config.threads))
        return self._embeddings

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        return np.ascontiguousarray(self.embeddings.transform(batch.sequences, batch.templates), dtype=np.float32)

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, DIM)


class Standardize(nn.Module):
    """``(x - mean) / std`` with the statistics as buffers, so they travel with the weights."""

    def __init__(self, dim: int, min_std: float = 1e-3) -> None:
        super().__init__()
        self.min_std = min_std
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, x: "np.ndarray") -> Standardize:
        t = torch.from_numpy(x)
        self.mean.copy_(t.mean(dim=0))
        # a floor: dimensions that never move in normal data must not divide by ~0
        self.std.copy_(t.std(dim=0, unbiased=False).clamp_min(self.min_std))
        return self

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        return (x - self.mean) / self.std


def mlp(sizes: list[int], dropout: float = 0.0) -> "nn.Sequential":
    """Linear layers of ``sizes`` with GELU (and dropout) between them, none after the last."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.GELU())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def run_steps(model: "nn.Module", optim: "torch.optim.Optimizer", n: int, batch_size: int,
              gen: "torch.Generator", loss_of: Any) -> float:
    """One shuffled pass over ``n`` rows: ``loss_of(index)`` -> loss to minimise; mean loss back."""
    model.train()
    total, count = 0.0, 0
    for idx in batches(n, batch_size, gen):
        optim.zero_grad()
        loss = loss_of(idx)
        loss.backward()
        optim.step()
        total, count = total + float(loss.detach()) * len(idx), count + len(idx)
    model.eval()
    return total / max(count, 1)


def adam(model: "nn.Module", config: TorchConfig, lr: float | None = None) -> "torch.optim.Optimizer":
    return torch.optim.Adam(model.parameters(), lr=lr or config.lr, weight_decay=config.weight_decay)


# ---------------------------------------------------------------------------- the coordinator
class AutoencoderConfig(TorchConfig):
    """``hidden``/``code``: widths of 384 -> hidden -> code -> hidden -> 384. ``noise``: std of
    Gaussian noise added to the (standardised) input while training (a denoising autoencoder
    generalises over small variations of the familiar sequences). ``update_lr``: learning rate
    of :meth:`AutoencoderCoordinator.partial_fit` (None: ``lr``)."""

    epochs: int = Field(default=60, ge=1)
    patience: int = Field(default=10, ge=1)
    batch_size: int = Field(default=128, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    hidden: int = Field(default=128, ge=1)
    code: int = Field(default=32, ge=1)
    noise: float = Field(default=0.1, ge=0)
    update_lr: float | None = Field(default=None, gt=0)


class Autoencoder(nn.Module):
    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.scale = Standardize(DIM)
        self.net = mlp([DIM, config.hidden, config.code, config.hidden, DIM])

    def error(self, x: "torch.Tensor", noise: float = 0.0, gen: "torch.Generator | None" = None) -> "torch.Tensor":
        """Per-row mean squared reconstruction error in standardised space."""
        z = self.scale(x)
        noisy = z + noise * torch.randn(z.shape, generator=gen) if noise else z
        return ((self.net(noisy) - z) ** 2).mean(dim=1)


class AutoencoderCoordinator(MeanEmbeddingFeatures, Detector):
    """Reconstruction error of the mean template embedding; high error = unfamiliar, route it.

    Fitted on the normal train sequences (all of them when unlabelled); the epoch is chosen on
    validation F1 (validation loss when validation has no anomaly), the threshold by the base
    class on validation. That threshold is also the default routing threshold of
    :meth:`unfamiliar`: the error above which the sequence looked abnormal on validation.
    """

    name = "autoencoder"
    config_type = AutoencoderConfig
    supervised = False

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.model: Autoencoder | None = None
        self.updates = 0  # partial_fit calls so far; seeds each update's shuffling

    # ------------------------------------------------------------------ fit / score
    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        cfg = self.config
        gen = seeded(cfg)
        normal = x[y == 0] if (y == 0).any() else x
        self.model = Autoencoder(cfg)
        self.model.scale.fit(normal)
        optim = adam(self.model, cfg)
        result = train_with_selection(
            self.model, lambda _: self._train_epoch(normal, optim, gen), lambda: self._score_array(x_val),
            y_val, cfg, val_loss=lambda: float(self._score_array(x_val).mean()))
        self.updates = 0
        return {"epochs": result.best_epoch, "epochs_run": result.epochs_run,
                "selected_by": result.criterion, "fit_sequences": int(len(normal))}

    def _train_epoch(self, x: "np.ndarray", optim: "torch.optim.Optimizer", gen: "torch.Generator") -> float:
        assert self.model is not None
        t, model, noise = torch.from_numpy(x), self.model, self.config.noise
        return run_steps(model, optim, len(x), self.config.batch_size, gen,
                         lambda idx: model.error(t[idx], noise, gen).mean())

    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        model = self._need_model()
        return predict_in_batches(model.error, x, self.config.score_batch).astype(np.float64)

    def _need_model(self) -> Autoencoder:
        if self.model is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        return self.model

    # ------------------------------------------------------------------ CollaborLog's evolve / routing
    def partial_fit(self, batch: SequenceBatch, epochs: int = 1) -> float:
        """Train ``epochs`` more passes over ``batch`` so its kind of sequence becomes familiar.

        Every row is used, labels are not read: familiarity, not normality, is what routing
        needs, and the caller decides what to feed (new normal sequences, or sequences the LLM
        has judged, which the small model now remembers). The standardisation, threshold and
        calibration stay as fitted, so scores before and after an update are comparable.
        Returns the mean training loss of the last pass.
        """
        model = self._need_model()
        if self.calibration is None:
            raise DetectorError(f"{self.name} is not fitted: call fit() or load() first")
        x = self.featurize(batch)
        self.check_array(x)
        self.updates += 1
        gen = seeded(self.config.model_copy(update={"seed": self.config.seed + self.updates}))
        optim = adam(model, self.config, self.config.update_lr)
        loss = 0.0
        for _ in range(epochs):
            loss = self._train_epoch(x, optim, gen)
        return loss

    def unfamiliar(self, batch: SequenceBatch, threshold: float | None = None) -> "np.ndarray":
        """Route to the LLM? True where the reconstruction error is at or above ``threshold``.

        By default the threshold is the validation-chosen one of :meth:`fit` (the same cut as
        ``score(batch).abnormal``); pass a lower one to route more, a higher one to route less.
        """
        scores = self.score(batch).score
        assert self.calibration is not None
        cut = self.calibration.threshold if threshold is None else threshold
        return scores >= cut

    # ------------------------------------------------------------------ persistence
    def _save_model(self, path: Path) -> dict[str, Any]:
        save_state(self._need_model(), path / STATE_FILE)
        return {"state": STATE_FILE, "updates": self.updates}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        self.model = Autoencoder(self.config)
        self.model.load_state_dict(load_state(path / meta.get("state", STATE_FILE))["model"])
        self.model.eval()
        self.updates = int(meta.get("updates", 0))
