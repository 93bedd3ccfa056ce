"""Does a setting of the adaptation loop hold across rewrite seeds and ratios, or only on one run?

Runs ``benchmarks/evolution.py`` (arms ``no_adapt`` and ``cola_adapt`` only, no noise figures)
once per combination of ``--ratios``, ``--seeds`` and ``--known-after`` values, each in its own
process, and prints one row per run: pre-change F1, no-adaptation and CoLA-adaptation F1 after
the change, whether CoLA is within 0.03 of pre-change, and the LLM-call rates. A default chosen
from a single benchmark run could be luck; this is the check that it is not.

Both arms are built by the engine that ``detect`` and ``serve`` run (``evolution.py`` saves the
fitted model as a bundle and builds each arm with ``logsieve.engine.build_engine``).

Usage: python benchmarks/evolution_grid.py [--ratios 0.2,0.3] [--seeds 0,1,2] [--known-after 1,5,20] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_run(ratio: float, seed: int, known_after: int) -> dict:
    cmd = [sys.executable, str(HERE / "evolution.py"), "--ratio", str(ratio), "--seed", str(seed),
           "--known-after", str(known_after), "--arms", "no_adapt,cola_adapt", "--noise", "", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"ratio": ratio, "seed": seed, "known_after": known_after,
                "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    s = json.loads(done.stdout.strip().splitlines()[-1])
    return {"ratio": ratio, "seed": seed, "known_after": known_after,
            "pre_change_f1": s["pre_change_f1"], "no_adapt_f1": s["no_adapt_f1"], "cola_adapt_f1": s["cola_adapt_f1"],
            "within_0_03": s["cola_adapt_f1"] >= s["pre_change_f1"] - 0.03,
            "above_no_adapt": s["cola_adapt_f1"] > s["no_adapt_f1"],
            "llm_call_rate_first_slice": s["llm_call_rate_first_slice"],
            "llm_call_rate_last_slice": s["llm_call_rate_last_slice"],
            "cola_post_llm_call_rate": s["arms"]["cola_adapt"]["post_llm_call_rate"],
            "post_anomalies": s["sessions"]["post_anomalies"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratios", default="0.2,0.3")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--known-after", default="1,5,20")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()
    started = time.perf_counter()
    rows = []
    for ratio in (float(x) for x in args.ratios.split(",")):
        for seed in (int(x) for x in args.seeds.split(",")):
            for k in (int(x) for x in args.known_after.split(",")):
                row = one_run(ratio, seed, k)
                rows.append(row)
                print(f"ratio {ratio} seed {seed} known_after {k}: "
                      + (row["error"] if "error" in row else
                         f"pre {row['pre_change_f1']:.3f} no-adapt {row['no_adapt_f1']:.3f} "
                         f"CoLA {row['cola_adapt_f1']:.3f} calls {row['llm_call_rate_first_slice']:.3f} -> "
                         f"{row['llm_call_rate_last_slice']:.3f}"), file=sys.stderr, flush=True)
    by_k: dict[int, dict] = {}
    for k in sorted({r["known_after"] for r in rows}):
        ok = [r for r in rows if r["known_after"] == k and "error" not in r]
        by_k[k] = {"runs": len(ok), "within_0_03": sum(r["within_0_03"] for r in ok),
                   "above_no_adapt": sum(r["above_no_adapt"] for r in ok),
                   "mean_gap_to_pre": round(sum(r["cola_adapt_f1"] - r["pre_change_f1"] for r in ok) / len(ok), 4)
                   if ok else None}
    summary = {"benchmark": "evolution_grid", "runs": rows, "by_known_after": by_k,
               "seconds": round(time.perf_counter() - started, 1)}
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    if not args.json:
        for k, v in by_k.items():
            print(f"known_after {k}: within 0.03 of pre-change in {v['within_0_03']}/{v['runs']} runs, "
                  f"above no-adaptation in {v['above_no_adapt']}/{v['runs']}, mean gap {v['mean_gap_to_pre']}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
