"""Learning while running: pseudo-labels from the LLM, the noisy-label filter, background
retraining and the atomic swap of the live model."""

from logsieve.adapt.noise import FilterResult, NoiseFilterConfig, clean_mask, per_sample_loss
from logsieve.adapt.swap import ModelSlot, RetrainOutcome, Retrainer

__all__ = ["FilterResult", "ModelSlot", "NoiseFilterConfig", "RetrainOutcome", "Retrainer", "clean_mask",
           "per_sample_loss"]
