"""Evaluating the collaboration modes on the same test sequences (``logsieve evaluate collab``).

Every mode judges the same sequences: the test split of a data set, or with ``limit`` that
many taken evenly over time (anomalies in their natural proportion). The small models are
fitted on the train split, their thresholds, and CoLA's tau, chosen on validation only. For
``cola`` and ``collaborlog`` the LLM-only mode runs on the same sequences in the same run, so
``speedup_vs_llm_only`` compares like with like. Few-shot examples come from the labelled
train and validation sequences, nearest first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from logsieve._optional import require
from logsieve.collab import (
    CollabConfig,
    CollaborLogPipeline,
    ColaPipeline,
    KnowledgeTable,
    LlmOnlyPipeline,
    Pipeline,
    SmallOnlyPipeline,
)
from logsieve.collab.examples import ExampleBank
from logsieve.collab.tau import choose_tau
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch, prf
from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.detection import split_batches
from logsieve.llm.expert import Expert, ExpertConfig
from logsieve.records import Sequence
from logsieve.store import Store

np = require("numpy", purpose="collaboration evaluation")

MODES = ("cola", "collaborlog", "llm-only", "small-only")


class FreshExperts:
    """``make_expert`` for :func:`run_collab` that gives every mode a fresh backend, so that no
    mode is timed with a prompt cache warmed by another; ``close()`` frees them all.

    ``config`` is a backend config (:func:`logsieve.llm.backend_config`); None: no LLM, every
    call gives None.
    """

    def __init__(self, config: dict | None) -> None:
        self.config = config
        self._backends: list = []

    def __call__(self, prompt: str) -> Expert | None:
        from logsieve.llm import make_backend

        if self.config is None:
            return None
        self._backends.append(make_backend(self.config))
        return Expert(self._backends[-1], ExpertConfig(prompt=prompt))

    def close(self) -> None:
        for backend in self._backends:
            backend.close()
        self._backends.clear()


def evenly(seqs: list[Sequence], limit: int | None) -> list[Sequence]:
    """``limit`` sequences spread evenly over the (time-ordered) list; all when None."""
    if limit is None or limit >= len(seqs):
        return list(seqs)
    idx = np.unique(np.linspace(0, len(seqs) - 1, limit).round().astype(int))
    return [seqs[i] for i in idx]


def contiguous(seqs: list[Sequence], limit: int | None) -> list[Sequence]:
    """The first ``limit`` sequences in time order: the stream as it arrived, bursts included."""
    return list(seqs) if limit is None else list(seqs[:limit])


SAMPLERS = {"even": evenly, "contiguous": contiguous}
"""How ``limit`` picks test sequences: spread evenly over the split's time (each pattern in its
natural proportion), or one contiguous stretch from the split's start (the stream as it came,
where failures and workflows repeat in bursts)."""


def run_collab(
    dataset: str,
    mode: str,
    make_expert: Callable[[str], Expert | None],
    *,
    detector: str = "logmoe",
    detector_config: Mapping[str, Any] | None = None,
    limit: int | None = None,
    data_dir: Path | None = None,
    store_path: Path | None = None,
    max_call_rate: float = 0.1,
    examples: int = 3,
    llm_only: dict[str, Any] | None = None,
    reference: bool = True,
    sample: str = "even",
) -> dict[str, Any]:
    """Run ``mode`` (and LLM-only beside it for the collaborative modes); return the JSON figures.

    ``make_expert(prompt_name)`` gives the expert; for fair timings each call should bring a
    fresh backend (see :func:`_judge`).
    ``llm_only``: the LLM-only figures of an earlier call on the same data set and ``limit``
    (the same sequences), reused instead of judging every sequence again; ``reference=False``
    skips the LLM-only run (no speedup is reported then).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    ds = load_dataset(dataset, data_dir)
    train, validation, test = split_batches(ds)
    if sample not in SAMPLERS:
        raise ValueError(f"unknown sample {sample!r}; choose one of: {', '.join(SAMPLERS)}")
    seqs = SAMPLERS[sample](test.sequences, limit)
    labels = SequenceBatch(seqs, ds.templates).labels
    fitted = time.perf_counter()
    bank = _bank(train, validation, examples) if mode != "small-only" else None  # one bank serves the reference too
    pipeline, extra = _pipeline(mode, detector, detector_config, train, validation, make_expert, store_path,
                                max_call_rate, bank, examples)
    fit_seconds = time.perf_counter() - fitted
    warm = validation.sequences[:1]
    result = _judge(pipeline, seqs, ds.templates, labels, warm)
    result.update(extra, dataset=dataset, mode=mode, sequences=len(seqs), anomalies=int((labels == 1).sum()),
                  fit_seconds=round(fit_seconds, 2), limit=limit, sample=sample)
    if mode in ("cola", "collaborlog") and (reference or llm_only is not None):
        if llm_only is None:
            llm_only = _judge(_llm_only(make_expert, bank, examples), seqs, ds.templates, labels, warm)
        result["llm_only"] = llm_only
        result["speedup_vs_llm_only"] = round(llm_only["seconds"] / result["seconds"], 2) if result["seconds"] else None
    return result


def _judge(pipeline: Pipeline, seqs: list[Sequence], templates: Mapping[int, str], labels,
           warm: list[Sequence]) -> dict[str, Any]:
    """Judge and score ``seqs``. One untimed, uncounted question first (about a validation
    sequence) reads the shared system prompt into the LLM's cache, so no mode pays that once-per-
    process cost inside its timing. Give each mode a fresh backend: one that already answered
    the same sequences would serve them from its prompt cache."""
    if pipeline.expert is not None and warm:
        pipeline.expert.judge(warm[0], templates)
    start = time.perf_counter()
    verdicts = pipeline.judge(seqs, templates)
    seconds = time.perf_counter() - start
    pred = np.array([v.abnormal for v in verdicts])
    scores = prf(pred, labels)
    stats = pipeline.stats.as_dict()
    return {"f1": round(scores["f1"], 4), "precision": round(scores["precision"], 4),
            "recall": round(scores["recall"], 4), "llm_calls": stats["llm_calls"],
            "llm_call_rate": round(stats["llm_calls"] / max(1, len(seqs)), 4), "cache_hits": stats["cache_hits"],
            "llm_failures": stats["llm_failures"], "llm_seconds": stats["llm_seconds"],
            "prompt_tokens": stats["prompt_tokens"], "completion_tokens": stats["completion_tokens"],
            "schema_valid_rate": stats["schema_valid_rate"], "llm_p50_seconds": stats["llm_p50_seconds"],
            "llm_p95_seconds": stats["llm_p95_seconds"], "seconds": round(seconds, 3), "by_source": stats["by_source"]}


def _pipeline(mode, detector, detector_config, train, validation, make_expert, store_path, max_call_rate, bank,
              examples):
    knowledge = KnowledgeTable(Store(store_path)) if store_path is not None else None
    if mode == "llm-only":
        return _llm_only(make_expert, bank, examples), {}
    if mode == "collaborlog":
        coordinator = make_detector("autoencoder")
        coordinator.fit(train, validation)
        small = make_detector("knn")
        small.fit(train, validation)
        return CollaborLogPipeline(coordinator, small, make_expert("collaborlog"), knowledge, bank,
                                   CollabConfig(examples=examples)), {"detector": "knn", "coordinator": "autoencoder"}
    small = make_detector(detector, detector_config or {})
    small.fit(train, validation)
    if mode == "small-only":
        return SmallOnlyPipeline(small), {"detector": detector}
    tau = choose_tau(small.score(validation), max_call_rate)
    return (ColaPipeline(small, make_expert("cola"), knowledge, bank, CollabConfig(tau=tau, examples=examples)),
            {"detector": detector, "tau": round(tau, 6)})


def _llm_only(make_expert, bank: ExampleBank | None, examples: int) -> LlmOnlyPipeline:
    """Every sequence to the LLM, with the same few-shot bank as the collaborative modes: the
    reference differs from them only in who decides, so F1 and speed compare like with like."""
    return LlmOnlyPipeline(make_expert("cola"), examples=bank, config=CollabConfig(examples=examples))


def _bank(train: SequenceBatch, validation: SequenceBatch, k: int) -> ExampleBank | None:
    """Labelled train + validation sequences, embedded by their mean MiniLM template vector."""
    if k == 0:
        return None
    from logsieve.features.embeddings import TemplateEmbeddings

    emb = TemplateEmbeddings()
    bank = ExampleBank(lambda seqs, templates: emb.transform(seqs, templates))
    for part in (train, validation):
        labelled = [s for s in part.sequences if s.label is not None]
        bank.add(labelled, part.templates, ["abnormal" if s.label else "normal" for s in labelled])
    return bank
