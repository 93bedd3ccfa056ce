#!/usr/bin/env python3
"""Which prompt should the expert use? Views x answer orders x models, chosen on validation.

For each data set x view (``catalogue``: T-numbers and a template catalogue in the system
text; ``text``: template text inline; ``text+line``: text inline plus one real line for the
rarest items) x answer order (``status-first``; ``evidence-first``: the lines that matter and
a sentence on them before the status) x model, the embedded LLM alone judges the same small
balanced sample of validation sequences (``--anomalous`` + ``--normal``, each class spread
evenly over its time order), each with its nearest labelled examples, and the run reports
F1, precision, recall, p50/p95 seconds per call and mean prompt / cached / completion tokens
per call. Each combination is one packaged prompt, ``cola-<view>-<order>``
(src/logsieve/llm/prompts/); nothing here changes what a prompt says.

Protocol, so that nothing about test reaches the choice:

* Judged sequences come from the validation split. A data set whose validation split holds
  fewer anomalies than ``--anomalous`` (bgl-2k's 200 validation lines hold no alert) is judged
  on train + validation instead; the report says so per data set.
* Few-shot examples: the nearest labelled sequences of train + validation (the bank the
  product builds, ``logsieve.engine.bank.build_bank``), embedded the same way (mean MiniLM template
  vector), with the judged sequence itself left out. Every combination gets the same examples
  for the same sequence.
* Each model x data set x view gets a fresh backend, shared by its two answer orders, and each
  combination asks one untimed question first (about a sequence not judged), so the shared
  system prefix is in llama.cpp's cache before timing, as in a running service; the rest of
  each prompt is read as it comes. (The two orders' system texts differ in their last lines
  only; sharing saves reading a catalogue twice, minutes on two cores for the 1.5B.)
* OpenStack: openstack-kalaki-ait, not openstack-ait. As event ids, 195 of openstack-ait's 198
  anomalies are identical to normal sessions (the AIT review's point): no prompt can find
  them, and a balanced sample only measures how often a model says "abnormal". Pass
  ``--datasets ...,openstack-ait`` to see that.
* A data set without raw lines (the OpenStack sets: event ids only) renders ``text+line`` exactly as
  ``text`` apart from one system sentence; by default that row is not run and its figures are
  taken from ``text`` (marked ``"same_as": "text"``); ``--run-all`` runs it anyway.
* ``chosen``: per model, the view x order with the best mean F1 over the data sets (ties: the
  lower mean p50); overall, the same over model x view x order.

Each finished combination is written to ``--out`` at once (partial runs are kept); ``--resume``
skips those already there for the same sample. Another process using the cores slows the
calls: each row records the load average before and after it.

Usage: python benchmarks/prompt_matrix.py [--datasets hdfs-sample,bgl-2k,openstack-kalaki-ait]
       [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--views catalogue,text,text+line]
       [--orders status-first,evidence-first] [--anomalous 8] [--normal 8] [--examples 3]
       [--threads 2] [--out benchmarks/results/prompt_matrix.json] [--resume] [--run-all] [--report] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from logsieve._optional import require
from logsieve.collab.examples import ExampleBank
from logsieve.detectors.base import prf
from logsieve.evaluate.datasets import LabelledDataset, load_dataset
from logsieve.llm import Expert, ExpertConfig, LLMBackend, make_backend
from logsieve.llm.prompts import VIEWS
from logsieve.llm.verdict import ANSWER_ORDERS
from logsieve.records import Sequence

np = require("numpy", purpose="the prompt comparison")

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "prompt_matrix.json"
MODELS = ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")
DATASETS = ("hdfs-sample", "bgl-2k", "openstack-kalaki-ait")
Shots = list[tuple[Sequence, Mapping[int, str], str]]


def prompt_name(view: str, order: str) -> str:
    """The packaged prompt of one combination: ``cola-text-line-evidence`` for text+line, evidence-first."""
    return f"cola-{view.replace('+', '-')}-{order.split('-')[0]}"


def row_key(dataset: str, model: str, view: str, order: str) -> str:
    return f"{dataset}|{model}|{view}|{order}"


# --------------------------------------------------------------------------- the judged sample

class Judged:
    """One data set's judged sequences, their few-shot examples, and the warm-up question."""

    def __init__(self, name: str, ds: LabelledDataset, anomalous: int, normal: int, k: int) -> None:
        self.name, self.templates = name, ds.templates
        labelled = [s for s in ds.splits.train + ds.splits.validation if s.label is not None]
        validation = [s for s in ds.splits.validation if s.label is not None]
        self.pool_name = "validation"
        pool = validation
        if sum(s.label == 1 for s in validation) < anomalous:
            self.pool_name, pool = "train+validation", labelled
        picked = {id(s) for s in evenly([s for s in pool if s.label == 1], anomalous)}
        picked |= {id(s) for s in evenly([s for s in pool if s.label == 0], normal)}
        self.seqs = [s for s in pool if id(s) in picked]  # in the pool's (time) order
        self.warm = next(s for s in pool if id(s) not in picked)
        self.shots = nearest_left_out(self.seqs, labelled, ds.templates, k)
        self.raw_lines = any(s.contents for s in self.seqs)
        self.validation_anomalies = sum(s.label == 1 for s in validation)

    def describe(self) -> dict[str, Any]:
        return {"judged_from": self.pool_name, "sequences": len(self.seqs),
                "anomalous": sum(s.label == 1 for s in self.seqs), "validation_anomalies": self.validation_anomalies,
                "raw_lines": self.raw_lines}


def evenly(seqs: list[Sequence], n: int) -> list[Sequence]:
    """``n`` of ``seqs`` spread evenly over their order (all of them when there are fewer)."""
    if n >= len(seqs):
        return list(seqs)
    return [seqs[i] for i in np.unique(np.linspace(0, len(seqs) - 1, n).round().astype(int))]


def nearest_left_out(judged: list[Sequence], labelled: list[Sequence], templates: Mapping[int, str],
                     k: int) -> list[Shots]:
    """For each judged sequence, its ``k`` nearest labelled sequences with itself left out, as
    :class:`ExampleBank` picks them (the product's retrieval, mean MiniLM template vectors)."""
    if k == 0:
        return [[] for _ in judged]
    from logsieve.features.embeddings import TemplateEmbeddings

    emb = TemplateEmbeddings()
    vectors = np.asarray(emb.transform(labelled, templates), dtype=np.float32)
    row = {id(s): i for i, s in enumerate(labelled)}
    extra = {id(s): v for s, v in zip(judged, np.asarray(emb.transform(judged, templates), dtype=np.float32))}

    def embed(seqs, _templates):
        return np.stack([vectors[row[id(s)]] if id(s) in row else extra[id(s)] for s in seqs])

    out = []
    for seq in judged:
        bank = ExampleBank(embed, max_size=len(labelled))
        others = [s for s in labelled if s is not seq]
        bank.add(others, templates, ["abnormal" if s.label else "normal" for s in others])
        out.append(bank.nearest(seq, templates, k))
    return out


# --------------------------------------------------------------------------- one combination

def _portable(key: str) -> str:
    """A window key names its source file; kept relative to the data folder, so the results
    file names no path of the machine that made it."""
    from logsieve.evaluate.datasets import default_data_dir

    root = str(default_data_dir().resolve()) + "/"
    return key.replace(root, "", 1) if key.startswith(root) else key


def run_row(judged: Judged, backend: LLMBackend, model: str, view: str, order: str) -> dict[str, Any]:
    """Judge the sample with one prompt on ``backend``, after one untimed question; the row's figures."""
    expert = Expert(backend, ExpertConfig(prompt=prompt_name(view, order)))
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    warm = expert.judge(judged.warm, judged.templates)  # untimed: reads the shared system prefix
    calls = []
    for seq, shots in zip(judged.seqs, judged.shots):
        a = expert.judge(seq, judged.templates, shots)
        v = a.verdict
        calls.append({"key": _portable(seq.key), "label": seq.label, "status": v.status if v else None,
                      "explanation": v.explanation if v else None, "lines": v.lines if v else None,
                      "seconds": round(a.seconds, 3), "prompt_tokens": a.prompt_tokens,
                      "cached_tokens": a.cached_tokens, "completion_tokens": a.completion_tokens,
                      "attempts": a.attempts, "error": a.error})
    return {"dataset": judged.name, "model": model, "view": view, "order": order, "prompt": expert.prompt.id,
            **score(calls), "warm_seconds": round(warm.seconds, 2), "warm_prompt_tokens": warm.prompt_tokens,
            "wall_seconds": round(time.perf_counter() - started, 1),
            "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)], "calls": calls}


def score(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """F1 and friends (an answer that failed counts as "normal", as the LLM-only pipeline's
    fallback does), latency quantiles and mean tokens per call."""
    labels = np.array([c["label"] for c in calls])
    pred = np.array([c["status"] == "abnormal" for c in calls])
    s = prf(pred, labels)
    secs = sorted(c["seconds"] for c in calls)
    n = max(1, len(calls))
    return {"f1": round(s["f1"], 4), "precision": round(s["precision"], 4), "recall": round(s["recall"], 4),
            "tp": s["tp"], "fp": s["fp"], "fn": s["fn"], "sequences": len(calls),
            "failures": sum(c["status"] is None for c in calls),
            "p50_seconds": quantile(secs, 0.5), "p95_seconds": quantile(secs, 0.95),
            "prompt_tokens": round(sum(c["prompt_tokens"] for c in calls) / n, 1),
            "cached_tokens": round(sum(c["cached_tokens"] for c in calls) / n, 1),
            "completion_tokens": round(sum(c["completion_tokens"] for c in calls) / n, 1)}


def quantile(ordered: list[float], q: float) -> float | None:
    """Nearest rank: a reported latency is one that was seen."""
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))], 3)


# --------------------------------------------------------------------------- choosing

def choose(rows: list[dict[str, Any]], datasets: list[str]) -> dict[str, Any]:
    """Best mean F1 over ``datasets`` (ties: lower mean p50), per model and overall; only
    combinations measured on every data set compete."""
    combos: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        combos.setdefault((r["model"], r["view"], r["order"]), []).append(r)
    ranked = []
    for (model, view, order), rs in combos.items():
        if sorted(r["dataset"] for r in rs) != sorted(datasets):
            continue
        ranked.append({"model": model, "view": view, "order": order, "prompt": prompt_name(view, order),
                       "mean_f1": round(sum(r["f1"] for r in rs) / len(rs), 4),
                       "mean_p50_seconds": round(sum(r["p50_seconds"] or 0 for r in rs) / len(rs), 3),
                       "f1": {r["dataset"]: r["f1"] for r in rs}})
    ranked.sort(key=lambda c: (-c["mean_f1"], c["mean_p50_seconds"]))
    chosen: dict[str, Any] = {}
    for c in ranked:
        chosen.setdefault(c["model"], c)
    if ranked:
        chosen["overall"] = ranked[0]
    return chosen


def table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("dataset", "model", "view", "order", "f1", "precision", "recall", "tp", "fp", "fn", "sequences",
            "failures", "p50_seconds", "p95_seconds", "prompt_tokens", "cached_tokens", "completion_tokens",
            "load_avg", "same_as")
    return [{k: r[k] for k in keep if k in r} for r in rows]


def print_table(rows: list[dict[str, Any]]) -> None:
    head = f"{'data set':14} {'model':20} {'view':10} {'order':15} {'F1':>6} {'P':>6} {'R':>6} {'p50 s':>6} {'p95 s':>6} {'prompt':>7} {'compl':>6}"
    print(head, file=sys.stderr)
    for r in rows:
        print(f"{r['dataset']:14} {r['model']:20} {r['view']:10} {r['order']:15} {r['f1']:6.3f} {r['precision']:6.3f} "
              f"{r['recall']:6.3f} {r['p50_seconds'] or 0:6.2f} {r['p95_seconds'] or 0:6.2f} {r['prompt_tokens']:7.0f} "
              f"{r['completion_tokens']:6.1f}{'  (= text: no raw lines)' if r.get('same_as') else ''}", file=sys.stderr)


# --------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--views", default=",".join(VIEWS))
    ap.add_argument("--orders", default=",".join(ANSWER_ORDERS))
    ap.add_argument("--anomalous", type=int, default=8)
    ap.add_argument("--normal", type=int, default=8)
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--resume", action="store_true", help="skip combinations already in --out for the same sample")
    ap.add_argument("--run-all", action="store_true", help="also run text+line on data sets without raw lines")
    ap.add_argument("--report", action="store_true", help="run nothing: the table and choice from --out as it stands")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    datasets, models = args.datasets.split(","), args.models.split(",")
    views, orders = args.views.split(","), args.orders.split(",")
    for v in views:
        if v not in VIEWS:
            ap.error(f"unknown view {v!r}; views: {', '.join(VIEWS)}")
    for o in orders:
        if o not in ANSWER_ORDERS:
            ap.error(f"unknown order {o!r}; orders: {', '.join(ANSWER_ORDERS)}")
    sample = {"anomalous": args.anomalous, "normal": args.normal, "examples": args.examples, "threads": args.threads}

    doc: dict[str, Any] = {"sample": sample, "datasets": {}, "rows": {}}
    if (args.resume or args.report) and args.out.exists():
        old = json.loads(args.out.read_text())
        if old.get("sample") != sample:
            sys.exit(f"--resume: {args.out} holds another sample ({old.get('sample')}); use another --out")
        doc = old

    judged: dict[str, Judged] = {}
    for name in datasets if not args.report else ():
        log(f"loading {name} ...")
        judged[name] = Judged(name, load_dataset(name), args.anomalous, args.normal, args.examples)
        doc["datasets"][name] = judged[name].describe()
        log(f"  {name}: {judged[name].describe()}")

    # the first model's rows all come first (the small model is the quick one); then view by
    # view in --views order, each on every data set, so a run cut short holds whole views
    for model in models if not args.report else ():
        for view in views:
            for name in datasets:
                todo = [o for o in orders if row_key(name, model, view, o) not in doc["rows"]]
                if view == "text+line" and not judged[name].raw_lines and not args.run_all:
                    todo = []  # filled in from text (fill_same_as)
                if not todo:
                    continue
                # one backend for both orders of a view: the second one's warm-up reads only the
                # system text's last lines (a catalogue costs minutes to read on two cores)
                started = time.perf_counter()
                backend = make_backend({"kind": "embedded", "model": model, "threads": args.threads})
                load_seconds = round(time.perf_counter() - started, 2)
                try:
                    for order in todo:
                        key = row_key(name, model, view, order)
                        log(f"{key} ...")
                        r = run_row(judged[name], backend, model, view, order)
                        doc["rows"][key] = {**r, "model_load_seconds": load_seconds}
                        log(f"  F1 {r['f1']} P {r['precision']} R {r['recall']} p50 {r['p50_seconds']} s "
                            f"prompt {r['prompt_tokens']} tok, warm {r['warm_seconds']} s, load {r['load_avg']}")
                        fill_same_as(doc, args.run_all)
                        save(doc, args.out)
                finally:
                    backend.close()
    fill_same_as(doc, args.run_all)
    rows = [doc["rows"][row_key(d, m, v, o)] for m in models for d in datasets for v in views for o in orders
            if row_key(d, m, v, o) in doc["rows"]]
    doc["chosen"] = choose(rows, datasets)
    save(doc, args.out)
    print_table(rows)
    print(json.dumps({"sample": sample, "datasets": doc["datasets"], "table": table(rows), "chosen": doc["chosen"]}))


def fill_same_as(doc: dict[str, Any], run_all: bool) -> None:
    """text+line rows of data sets without raw lines: the text row's figures, marked."""
    if run_all:
        return
    for r in list(doc["rows"].values()):
        data = doc["datasets"].get(r["dataset"])
        if r["view"] != "text" or data is None or data["raw_lines"]:
            continue
        twin = row_key(r["dataset"], r["model"], "text+line", r["order"])
        if twin not in doc["rows"] or doc["rows"][twin].get("same_as"):
            doc["rows"][twin] = {**r, "view": "text+line", "prompt": prompt_name("text+line", r["order"]),
                                 "same_as": "text", "calls": []}


def save(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(path)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
