"""A simulated LLM judge for benchmarks that need thousands of verdicts.

The embedded 0.5B model costs about 5 s a verdict on two cores, so a stream benchmark that
asks it thousands of times is out of reach. :class:`OracleBackend` is an LLM backend that
knows each sequence's true label and answers with it, flipped with probability
``error_rate`` (or per class: ``error_normal`` for normal sequences, i.e. a false-alarm rate,
and ``error_abnormal`` for anomalies, a miss rate). It sits behind the real :class:`~logsieve.llm.expert.Expert` (prompt built,
answer schema-validated, line refs mapped), so the pipelines run exactly as with a real model;
only the judge is replaced.

Flips are decided per sequence key from ``(seed, key)``, not by call order: the same sequence
gets the same answer in every arm of a benchmark and on every repeat, so arms differ only in
what they do with the answers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence as Seq

from logsieve.llm.base import ChatRequest, LLMBackend, LLMReply
from logsieve.llm.expert import Expert, ExpertAnswer, ExpertConfig
from logsieve.records import Sequence


class OracleBackend(LLMBackend):
    """Answers the true label of the sequence being judged, wrong with ``error_rate``.

    :class:`SimulatedExpert` tells it which sequence the current request is about (a real
    backend reads that from the prompt; the oracle reads the label instead).
    """

    name = "simulated"

    def __init__(self, labels: Mapping[str, int], error_rate: float = 0.1, seed: int = 0, *,
                 error_normal: float | None = None, error_abnormal: float | None = None) -> None:
        self.error_normal = error_rate if error_normal is None else error_normal
        self.error_abnormal = error_rate if error_abnormal is None else error_abnormal
        for name, rate in (("error_normal", self.error_normal), ("error_abnormal", self.error_abnormal)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {rate}")
        self.labels = labels
        self.seed = seed
        self.current: str | None = None
        self.calls = 0
        self.wrong = 0

    def flipped(self, key: str) -> bool:
        rate = self.error_abnormal if self.labels.get(key, 0) else self.error_normal
        return random.Random(f"{self.seed}:{key}").random() < rate

    def answer(self, key: str) -> bool:
        """True = abnormal. Keys without a label are called normal (then flipped like any)."""
        truth = bool(self.labels.get(key, 0))
        return truth != self.flipped(key)

    def complete(self, request: ChatRequest) -> LLMReply:
        if self.current is None:
            raise RuntimeError("OracleBackend needs SimulatedExpert to say which sequence is judged")
        abnormal = self.answer(self.current)
        self.calls += 1
        self.wrong += self.flipped(self.current)
        text = json.dumps({"status": "abnormal" if abnormal else "normal",
                           "explanation": "simulated judge", "lines": []})
        return LLMReply(text, prompt_tokens=0, completion_tokens=0, seconds=0.0)


class SimulatedExpert(Expert):
    """The real expert (prompt, schema validation, refs) in front of an :class:`OracleBackend`."""

    def __init__(self, backend: OracleBackend, config: ExpertConfig | None = None) -> None:
        super().__init__(backend, config)
        self.oracle = backend

    def judge(self, seq: Sequence, templates: Mapping[int, str],
              examples: Seq[tuple[Sequence, Mapping[int, str], str]] = ()) -> ExpertAnswer:
        self.oracle.current = seq.key
        try:
            return super().judge(seq, templates, examples)
        finally:
            self.oracle.current = None


def simulated_expert(labels: Mapping[str, int], error_rate: float = 0.1, seed: int = 0, prompt: str = "cola", *,
                     error_normal: float | None = None, error_abnormal: float | None = None) -> SimulatedExpert:
    backend = OracleBackend(labels, error_rate, seed, error_normal=error_normal, error_abnormal=error_abnormal)
    return SimulatedExpert(backend, ExpertConfig(prompt=prompt))
