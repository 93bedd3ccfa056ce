#!/usr/bin/env python3
"""LogLead's detectors on logsieve's split of one data set: every detector, two feature sets.

Runs with the peers' Python. Input: the split file written by ``logsieve_split.py`` (one JSON
line per sequence: key, split, label, and the raw file's 1-based line numbers or, for the
event-id sets, the template ids).

- Raw logs (``--kind hdfs`` / ``bgl``): LogLead's own loader reads the file (``HDFSLoader`` /
  ``BGLLoader``), ``EventLogEnhancer.mask`` + ``parse_drain`` + ``words``; each line gets its
  1-based number, is joined to the logsieve sequence(s) holding it, and the sequences aggregate
  ``e_event_drain_id`` and ``e_words`` (``SequenceEnhancer``-style lists) plus ``seq_len``.
- Event ids (``--kind events``): the events are given; ``e_event_id`` is ``e<N>`` and the words
  are those of template N's text (``--templates`` JSON), so both feature sets exist here too.

Train = logsieve's train + validation (LogLead has no validation step), test = logsieve's test
keys. ``AnomalyDetector(item_list_col=...)`` counts the items (CountVectorizer). Supervised:
LR, DT, LSVM, RF, XGB. Unsupervised with no label read (``filter_anos=False``): IsolationForest,
LOF, KMeans, OneClassSVM, RarityModel, OOVDetector; the same four that default to training on
normal data only (LOF, RarityModel, OOVDetector, and KMeans/IF when asked) are also run with
``filter_anos=True`` and reported apart as semi-supervised (they read labels to drop anomalies).
Each F1 is sklearn's on the test keys, anomaly = positive class.

Usage: python loglead_detect.py --kind hdfs|bgl|events SPLIT.jsonl [--log F] [--labels F] [--templates F]
Last line of stdout: JSON {"f1": {features: {detector: f1}}, "seconds": {...}, "counts": {...}}.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import polars as pl
from sklearn.metrics import f1_score

from loglead import AnomalyDetector
from loglead.enhancers import EventLogEnhancer

warnings.filterwarnings("ignore")

SUPERVISED = ("LR", "DT", "LSVM", "RF", "XGB")
LOADED: dict[str, int] = {}
UNSUPERVISED = ("IsolationForest", "LOF", "KMeans", "OneClassSVM", "RarityModel", "OOVDetector")


def read_split(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def line_events(kind: str, log: str, labels: str | None) -> pl.DataFrame:
    """Per raw line: its 1-based number, Drain id and words, as LogLead produces them."""
    if kind == "hdfs":
        from loglead.loaders import HDFSLoader
        loader = HDFSLoader(filename=log, labels_file_name=labels)
    else:
        from loglead.loaders import BGLLoader
        loader = BGLLoader(filename=log)
    df = loader.execute()
    if "line_no" not in df.columns:  # numbering is only right when the loader kept every line
        df = df.with_row_index("line_no", offset=1)
    LOADED["lines"] = df.height
    enh = EventLogEnhancer(df)
    enh.mask()
    enh.parse_drain()
    df = enh.words()
    return df.select("line_no", "e_event_drain_id", "e_words")


def sequences_from_lines(rows: list[dict], lines: pl.DataFrame) -> pl.DataFrame:
    mapping = pl.DataFrame({"key": [r["key"] for r in rows for _ in r["lines"]],
                            "line_no": [n for r in rows for n in r["lines"]]},
                           schema={"key": pl.Utf8, "line_no": pl.UInt32})
    joined = mapping.join(lines.with_columns(pl.col("line_no").cast(pl.UInt32)), on="line_no", how="inner")
    joined = joined.sort(["key", "line_no"])
    return joined.group_by("key", maintain_order=True).agg(
        pl.col("e_event_drain_id"), pl.col("e_words").flatten(), pl.len().alias("e_event_id_len"))


def sequences_from_events(rows: list[dict], templates: dict[str, str]) -> pl.DataFrame:
    words = {k: v.split() for k, v in templates.items()}
    return pl.DataFrame({
        "key": [r["key"] for r in rows],
        "e_event_drain_id": [[f"e{e}" for e in r["events"]] for r in rows],
        "e_words": [[w for e in r["events"] for w in words.get(str(e), [])] for r in rows],
        "e_event_id_len": [len(r["events"]) for r in rows],
    })


def run_one(ad: AnomalyDetector, name: str, filter_anos: bool | None) -> list[int]:
    method = getattr(ad, f"train_{name}")
    if filter_anos is None or name == "OneClassSVM":  # OneClassSVM takes no filter_anos: it fits all rows
        method()
    else:
        method(filter_anos=filter_anos)
    return [int(p) for p in ad.predict()["pred_ano"].to_list()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("split")
    ap.add_argument("--kind", required=True, choices=("hdfs", "bgl", "events"))
    ap.add_argument("--log")
    ap.add_argument("--labels")
    ap.add_argument("--templates")
    args = ap.parse_args()
    rows = read_split(args.split)
    t = time.perf_counter()
    if args.kind == "events":
        with open(args.templates, encoding="utf-8") as fh:
            seqs = sequences_from_events(rows, json.load(fh))
    else:
        seqs = sequences_from_lines(rows, line_events(args.kind, args.log, args.labels))
    prep_s = time.perf_counter() - t
    meta = pl.DataFrame({"key": [r["key"] for r in rows], "split": [r["split"] for r in rows],
                         "anomaly": [bool(r["label"]) for r in rows]})
    seqs = meta.join(seqs, on="key", how="left", maintain_order="left")
    train = seqs.filter(pl.col("split") != "test")
    test = seqs.filter(pl.col("split") == "test")
    y = [int(v) for v in test["anomaly"].to_list()]
    f1: dict[str, dict[str, float]] = {}
    seconds: dict[str, float] = {}
    errors: dict[str, str] = {}
    for features in ("e_event_drain_id", "e_words"):
        ad = AnomalyDetector(item_list_col=features, print_scores=False)
        ad.train_df, ad.test_df = train, test
        ad.prepare_train_test_data()
        out = f1.setdefault(features, {})
        runs = [(n, None, n) for n in SUPERVISED] + [(n, False, n) for n in UNSUPERVISED]
        runs += [(n, True, f"{n}+normal-only") for n in ("IsolationForest", "LOF", "KMeans", "RarityModel", "OOVDetector")]
        for name, filt, label in runs:
            t = time.perf_counter()
            try:
                pred = run_one(ad, name, filt)
                out[label] = round(float(f1_score(y, pred, zero_division=0)), 4)
            except Exception as exc:  # a detector that cannot run on this data is reported, not fatal
                errors[f"{features}/{label}"] = f"{type(exc).__name__}: {exc}"[:200]
            seconds[f"{features}/{label}"] = round(time.perf_counter() - t, 3)
    print(json.dumps({"f1": f1, "seconds": seconds, "prepare_s": round(prep_s, 3), "lines_loaded": LOADED.get("lines"), "errors": errors,
                      "counts": {"train": train.height, "train_anomalous": int(train["anomaly"].sum()),
                                 "test": test.height, "test_anomalous": int(test["anomaly"].sum())}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
