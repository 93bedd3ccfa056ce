"""MLAD: one model for many systems' logs (sentence embeddings, entmax attention, GMM energy).

Why each part:

* **MiniLM template embeddings** (384-d, :class:`~logsieve.features.embeddings.TemplateEmbeddings`)
  instead of template ids: ids are private to one parser state and one system, texts are not,
  so sequences of different systems land in one space and a single model can serve them all.
* **Self-attention with alpha-entmax** normalisation (``entmax`` package): softmax gives every
  line some weight; entmax gives exactly zero to irrelevant lines, so a session's
  representation is built from the few lines that matter and long, repetitive sessions do not
  wash out a single odd line. Padded positions get exactly zero weight too.
* **CELU feed-forward block** with residuals and LayerNorm (post-norm), then a masked mean pool
  and a small linear compression to the sequence code ``z_c``.
* **Decoder**: rebuilds each line's 384-d embedding from its encoder state. Trained on normal
  lines only, it rebuilds the templates it has seen and misses the others; the mean and max
  (one odd line in a long session must count) relative error and the mean cosine similarity
  join ``z_c`` (DAGMM): ``z = [z_c, err_mean, err_max, cos]``. They enter ``z`` detached, so
  the mixture terms cannot improve their own fit by spoiling the reconstruction.
* **Gaussian mixture estimation** (DAGMM): an MLP on ``z`` gives soft memberships over K
  components; from them the mixture weights, means and covariances, and the sample energy
  ``E(z) = -log sum_k phi_k N(z; mu_k, Sigma_k)``, the anomaly score. Training minimises
  ``reconstruction MSE + lambda1 * mean energy + lambda2 * sum 1/diag(Sigma)`` (the last term
  keeps covariances from collapsing) on normal sequences only.

How it is fed and scored (defaults chosen on the HDFS sample's validation split, see
benchmarks/RESULTS.md):

* ``tokens="templates"``: one token per *distinct* template of a sequence, in order of first
  appearance, carrying ``count_scale * log(1 + count)`` next to its embedding (the decoder
  rebuilds both). HDFS sessions repeat a handful of templates; per line (``tokens="lines"``,
  the first version) one odd line is 1 of 20-60 near-identical tokens, and the counts, which
  is where "missing steps" shows, were only implicit.
* ``energy="token"``: the code ``z`` is per token (its compressed state, its relative
  reconstruction error, cosine and count error), the mixture is fitted over the tokens of the
  normal train sequences, and a sequence scores the energy of its *most* abnormal token. With
  one code per sequence (``energy="sequence"``: masked mean pool -> ``z_c`` plus mean/max
  errors) and positions on, never-seen templates scored *below* the common unfinished normal
  sessions on validation (and a template rare in normal data did on test, found when reading
  test errors). Without positions the two levels tie on validation; the token level is kept
  because one odd line is what it is built to catch (details in RESULTS.md).
* ``positional=False``: no sinusoidal positions on the tokens. Concurrent datanodes make the
  order in which a block's templates first appear vary; with positions, normal sessions of the
  commonest composition scored as anomalies when their order was rare (validation F1 0.43-0.52
  with positions, 0.61 without, on three seeds).

During training the mixture comes from each mini-batch. For scoring it is fitted once over the
whole normal train set (sums accumulated in float64 over batches) and stored, so a sequence's
score never depends on which other sequences share its batch. Energies are computed in float64
through a Cholesky factor of ``Sigma + eps * I``.

Known limit: templates never seen in normal training data score high whether or not the
session failed (on the HDFS sample test split, 26 normal blocks re-replicated with templates
that the train split shows in anomalous blocks only).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from logsieve._optional import require
from logsieve.detectors.base import Detector, SequenceBatch, pad_ids
from logsieve.detectors.training import (
    TorchConfig,
    batches,
    load_state,
    predict_in_batches,
    save_state,
    seeded,
    train_with_selection,
)
from logsieve.features.embeddings import TemplateEmbeddings, TextEncoder

np = require("numpy", purpose="the MLAD detector")
torch = require("torch", purpose="the MLAD detector")
entmax = require("entmax", purpose="the MLAD detector's sparse attention")
nn = torch.nn

EMBED_DIM = 384
MODEL_FILE = "mlad.pt"
N_RECON = 4  # reconstruction features joining the code: mean, max relative error, cosine, count error
COUNT = EMBED_DIM  # channel of a token's log count; the channel after it is the real-token mask
N_TOKEN = 3  # per-token reconstruction features (energy="token"): relative error, cosine, count error
IN_DIM = EMBED_DIM + 1  # what the encoder reads and the decoder rebuilds: embedding + log count
_NEG = -1e4  # attention logit of a padded key: entmax gives it exactly zero weight


class MLADConfig(TorchConfig):
    """Model sizes and loss weights (defaults: what the benchmarks measure)."""

    d_model: int = Field(default=64, ge=4)
    heads: int = Field(default=4, ge=1)
    layers: int = Field(default=1, ge=1)
    ff: int = Field(default=128, ge=4)
    latent: int = Field(default=8, ge=1)
    alpha: float = Field(default=1.5, gt=1.0, le=2.0)
    n_components: int = Field(default=4, ge=1)
    estimation_hidden: int = Field(default=16, ge=2)
    lambda1: float = Field(default=0.1, ge=0)
    lambda2: float = Field(default=0.005, ge=0)
    cov_eps: float = Field(default=1e-3, gt=0)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    max_len: int = Field(default=64, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    epochs: int = Field(default=20, ge=1)
    # how it is fed and scored; see the module docstring. Chosen on the HDFS sample's
    # validation split (benchmarks/RESULTS.md, "MLAD: what changed and how it was chosen")
    tokens: Literal["templates", "lines"] = "templates"
    energy: Literal["token", "sequence"] = "token"
    positional: bool = False  # sinusoidal positions on the tokens
    count_scale: float = Field(default=0.25, gt=0)  # count channel = count_scale * log(1 + count)


# ---------------------------------------------------------------------- building blocks
def sparse_attention(scores: "torch.Tensor", alpha: float) -> "torch.Tensor":
    """alpha-entmax over the last axis: rows sum to 1 and may hold exact zeros.

    ``entmax15`` (exact, sort based) for alpha = 1.5, bisection for other alphas.
    """
    if abs(alpha - 1.5) < 1e-12:
        return entmax.entmax15(scores, dim=-1)
    return entmax.entmax_bisect(scores, alpha=alpha, dim=-1)


def positional_encoding(length: int, dim: int) -> "torch.Tensor":
    """Fixed sinusoidal positions (L, dim): no weights, so any length up to max_len works."""
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return pe


class EntmaxAttention(nn.Module):
    """Multi-head self-attention whose weights are alpha-entmax, padded keys masked out."""

    def __init__(self, dim: int, heads: int, alpha: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"d_model ({dim}) must be a multiple of heads ({heads})")
        self.heads, self.alpha = heads, alpha
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def weights(self, h: "torch.Tensor", mask: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
        """Attention weights (B, heads, L, L) and the values (B, heads, L, dh)."""
        b, length, dim = h.shape
        q, k, v = self.qkv(h).view(b, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        logits = q @ k.transpose(-1, -2) / math.sqrt(dim // self.heads)
        logits = logits.masked_fill(~mask[:, None, None, :], _NEG)
        return sparse_attention(logits, self.alpha), v

    def forward(self, h: "torch.Tensor", mask: "torch.Tensor") -> "torch.Tensor":
        attn, v = self.weights(h, mask)
        b, length, dim = h.shape
        return self.out((attn @ v).transpose(1, 2).reshape(b, length, dim))


class EncoderLayer(nn.Module):
    """Entmax attention and a CELU feed-forward block, each with a residual and LayerNorm."""

    def __init__(self, config: MLADConfig) -> None:
        super().__init__()
        d = config.d_model
        self.attn = EntmaxAttention(d, config.heads, config.alpha)
        self.ff = nn.Sequential(nn.Linear(d, config.ff), nn.CELU(), nn.Linear(config.ff, d))
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, h: "torch.Tensor", mask: "torch.Tensor") -> "torch.Tensor":
        h = self.norm1(h + self.drop(self.attn(h, mask)))
        return self.norm2(h + self.drop(self.ff(h)))


# ---------------------------------------------------------------------- the mixture
def gmm_parameters(z: "torch.Tensor", gamma: "torch.Tensor", eps: float) -> tuple["torch.Tensor", ...]:
    """Mixture weights (K), means (K, D) and covariances (K, D, D) from soft memberships."""
    return gmm_from_sums(*gmm_sums(z, gamma), eps=eps)


def gmm_sums(z: "torch.Tensor", gamma: "torch.Tensor") -> tuple["torch.Tensor", ...]:
    """Sufficient statistics: count, sum of gamma, gamma-weighted sums of z and z z^T.

    Sums (not means) so they can be added over batches: the scoring mixture is fitted over the
    whole train set this way, independent of batch boundaries.
    """
    weight = gamma.sum(0)
    first = gamma.T @ z
    second = torch.einsum("nk,ni,nj->kij", gamma, z, z)
    return torch.tensor(float(len(z)), dtype=z.dtype), weight, first, second


def gmm_from_sums(n, weight, first, second, eps: float) -> tuple["torch.Tensor", ...]:
    """phi, mu, Sigma (+ eps * I so Cholesky always succeeds) from :func:`gmm_sums`."""
    w = weight.clamp_min(1e-12)
    phi = weight / n
    mu = first / w[:, None]
    cov = second / w[:, None, None] - mu[:, :, None] * mu[:, None, :]
    cov = cov + eps * torch.eye(mu.shape[1], dtype=mu.dtype)
    return phi, mu, cov


def gmm_energy(z: "torch.Tensor", phi, mu, cov) -> "torch.Tensor":
    """Sample energy ``-log sum_k phi_k N(z; mu_k, Sigma_k)`` per row, through Cholesky factors."""
    chol = torch.linalg.cholesky(cov)  # (K, D, D)
    diff = (z[None, :, :] - mu[:, None, :]).transpose(1, 2)  # (K, D, N)
    solved = torch.linalg.solve_triangular(chol, diff, upper=False)
    maha = (solved**2).sum(1)  # (K, N)
    logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)  # (K)
    dim = z.shape[1]
    log_prob = -0.5 * (maha + logdet[:, None] + dim * math.log(2 * math.pi))
    return -torch.logsumexp(torch.log(phi.clamp_min(1e-12))[:, None] + log_prob, dim=0)


# ---------------------------------------------------------------------- the network
class MLADNet(nn.Module):
    """Tokens (B, L, 386) -> codes z (per sequence, or per real token), memberships gamma, reconstruction MSE."""

    def __init__(self, config: MLADConfig) -> None:
        super().__init__()
        d = config.d_model
        self.proj = nn.Linear(IN_DIM, d)
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.layers))
        self.compress = nn.Linear(d, config.latent)
        self.decode = nn.Sequential(nn.Linear(d, config.ff), nn.CELU(), nn.Linear(config.ff, IN_DIM))
        # embeddings are unit vectors (~0.05 a channel): start the reconstruction near zero, not
        # at PyTorch's default scale (norm ~6), or the energy term wins before it ever learns
        nn.init.normal_(self.decode[-1].weight, std=0.01)
        nn.init.zeros_(self.decode[-1].bias)
        self.per_token = config.energy == "token"
        self.positional = config.positional
        self.estimate = nn.Sequential(nn.Linear(config.latent + (N_TOKEN if self.per_token else N_RECON),
                                                config.estimation_hidden), nn.CELU(),
                                      nn.Dropout(config.dropout),
                                      nn.Linear(config.estimation_hidden, config.n_components))
        self.register_buffer("pe", positional_encoding(config.max_len, d), persistent=False)

    def forward(self, x: "torch.Tensor") -> dict[str, "torch.Tensor"]:
        emb, mask = x[..., :IN_DIM], x[..., IN_DIM] > 0.5
        h = self.proj(emb)
        if self.positional:
            h = h + self.pe[: x.shape[1]]
        for layer in self.layers:
            h = layer(h, mask)
        m = mask.unsqueeze(-1).to(h.dtype)
        recon = self.decode(h)
        if self.per_token:
            # one code per real token: its state, compressed, and how well it was rebuilt
            feats = token_features(emb, recon)
            z = torch.cat([self.compress(h), feats.detach()], dim=-1)[mask]  # (T, latent + 3)
            mse = ((emb - recon) ** 2).sum(-1)[mask]
            return {"z": z, "gamma": torch.softmax(self.estimate(z), dim=1), "mse": mse, "mask": mask}
        pooled = (h * m).sum(1) / m.sum(1).clamp_min(1.0)
        z_c = self.compress(pooled)
        feats, mse = reconstruction_features(emb, recon, m)
        # detached: the energy and covariance terms would otherwise learn to spoil the
        # reconstruction (a noisier error has a larger variance, i.e. a smaller penalty)
        z = torch.cat([z_c, feats.detach()], dim=1)
        return {"z": z, "gamma": torch.softmax(self.estimate(z), dim=1), "mse": mse}


def token_features(emb, recon) -> "torch.Tensor":
    """Per token: relative error and cosine of the rebuilt embedding, absolute error of the
    rebuilt log count (B, L, 3)."""
    e, r = emb[..., :EMBED_DIM], recon[..., :EMBED_DIM]
    rel = (e - r).norm(dim=-1) / e.norm(dim=-1).clamp_min(1e-6)
    cos = nn.functional.cosine_similarity(e, r, dim=-1, eps=1e-6)
    return torch.stack([rel, cos, (emb[..., COUNT] - recon[..., COUNT]).abs()], dim=-1)


def reconstruction_features(emb, recon, m) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Per sequence, over real lines: (mean and max relative error, mean cosine) and the squared
    error per line (summed over the 384 channels, not averaged: averaged, it is ~1/384 of the
    energy term and the reconstruction never learns).

    The max matters: one never-seen line in a long normal-looking session is the typical
    failure, and a mean over 40 lines would hide it.
    """
    real = m[..., 0]
    lines = real.sum(1).clamp_min(1.0)
    e, r = emb[..., :EMBED_DIM], recon[..., :EMBED_DIM]
    rel = (e - r).norm(dim=-1) / e.norm(dim=-1).clamp_min(1e-6) * real
    cos = nn.functional.cosine_similarity(e, r, dim=-1, eps=1e-6) * real
    count_err = (emb[..., COUNT] - recon[..., COUNT]).abs() * real
    mse = (((emb - recon) ** 2).sum(-1) * real).sum(1) / lines
    feats = torch.stack([rel.sum(1) / lines, rel.max(1).values, cos.sum(1) / lines, count_err.max(1).values],
                        dim=1)
    return feats, mse


# ---------------------------------------------------------------------- the detector
@lru_cache(maxsize=4)
def _shared_encoder(threads: int | None) -> TextEncoder:
    """One MiniLM per process: detectors (fit, load, a twin) share it instead of reloading."""
    from logsieve.features.sentence import SentenceEncoder

    return SentenceEncoder(threads=threads)


class _Ids:
    """Just what :func:`pad_ids` reads of a Sequence: its template ids."""

    __slots__ = ("template_ids",)

    def __init__(self, ids: list[int]) -> None:
        self.template_ids = ids


class MLAD(Detector):
    """Multi-system anomaly detector; see the module docstring. Fitted on normal sequences."""

    name = "mlad"
    config_type = MLADConfig
    supervised = False
    version = 2  # 2: tokens carry a log-count channel; 4 reconstruction features

    def __init__(self, config: Any = None, *, encoder: TextEncoder | None = None) -> None:
        super().__init__(config)
        self.embeddings = TemplateEmbeddings(encoder=encoder or _shared_encoder(self.config.threads))
        self.net: MLADNet | None = None
        self.gmm: tuple["torch.Tensor", ...] | None = None  # phi, mu, cov (float64)

    # ------------------------------------------------------------------ features
    def featurize(self, batch: SequenceBatch) -> "np.ndarray":
        """(n, L, 386) float32: per token its template embedding, its scaled log count, then a
        1/0 real-token mask.

        ``tokens="templates"`` (default): one token per distinct template of the sequence, in
        order of first appearance, with ``count_scale * log(1 + count)``; the last ``max_len``
        distinct templates are kept. ``tokens="lines"``: one token per line (the last
        ``max_len`` lines), count channel 0.
        """
        if self.config.tokens == "templates":
            seqs, counts = [], []
            for s in batch.sequences:
                tally: dict[int, int] = {}
                for t in s.template_ids:
                    tally[t] = tally.get(t, 0) + 1
                seqs.append(list(tally))
                counts.append(list(tally.values()))
            ids, _ = pad_ids([_Ids(s) for s in seqs], self.config.max_len)
            cnt = np.zeros(ids.shape, dtype=np.float32)
            for i, c in enumerate(counts):
                c = c[-self.config.max_len:]
                cnt[i, : len(c)] = np.log1p(np.asarray(c, dtype=np.float32)) * self.config.count_scale
        else:
            ids, _ = pad_ids(batch.sequences, self.config.max_len)
            cnt = np.zeros(ids.shape, dtype=np.float32)
        uniq, index = np.unique(ids, return_inverse=True)
        real = uniq[uniq >= 0]
        table = np.zeros((len(uniq), IN_DIM + 1), dtype=np.float32)
        if len(real):
            vecs = self.embeddings.vectors(real.tolist(), [batch.templates[int(t)] for t in real])
            table[len(uniq) - len(real):, :EMBED_DIM] = vecs
            table[len(uniq) - len(real):, IN_DIM] = 1.0
        out = table.take(index.reshape(ids.shape), axis=0)
        out[..., COUNT] = cnt
        return out

    def _expected_shape(self) -> tuple[int | None, ...]:
        return (None, None, IN_DIM + 1)

    # ------------------------------------------------------------------ fitting
    def _fit_arrays(self, x, y, x_val, y_val) -> dict[str, Any]:
        cfg = self.config
        gen = seeded(cfg)
        normal = x[y == 0] if (y == 0).any() else x
        data = torch.from_numpy(np.ascontiguousarray(normal))
        self.net = MLADNet(cfg)
        opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

        def run_epoch(epoch: int) -> float:
            total = 0.0
            for idx in batches(len(data), cfg.batch_size, gen):
                if len(idx) < 2:
                    continue  # a covariance needs more than one sample
                loss = self._loss(data[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            return total / len(data)

        def val_scores() -> "np.ndarray":
            self.gmm = self._fit_mixture(normal)
            return self._score_array(x_val)

        def val_loss() -> float:
            # the training objective on validation (batch mixture), used when it has no anomaly
            xv = torch.from_numpy(np.ascontiguousarray(x_val[: cfg.score_batch]))
            return float(self._loss(xv)) if len(xv) > 1 else 0.0

        result = train_with_selection(self.net, run_epoch, val_scores, y_val, cfg, val_loss)
        self.gmm = self._fit_mixture(normal)
        return {"epochs": result.best_epoch, "epochs_run": result.epochs_run, "criterion": result.criterion,
                "train_normal": len(normal)}

    def _loss(self, xb: "torch.Tensor") -> "torch.Tensor":
        """Reconstruction MSE + lambda1 * mean energy + lambda2 * covariance penalty (batch GMM)."""
        cfg = self.config
        out = self.net(xb)
        z, gamma = out["z"].double(), out["gamma"].double()
        phi, mu, cov = gmm_parameters(z, gamma, cfg.cov_eps)
        energy = gmm_energy(z, phi, mu, cov).mean()
        penalty = (1.0 / torch.diagonal(cov, dim1=-2, dim2=-1)).sum()
        return out["mse"].mean() + (cfg.lambda1 * energy + cfg.lambda2 * penalty).float()

    @torch.no_grad()
    def _fit_mixture(self, x: "np.ndarray") -> tuple["torch.Tensor", ...]:
        """The scoring mixture over all of ``x`` (float64 sums added over batches)."""
        self.net.eval()
        totals = None
        for i in range(0, len(x), self.config.score_batch):
            out = self.net(torch.from_numpy(x[i : i + self.config.score_batch]))
            sums = gmm_sums(out["z"].double(), out["gamma"].double())
            totals = sums if totals is None else tuple(a + b for a, b in zip(totals, sums))
        return gmm_from_sums(*totals, eps=self.config.cov_eps)

    # ------------------------------------------------------------------ scoring
    def _score_array(self, x: "np.ndarray") -> "np.ndarray":
        if self.net is None or self.gmm is None:
            raise RuntimeError("MLAD has no model; fit or load it first")
        self.net.eval()
        return predict_in_batches(self._energy, np.ascontiguousarray(x, dtype=np.float32),
                                  self.config.score_batch).astype(np.float64)

    def _energy(self, xb: "torch.Tensor") -> "torch.Tensor":
        out = self.net(xb)
        energy = gmm_energy(out["z"].double(), *self.gmm)
        if "mask" not in out:
            return energy
        # per-token energies back into their rows; a sequence scores its most abnormal token
        mask = out["mask"]
        full = torch.full(mask.shape, -torch.inf, dtype=energy.dtype)
        full[mask] = energy
        return full.max(dim=1).values

    # ------------------------------------------------------------------ persistence
    def _save_model(self, path: Path) -> dict[str, Any]:
        phi, mu, cov = self.gmm
        save_state(self.net, path / MODEL_FILE, {"gmm_phi": phi, "gmm_mu": mu, "gmm_cov": cov})
        return {"file": MODEL_FILE}

    def _load_model(self, path: Path, meta: dict[str, Any]) -> None:
        state = load_state(path / meta.get("file", MODEL_FILE))
        seeded(self.config)  # threads as configured
        self.net = MLADNet(self.config)
        self.net.load_state_dict(state["model"])
        self.net.eval()
        self.gmm = (state["gmm_phi"], state["gmm_mu"], state["gmm_cov"])
