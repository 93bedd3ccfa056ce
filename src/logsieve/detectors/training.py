"""What the torch detectors share: seeding, threads, mini-batches and epoch selection.

Epochs are chosen on validation only: after each epoch the model scores the validation
sequences, and the epoch whose scores give the best validation F1 (at their own best
threshold) is kept; ties keep the earlier epoch. Training stops after ``patience`` epochs
without improvement. When validation has no anomaly (nothing to rank), the validation loss
chooses instead. Test data never enters this loop.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.base import DetectorConfig, best_f1_threshold

np = require("numpy", purpose="the deep detectors")
torch = require("torch", purpose="the deep detectors")


class TorchConfig(DetectorConfig):
    """Training settings shared by the torch detectors."""

    epochs: int = Field(default=20, ge=1)
    patience: int = Field(default=5, ge=1)
    batch_size: int = Field(default=256, ge=1)
    lr: float = Field(default=2e-3, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    threads: int | None = Field(default=2, ge=1)
    score_batch: int = Field(default=2048, ge=1)


def seeded(config: TorchConfig) -> "torch.Generator":
    """Seed torch for weight init and return a generator for shuffling (same seed, same run)."""
    torch.manual_seed(config.seed)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    gen = torch.Generator()
    gen.manual_seed(config.seed)
    return gen


def batches(n: int, size: int, gen: "torch.Generator | None" = None) -> Iterator["torch.Tensor"]:
    """Index batches over ``n`` rows, shuffled with ``gen`` when given."""
    order = torch.randperm(n, generator=gen) if gen is not None else torch.arange(n)
    for i in range(0, n, size):
        yield order[i : i + size]


@dataclass
class EpochResult:
    epochs_run: int
    best_epoch: int
    best_value: float
    criterion: str
    history: list[float]


def train_with_selection(
    model: "torch.nn.Module",
    run_epoch: Callable[[int], float],
    val_scores: Callable[[], "np.ndarray"],
    y_val: "np.ndarray",
    config: TorchConfig,
    val_loss: Callable[[], float] | None = None,
) -> EpochResult:
    """Run epochs; keep the weights of the best one on validation (see the module doc).

    ``run_epoch(epoch)`` trains one epoch and returns its mean train loss; ``val_scores()``
    scores validation (higher = more abnormal); ``val_loss()`` is used when validation holds
    no anomaly. The model is left with the best epoch's weights.
    """
    by_f1 = bool((y_val == 1).any() and (y_val == 0).any())
    criterion = "validation_f1" if by_f1 or val_loss is None else "validation_loss"
    best_value, best_epoch, best_state = -np.inf, 0, None
    history: list[float] = []
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        run_epoch(epoch)
        model.eval()
        with torch.no_grad():
            if criterion == "validation_f1":
                value = best_f1_threshold(val_scores(), y_val)[1]
            else:
                value = -float(val_loss())  # type: ignore[misc]
        history.append(value)
        if value > best_value + 1e-9:
            best_value, best_epoch, best_state = value, epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return EpochResult(epoch, best_epoch, float(best_value), criterion, history)


def save_state(model: "torch.nn.Module", path: Path, extra: dict[str, Any] | None = None) -> None:
    """Weights (and numpy arrays in ``extra``) to ``path`` through a temp file and a rename."""
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), **(extra or {})}, buf)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def load_state(path: Path) -> dict[str, Any]:
    return torch.load(path, weights_only=True)


@torch.no_grad()
def predict_in_batches(fn: Callable[["torch.Tensor"], "torch.Tensor"], x: "np.ndarray", size: int) -> "np.ndarray":
    """Apply ``fn`` to ``x`` (numpy) in row batches without gradients; concatenate as numpy."""
    out = [fn(torch.from_numpy(x[i : i + size])).detach().cpu().numpy() for i in range(0, len(x), size)]
    return np.concatenate(out) if out else np.zeros((0,), dtype=np.float32)
