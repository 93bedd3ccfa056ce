"""Evaluating the collaboration modes on the same test sequences (``logsieve evaluate collab``).

Every mode judges the same sequences: the test split of a data set, or with ``limit`` that
many taken evenly over time (anomalies in their natural proportion). The small model is fitted
on the train split and saved as a model bundle exactly as ``logsieve train`` saves one (its
threshold and CoLA's tau chosen on validation, the known templates, the example bank of
labelled train and validation sequences); for CoLA the trust rule is then measured on the
validation split (:mod:`logsieve.engine.calibrate`). Every mode is then built from that bundle
by the engine that ``detect`` and ``serve`` run (:func:`logsieve.engine.build_engine`): what
is measured here is what users run. The small model alone and (for ``cola`` and
``collaborlog``) the LLM alone judge the same sequences in the same run, so ``small_only_f1``
and ``speedup_vs_llm_only`` compare like with like.

LogMoE trains with torch; its weights, and so its F1, depend on the thread count (the same seed
gives a different model at 1 and 2 threads). The figures in benchmarks/RESULTS.md say which.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from logsieve._optional import require
from logsieve.collab import Pipeline
from logsieve.collab.examples import Embed
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch, prf
from logsieve.engine import EngineConfig, build_engine, write_bundle
from logsieve.engine.calibrate import calibrate_trust
from logsieve.evaluate.datasets import LabelledDataset, load_dataset
from logsieve.evaluate.detection import split_batches
from logsieve.llm.base import LLMBackend
from logsieve.records import Sequence
from logsieve.store import Store

np = require("numpy", purpose="collaboration evaluation")

MODES = ("cola", "collaborlog", "llm-only", "small-only")

Backends = Callable[[], LLMBackend | None]
"""Gives a fresh LLM backend on each call (None: no LLM)."""


class FreshBackends:
    """``backends`` for :func:`run_collab`: every mode gets a fresh backend, so that no mode is
    timed with a prompt cache warmed by another; ``close()`` frees them all.

    ``config`` is a backend config (:func:`logsieve.llm.backend_config`); None: no LLM, every
    call gives None.
    """

    def __init__(self, config: dict | None) -> None:
        self.config = config
        self._backends: list[LLMBackend] = []

    def __call__(self) -> LLMBackend | None:
        from logsieve.llm import make_backend

        if self.config is None:
            return None
        self._backends.append(make_backend(self.config))
        return self._backends[-1]

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
    backends: Backends,
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
    prompt: str = "cola",
    calibrate: bool = True,
    knowledge: bool = True,
    embed: Embed | None = None,
    loaded: LabelledDataset | None = None,
) -> dict[str, Any]:
    """Run ``mode`` through the engine, the small model alone beside it, and (for the
    collaborative modes) the LLM alone; return the JSON figures.

    ``backends()`` gives a fresh backend each call (see :func:`_judge` on fair timings; the
    caller closes them). ``store_path``: the SQLite store holding the knowledge table (default:
    a new one in a temporary folder, as a first ``detect`` run has). ``llm_only``: the LLM-only
    figures of an earlier call on the same data set and ``limit`` (the same sequences), reused
    instead of judging every sequence again; ``reference=False`` skips the LLM-only run.
    ``calibrate=False`` keeps the bundle's default trust rule instead of measuring it;
    ``knowledge=False`` runs without the knowledge table (every routed sequence asks the LLM).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    if sample not in SAMPLERS:
        raise ValueError(f"unknown sample {sample!r}; choose one of: {', '.join(SAMPLERS)}")
    ds = loaded or load_dataset(dataset, data_dir)
    train, validation, test = split_batches(ds)
    seqs = SAMPLERS[sample](test.sequences, limit)
    labels = SequenceBatch(seqs, ds.templates).labels
    with tempfile.TemporaryDirectory(prefix="logsieve-collab-") as tmp:
        work = Path(tmp)
        fitted = time.perf_counter()
        model_dir, extra = _fit(mode, detector, detector_config, ds, train, validation, work, max_call_rate,
                                examples, embed)
        config = EngineConfig(mode=mode, prompt=prompt, examples=examples, knowledge=knowledge,  # type: ignore[arg-type]
                              coordinator_dir=model_dir / "coordinator" if mode == "collaborlog" else None)
        if mode == "cola" and calibrate:
            backend = backends()
            if backend is not None:
                bundle = calibrate_trust(model_dir, validation, config, backend=backend, templates=ds.templates,
                                         embed=embed)
                extra["trust"] = bundle.trust.model_dump(mode="json")
        fit_seconds = time.perf_counter() - fitted
        store = Store(store_path or work / "knowledge.db")
        try:
            engine = build_engine(model_dir, config, store, backend=backends(), templates=ds.templates, embed=embed)
            warm = validation.sequences[:1]
            result = _judge(engine.pipeline, seqs, ds.templates, labels, warm)
            small = _judge(build_engine(model_dir, config.model_copy(update={"mode": "small-only"}),
                                        templates=ds.templates).pipeline, seqs, ds.templates, labels, [])
            if mode in ("cola", "collaborlog") and (reference or llm_only is not None):
                if llm_only is None:
                    reference_engine = build_engine(model_dir, config.model_copy(update={"mode": "llm-only"}),
                                                    backend=backends(), templates=ds.templates, embed=embed)
                    llm_only = _judge(reference_engine.pipeline, seqs, ds.templates, labels, warm)
                result["llm_only"] = llm_only
                result["llm_only_f1"] = llm_only["f1"]
                result["speedup_vs_llm_only"] = round(llm_only["seconds"] / result["seconds"], 2) \
                    if result["seconds"] else None
        finally:
            store.close()
    result.update(extra, dataset=dataset, mode=mode, sequences=len(seqs), anomalies=int((labels == 1).sum()),
                  fit_seconds=round(fit_seconds, 2), limit=limit, sample=sample, small_only_f1=small["f1"],
                  small_only={k: small[k] for k in ("f1", "precision", "recall", "seconds")})
    return result


def _fit(mode, detector, detector_config, ds, train, validation, work: Path, max_call_rate, examples, embed):
    """Fit the small model(s) and save them as a bundle in ``work``, as ``logsieve train`` does."""
    model_dir = work / "model"
    kind = "knn" if mode == "collaborlog" else detector
    small = make_detector(kind, {} if mode == "collaborlog" else (detector_config or {}))
    small.fit(train, validation)
    bundle = write_bundle(model_dir, small, train, validation, parser=ds.parser, dataset=ds.spec.name,
                          log_format=ds.spec.format, grouping=ds.spec.grouping, max_call_rate=max_call_rate,
                          examples=examples > 0 and mode != "small-only", embed=embed)
    extra: dict[str, Any] = {"detector": kind}
    if mode == "collaborlog":
        coordinator = make_detector("autoencoder")
        coordinator.fit(train, validation)
        coordinator.save(model_dir / "coordinator")
        extra["coordinator"] = "autoencoder"
    elif mode == "cola":
        extra["tau"] = round(bundle.tau, 6)
    return model_dir, extra


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
