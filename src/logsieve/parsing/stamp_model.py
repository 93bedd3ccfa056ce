"""The LogStamp token tagger: a small BiLSTM that labels each token template (0) or variable (1).

Kept apart from :mod:`logsieve.parsing.stamp` because it needs torch at import time, while the
parser module (and its config) must import on a machine without the ``ml`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from logsieve.parsing.stamp_labels import VARIABLE

_IGNORE = -100


class BiLSTMTagger(nn.Module):
    """Feature row per token -> projection -> BiLSTM -> two logits per token.

    The projection lets the network weigh the frozen word vector against the shape flags
    before the recurrent layer; the BiLSTM then reads both neighbours of a token, which is what
    tells ``user root`` (a value after a key word) from ``root cause`` (part of the message).
    """

    def __init__(self, in_dim: int, proj: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        # Dropout on the inputs keeps the tagger from memorising training tokens by their word
        # vector (a 50-d vector is as good as an id): it must also use shape and context,
        # which is what carries over to tokens it has never seen.
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Sequential(nn.Linear(in_dim, proj), nn.Tanh())
        self.lstm = nn.LSTM(proj, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``x``: (batch, max_len, in_dim); ``lengths`` on the CPU. Returns (batch, max_len, 2)."""
        projected = self.proj(self.drop(x))
        packed = pack_padded_sequence(projected, lengths, batch_first=True, enforce_sorted=False)
        hidden, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=x.shape[1])
        return self.out(self.drop(hidden))


def _pad(rows: torch.Tensor, lines: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Gather feature rows for a batch of index lists, zero-padded to the longest line."""
    lengths = torch.tensor([len(ids) for ids in lines], dtype=torch.long)
    index = torch.zeros((len(lines), int(lengths.max())), dtype=torch.long)
    for k, ids in enumerate(lines):
        index[k, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return rows[index], lengths


def _pad_labels(labels: Sequence[Sequence[int]], width: int) -> torch.Tensor:
    out = torch.full((len(labels), width), _IGNORE, dtype=torch.long)
    for k, lab in enumerate(labels):
        out[k, : len(lab)] = torch.tensor(lab, dtype=torch.long)
    return out


def train_tagger(
    model: BiLSTMTagger,
    rows: np.ndarray,
    lines: Sequence[Sequence[int]],
    labels: Sequence[Sequence[int]],
    *,
    steps: int,
    batch: int,
    lr: float,
    weight_decay: float,
    seed: int,
) -> list[float]:
    """Fit ``model`` on pseudo-labelled lines; returns the loss of each step.

    A fixed number of steps (not epochs) so that a system with 13 distinct training lines and
    one with 300 get the same amount of optimisation; batches are drawn with a seeded
    generator, so a run is reproducible.
    """
    gen = torch.Generator().manual_seed(seed)
    table = torch.from_numpy(rows)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss(ignore_index=_IGNORE)
    model.train()
    losses = []
    for _ in range(steps):
        pick = torch.randint(len(lines), (min(batch, len(lines)),), generator=gen).tolist()
        x, lengths = _pad(table, [lines[i] for i in pick])
        y = _pad_labels([labels[i] for i in pick], x.shape[1])
        loss = loss_fn(model(x, lengths).reshape(-1, 2), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


def tag_lines(model: BiLSTMTagger, rows: np.ndarray, lines: Sequence[Sequence[int]]) -> list[list[bool]]:
    """``True`` where a token is a variable, for each line; one forward pass for the batch."""
    if not lines:
        return []
    with torch.inference_mode():
        x, lengths = _pad(torch.from_numpy(rows), lines)
        variable = model(x, lengths).argmax(-1).eq(VARIABLE).tolist()
    return [flags[: len(ids)] for flags, ids in zip(variable, lines)]
