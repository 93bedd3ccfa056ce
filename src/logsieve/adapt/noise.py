"""The noisy pseudo-label filter (CoLA): a two-component Gaussian mixture on per-sample loss.

LLM answers used as labels are partly wrong. A model trained on them fits the right ones
first, so their loss is small, and the wrong ones sit in a second, high-loss mode. A 2-component
GMM (scikit-learn) on the per-sample losses separates the two modes; a sample whose posterior
probability of the low-mean ("clean") component is at least ``tau_c`` is kept. Before
``warmup`` samples, or when the losses have no spread to split, everything is kept: a mixture
fitted on a handful of points says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require

np = require("numpy", purpose="the noisy-label filter")


class NoiseFilterConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tau_c: float = Field(default=0.5, ge=0.0, le=1.0)
    """Keep a sample when P(clean component | its loss) >= tau_c."""
    warmup: int = Field(default=50, ge=2)
    """Fewer pseudo-labels than this: keep all."""
    seed: int = 0


@dataclass(frozen=True)
class FilterResult:
    keep: "np.ndarray"  # bool per sample
    clean_probability: "np.ndarray"
    fitted: bool
    """False when the filter kept everything without fitting (warm-up, no spread)."""
    clean_mean: float | None = None
    noisy_mean: float | None = None

    @property
    def kept(self) -> int:
        return int(self.keep.sum())


def per_sample_loss(normal_confidence: "np.ndarray", labels: "np.ndarray", eps: float = 1e-6) -> "np.ndarray":
    """Cross-entropy of each pseudo-label under the model: ``-log p(label)``, where the model's
    P(normal) is its calibrated normal-confidence (any detector of the contract has one)."""
    conf = np.clip(np.asarray(normal_confidence, dtype=np.float64), eps, 1 - eps)
    labels = np.asarray(labels)
    return -np.log(np.where(labels == 1, 1 - conf, conf))


def clean_mask(losses: "np.ndarray", config: NoiseFilterConfig | None = None) -> FilterResult:
    """Which samples to keep (see the module docstring)."""
    from sklearn.mixture import GaussianMixture

    config = config or NoiseFilterConfig()
    losses = np.asarray(losses, dtype=np.float64)
    everything = FilterResult(np.ones(len(losses), dtype=bool), np.ones(len(losses)), fitted=False)
    if len(losses) < config.warmup or np.ptp(losses) < 1e-9:
        return everything
    x = ((losses - losses.min()) / np.ptp(losses)).reshape(-1, 1)  # scale-free, as DivideMix does
    gmm = GaussianMixture(n_components=2, max_iter=100, tol=1e-3, reg_covar=5e-4, random_state=config.seed).fit(x)
    means = gmm.means_.ravel()
    clean = int(np.argmin(means))
    prob = gmm.predict_proba(x)[:, clean]
    scale, low = float(np.ptp(losses)), float(losses.min())
    return FilterResult(prob >= config.tau_c, prob, fitted=True, clean_mean=low + scale * float(means[clean]),
                        noisy_mean=low + scale * float(means[1 - clean]))
