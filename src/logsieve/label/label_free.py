"""ALPHA with no human label: the label-free model stands where a person's seed stood.

``logsieve learn --llm ...`` runs it after the label-free fit (:mod:`logsieve.jobs.learn`):

1. embed the history's sequences and cluster them, one cluster per affordable annotation;
2. seed the few-shot refinement with the label-free model's own verdicts on the representatives
   of the largest clusters and of the clusters it flags most (so the seed holds both kinds):
   refinement then learns from where the LLM and the label-free model *disagree*, not from a
   person;
3. the LLM annotates every other representative with the refined few-shot set and lessons;
4. the labels propagate to every sequence through the clusters (a representative the LLM could
   not answer keeps the label-free model's verdict);
5. the caller trains a supervised small model on them.

Every label records who made it (``llm``, ``propagated``, ``label-free``), and the bundle keeps
that record, so nobody mistakes an LLM's guess for ground truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from logsieve._optional import require
from logsieve.detectors.base import SequenceBatch
from logsieve.label.annotate import Annotator
from logsieve.label.cluster import choose_k, cluster_contents, pick_seed
from logsieve.label.config import AlphaConfig
from logsieve.label.embed import Embed, distinct
from logsieve.label.prompt import load_alpha_prompt
from logsieve.label.propagate import propagate
from logsieve.label.refine import SeedItem, refine
from logsieve.llm.base import LLMBackend

np = require("numpy", purpose="label-free ALPHA")

Progress = Callable[[str, int], None]
"""``progress(stage, total)`` starts a stage of ``total`` LLM calls; ``progress("", 1)`` ticks one."""

FLAGGED_SEED = 5
"""Seed representatives taken from the clusters the label-free model flags most: without them a
seed drawn from the largest clusters is all normal, and refinement could not teach an alarm."""


@dataclass
class LabelFreeAlpha:
    """Labels for every history sequence, who made each, and what the LLM did."""

    labels: "np.ndarray"
    origin: list[str]
    llm_annotated: int
    llm_answered: int
    agreement: float | None
    """Share of the LLM's answers that match the label-free model's verdict (not accuracy:
    neither side is ground truth)."""
    seconds: float
    llm: dict[str, Any] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"llm_annotated": self.llm_annotated, "llm_answered": self.llm_answered,
                "agreement_with_label_free": None if self.agreement is None else round(self.agreement, 4),
                "labels": {"abnormal": int(self.labels.sum()), "normal": int((self.labels == 0).sum())},
                "origin": {k: self.origin.count(k) for k in ("llm", "propagated", "label-free")},
                "hints": self.hints, "llm": self.llm, "seconds": round(self.seconds, 1)}


def alpha_without_labels(history: SequenceBatch, verdicts: "np.ndarray", backend: LLMBackend,
                         config: AlphaConfig | None = None, *, embed: Embed,
                         progress: Progress | None = None) -> LabelFreeAlpha:
    """ALPHA on ``history`` (no labels), seeded by ``verdicts`` (the label-free model's 0/1)."""
    cfg = config or AlphaConfig()
    started = time.perf_counter()
    tick = (lambda: progress("", 1)) if progress else None
    seqs = history.sequences
    contents = distinct(np.asarray(embed(seqs, history.templates), dtype=np.float32))
    clustering = cluster_contents(contents, choose_k(cfg.annotations(len(seqs)), len(contents)), cfg.seed)
    first = {c: contents.members[c][0] for c in range(len(contents))}
    flagged_share = {c: float(np.mean(verdicts[contents.members[c]])) for c in range(len(contents))}
    chosen = pick_seed(contents, clustering, cfg.seed_labels, cfg.seed_rule)
    by_flag = sorted(clustering.representatives, key=lambda c: -flagged_share[c])
    chosen += [c for c in by_flag if flagged_share[c] >= 0.5 and c not in chosen][:FLAGGED_SEED]
    seed = [SeedItem(c, contents.vectors[c], seqs[first[c]], int(verdicts[first[c]])) for c in chosen]
    used = {t: history.templates[t] for t in sorted({t for s in seqs for t in s.template_ids})}
    annotator = Annotator(backend, load_alpha_prompt(cfg.prompt), used, retries=cfg.retries,
                          max_items=cfg.max_items, example_items=cfg.example_items, max_tokens=cfg.max_tokens)
    if progress and cfg.refine_steps:
        progress("refining the few-shot set against the label-free model", cfg.refine_steps * len(seed))
    refined = refine(annotator, seed, initial=min(cfg.initial_examples, len(seed)), steps=cfg.refine_steps,
                     k=cfg.examples, on_call=tick)
    asked = list(clustering.representatives)
    if progress:
        progress("annotating representatives", len(asked))
    normal = refined.fewshot.normal_templates()
    labelled: dict[int, int] = {}
    failed: set[int] = set()
    agree = answered = 0
    for c in asked:
        result = annotator.annotate(seqs[first[c]], refined.fewshot.nearest(c, contents.vectors[c], cfg.examples),
                                    refined.hints, normal)
        if tick:
            tick()
        model_says = int(round(flagged_share[c]))
        if result.label is None:
            labelled[c] = model_says  # the LLM failed here: the label-free verdict stands
            failed.add(c)
            continue
        labelled[c] = int(result.label)
        answered += 1
        agree += int(result.label == model_says)
    prop = propagate(contents, clustering, labelled, cfg.propagation)
    reps = set(asked)
    origin = []
    for i in range(len(seqs)):
        c = int(contents.of[i])
        if c in reps and first[c] == i:
            origin.append("label-free" if c in failed else "llm")
        else:
            origin.append("propagated")
    return LabelFreeAlpha(labels=np.asarray(prop.labels, dtype=np.int64), origin=origin, llm_annotated=len(asked),
                          llm_answered=answered, agreement=agree / answered if answered else None,
                          seconds=time.perf_counter() - started, llm=annotator.stats.as_dict(),
                          hints=list(refined.hints))
