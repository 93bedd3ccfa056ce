#!/usr/bin/env python3
"""Detection throughput without and during a background LogMoE retrain (issue 7's figure:
during >= 0.7x of without).

The HDFS sample test stream (cycled) goes through CoLA's pipeline (LogMoE small model, tau
chosen on validation, a knowledge table in a fresh store, no LLM call: the measurement is about
the detector, not LLM latency) in blocks of ``--block`` sequences, each block timed. The
pipeline is the one ``detect --follow`` and ``serve`` run: the fitted model is saved as a bundle
(:func:`logsieve.engine.write_bundle`) and built by :func:`logsieve.engine.build_engine` with
live adaptation on (its train and validation splits from the bundle's example bank). The engine
adapts only with an expert, so it gets a simulated one and a budget of 0 LLM calls: it is never
asked, and a routed sequence keeps the small model's verdict, as with no LLM. Phases
alternate in the same run: A (no retrain) for ``--a-seconds``, then B (a real retrain of the
adapter: warm-up LogMoE fit, GMM filter, candidate fit, validation, swap), A, B, ..., ending
with A, so machine noise that drifts over the run falls on both sides. A block that straddles
the end of a retrain is dropped. The retrain learns from the first ``--pseudo`` test
sequences labelled with their true labels, standing in for LLM pseudo-labels (what they
contain does not matter to the throughput; they are not scored on). Each finished retrain is
recorded (a model version written beside the store and registered) by the detecting thread
after the B phase, untimed, as ``serve`` does between batches.

``--isolation process`` (the default of ``AdaptConfig``) fits in a spawned child at niceness
+10 with one torch thread; ``thread`` fits in a thread of this process (the earlier way);
``both`` measures each, one after the other, in the same run.

Usage: nice -n 10 python benchmarks/retrain_throughput.py [--rounds 2] [--a-seconds 60]
       [--block 256] [--pseudo 800] [--isolation process|thread|both] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from logsieve.collab import ColaPipeline
from logsieve.engine import AdaptSection, EngineConfig, build_engine, write_bundle
from logsieve.engine.adapting import LiveAdapter
from logsieve.detectors import make_detector
from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.detection import split_batches
from logsieve.evaluate.simulated_expert import simulated_expert
from logsieve.store import Store


@dataclass
class Phase:
    kind: str  # "A" (no retrain) or "B" (during a retrain)
    sequences: int = 0
    seconds: float = 0.0
    blocks: int = 0
    dropped: int = 0
    retrain_seconds: float | None = None
    outcome: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "sequences": self.sequences, "seconds": round(self.seconds, 3),
                "blocks": self.blocks, "dropped_blocks": self.dropped,
                "sequences_per_s": round(self.sequences / self.seconds, 1) if self.seconds else None,
                "retrain_seconds": None if self.retrain_seconds is None else round(self.retrain_seconds, 1),
                "outcome": self.outcome}


@dataclass
class Stream:
    """The test sequences, cycled, judged block by block."""

    pipeline: ColaPipeline
    seqs: list
    templates: dict
    block: int
    pos: int = 0
    phases: list[Phase] = field(default_factory=list)

    def one_block(self) -> tuple[int, float]:
        chunk = [self.seqs[(self.pos + i) % len(self.seqs)] for i in range(self.block)]
        self.pos = (self.pos + self.block) % len(self.seqs)
        start = time.perf_counter()
        self.pipeline.judge(chunk, self.templates)
        return len(chunk), time.perf_counter() - start


def no_embed(seqs, templates) -> np.ndarray:
    """The example bank's embedder: no prompt is built here, so the bank serves only as the
    Adapter's train and validation splits, and MiniLM need not be loaded."""
    return np.zeros((len(seqs), 1), dtype=np.float32)


def measure(args, isolation: str, ds, test, model_dir: Path) -> dict:
    adapt = AdaptSection(warmup=10**9, background=True, isolation=isolation)  # retrains only when asked
    # no LLM call (budget 0) and no never-seen routing: the pipeline the earlier runs timed
    config = EngineConfig(mode="cola", adapt=adapt, examples=0, max_llm_calls=0, escalate_unseen=False)
    truth = {s.key: int(s.label or 0) for s in ds.sequences}
    pseudo = test.sequences[: args.pseudo]

    @dataclass
    class Said:
        source: str
        abnormal: bool

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        engine = build_engine(model_dir, config, store, expert=simulated_expert(truth), templates=ds.templates,
                              embed=no_embed)
        adapter = engine.adapter
        if adapter is None:
            raise SystemExit(f"the engine did not adapt: {engine.adapt_off}")
        adapter.observe([Said("llm", bool(s.label)) for s in pseudo], pseudo, ds.templates)
        tau = engine.pipeline.config.tau
        # the adapter rides in the pipeline as in `detect` and `serve`: each block is scored after
        # Adapter.share_cores (no LLM call here, so no pseudo-labels reach it and nothing retrains unasked)
        stream = Stream(engine.pipeline, test.sequences, dict(ds.templates), args.block)
        for _ in range(3):  # warm up: first blocks pay for lazy imports and caches
            stream.one_block()
        for r in range(args.rounds):
            stream.phases.append(_phase_a(stream, args.a_seconds))
            stream.phases.append(_phase_b(stream, adapter))
            print(json.dumps({"isolation": isolation, "round": r, "A": stream.phases[-2].as_dict(),
                              "B": stream.phases[-1].as_dict()}), file=sys.stderr, flush=True)
        stream.phases.append(_phase_a(stream, args.a_seconds))
        versions = len(adapter.recorded)
        engine.close()
        store.close()
    a = [p for p in stream.phases if p.kind == "A"]
    b = [p for p in stream.phases if p.kind == "B"]
    rate_a = sum(p.sequences for p in a) / sum(p.seconds for p in a)
    rate_b = sum(p.sequences for p in b) / sum(p.seconds for p in b)
    return {"isolation": isolation, "without_retrain_seq_per_s": round(rate_a, 1),
            "during_retrain_seq_per_s": round(rate_b, 1), "ratio": round(rate_b / rate_a, 3),
            "retrains": len(b), "retrain_seconds": [round(p.retrain_seconds or 0, 1) for p in b],
            "outcomes": [p.outcome for p in b], "phases": [p.as_dict() for p in stream.phases],
            "tau": round(tau, 6), "versions_recorded": versions}


def _phase_a(stream: Stream, seconds: float) -> Phase:
    phase = Phase("A")
    while phase.seconds < seconds:
        n, s = stream.one_block()
        phase.sequences += n
        phase.seconds += s
        phase.blocks += 1
    return phase


def _phase_b(stream: Stream, adapter: LiveAdapter) -> Phase:
    phase = Phase("B")
    started = time.perf_counter()
    done_before = len(adapter.outcomes)
    adapter.retrain()
    while True:
        n, s = stream.one_block()
        if not adapter.retraining:  # this block straddles the end of the retrain: not counted
            phase.dropped += 1
            break
        phase.sequences += n
        phase.seconds += s
        phase.blocks += 1
    adapter.join()
    phase.retrain_seconds = time.perf_counter() - started
    adapter.poll(stream.templates)  # record the version now, untimed, not inside the next timed block
    new = adapter.outcomes[done_before:]
    phase.outcome = new[-1].reason if new else "no outcome"
    return phase


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="hdfs-sample")
    ap.add_argument("--detector", default="logmoe", help="small model (logmoe for the figure; logreg for a quick try)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--a-seconds", type=float, default=60.0)
    ap.add_argument("--block", type=int, default=256)
    ap.add_argument("--pseudo", type=int, default=800)
    ap.add_argument("--isolation", choices=("process", "thread", "both"), default="process")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    started = time.time()
    load = os.getloadavg()
    ds = load_dataset(args.dataset)
    train, validation, test = split_batches(ds)
    live = make_detector(args.detector)
    fit_start = time.perf_counter()
    live.fit(train, validation)
    fit_seconds = time.perf_counter() - fit_start
    with tempfile.TemporaryDirectory(prefix="logsieve-throughput-") as tmp:
        model_dir = Path(tmp) / "model"  # saved as `logsieve train` saves it; tau within a 10% validation call rate
        write_bundle(model_dir, live, train, validation, parser=ds.parser, dataset=ds.spec.name,
                     log_format=ds.spec.format, grouping=ds.spec.grouping, max_call_rate=0.1, embed=no_embed)
        runs = [measure(args, iso, ds, test, model_dir)
                for iso in (("process", "thread") if args.isolation == "both" else (args.isolation,))]
    out = {"dataset": args.dataset, "detector": args.detector, "block": args.block, "rounds": args.rounds,
           "a_seconds": args.a_seconds, "pseudo_labels": args.pseudo, "cpus": os.cpu_count(),
           "loadavg_at_start": [round(x, 2) for x in load], "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
           "live_fit_seconds": round(fit_seconds, 1), "wall_seconds": round(time.time() - started, 1),
           "runs": runs}
    for run in runs:
        out[f"ratio_{run['isolation']}"] = run["ratio"]
    if not args.json:
        for run in runs:
            print(f"{run['isolation']}: without {run['without_retrain_seq_per_s']:,.0f} seq/s, during "
                  f"{run['during_retrain_seq_per_s']:,.0f} seq/s, ratio {run['ratio']:.2f} "
                  f"({run['retrains']} retrains of {run['retrain_seconds']} s)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
