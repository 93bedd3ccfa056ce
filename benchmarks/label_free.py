"""Label-free detection through `learn`'s path on every built-in data set, short or not.

For each data set: `logsieve evaluate detection --dataset D --label-free` at the default expected
share (and each detector asked for), the best supervised detector on the same split beside it,
and on hdfs-sample the same fit on clean history (labelled anomalies dropped: a measurement of
what unclean history costs; the product never has labels to clean with). A sweep over the
expected share shows how much the one stated number matters; it is a sensitivity table, not a
choice: the default (2%) was set before any of these runs and is not tuned on them.

    python benchmarks/label_free.py --json          # last line: {"runs": [...], "clean_vs_unclean": {...}}
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.label_free import run_label_free
from logsieve.jobs.learn import LearnConfig

DATASETS = ("hdfs-sample", "bgl-2k", "bgl-2k-sliding", "openstack-kalaki-ait", "openstack-ait", "hadoop-ait",
            "hdfs-logai")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--detectors", nargs="*", default=["self-trained", "pca", "severity"])
    ap.add_argument("--shares", nargs="*", type=float, default=[0.01, 0.02, 0.05, 0.10],
                    help="expected shares for the sensitivity sweep (the default 0.02 is the product's)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    runs, start = [], time.perf_counter()
    for name in args.datasets:
        ds = load_dataset(name)
        for det in args.detectors:
            for share in args.shares:
                run = run_label_free(name, LearnConfig(detector=det, expected_share=share), loaded=ds,
                                     supervised=share == 0.02 and det == args.detectors[0])
                doc = run.as_dict()
                runs.append(doc)
                print(f"{name:22s} {det:16s} share {share:5.2f}  P {doc['precision']:.3f} R {doc['recall']:.3f} "
                      f"F1 {doc['f1']:.3f}  supervised {doc['supervised_f1']:.3f}", file=sys.stderr)
    ds = load_dataset("hdfs-sample")
    config = LearnConfig(detector=args.detectors[0])
    unclean = run_label_free("hdfs-sample", config, loaded=ds, supervised=False)
    clean = run_label_free("hdfs-sample", config, loaded=ds, supervised=False, clean_history=True)
    summary = {"runs": runs, "clean_vs_unclean": {"dataset": "hdfs-sample", "detector": config.detector,
                                                   "f1_unclean": round(unclean.f1, 4),
                                                   "f1_clean": round(clean.f1, 4),
                                                   "dropped": clean.history_anomalies_dropped,
                                                   "gap": round(clean.f1 - unclean.f1, 4)},
               "seconds": round(time.perf_counter() - start, 1)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
