"""Choosing CoLA's tau on validation data.

tau decides how unsure a "normal" verdict may be before the LLM is asked. Raising it sends more
sequences to the LLM: more chances to fix the small model's misses, more cost. The rule here is
a budget: the largest tau whose validation LLM-call rate (abnormal, or normal with confidence
below tau) stays within ``max_call_rate``. It reads only validation scores, never test data.
"""

from __future__ import annotations

from logsieve._optional import require
from logsieve.detectors.base import Scores

np = require("numpy", purpose="choosing tau")


def choose_tau(validation: Scores, max_call_rate: float = 0.1) -> float:
    """The largest tau in [0, 1] whose validation call rate is at most ``max_call_rate``."""
    n = len(validation)
    if n == 0:
        return 0.0
    budget = int(np.floor(max_call_rate * n)) - int(validation.abnormal.sum())
    if budget <= 0:
        return 0.0
    conf = np.sort(validation.confidence[~validation.abnormal])
    if budget >= len(conf):
        return 1.0
    # sending the `budget` least confident normal verdicts: tau sits just above the last of them
    return float(conf[budget - 1] + (conf[budget] - conf[budget - 1]) / 2) if conf[budget] > conf[budget - 1] \
        else float(conf[budget - 1])
