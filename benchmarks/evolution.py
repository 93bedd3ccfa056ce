#!/usr/bin/env python3
"""Log evolution: how detection holds up after a simulated software upgrade, with and without
learning from the LLM.

The labelled HDFS sample is read as raw lines. From a change point on (the start of the
test session at ``--change-at`` of the test split, in time order) the lines of a seeded share
``--ratio`` of the templates are rewritten the way upgrades change log statements (renamed
words, inserted and removed words, swapped parameters, merged and split events; see
``logsieve.evaluate.evolution``), and the rewritten log goes through the real pipeline
(Drain, sessions, labels, chronological 20/10/70 split), so the parser meets new templates.

Fitted on train, with every threshold and tau chosen on validation (both before the change),
four pipelines then judge the test sessions in time order, in batches of ``--batch``:

* ``no_adapt``: CoLA (small model ``--detector``, tau for ``--max-call-rate`` on validation), no learning;
  with ``--escalate-unseen`` (the default here) it also sends never-seen sequences (holding a
  template absent from train) to the LLM;
* ``cola_adapt``: the same, with the Adapter (LLM answers -> pseudo-labels -> GMM filter ->
  retrain -> swap if not worse on the held-back newest pseudo-labels), retraining synchronously
  between batches so the run is deterministic; with ``--escalate-unseen`` a never-seen sequence
  (a template absent from train and from the pseudo-labels of every swapped-in model: the
  Adapter's known set) goes to the LLM too;
* ``collaborlog_static``: CollaborLog (autoencoder coordinator, KNN small model), no evolving;
* ``collaborlog_evolve``: CollaborLog with the Evolver (LLM judgements update both models).

The two CoLA arms run what ``detect`` and ``serve`` run (issue 18): the fitted small model is
saved as a model bundle as ``logsieve train`` saves it (:func:`logsieve.engine.write_bundle`:
detector, parser state, tau for ``--max-call-rate`` on validation, known templates, the example
bank of labelled train and validation sequences), and each arm is built from it by
:func:`logsieve.engine.build_engine`, with a fresh SQLite store and the judge passed in as the
engine's expert. ``cola_adapt`` is the engine's own live adaptation (``adapt:`` section,
:class:`~logsieve.engine.adapting.LiveAdapter`): its train and validation splits come from the
bundle's example bank, each retrain is written as a model version beside the store and
registered, and a swapped-in model gets tau re-chosen on validation (``--fixed-tau``: kept).
Two settings differ from what ``detect`` runs by default, and both are flags: the trust rule
(``--trust llm``, CoLA's Algorithm 1, as every earlier run of this benchmark; ``bundle``: the
rule an uncalibrated bundle carries, the LLM may not overturn the small model's alarm) and the
knowledge table (off, as before: the simulated judge answers per session, and the table would
copy one session's answer to every session with the same templates; ``--knowledge`` turns it
on). The CollaborLog arms are still wired here: the engine builds CollaborLog without the
Evolver.

Per time slice (the test sessions before the change, then ``--slices`` equal slices after it):
F1 and LLM-call rate of each. Then the noisy-label filter: the pseudo-labels ``cola_adapt``
collected (with the judge's own errors), and the same with 10% and 30% of them flipped on
top, go through the Adapter's filter step (warm model on train + pseudo-labels, per-sample
loss, 2-component GMM, tau_c 0.5): precision of the kept ones against keeping all.

The judge: ``--expert simulated`` (default) answers the true label, flipped for a seeded share of
sequences (the same sequence gets the same answer in every arm): by default 1.5% of normal
sessions and 20% of anomalies, the embedded 0.5B judge's measured errors in RESULTS.md (LLM-only
on 200 HDFS test sessions: 3 of 195 normals called abnormal, 1 of 5 anomalies missed);
``--expert-error E`` sets one rate for both;
``--expert embedded --limit N`` uses the real embedded Qwen2.5-Coder-0.5B on N test sessions
taken evenly over time (about 5 s a call on two cores).

Usage: python benchmarks/evolution.py [--ratio 0.2] [--seed 0] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from logsieve.adapt.adapter import AdaptConfig
from logsieve.adapt.evolve import EvolveConfig, Evolver, clone_detector
from logsieve.adapt.noise import NoiseFilterConfig
from logsieve.collab import CollabConfig, CollaborLogPipeline
from logsieve.collab.trust import TrustRule
from logsieve.detectors import make_detector
from logsieve.detectors.base import SequenceBatch, prf
from logsieve.engine import AdaptSection, Engine, EngineConfig, build_engine, write_bundle
from logsieve.engine.adapting import read_version_meta
from logsieve.evaluate.collab_eval import evenly
from logsieve.evaluate.datasets import get_dataset_spec, load_dataset, resolve_data_dir
from logsieve.evaluate.detection import split_batches
from logsieve.evaluate.evolution import UpgradeSimulator, describe
from logsieve.evaluate.label_noise import filter_precision
from logsieve.evaluate.simulated_expert import simulated_expert
from logsieve.evaluate.splits import SplitConfig, split_counts
from logsieve.jobs.bundle import ModelBundle
from logsieve.records import Sequence
from logsieve.store import Store

ARMS = ("no_adapt", "cola_adapt", "collaborlog_static", "collaborlog_evolve")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the evolved data
def change_line(sim: UpgradeSimulator, change_at: float, split: SplitConfig) -> int:
    """Index of the first line of the session at ``change_at`` of the test split (sessions by
    first line, which is time order in this log)."""
    first: dict[str, int] = {}
    for i, ln in enumerate(sim._lines):
        if ln.block is not None and ln.block not in first:
            first[ln.block] = i
    starts = sorted(first.values())
    n_train, n_val, n_test = split_counts(len(starts), split)
    return starts[n_train + n_val + int(change_at * n_test)]


def evolved_dataset(args, tmp: Path):
    spec = get_dataset_spec(args.dataset)
    root = resolve_data_dir(args.data_dir)
    src = spec.resolve(root, spec.files[0])
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", errors="replace") as f:
        lines = f.readlines()
    sim = UpgradeSimulator(spec.parser, min_count=args.min_count)
    sim.read(lines)
    change = change_line(sim, args.change_at, SplitConfig())
    rules = sim.plan(change, args.ratio, args.seed)
    out, stats = sim.apply(change)
    path = tmp / "evolved.log"
    path.write_text("\n".join(out) + "\n")
    labels = spec.labels.model_copy(update={"path": str(spec.resolve(root, spec.labels.path))})
    evolved = spec.model_copy(update={"name": f"{spec.name}-evolved", "files": (str(path),), "labels": labels})
    ds = load_dataset(evolved, tmp)
    return ds, change, describe(rules), stats.as_dict()


# ---------------------------------------------------------------------------- the arms
def make_expert(args, labels, prompt):
    if args.expert == "simulated":
        return simulated_expert(labels, seed=args.seed, prompt=prompt, error_normal=args.expert_error_normal,
                                error_abnormal=args.expert_error_abnormal)
    from logsieve.llm import Expert, ExpertConfig, backend_config, make_backend

    return Expert(make_backend(backend_config("embedded")), ExpertConfig(prompt=prompt))


def no_embed(seqs: list[Sequence], templates) -> np.ndarray:
    """The example bank's embedder for the simulated judge: it is shown no examples
    (``examples`` 0), so the bank serves only as the Adapter's train and validation splits and
    loading MiniLM to embed 3,450 sequences would buy nothing."""
    return np.zeros((len(seqs), 1), dtype=np.float32)


def save_bundle(args, small, train: SequenceBatch, validation: SequenceBatch, ds, work: Path) -> Path:
    """The fitted small model as a model bundle, as ``logsieve train`` saves one."""
    model_dir = work / "model"
    write_bundle(model_dir, small, train, validation, parser=ds.parser, dataset=ds.spec.name,
                 log_format=ds.spec.format, grouping=ds.spec.grouping, max_call_rate=args.max_call_rate,
                 embed=no_embed if args.expert == "simulated" else None)
    return model_dir


def cola_engine(args, arm: str, model_dir: Path, tau: float, truth_by_key, templates, work: Path) -> tuple[Engine, Store]:
    """A CoLA arm built by the engine from the bundle, in its own store (closed by the caller).

    ``cola_adapt`` runs the engine's live adaptation with the benchmark's settings: synchronous
    retrains (a replay is deterministic), ``--warmup``, ``--retrain-every``, ``--known-after``, the
    filter seeded; tau re-chosen for each swapped-in model on validation within
    ``--max-call-rate`` unless ``--fixed-tau`` (an explicit tau turns the engine's re-choosing off)."""
    adapt = None
    if arm == "cola_adapt":
        adapt = AdaptSection(warmup=args.warmup, retrain_every=args.retrain_every, background=False,
                             known_after=args.known_after, filter=NoiseFilterConfig(seed=args.seed),
                             max_call_rate=args.max_call_rate, models_dir=work / f"{arm}.models")
    config = EngineConfig(mode="cola", adapt=adapt, escalate_unseen=args.escalate_unseen,
                          tau=tau if args.fixed_tau else None, examples=0 if args.expert == "simulated" else 3,
                          knowledge=args.knowledge, trust=TrustRule.llm_decides() if args.trust == "llm" else None)
    store = Store(work / f"{arm}.db")
    engine = build_engine(model_dir, config, store, expert=make_expert(args, truth_by_key, "cola"),
                          templates=templates, embed=no_embed if args.expert == "simulated" else None)
    if arm == "cola_adapt" and engine.adapter is None:
        raise SystemExit(f"the engine did not adapt: {engine.adapt_off}")
    return engine, store


def version_taus(engine: Engine) -> list[float]:
    """The tau each swapped-in version was given (from its ``adapt.json``), oldest first."""
    metas = [read_version_meta(Path(e.path)) for e in (engine.adapter.recorded if engine.adapter else [])]
    return [round(m.tau, 6) for m in metas if m is not None and m.live and m.tau is not None]


def run_arm(pipeline, seqs: list[Sequence], templates, batch: int, on_batch=None):
    """Judge ``seqs`` in time-ordered batches; per sequence (abnormal, asked the LLM)."""
    abnormal, called, given = [], [], []
    for i in range(0, len(seqs), batch):
        part = seqs[i:i + batch]
        for v in pipeline.judge(part, templates):
            abnormal.append(bool(v.abnormal))
            called.append(v.source == "llm" or (v.source == "fallback" and "LLM gave no verdict" in (v.note or "")))
            given.append(int(v.abnormal) if v.source == "llm" else None)  # the LLM's answer: a pseudo-label
        if on_batch is not None:
            on_batch(i + len(part))
    return np.array(abnormal), np.array(called), given


def slice_table(pred, called, labels, bounds):
    rows = []
    for name, lo, hi in bounds:
        p = prf(pred[lo:hi], labels[lo:hi])
        rows.append({"slice": name, "sequences": hi - lo, "anomalies": int(labels[lo:hi].sum()),
                     "f1": round(p["f1"], 4), "precision": round(p["precision"], 4), "recall": round(p["recall"], 4),
                     "llm_call_rate": round(float(called[lo:hi].mean()) if hi > lo else 0.0, 4)})
    return rows


# ---------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="hdfs-sample")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--ratio", type=float, default=0.2, help="share of templates rewritten (0.05..0.30)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--change-at", type=float, default=0.3, help="change point, as a share of the test sessions")
    ap.add_argument("--slices", type=int, default=5, help="time slices after the change")
    ap.add_argument("--min-count", type=int, default=20, help="only templates with this many lines after the change are rewritten")
    ap.add_argument("--detector", default="logreg",
                    help="CoLA's small model (logreg by default: each retrain fits it twice, and LogMoE takes 1-2 min a fit on 2 shared cores)")
    ap.add_argument("--max-call-rate", type=float, default=0.1, help="CoLA's tau: the validation LLM-call budget")
    ap.add_argument("--escalate-unseen", action=argparse.BooleanOptionalAction, default=True,
                    help="CoLA arms: also send sequences holding a template the live model was not trained on to the "
                         "LLM (CollabConfig.escalate_unseen; --no-escalate-unseen reproduces the earlier runs)")
    ap.add_argument("--fixed-tau", action="store_true",
                    help="keep the first model's tau after a swap (default: re-choose it for the new model on validation)")
    ap.add_argument("--trust", choices=("llm", "bundle"), default="llm",
                    help="CoLA arms' trust rule: llm (the LLM's answer stands, CoLA's Algorithm 1, as every earlier run) "
                         "or bundle (the rule the saved bundle carries: uncalibrated, the small model's alarm stands)")
    ap.add_argument("--knowledge", action=argparse.BooleanOptionalAction, default=False,
                    help="CoLA arms: reuse earlier LLM answers from the store's knowledge table (off: every routed "
                         "session asks the judge, as every earlier run)")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--expert", choices=("simulated", "embedded"), default="simulated")
    ap.add_argument("--expert-error", type=float, default=None,
                    help="simulated judge: one error rate for both classes (overrides the two below)")
    ap.add_argument("--expert-error-normal", type=float, default=0.015,
                    help="simulated judge: share of normal sessions called abnormal (measured 0.5B: 3 of 195)")
    ap.add_argument("--expert-error-abnormal", type=float, default=0.2,
                    help="simulated judge: share of anomalies called normal (measured 0.5B: 1 of 5)")
    ap.add_argument("--limit", type=int, default=None, help="judge this many test sessions, evenly over time")
    ap.add_argument("--warmup", type=int, default=50, help="Adapter: pseudo-labels before the first retrain")
    ap.add_argument("--retrain-every", type=int, default=200, help="Adapter: new pseudo-labels between retrains")
    ap.add_argument("--known-after", type=int, default=AdaptConfig().known_after,
                    help="Adapter: pseudo-labels holding a new template before it stops counting as never-seen")
    ap.add_argument("--evolve-every", type=int, default=20, help="Evolver: new judgements between updates")
    ap.add_argument("--noise", default="0.1,0.3", help="label noise injected on top for the filter figures")
    ap.add_argument("--filter-detectors", default=None,
                    help="warm-up models to measure the filter with (default: --detector, the Adapter's own; "
                         "the top-level filter figures are always that one's)")
    ap.add_argument("--filter-source", default="cola_adapt", choices=ARMS,
                    help="whose LLM answers are the pseudo-labels the filter is measured on")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()
    if args.expert == "embedded" and args.limit is None:
        ap.error("--expert embedded needs --limit N (about 5 s a call)")
    if args.expert_error is not None:
        args.expert_error_normal = args.expert_error_abnormal = args.expert_error
    arms = [a for a in args.arms.split(",") if a]
    started = time.perf_counter()
    random.seed(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        log("rewriting the log and loading it")
        ds, change, rules, rewrite = evolved_dataset(args, Path(tmp))
    train, validation, test = split_batches(ds)
    templates = ds.templates
    seqs = evenly(test.sequences, args.limit)
    labels = np.array([s.label or 0 for s in seqs])
    truth_by_key = {s.key: int(s.label or 0) for s in ds.sequences}
    post = np.array([s.refs[0].line_no - 1 >= change for s in seqs])
    first_post = int(np.argmax(post)) if post.any() else len(seqs)
    # sessions are in start-time order (seconds), ties by key: a few that start in the change
    # point's second but on an earlier line may sort after it; they count as after the change
    early = int((~post[first_post:]).sum())
    edges = np.linspace(first_post, len(seqs), args.slices + 1).round().astype(int)
    bounds = [("pre", 0, first_post)] + [(f"post{k + 1}", int(edges[k]), int(edges[k + 1])) for k in range(args.slices)]
    log(f"{len(train)} train / {len(validation)} validation / {len(seqs)} test sessions, {first_post} before the change")

    log(f"fitting {args.detector}, autoencoder, knn")
    small = make_detector(args.detector, {"seed": args.seed})
    small_fit = small.fit(train, validation).as_dict()
    work_dir = tempfile.TemporaryDirectory(prefix="logsieve-evolution-")
    work = Path(work_dir.name)
    model_dir = save_bundle(args, small, train, validation, ds, work)
    tau = ModelBundle.load(model_dir).tau  # chosen on validation within --max-call-rate, as `train` does
    coordinator = knn = None
    if any(a.startswith("collaborlog") for a in arms):
        coordinator = make_detector("autoencoder", {"seed": args.seed})
        coordinator.fit(train, validation)
        knn = make_detector("knn", {"seed": args.seed})
        knn.fit(train, validation)
    collab = CollabConfig(tau=tau, examples=0 if args.expert == "simulated" else 3)
    bank = None
    if args.expert == "embedded":
        from logsieve.engine.bank import build_bank, sentence_embed

        bank = build_bank([(train, "train"), (validation, "validation")], sentence_embed())

    results: dict[str, dict] = {}
    pseudo_by_arm: dict[str, list[Sequence]] = {}
    evolver = None
    for arm in arms:
        t0 = time.perf_counter()
        engine = store = None
        if arm in ("no_adapt", "cola_adapt"):
            engine, store = cola_engine(args, arm, model_dir, tau, truth_by_key, templates, work)
            pipe = engine.pipeline
        elif arm == "collaborlog_static":
            pipe = CollaborLogPipeline(clone_detector(coordinator), clone_detector(knn),
                                       make_expert(args, truth_by_key, "collaborlog"), examples=bank, config=collab)
        elif arm == "collaborlog_evolve":
            evolver = Evolver(clone_detector(coordinator), clone_detector(knn), replay=train,
                              config=EvolveConfig(every=args.evolve_every, seed=args.seed,
                                                  filter=NoiseFilterConfig(seed=args.seed)))
            pipe = CollaborLogPipeline(expert=make_expert(args, truth_by_key, "collaborlog"), examples=bank,
                                       config=collab, evolver=evolver)
        else:
            raise SystemExit(f"unknown arm {arm!r}; arms: {', '.join(ARMS)}")
        log(f"arm {arm}")
        pred, called, given = run_arm(pipe, seqs, templates, args.batch,
                                      on_batch=lambda n: log(f"  {arm}: {n}/{len(seqs)}") if n % 2000 < args.batch else None)
        pseudo_by_arm[arm] = [Sequence(s.key, list(s.template_ids), label=int(y))
                              for s, y, c in zip(seqs, given, called) if c and y is not None]
        adapter = engine.adapter if engine is not None else None
        if engine is not None:
            engine.close()  # records a retrain still unrecorded; frees an embedded model (~0.7 GB): one arm at a time
            store.close()
        elif pipe.expert is not None:
            pipe.expert.backend.close()
        post_p = prf(pred[first_post:], labels[first_post:])
        pre_p = prf(pred[:first_post], labels[:first_post])
        results[arm] = {"pre_f1": round(pre_p["f1"], 4), "post_f1": round(post_p["f1"], 4),
                        "post_precision": round(post_p["precision"], 4), "post_recall": round(post_p["recall"], 4),
                        "llm_calls": int(called.sum()), "post_llm_call_rate": round(float(called[first_post:].mean()), 4),
                        "slices": slice_table(pred, called, labels, bounds),
                        "seconds": round(time.perf_counter() - t0, 1),
                        "llm_seconds": round(pipe.stats.llm_seconds, 1),
                        "llm_p50_seconds": pipe.stats.as_dict()["llm_p50_seconds"],
                        "unseen_escalations": pipe.stats.unseen_escalations}
        if arm == "cola_adapt" and adapter is not None:
            results[arm]["retrains"] = [{"swapped": o.swapped, "candidate": o.candidate_score, "live": o.live_score,
                                         "error": o.error, "seconds": round(o.seconds, 1),
                                         "trigger": adapter.stats.triggers[i] if i < len(adapter.stats.triggers) else None,
                                         "measure": adapter.stats.measures[i] if i < len(adapter.stats.measures) else None}
                                        for i, o in enumerate(adapter.outcomes)]
            results[arm]["drift_baseline"] = round(adapter.drift.baseline, 4)
            results[arm]["drift_onsets"] = adapter.stats.drift_onsets  # sessions judged when drift switched on
            results[arm]["first_post_index"] = first_post
            results[arm]["pseudo_labels"] = adapter.stats.pseudo_labels
            results[arm]["taus"] = [round(tau, 6)] + version_taus(engine)
            results[arm]["versions"] = [{"version": e.version, "status": e.status, "note": e.note}
                                        for e in adapter.recorded]  # what `logsieve models` would list
        if arm == "collaborlog_evolve" and evolver is not None:
            results[arm]["updates"] = evolver.stats.updates
            results[arm]["learnt"] = evolver.stats.learnt
            results[arm]["judgements"] = evolver.stats.judgements
        log(f"  {arm}: pre F1 {results[arm]['pre_f1']}, post F1 {results[arm]['post_f1']}, "
            f"{results[arm]['llm_calls']} LLM calls, {results[arm]['seconds']} s")

    work_dir.cleanup()

    # ------------------------------------------------------------------ the label filter
    filt: list[dict] = []
    pseudo = pseudo_by_arm.get(args.filter_source, [])
    if pseudo:
        truth = np.array([truth_by_key[s.key] for s in pseudo])
        for name in (args.filter_detectors or args.detector).split(","):
            warm = functools.partial(make_detector, name, {"seed": args.seed})
            for k, noise in enumerate([0.0] + [float(x) for x in args.noise.split(",") if x]):
                log(f"filter precision, warm-up model {name}, injected noise {noise}")
                f = filter_precision(warm, train, validation, pseudo, truth, noise, args.seed + 1000 + k,
                                     NoiseFilterConfig(seed=args.seed))
                filt.append({"warm_model": name, **f})

    def arm_f1(a):
        return results[a]["post_f1"] if a in results else None

    top_arm = results.get("cola_adapt", {})
    filt_main = [f for f in filt if f["warm_model"] == args.detector]  # the Adapter's own model
    base = filt_main[0] if filt_main else {}
    summary = {
        "dataset": args.dataset, "ratio": args.ratio, "seed": args.seed, "change_at": args.change_at,
        "expert": args.expert, "expert_error": ({"normal": args.expert_error_normal, "abnormal": args.expert_error_abnormal}
                         if args.expert == "simulated" else None),
        "detector": args.detector, "tau": round(tau, 6), "limit": args.limit, "escalate_unseen": args.escalate_unseen,
        "cola_built_by": "engine", "trust": args.trust, "knowledge": args.knowledge, "fixed_tau": args.fixed_tau,
        "pre_change_f1": results["no_adapt"]["pre_f1"] if "no_adapt" in results else None,
        "no_adapt_f1": arm_f1("no_adapt"), "cola_adapt_f1": arm_f1("cola_adapt"),
        "collaborlog_static_f1": arm_f1("collaborlog_static"), "collaborlog_adapt_f1": arm_f1("collaborlog_evolve"),
        "llm_call_rate_first_slice": top_arm["slices"][1]["llm_call_rate"] if top_arm else None,
        "llm_call_rate_last_slice": top_arm["slices"][-1]["llm_call_rate"] if top_arm else None,
        "llm_call_rate_arm": "cola_adapt",
        "filter_precision": base.get("filter_precision"), "keep_all_precision": base.get("keep_all_precision"),
        "filter_by_noise": filt, "filter_source": args.filter_source,
        "arms": results,
        "sessions": {"train": len(train), "validation": len(validation), "test": len(seqs), "pre_change": first_post,
                     "test_anomalies": int(labels.sum()), "post_anomalies": int(labels[first_post:].sum()),
                     "post_slices_started_before_change_line": early},
        "change_line": change, "rewrites": rules, "rewrite_stats": rewrite, "small_fit": small_fit,
        "templates_after": len(templates), "seconds": round(time.perf_counter() - started, 1),
    }
    for f in filt_main[1:]:
        pct = int(round(f["injected_noise"] * 100))
        summary[f"filter_precision_noise{pct}"] = f["filter_precision"]
        summary[f"keep_all_precision_noise{pct}"] = f["keep_all_precision"]
    if "collaborlog_evolve" in results:
        s = results["collaborlog_evolve"]["slices"]
        summary["collaborlog_llm_call_rate_first_slice"] = s[1]["llm_call_rate"]
        summary["collaborlog_llm_call_rate_last_slice"] = s[-1]["llm_call_rate"]
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    if not args.json:
        print_table(summary)
    print(json.dumps(summary))


def print_table(summary: dict) -> None:
    arms = summary["arms"]
    names = [r["slice"] for r in next(iter(arms.values()))["slices"]]
    print("slice    " + "".join(f"{a:>28}" for a in arms))
    for k, name in enumerate(names):
        cells = "".join(f"{'F1 %.3f calls %5.1f%%' % (arms[a]['slices'][k]['f1'], 100 * arms[a]['slices'][k]['llm_call_rate']):>28}"
                        for a in arms)
        print(f"{name:<9}{cells}")
    for f in summary["filter_by_noise"]:
        print(f"{f['warm_model']} noise +{f['injected_noise']:.2f}: kept {f['kept']}/{f['offered']} precision {f['filter_precision']:.3f}"
              f" vs keep-all {f['keep_all_precision']:.3f}")


if __name__ == "__main__":
    main()
