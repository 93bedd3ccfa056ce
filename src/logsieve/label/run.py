"""One ALPHA run: embed -> cluster -> seed + refinement -> LLM annotation -> propagation ->
detector trained on the propagated labels, scored on the same test split as a supervised one.

What each split gives: **train** only its sequences (labels are read for the seed a person
labels, and afterwards to *measure* annotation and propagation accuracy, never to choose
anything); **validation** its true labels, used for the detector's epochs and threshold
exactly as in the supervised baseline (``logsieve evaluate detection``); **test** is scored
once per detector. Both detectors have the same settings and seed; the supervised one is
trained in the same run on the true train labels.

Budget accounting: every train label the run uses counts, the person's seed labels included:
k = budget representatives are labelled, the seed ones by the person, the rest by the LLM.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from logsieve._optional import require
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch, prf
from logsieve.label.annotate import Annotator, AnnotationResult
from logsieve.label.cluster import Clustering, choose_k, cluster_contents, pick_seed
from logsieve.label.config import AlphaConfig
from logsieve.label.embed import Contents, Embed, distinct
from logsieve.label.prompt import load_alpha_prompt
from logsieve.label.propagate import propagate
from logsieve.label.refine import Refinement, SeedItem, refine
from logsieve.llm.base import LLMBackend
from logsieve.records import Sequence

np = require("numpy", purpose="ALPHA labelling")

Progress = Callable[[str, int], None]
"""``progress(stage, total)`` starts a stage of ``total`` LLM calls; ``progress("", 1)`` ticks one."""


@dataclass
class AlphaResult:
    """The figures of one run (see :meth:`as_dict` for the JSON contract)."""

    train_sequences: int
    budget: int
    labelled: int
    seed_labels: int
    llm_annotated: int
    k: int
    contents: int
    annotation_correct: int
    annotation_answered: int
    annotation_failed: int
    propagated_correct: int
    fallback_clusters: int
    propagated_anomalies: int
    f1: float
    supervised_f1: float
    llm: dict[str, Any]
    refinement: dict[str, Any]
    representatives: list[dict[str, Any]] = field(default_factory=list)
    detector: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        acc = self.annotation_correct / self.annotation_answered if self.annotation_answered else None
        return {
            "budget_fraction": round(self.labelled / self.train_sequences, 4),
            "annotation_accuracy": None if acc is None else round(acc, 4),
            "propagated_accuracy": round(self.propagated_correct / self.train_sequences, 4),
            "f1": round(self.f1, 4), "supervised_f1": round(self.supervised_f1, 4),
            "llm_calls": self.llm["llm_calls"], "seconds": round(self.seconds, 1), "k": self.k,
            "train_sequences": self.train_sequences, "distinct_contents": self.contents, "budget": self.budget,
            "labelled": self.labelled, "seed_labels": self.seed_labels, "llm_annotated": self.llm_annotated,
            "annotation_answered": self.annotation_answered, "annotation_failed": self.annotation_failed,
            "fallback_clusters": self.fallback_clusters, "propagated_anomalies": self.propagated_anomalies,
            "refinement": self.refinement, "llm": self.llm, "detector": self.detector,
            "representatives": self.representatives,
        }


def run_alpha(train: SequenceBatch, validation: SequenceBatch, test: SequenceBatch, backend: LLMBackend,
              config: AlphaConfig | None = None, *, embed: Embed, detector: str = "logmoe",
              detector_config: Mapping[str, Any] | None = None, progress: Progress | None = None) -> AlphaResult:
    """The whole pipeline on loaded splits (see the module doc); ``embed`` gives sequence vectors."""
    cfg = config or AlphaConfig()
    started = time.perf_counter()
    tick = (lambda: progress("", 1)) if progress else None
    contents = distinct(np.asarray(embed(train.sequences, train.templates), dtype=np.float32))
    budget = cfg.annotations(len(train))
    clustering = cluster_contents(contents, choose_k(budget, len(contents)), cfg.seed)
    seqs = train.sequences
    truth = train.labels
    first = {c: contents.members[c][0] for c in range(len(contents))}
    seed = [SeedItem(c, contents.vectors[c], seqs[first[c]], int(truth[first[c]]))
            for c in pick_seed(contents, clustering, cfg.seed_labels, cfg.seed_rule)]
    _check_seed(seed)
    used = {t: train.templates[t] for t in sorted({t for s in seqs for t in s.template_ids})}  # train's own only
    annotator = Annotator(backend, load_alpha_prompt(cfg.prompt), used, retries=cfg.retries,
                          max_items=cfg.max_items, example_items=cfg.example_items, max_tokens=cfg.max_tokens)
    refined = _refine(annotator, seed, cfg, progress, tick)
    labelled = {it.content: it.label for it in seed}
    asked = [c for c in clustering.representatives if c not in labelled]
    if progress:
        progress("annotating representatives", len(asked))
    answers: dict[int, AnnotationResult] = {}
    normal = {t for it in seed if it.label == 0 for t in it.seq.template_ids}  # the few-shot set is drawn from the seed
    for c in asked:
        answers[c] = annotator.annotate(seqs[first[c]], refined.fewshot.nearest(c, contents.vectors[c], cfg.examples),
                                        refined.hints, normal)
        if tick:
            tick()
        if answers[c].label is not None:
            labelled[c] = answers[c].label  # type: ignore[assignment]
    prop = propagate(contents, clustering, labelled, cfg.propagation)
    f1, sup_f1, det = _detectors(train, validation, test, prop.labels, detector, detector_config, progress)
    correct = sum(int(a.label == truth[first[c]]) for c, a in answers.items() if a.label is not None)
    answered = sum(a.label is not None for a in answers.values())
    return AlphaResult(
        train_sequences=len(train), budget=budget, labelled=len(clustering.representatives), seed_labels=len(seed),
        llm_annotated=len(asked), k=clustering.k, contents=len(contents), annotation_correct=correct,
        annotation_answered=answered, annotation_failed=len(asked) - answered,
        propagated_correct=int((prop.labels == truth).sum()), fallback_clusters=prop.fallback_clusters,
        propagated_anomalies=int(prop.labels.sum()), f1=f1, supervised_f1=sup_f1,
        llm=annotator.stats.as_dict(), refinement=_refinement_report(refined, seed, cfg), detector=det,
        representatives=_rep_report(contents, clustering, seqs, truth, {it.content for it in seed}, answers),
        seconds=time.perf_counter() - started)


def _rep_report(contents: Contents, clustering: Clustering, seqs: list[Sequence], truth: "np.ndarray",
                seed: set[int], answers: Mapping[int, AnnotationResult]) -> list[dict[str, Any]]:
    """Per cluster: its size, who labelled its representative, the label and the true one
    (read after the fact, to show where the labels went wrong)."""
    out = []
    for j, c in enumerate(clustering.representatives):
        i = contents.members[c][0]
        a = answers.get(c)
        out.append({"cluster": j, "sequences": int(contents.counts[clustering.members(j)].sum()), "key": seqs[i].key,
                    "by": "seed" if c in seed else "llm",
                    "label": int(truth[i]) if c in seed else (None if a is None else a.label),
                    "true": int(truth[i]),
                    **({"evidence": a.annotation.evidence if a.annotation else a.error} if a else {})})
    return out


def _check_seed(seed: list[SeedItem]) -> None:
    unknown = [it.seq.key for it in seed if it.label < 0]
    if unknown:
        raise ValueError(f"seed sequences without a label: {unknown[:5]}; the seed path needs a labelled train "
                         "split (or run with --seed-labels 0)")


def _refine(annotator: Annotator, seed: list[SeedItem], cfg: AlphaConfig, progress: Progress | None,
            tick: Callable[[], None] | None) -> Refinement:
    if not seed or cfg.refine_steps == 0:
        from logsieve.label.fewshot import FewShotSet

        fewshot = FewShotSet()
        for it in seed:
            fewshot.add(it.content, it.vector, it.seq, it.label)
        return Refinement(fewshot)
    if progress:
        progress("refining the few-shot set on the seed", cfg.refine_steps * max(0, len(seed) - cfg.initial_examples))
    return refine(annotator, seed, initial=cfg.initial_examples, steps=cfg.refine_steps, k=cfg.examples, on_call=tick)


def _refinement_report(refined: Refinement, seed: list[SeedItem], cfg: AlphaConfig) -> dict[str, Any]:
    mode = "seed" if seed and cfg.refine_steps else "none"
    return {"mode": mode, "seed_size": len(seed), "seed_anomalies": sum(it.label for it in seed),
            "initial_examples": min(cfg.initial_examples, len(seed)) if mode == "seed" else len(seed),
            "final_examples": len(refined.fewshot), "steps": [s.as_dict() for s in refined.steps],
            "hints": refined.hints}


def _detectors(train: SequenceBatch, validation: SequenceBatch, test: SequenceBatch, labels: "np.ndarray",
               name: str, config: Mapping[str, Any] | None, progress: Progress | None) -> tuple[float, float, dict]:
    """F1 of the detector trained on ``labels`` and of the same detector on the true labels."""
    relabelled = SequenceBatch([Sequence(s.key, s.template_ids, label=int(y)) for s, y in zip(train.sequences, labels)],
                               train.templates)
    if not (labels == 0).any() or not (labels == 1).any():
        raise ValueError(f"the propagated labels are all {'abnormal' if labels.all() else 'normal'}: a supervised "
                         "detector cannot be trained on one class; raise --budget or check the LLM's answers")
    out = {}
    for kind, batch in (("alpha", relabelled), ("supervised", train)):
        if progress:
            progress(f"training {name} on {kind} labels", 0)
        det = make_detector(name, config or {})
        report = det.fit(batch, validation)
        scores = prf(det.score(test).abnormal, test.labels)
        out[kind] = {"f1": scores["f1"], "precision": round(scores["precision"], 4),
                     "recall": round(scores["recall"], 4), "threshold": report.threshold, "epochs": report.epochs,
                     "validation_f1": None if report.validation_f1 is None else round(report.validation_f1, 4),
                     "train_seconds": round(report.seconds, 1)}
    detail = {"name": name, **{k: {**v, "f1": round(v["f1"], 4)} for k, v in out.items()},
              "test_sequences": len(test), "test_anomalies": int((test.labels == 1).sum())}
    return out["alpha"]["f1"], out["supervised"]["f1"], detail
