"""LogMoE, CoLA's small model: semantic line vectors -> Bi-LSTM -> mixture of experts -> MLP.

Each log line is the 50-d GloVe x TF-IDF vector of its template
(:class:`~logsieve.features.semantic.SemanticVectors`, computed once per template). A
bidirectional LSTM reads the lines of a sequence; a mixture-of-experts layer (``experts``
two-layer ReLU MLPs, a softmax gate, top-``top_k`` routing) transforms each time step, added to
the step as a residual (the LSTM's signal passes while the gate is still untrained); a masked
mean over the real (non-padding) steps feeds an MLP with two outputs (normal, abnormal). The
score is the softmax probability of the abnormal class.

Loss = cross entropy (class-weighted, see :class:`LogMoEConfig`)
       + ``balance_weight`` * load-balance loss   (E * sum_i f_i * G_i, Switch-Transformer style)
       + ``diversity_weight`` * expert-diversity loss (mean pairwise cosine of expert weights).

The balance term keeps the gate from sending every line to one or two experts (which would make
the other experts dead weight); the diversity term pushes the experts' first-layer weights
apart on the unit hypersphere so they do not learn the same function.

Arrays: :meth:`LogMoE.featurize` gives ``(n, L, 51)`` float32, the 50-d vectors right-padded
with zeros plus a last channel that is 1 on real lines and 0 on padding. The mask is explicit
because a real template can have the zero vector (no word GloVe knows). Padding never enters
the model: each LSTM direction reads only a row's real lines (see :meth:`LogMoENet.bilstm`), and
the experts and the pooling see real steps only, so a sequence's score does not depend on what
else is in its batch (up to float rounding).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from logsieve._optional import require
from logsieve.detectors.base import Detector, SequenceBatch, pad_ids
from logsieve.detectors.training import (
    TorchConfig,
    batches,
    load_state,
    save_state,
    seeded,
    train_with_selection,
)
from logsieve.features.semantic import SemanticVectors

np = require("numpy", purpose="the LogMoE detector")
torch = require("torch", purpose="the LogMoE detector")
nn = torch.nn
F = torch.nn.functional

WEIGHTS_FILE = "logmoe.pt"
SEMANTIC_FILE = "semantic.json"
DIM = 50  # GloVe 6B 50-d


class LogMoEConfig(TorchConfig):
    """LogMoE settings.

    Training: Adam for 20 epochs as in the paper, but mini-batches of 32 at lr 5e-3 rather than
    256 at 2e-3. The paper trains on all of HDFS (~100k sessions, hundreds of steps per epoch);
    on a few thousand sessions batch 256 gives 9 steps per epoch, and 20 such epochs leave the
    model short of the rare anomaly kinds (on the old, uncut split: validation F1 stuck near
    0.90 on the HDFS sample, 1.0 with batch 32 at lr 5e-3). ``patience`` is 8 because validation F1 often plateaus for a
    few epochs before the rare kinds are learnt.

    Defaults chosen under the cut chronological split (train sessions cut at the validation
    start, validation at the test start; see :mod:`logsieve.evaluate.splits`) on validation F1
    only, HDFS sample, ``threads=1``. Grid, seed 0: lr {1e-3, 2e-3, 5e-3}, batch {32, 64, 128 at
    lr 2e-3}, class_weight {sqrt, balanced, none}, widths (hidden/expert/MLP) {32, 64},
    dropout {0.1, 0.3}, weight_decay {0, 1e-4}; the best four plus widths 32 with dropout 0.3
    were rerun on seeds 1 and 2. Mean validation F1 over seeds 0-2: widths 64 (the old
    defaults) 0.540, widths 32 0.535, dropout 0.3 0.542, class_weight none 0.499, widths 32
    with dropout 0.3 0.502. Validation holds 31 anomalies in short unfinished sessions (one
    true positive moves F1 by ~0.03; the count-based logistic regression gets 0.49 there too),
    so the top three are a tie, and the tie goes to widths 32: the smallest model, about 40%
    faster to train. The seed moves validation F1 more (0.40-0.61) than any setting did.

    ``class_weight`` handles the imbalance (a few per cent of sessions are abnormal) in the
    cross entropy, with weights from the train label frequencies: ``balanced`` is n / (2 n_c),
    ``sqrt`` its square root (the default: a milder push; it tied with ``balanced`` on the
    HDFS sample's validation split, while ``none`` learnt the anomalies much more slowly),
    ``none`` plain CE.
    Weighting the loss rather than oversampling keeps every epoch the same size and each
    abnormal sequence seen once per epoch, so the model does not memorise repeated copies; the
    threshold is chosen on validation anyway, so the weight only shapes the gradients.
    """

    batch_size: int = Field(default=32, ge=1)
    lr: float = Field(default=5e-3, gt=0)
    patience: int = Field(default=8, ge=1)
    hidden: int = Field(default=32, ge=1)  # LSTM units per direction
    experts: int = Field(default=8, ge=1)
    top_k: int = Field(default=2, ge=1)
    expert_hidden: int = Field(default=32, ge=1)
    mlp_hidden: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    max_len: int = Field(default=512, ge=1)
    balance_weight: float = Field(default=0.01, ge=0)
    diversity_weight: float = Field(default=0.01, ge=0)
    class_weight: Literal["balanced", "sqrt", "none"] = "sqrt"

    @model_validator(mode="after")
    def _top_k_fits(self) -> "LogMoEConfig":
        if self.top_k > self.experts:
            raise ValueError(f"top_k ({self.top_k}) cannot exceed the number of experts ({self.experts})")
        return self


# ---------------------------------------------------------------------- the network
class MoELayer(nn.Module):
    """Top-k mixture of two-layer ReLU MLP experts over a flat batch of tokens ``(T, dim)``.

    The gate's softmax over experts gives G; each token goes to its ``top_k`` experts, whose
    outputs are mixed with the gate probabilities renormalised over the chosen ones. Experts are
    run only on the tokens routed to them (k/E of the dense cost).
    """

    def __init__(self, dim: int, experts: int, top_k: int, hidden: int) -> None:
        super().__init__()
        if top_k > experts:
            raise ValueError(f"top_k ({top_k}) cannot exceed the number of experts ({experts})")
        self.experts, self.top_k = experts, top_k
        self.gate = nn.Linear(dim, experts)
        bound1, bound2 = 1 / dim**0.5, 1 / hidden**0.5
        self.w1 = nn.Parameter(torch.empty(experts, dim, hidden).uniform_(-bound1, bound1))
        self.b1 = nn.Parameter(torch.zeros(experts, hidden))
        self.w2 = nn.Parameter(torch.empty(experts, hidden, dim).uniform_(-bound2, bound2))
        self.b2 = nn.Parameter(torch.zeros(experts, dim))

    def route(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
        """Gate probabilities ``(T, E)``, chosen experts ``(T, k)`` and their mixing weights."""
        probs = F.softmax(self.gate(x), dim=-1)
        top_p, top_i = probs.topk(self.top_k, dim=-1)
        return probs, top_i, top_p / top_p.sum(dim=-1, keepdim=True)

    def forward(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
        """Mixed expert outputs ``(T, dim)`` plus gate probabilities and chosen experts."""
        probs, top_i, top_w = self.route(x)
        out = torch.zeros_like(x)
        for e in range(self.experts):
            token, slot = (top_i == e).nonzero(as_tuple=True)
            if len(token) == 0:
                continue
            h = F.relu(x[token] @ self.w1[e] + self.b1[e])
            out.index_add_(0, token, top_w[token, slot, None] * (h @ self.w2[e] + self.b2[e]))
        return out, probs, top_i


def balance_loss(probs: "torch.Tensor", top_i: "torch.Tensor", experts: int) -> "torch.Tensor":
    """E * sum_i f_i * G_i: f_i the share of routing slots given to expert i, G_i its mean gate
    probability. Both are 1/E under uniform routing, where the loss takes its minimum, 1."""
    if len(probs) == 0:
        return probs.sum()
    f = torch.bincount(top_i.flatten(), minlength=experts).to(probs.dtype) / top_i.numel()
    return experts * (f * probs.mean(dim=0)).sum()


def diversity_loss(w1: "torch.Tensor") -> "torch.Tensor":
    """Mean pairwise cosine similarity of the experts' flattened first-layer weights: lower when
    the weight vectors point apart on the unit hypersphere (0 for orthogonal, -1/(E-1) at best)."""
    n = w1.shape[0]
    if n < 2:
        return w1.sum() * 0.0
    unit = F.normalize(w1.reshape(n, -1), dim=1)
    cos = unit @ unit.T
    return (cos.sum() - cos.diagonal().sum()) / (n * (n - 1))


class LogMoENet(nn.Module):
    """Bi-LSTM -> MoE per real step -> masked mean -> MLP (2 logits)."""

    def __init__(self, config: LogMoEConfig, dim: int = DIM) -> None:
        super().__init__()
        width = 2 * config.hidden
        self.forward_lstm = nn.LSTM(dim, config.hidden, batch_first=True)
        self.backward_lstm = nn.LSTM(dim, config.hidden, batch_first=True)
        self.moe = MoELayer(width, config.experts, config.top_k, config.expert_hidden)
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(width, config.mlp_hidden), nn.ReLU(),
                                  nn.Linear(config.mlp_hidden, 2))

    def forward(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
        """``x`` is ``(B, L, dim + 1)`` (last channel the mask) -> logits, gate probs, routes."""
        real = x[..., -1] > 0.5
        lens = real.sum(dim=1)
        tokens = self.bilstm(x[..., :-1], lens)[real]  # (T, 2H): real steps only
        mixed, probs, top_i = self.moe(tokens)
        seq = real.nonzero(as_tuple=True)[0]
        pooled = torch.zeros(x.shape[0], tokens.shape[1], dtype=tokens.dtype).index_add_(0, seq, tokens + mixed)
        pooled = pooled / lens.clamp(min=1).unsqueeze(1).to(tokens.dtype)
        return self.head(pooled), probs, top_i

    def bilstm(self, x: "torch.Tensor", lens: "torch.Tensor") -> "torch.Tensor":
        """Bidirectional LSTM over right-padded rows, exact for every row's real steps.

        Two one-way LSTMs on dense tensors rather than a packed bidirectional one: on CPU the
        backward pass of packed sequences zero-fills a full-size gradient per time step (about
        twice as slow as the dense fused kernel here). The backward direction reads each row
        reversed *within its length*, so padding stays at the end and never reaches a real step.
        """
        rev = _reverse_index(lens, x.shape[1])
        back = self.backward_lstm(_take_steps(x, rev))[0]
        return torch.cat([self.forward_lstm(x)[0], _take_steps(back, rev)], dim=-1)


# ---------------------------------------------------------------------- the detector
class LogMoE(Detector):
    """CoLA's small model (see the module doc); supervised: trains on normal and abnormal labels."""

    name = "logmoe"
    config_type = LogMoEConfig
    supervised = True
    config: LogMoEConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.semantic = SemanticVectors()
        self.model: LogMoENet | None = None

    # ------------------------------------------------------------------ features
    def _fit_features(self, train: SequenceBatch) -> None:
        """Freeze the IDF on the texts of the templates the train sequences use."""
        used = sorted({t for s in train.sequences for t in s.template_ids})
        self.semantic.fit(train.templates[t] for t in used)

    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        """``(n, L, 51)``: template vectors (last ``max_len`` lines) padded with zeros, + mask.

        Vectorised: the distinct ids of the batch are looked up once, then one ``take``.
        """
        ids, _ = pad_ids(batch.sequences, self.config.max_len)
        uniq, index = np.unique(ids, return_inverse=True)
        real = uniq[uniq >= 0]
        table = np.zeros((len(uniq), DIM + 1), dtype=np.float32)
        if len(real):
            table[uniq >= 0, :DIM] = self.semantic.vectors(real.tolist(), [batch.templates[t] for t in real])
            table[uniq >= 0, DIM] = 1.0
        return table.take(index.reshape(ids.shape), axis=0)

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, None, DIM + 1)

    # ------------------------------------------------------------------ training
    def _class_weights(self, y: "np.ndarray") -> "torch.Tensor":
        counts = np.bincount(y, minlength=2).astype(np.float64)
        balanced = counts.sum() / (2 * np.maximum(counts, 1))
        power = {"balanced": 1.0, "sqrt": 0.5, "none": 0.0}[self.config.class_weight]
        return torch.tensor(balanced**power, dtype=torch.float32)

    def _loss(self, xb: "torch.Tensor", yb: "torch.Tensor", weights: "torch.Tensor") -> "torch.Tensor":
        assert self.model is not None
        logits, probs, top_i = self.model(xb)
        cfg = self.config
        loss = F.cross_entropy(logits, yb, weight=weights)
        if cfg.balance_weight:
            loss = loss + cfg.balance_weight * balance_loss(probs, top_i, cfg.experts)
        if cfg.diversity_weight:
            loss = loss + cfg.diversity_weight * diversity_loss(self.model.moe.w1)
        return loss

    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        gen = seeded(self.config)
        self.model = LogMoENet(self.config)
        known = y >= 0
        xt, yt = torch.from_numpy(x[known]), torch.from_numpy(y[known])
        weights = self._class_weights(y[known])
        opt = torch.optim.Adam(self.model.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay)

        def run_epoch(_: int) -> float:
            total = 0.0
            for idx in batches(len(xt), self.config.batch_size, gen):
                xb = _trim(xt[idx])
                opt.zero_grad()
                loss = self._loss(xb, yt[idx], weights)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            return total / len(xt)

        result = train_with_selection(self.model, run_epoch, lambda: self._score_array(x_val), y_val, self.config)
        return {"epochs": result.best_epoch, "epochs_run": result.epochs_run, "selection": result.criterion}

    # ------------------------------------------------------------------ scoring
    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        """P(abnormal) per row; identical rows are scored once.

        Sessions repeat a lot (on the HDFS sample test split 8,051 sequences hold 447 distinct
        ones), and the model is a deterministic function of the row, so scoring the distinct rows
        and spreading the results back gives the same scores at a fraction of the cost.
        """
        first, inverse = _distinct_rows(x)
        return self._score_rows(x[first])[inverse]

    @torch.no_grad()
    def _score_rows(self, x: "np.ndarray") -> "np.ndarray":
        """P(abnormal) per row. Rows are sorted by length and cut into ``score_batch`` buckets, each
        trimmed to its own longest sequence, so short sequences do not pay for long padding."""
        assert self.model is not None
        self.model.eval()
        lens = x[..., -1].sum(axis=1)
        order = np.argsort(-lens, kind="stable")
        out = np.empty(len(x), dtype=np.float32)
        for start, end in _buckets(lens[order], self.config.score_batch):
            rows = order[start:end]
            width = max(1, int(lens[rows[0]]))
            logits = self.model(torch.from_numpy(np.ascontiguousarray(x[rows, :width])))[0]
            out[rows] = F.softmax(logits, dim=-1)[:, 1].numpy()
        return out

    # ------------------------------------------------------------------ persistence
    def _save_model(self, path: Path) -> dict[str, Any]:
        assert self.model is not None
        save_state(self.model, path / WEIGHTS_FILE)
        self.semantic.save(path / SEMANTIC_FILE)
        return {"weights": WEIGHTS_FILE, "semantic": SEMANTIC_FILE, "input_dim": DIM}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        if self.config.threads is not None:  # scoring a loaded model keeps to the same CPU budget
            torch.set_num_threads(self.config.threads)
        self.semantic = SemanticVectors.load(path / meta.get("semantic", SEMANTIC_FILE))
        self.model = LogMoENet(self.config)
        self.model.load_state_dict(load_state(path / meta.get("weights", WEIGHTS_FILE))["model"])
        self.model.eval()


def _distinct_rows(x: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """Index of the first copy of each distinct row (exact, by bytes) and, per row, its copy.

    A dict of row bytes: hashing each row once is far cheaper than sorting long byte strings
    (``np.unique`` on rows), and equal hashes are confirmed by comparing the bytes.
    """
    flat = np.ascontiguousarray(x).reshape(len(x), -1)
    seen: dict[bytes, int] = {}
    first: list[int] = []
    inverse = np.empty(len(flat), dtype=np.intp)
    for i, row in enumerate(flat):
        k = seen.setdefault(row.tobytes(), len(first))
        if k == len(first):
            first.append(i)
        inverse[i] = k
    return np.asarray(first, dtype=np.intp), inverse


def _buckets(lens: "np.ndarray", size: int, slack: float = 0.75) -> list[tuple[int, int]]:
    """Cut rows sorted by decreasing length into ``[start, end)`` runs of at most ``size`` rows
    whose shortest row is at least ``slack`` times the longest, so padding wastes at most a
    quarter of a bucket's steps."""
    out, start, n = [], 0, len(lens)
    while start < n:
        end = start + 1
        while end < n and end - start < size and lens[end] >= slack * lens[start]:
            end += 1
        out.append((start, end))
        start = end
    return out


def _trim(xb: "torch.Tensor") -> "torch.Tensor":
    """Drop padding columns that no row of this mini-batch uses."""
    width = max(1, int(xb[..., -1].sum(dim=1).max()))
    return xb[:, :width]


def _reverse_index(lens: "torch.Tensor", width: int) -> "torch.Tensor":
    """Per row, the step order that reverses the first ``lens`` steps and keeps the rest (its own
    inverse)."""
    t = torch.arange(width).unsqueeze(0)
    last = lens.unsqueeze(1) - 1
    return torch.where(t <= last, last - t, t)


def _take_steps(x: "torch.Tensor", index: "torch.Tensor") -> "torch.Tensor":
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
