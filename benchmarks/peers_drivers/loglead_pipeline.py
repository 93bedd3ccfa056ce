#!/usr/bin/env python3
"""LogLead's whole path on the HDFS sample, as one process, for the paired wall-time row.

Runs with the peers' Python (benchmarks/.peers/venv). What it does is what LogLead's HDFS demo
does: ``HDFSLoader`` (read, split the header, block id per line, labels joined per block),
``EventLogEnhancer.mask`` (its default Drain masking), ``parse_drain`` (LogLead's bundled drain3),
``SequenceEnhancer.seq_len`` and ``.events`` (Drain ids per block), then one detector
(``--detector``, default DT: the fastest of its supervised ones here) fitted on the first 30% of
blocks by start time and used to score the other 70%. logsieve's side of the row loads a model
fitted beforehand; LogLead has no saved-model path in this flow, so its fit (well under a second
for DT) stays in the timing and is reported apart as ``fit_s``.

Usage: python loglead_pipeline.py LOG.gz LABELS.csv [--detector DT]
Last line of stdout: JSON with the phase times, counts and anomalies flagged.
"""

from __future__ import annotations

import argparse
import json
import time

T0 = time.perf_counter()

import polars as pl  # noqa: E402
from loglead.enhancers import EventLogEnhancer, SequenceEnhancer  # noqa: E402
from loglead.loaders import HDFSLoader  # noqa: E402
from loglead import AnomalyDetector  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("labels")
    ap.add_argument("--detector", default="DT")
    args = ap.parse_args()
    times: dict[str, float] = {"import_s": time.perf_counter() - T0}
    t = time.perf_counter()
    loader = HDFSLoader(filename=args.log, labels_file_name=args.labels)
    df = loader.execute()
    df_seq = loader.df_seq
    times["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    enh = EventLogEnhancer(df)
    df = enh.mask()
    times["mask_s"] = time.perf_counter() - t
    t = time.perf_counter()
    df = enh.parse_drain()
    times["parse_s"] = time.perf_counter() - t
    t = time.perf_counter()
    seq = SequenceEnhancer(df=df, df_seq=df_seq)
    seq.start_time()
    seq.seq_len()
    df_seq = seq.events()
    times["sequences_s"] = time.perf_counter() - t
    t = time.perf_counter()
    df_seq = df_seq.sort("start_time")
    n_train = int(0.3 * df_seq.height)
    ad = AnomalyDetector(item_list_col="e_event_drain_id", print_scores=False)
    ad.train_df, ad.test_df = df_seq.head(n_train), df_seq.tail(df_seq.height - n_train)
    ad.prepare_train_test_data()
    getattr(ad, f"train_{args.detector}")()
    pred = ad.predict()
    times["fit_score_s"] = time.perf_counter() - t
    print(json.dumps({"lines": df.height, "sequences": df_seq.height, "detector": args.detector,
                      "flagged": int(pred["pred_ano"].sum()),
                      "templates": int(df["e_event_drain_id"].n_unique()),
                      **{k: round(v, 3) for k, v in times.items()},
                      "total_in_process_s": round(time.perf_counter() - T0, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
