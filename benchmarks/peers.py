#!/usr/bin/env python3
"""logsieve against LogLead 2.0.0 (and drain3 0.9.11), on the same inputs, in one run (issue 24).

The peers live in their own virtual environment, ``benchmarks/.peers/venv`` (``--setup`` makes it
with ``python3.11 -m venv`` and pip-installs ``loglead==2.0.0`` and ``drain3==0.9.11``, pinned;
the folder is git-ignored and is no dependency of logsieve). Peer code runs as subprocesses with
that venv's Python: small drivers under ``benchmarks/peers_drivers/``, each printing one JSON
line. logsieve runs through ``.venv/bin/logsieve`` (subprocesses) or its Python API.

Rows, and how each figure is produced:

1. **Whole-process wall time on the HDFS sample** (222,579 lines, 11,501 blocks), paired and
   alternated, ``--pairs`` pairs (default 5), median of each side; peak memory of each run: the
   larger of ``/usr/bin/time -v``'s maximum RSS and the largest sum of RSS over the process tree
   (sampled every 20 ms; logsieve reads large files in a second process). logsieve: ``logsieve detect HDFS_sample.log.gz --model M --mode small-only
   --llm none --store FRESH.db --json``, M made beforehand (outside the timing) by ``logsieve learn
   HDFS_sample.log.gz --out M`` (label-free, format and grouping detected). LogLead:
   ``peers_drivers/loglead_pipeline.py``: HDFSLoader + mask + parse_drain + SequenceEnhancer
   (start_time, seq_len, events) + DT (decision tree on Drain-id counts, its fastest supervised
   detector) fitted on the first 30% of blocks and scoring the rest (the fit is inside LogLead's
   timing because its flow has no saved model; it takes ~0.2 s). ``speed_vs_loglead`` = the median
   over the pairs of LogLead's wall time / logsieve's in the same pair (the paired figure: both
   runs of a pair see the same machine, which on a shared VM drifts by tens of percent between
   minutes); ``speed_detail.ratio_of_medians`` is LogLead's median / logsieve's median, reported
   beside it (it was the headline figure before 2026-12-06's third run).
2. **F1 on logsieve's split.** ``peers_drivers/logsieve_split.py`` (logsieve's Python,
   ``load_dataset``) writes every sequence's key, split, label and raw line numbers (or event ids
   for the OpenStack sessions, which have no raw text). ``peers_drivers/loglead_detect.py`` reads
   the raw file with LogLead's own loader, masks, parses with its Drain, takes its words, joins
   each line to the logsieve sequence(s) holding it, trains on logsieve's train + validation and
   scores logsieve's test keys. Features: Drain-id counts (``e_event_drain_id``) and word counts
   (``e_words``), each with CountVectorizer inside ``AnomalyDetector``. Supervised: LR, DT, LSVM,
   RF, XGB. Unsupervised with no label read (``filter_anos=False``, the history as logged):
   IsolationForest, LOF, KMeans, OneClassSVM, RarityModel, OOVDetector. The same with
   ``filter_anos=True`` (train on normal sequences only: labels read) are reported apart as
   ``loglead_semi_supervised_f1``. ``loglead_supervised_f1[d]`` / ``loglead_unsupervised_f1[d]`` are
   the best test F1 over every detector x feature set of that kind (a best-of on test, which
   flatters LogLead). logsieve: ``logsieve evaluate detection --dataset D --detector N --json`` for
   logreg, pca and the three floors (``supervised_f1`` = the best of them on test, the same
   best-of), and ``--label-free`` (learn's self-trained default: ``labelfree_f1``).
   ``openstack`` in the JSON is ``openstack-kalaki-ait``: the OpenStack VM sessions of Kalaki et al.
   as event ids (random split of the source's test files, no timestamps, so not chronological).
3. **Parsing.** Grouping accuracy (logsieve's ``parsing_scores``, one metric for all) on the 16
   loghub_2k systems (corrected truth, average) and the two synlogplus files, and lines/s on the
   HDFS sample's contents (mask + parse, best of ``--parse-repeat``). logsieve: ``logsieve evaluate
   parsing --dataset loghub2k/all --json`` and ``--dataset <synlogplus csv>``, and lines/s from
   ``logsieve parse HDFS_sample.log.gz --format HDFS --json`` (whole command: read + header +
   mask + parse, so it is conservative for logsieve; files of 1 MB and up are read by a second
   process). LogLead: ``peers_drivers/loglead_parse.py`` (its mask, then parse_drain / parse_tip /
   parse_brain); drain3 at its defaults on raw Content. The speed runs alternate, one logsieve
   command then one driver run per round (``--parse-repeat`` rounds, best of them for each), so
   both sides see the same stretch of the machine.
4. **Format detection** on tests/fixtures/formats/: logsieve's ``read_records(FILE)`` (format
   auto) and LogLead's ``AutoLoader(filename=FILE).execute()`` judged against ``TRUTH`` below:
   a file is read right when every expected record is there once, with its time (to the second,
   UTC or as written; the year is ignored where the format has none) and its message (the
   expected text is contained, the header's time is not, and a multi-line record holds its
   continuation lines); the undecodable HDFS fixture may add one record for its line 4.

Usage: python benchmarks/peers.py [--setup] [--json] [--pairs N] [--quick] [--only ROWS]
``--quick``: 3 pairs, parse speed best of 1, no synlogplus. Machine: 2 shared cores (other jobs
run beside it); say so when quoting the times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "benchmarks" / ".peers"
PEER_PY = PEERS / "venv" / "bin" / "python"
DRIVERS = ROOT / "benchmarks" / "peers_drivers"
LS_PY = ROOT / ".venv" / "bin" / "python"
LS_CLI = ROOT / ".venv" / "bin" / "logsieve"
PINS = ("loglead==2.0.0", "drain3==0.9.11")
DATASETS = {"hdfs-sample": "hdfs-sample", "bgl-2k": "bgl-2k", "openstack": "openstack-kalaki-ait"}
LOGSIEVE_SUPERVISED = ("logreg", "decision-tree", "pca", "unseen-template", "seq-length", "count-novelty", "severity")
FIXTURES = ROOT / "tests" / "fixtures" / "formats"


def log(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path | None = None, timeout: int = 1800) -> str:
    """Run a command, fail loudly, return stdout."""
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


# --------------------------------------------------------------------------- setup

def setup() -> None:
    if not PEER_PY.exists():
        run(["python3.11", "-m", "venv", PEERS / "venv"])
    run([PEER_PY, "-m", "pip", "install", "-q", *PINS])
    log("peers installed:", run([PEER_PY, "-m", "pip", "freeze"]).count("\n"), "packages in", PEERS / "venv")


# --------------------------------------------------------------------------- row 1: speed

def timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak memory (MiB) and stdout of one whole process.

    Peak memory is the larger of ``/usr/bin/time -v``'s maximum RSS (one process: the largest
    of the tree) and the largest sum of RSS over the whole process tree, sampled every 20 ms
    from /proc: logsieve reads large files in a second process, and a tool's memory is what
    all its processes hold together (the sum counts pages they share twice, so it is an upper
    bound)."""
    with (tempfile.NamedTemporaryFile("r", suffix=".time") as tf, tempfile.TemporaryFile("w+") as out_f,
          tempfile.TemporaryFile("w+") as err_f):
        t = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", tf.name, *map(str, cmd)], cwd=cwd,
                                stdout=out_f, stderr=err_f, text=True)
        tree_peak_kib = 0
        while proc.poll() is None:
            tree_peak_kib = max(tree_peak_kib, _tree_rss_kib(proc.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - t
        err_f.seek(0)
        err = err_f.read()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {err[-2000:]}")
        rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", Path(tf.name).read_text()).group(1))
        out_f.seek(0)
        out = out_f.read()
    return wall, max(rss_kib, tree_peak_kib) / 1024, out


def _tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over ``root``'s descendants (not ``root``: it is /usr/bin/time itself)."""
    total, todo = 0, _children(root)
    while todo:
        pid = todo.pop()
        todo.extend(_children(pid))
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return out


def speed_row(data: Path, work: Path, pairs: int) -> dict:
    log_file = data / "hdfs_sample" / "HDFS_sample.log.gz"
    labels = data / "hdfs_sample" / "anomaly_label.csv"
    model = work / "model_hdfs"
    t = time.perf_counter()
    run([LS_CLI, "learn", log_file, "--out", model])
    learn_s = time.perf_counter() - t
    ours_cmd = [LS_CLI, "detect", log_file, "--model", model, "--mode", "small-only", "--llm", "none", "--json"]
    theirs_cmd = [PEER_PY, DRIVERS / "loglead_pipeline.py", log_file, labels]
    ours, theirs, last_ours, last_theirs = [], [], {}, {}
    for i in range(pairs):
        store = work / f"store{i}.db"
        order = [("ours", ours_cmd + ["--store", store]), ("theirs", theirs_cmd)]
        if i % 2:
            order.reverse()  # alternate who goes first, so drift hits both alike
        for who, cmd in order:
            wall, rss, out = timed(cmd, work)
            (ours if who == "ours" else theirs).append((wall, rss))
            if who == "ours":
                last_ours = last_json(out)
            else:
                last_theirs = last_json(out)
        log(f"  pair {i + 1}: logsieve {ours[-1][0]:.2f} s {ours[-1][1]:.0f} MiB, "
            f"LogLead {theirs[-1][0]:.2f} s {theirs[-1][1]:.0f} MiB")
    med_ours = statistics.median(w for w, _ in ours)
    med_theirs = statistics.median(w for w, _ in theirs)
    pair_ratios = [t / o for (o, _), (t, _) in zip(ours, theirs)]
    return {
        "speed_vs_loglead": round(statistics.median(pair_ratios), 3),
        "peak_mib": round(max(r for _, r in ours), 1),
        "loglead_peak_mib": round(max(r for _, r in theirs), 1),
        "speed_detail": {
            "pairs": pairs, "logsieve_wall_s": [round(w, 3) for w, _ in ours],
            "loglead_wall_s": [round(w, 3) for w, _ in theirs],
            "logsieve_median_s": round(med_ours, 3), "loglead_median_s": round(med_theirs, 3),
            "pair_ratios": [round(r, 3) for r in pair_ratios], "ratio_of_medians": round(med_theirs / med_ours, 3),
            "logsieve_rss_mib": [round(r, 1) for _, r in ours], "loglead_rss_mib": [round(r, 1) for _, r in theirs],
            "logsieve_learn_s_untimed": round(learn_s, 2),
            "logsieve_last": {k: last_ours.get(k) for k in ("sequences", "anomalies", "lines", "seconds")},
            "loglead_last": last_theirs,
            "logsieve_command": " ".join(map(str, ours_cmd)) + " --store FRESH.db",
            "loglead_command": " ".join(map(str, theirs_cmd)),
        },
    }


# --------------------------------------------------------------------------- row 2: F1

def f1_row(data: Path, work: Path) -> dict:
    sup, free, ll_sup, ll_unsup, ll_semi, detail = {}, {}, {}, {}, {}, {}
    for key, name in DATASETS.items():
        split_file = work / f"split_{name}.jsonl"
        summary = last_json(run([LS_PY, DRIVERS / "logsieve_split.py", name, split_file]))
        ours = {}
        for det in LOGSIEVE_SUPERVISED:
            try:
                r = last_json(run([LS_CLI, "evaluate", "detection", "--dataset", name, "--detector", det, "--json"]))
                ours[det] = round(float(r["f1"]), 4)
            except RuntimeError as exc:  # logreg refuses a train split with no anomaly
                ours[det] = None
                detail.setdefault("logsieve_errors", {})[f"{key}/{det}"] = str(exc)[-300:]
        lf = last_json(run([LS_CLI, "evaluate", "detection", "--dataset", name, "--label-free", "--json"]))
        ours["label-free " + str(lf.get("detector", "self-trained"))] = round(float(lf["f1"]), 4)
        sup[key] = max(v for k, v in ours.items() if k in LOGSIEVE_SUPERVISED and v is not None)
        free[key] = round(float(lf["f1"]), 4)
        cmd = [PEER_PY, DRIVERS / "loglead_detect.py", split_file]
        if name == "hdfs-sample":
            cmd += ["--kind", "hdfs", "--log", data / "hdfs_sample" / "HDFS_sample.log.gz",
                    "--labels", data / "hdfs_sample" / "anomaly_label.csv"]
        elif name == "bgl-2k":
            cmd += ["--kind", "bgl", "--log", data / "loghub_2k" / "BGL" / "BGL_2k.log"]
        else:
            templates = work / f"templates_{name}.json"
            templates.write_text(json.dumps(summary["templates"]))
            cmd += ["--kind", "events", "--templates", templates]
        theirs = last_json(run(cmd, cwd=work))
        flat = {f"{d} on {feat}": v for feat, ds in theirs["f1"].items() for d, v in ds.items()}
        sup_names = ("LR", "DT", "LSVM", "RF", "XGB")
        best = lambda pick: max(((v, k) for k, v in flat.items() if pick(k.split(" on ")[0])), default=(None, None))  # noqa: E731
        ll_sup[key], sup_by = best(lambda d: d in sup_names)
        ll_unsup[key], unsup_by = best(lambda d: d not in sup_names and "+normal-only" not in d)
        ll_semi[key], semi_by = best(lambda d: "+normal-only" in d)
        detail[key] = {"dataset": name, "splits": summary["splits"], "logsieve": ours,
                       "logsieve_labelfree_precision_recall": [lf.get("precision"), lf.get("recall")],
                       "loglead": flat, "loglead_best": {"supervised": sup_by, "unsupervised": unsup_by,
                                                         "semi_supervised": semi_by},
                       "loglead_counts": theirs["counts"], "loglead_lines_loaded": theirs.get("lines_loaded"),
                       "loglead_errors": theirs["errors"]}
        log(f"  {key}: logsieve supervised {sup[key]} label-free {free[key]} | LogLead supervised "
            f"{ll_sup[key]} ({sup_by}) unsupervised {ll_unsup[key]} ({unsup_by})")
    return {"supervised_f1": sup, "labelfree_f1": free, "loglead_supervised_f1": ll_sup,
            "loglead_unsupervised_f1": ll_unsup, "loglead_semi_supervised_f1": ll_semi, "f1_detail": detail}


# --------------------------------------------------------------------------- row 3: parsing

def parsing_row(data: Path, work: Path, repeat: int, synlog: bool) -> dict:
    from logsieve.evaluate.loghub import load_structured_csv, resolve_parsing_datasets
    from logsieve.evaluate.metrics import parsing_scores

    sets = {ds.name: ds for ds in resolve_parsing_datasets("loghub2k/all", data)}
    csvs = {n: str(ds.path) for n, ds in sets.items()}
    syn = {}
    if synlog:
        for s in ("Linux", "Proxifier"):
            path = data / "synlogplus" / s / f"{s}_full.log_structured.csv"
            syn[f"synlogplus/{s}"] = path
            sets[f"synlogplus/{s}"] = load_structured_csv(path, f"synlogplus/{s}")
            csvs[f"synlogplus/{s}"] = str(path)
    # logsieve: its own evaluate command, as a user runs it
    ours_2k = last_json(run([LS_CLI, "evaluate", "parsing", "--dataset", "loghub2k/all", "--json"]))
    ours_ga = {n: v["GA"] for n, v in ours_2k["per_dataset"].items()}
    for name, path in syn.items():
        ours_ga[name] = last_json(run([LS_CLI, "evaluate", "parsing", "--dataset", path, "--json"]))["GA"]
    # peers: grouping accuracy first (one driver run), then the speed runs alternated with
    # logsieve's (one of each per round, best of the rounds for each), so that both sides see
    # the same stretch of a machine whose speed drifts between minutes
    contents = work / "hdfs_contents.txt"
    _write_hdfs_contents(data, contents)
    parsers = ["drain", "tipping", "brain", "drain3"]
    spec = work / "parse_spec.json"
    spec.write_text(json.dumps({"datasets": csvs, "speed_file": None, "parsers": parsers}))
    out = work / "parse_ids.json"
    run([PEER_PY, DRIVERS / "loglead_parse.py", spec, out], cwd=work)
    ids = json.loads(out.read_text())["ids"]
    speed_spec = work / "parse_speed_spec.json"
    speed_spec.write_text(json.dumps({"datasets": {}, "speed_file": str(contents), "repeat": 1, "parsers": parsers}))
    speeds: list[float] = []
    peer_runs: list[dict] = []
    for _ in range(repeat):
        speeds.append(last_json(run([LS_CLI, "parse", data / "hdfs_sample" / "HDFS_sample.log.gz",
                                     "--format", "HDFS", "--json"]))["lines_per_s"])
        peer_runs.append(last_json(run([PEER_PY, DRIVERS / "loglead_parse.py", speed_spec, work / "speed_ids.json"],
                                       cwd=work))["speed"])
    theirs = {"speed": {p: max((r[p] for r in peer_runs), key=lambda v: v["lines_per_s"]) for p in parsers}}
    ga: dict[str, dict[str, float]] = {}
    for name, per_parser in ids.items():
        truth = sets[name].templates
        for parser, pred in per_parser.items():
            ga.setdefault(parser, {})[name] = round(parsing_scores(truth, pred, group_keys=pred).ga, 4)
    loghub = [n for n in sets if not n.startswith("synlogplus/")]
    avg = lambda d: round(sum(d[n] for n in loghub) / len(loghub), 4)  # noqa: E731
    ll_parsers = ("drain", "tipping", "brain")
    return {
        "parse_ga": avg(ours_ga),
        "parse_lines_per_s": round(max(speeds), 1),
        "loglead_parser_ga": {p: avg(ga[p]) for p in ll_parsers},
        "loglead_parser_lines_per_s": {p: theirs["speed"][p]["lines_per_s"] for p in ll_parsers},
        "drain3_ga": avg(ga["drain3"]), "drain3_lines_per_s": theirs["speed"]["drain3"]["lines_per_s"],
        "parse_detail": {
            "logsieve_ga": ours_ga, "peer_ga": ga,
            "synlogplus": {n: {"logsieve": ours_ga[n], **{p: ga[p][n] for p in ga}} for n in syn},
            "logsieve_lines_per_s_runs": speeds,
            "peer_lines_per_s_runs": {p: [r[p]["lines_per_s"] for r in peer_runs] for p in parsers},
            "peer_speed": theirs["speed"],
            "commands": {"logsieve_ga": f"{LS_CLI} evaluate parsing --dataset loghub2k/all --json",
                         "logsieve_speed": f"{LS_CLI} parse HDFS_sample.log.gz --format HDFS --json",
                         "peers": f"{PEER_PY} {DRIVERS / 'loglead_parse.py'} SPEC OUT"},
        },
    }


def _write_hdfs_contents(data: Path, out: Path) -> None:
    """The HDFS sample's message contents (header cut by logsieve's HDFS format), one per line."""
    import gzip

    from logsieve.ingest import get_format

    fmt = get_format("HDFS")
    with gzip.open(data / "hdfs_sample" / "HDFS_sample.log.gz", "rt", encoding="utf-8") as fh:
        contents = [p[1] for p in (fmt.parse(line.rstrip("\n")) for line in fh) if p is not None]
    out.write_text("\n".join(contents), encoding="utf-8")


# --------------------------------------------------------------------------- row 4: formats

_Z = "Z"
# file -> (records: (time as written "YYYY-MM-DD HH:MM:SS" or "MM-DD HH:MM:SS" when the format has no
# year, UTC offset in hours or None when the text has no zone, phrases the message must contain),
# extra records allowed)
TRUTH: dict[str, tuple[list[tuple[str, float | None, tuple[str, ...]]], int]] = {
    "app.jsonl": ([("2024-03-01 10:00:00", 0, ("server started",)), ("2024-03-01 10:00:01", 0, ("GET /health 200",)),
                   ("2024-03-01 10:00:02", 1, ("slow query 1530 ms",)), ("2024-03-01 10:00:03", 0, ("connection reset",)),
                   ("2024-03-01 10:00:04", 0, ("cache warmed",)), ("2024-03-01 10:00:05", 0, ("user login",))], 0),
    "cri.log": ([("2016-10-06 00:17:09", 0, ("log content 1",)), ("2016-10-06 00:17:09", 0, ("log content 2",)),
                 ("2016-10-06 00:17:10", 0, ("a long line in two", " parts")), ("2016-10-06 00:17:11", 0, ("done",))], 0),
    "docker.log": ([("2019-04-30 20:03:26", 0, ("Starting nginx",)), ("2019-04-30 20:03:27", 0, ("GET / HTTP/1.1 200",)),
                    ("2019-04-30 20:03:28", 0, ("upstream timed out",)),
                    ("2019-04-30 20:03:29", 0, ("GET /favicon.ico HTTP/1.1 404",))], 0),
    "hdfs_undecodable.log": ([("2008-11-09 20:36:15", None, ("PacketResponder 1 for block blk_38865049064139660",)),
                              ("2008-11-09 20:38:07", None, ("PacketResponder 0 for block blk_-6952295868487656571",)),
                              ("2008-11-09 20:40:05", None, ("is added to blk_7128370237687728475",)),
                              ("2008-11-09 20:41:06", None, ("PacketResponder 2 for block blk_-6670958622368987959",)),
                              ("2008-11-09 20:41:32", None, ("is added to blk_3050920587428079149",))], 1),
    "java_app.log": ([("2024-03-01 10:00:00", None, ("Started Application in 3.2 seconds",)),
                      ("2024-03-01 10:00:05", None, ("order failed", "IllegalStateException", "Caused by: java.sql.SQLException: deadlock", "... 12 more")),
                      ("2024-03-01 10:00:06", None, ("retrying order 17",)), ("2024-03-01 10:00:07", None, ("order 17 placed",)),
                      ("2024-03-01 10:00:09", None, ("payment call failed", "SocketTimeoutException", "SocketInputStream.java:150")),
                      ("2024-03-01 10:00:10", None, ("shutting down",))], 0),
    "logfmt.log": ([("2024-03-01 10:00:00", 0, ("request served",)), ("2024-03-01 10:00:01", 0, ('retrying "upstream"',)),
                    ("2024-03-01 10:00:02", 0, ("timeout",)), ("2024-03-01 10:00:03", 0, ("",)),
                    ("2024-03-01 10:00:04", 0, ("shutdown complete",))], 0),
    "python_app.log": ([("2024-03-01 10:00:00", None, ("job 1 started",)),
                        ("2024-03-01 10:00:00", None, ("job 1 failed", "Traceback", "ZeroDivisionError: division by zero")),
                        ("2024-03-01 10:00:01", None, ("job 2 started",)), ("2024-03-01 10:00:01", None, ("job 2 done",)),
                        ("2024-03-01 10:00:02", None, ("queue is empty",))], 0),
    "syslog3164.log": ([("10-11 22:14:15", None, ("Accepted publickey for alice",)), ("10-11 22:14:17", None, ("eth0: link down",)),
                        ("10-11 22:14:18", None, ("Started Daily apt upgrade.",)), ("10-11 22:14:19", None, ("eth0: link up, 1000 Mbps",)),
                        ("10-02 03:00:01", None, ("(root) CMD (run-parts /etc/cron.hourly)",))], 0),
    "syslog3164_pri.log": ([("10-11 22:14:15", None, ("'su root' failed for lonvick",)), ("10-11 22:14:16", None, ("Accepted publickey",)),
                            ("10-11 22:14:17", None, ("eth0: link down",)), ("10-02 03:00:01", None, ("(root) CMD",))], 0),
    "syslog5424.log": ([("2003-10-11 22:14:15", 0, ("An application event log entry",)),
                        ("2003-10-11 22:14:15", 0, ("'su root' failed for lonvick on /dev/pts/8",)),
                        ("2003-08-24 05:14:15", -7, ("It's time to make the do-nuts.",)),
                        ("2003-10-11 22:14:16", 0, ("two SD elements",))], 0),
}


def _time_ok(got: str | None, want: str, offset: float | None) -> bool:
    """``got`` ("YYYY-MM-DD HH:MM:SS", UTC or as written) is ``want`` as written or in UTC."""
    if not got:
        return False
    candidates = {want}
    if offset is not None and len(want) == 19:
        utc = dt.datetime.strptime(want, "%Y-%m-%d %H:%M:%S") - dt.timedelta(hours=offset)
        candidates.add(utc.strftime("%Y-%m-%d %H:%M:%S"))
    return any(got.endswith(c) if len(c) == 14 else got == c for c in candidates)


def judge(file: str, rows: list[dict]) -> tuple[bool, list[str]]:
    """Match the tool's records to the truth in order; return (read right, what was missed)."""
    want, extra_ok = TRUTH[file]
    misses, used = [], set()
    for when, offset, phrases in want:
        found = None
        for i, r in enumerate(rows):
            msg = r.get("msg") or ""
            if i in used or not all(p in msg for p in phrases if p):
                continue
            found = i
            break
        if found is None:
            misses.append(f"no record with {phrases!r}")
            continue
        used.add(found)
        r = rows[found]
        msg = r.get("msg") or ""
        if not _time_ok(r.get("ts"), when, offset):
            misses.append(f"time {r.get('ts')!r} for {when!r} ({phrases[0]!r})")
        if phrases == ("",) and not msg.strip():
            misses.append(f"empty message at {when!r}")
        if when[-8:] in msg or when.replace(" ", "T")[-14:] in msg:
            misses.append(f"header time left in message {msg[:60]!r}")
    extra = len(rows) - len(used)
    if extra > extra_ok:
        misses.append(f"{extra} record(s) beyond the truth (split or junk records)")
    return not misses, misses


def logsieve_rows(path: Path) -> list[dict]:
    from logsieve.ingest import read_records
    from logsieve.records import LogRecord

    rows = []
    for r in read_records(str(path)):
        if not isinstance(r, LogRecord):
            continue  # quarantined: not a record
        ts = None if r.timestamp is None else dt.datetime.fromtimestamp(r.timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        rows.append({"ts": ts, "msg": r.content})
    return rows


def formats_row(work: Path) -> dict:
    files = sorted(p for p in FIXTURES.iterdir() if p.name in TRUTH)
    theirs = last_json(run([PEER_PY, DRIVERS / "loglead_formats.py", *files], cwd=work))
    ours_ok, theirs_ok, detail = 0, 0, {}
    for p in files:
        ok_o, miss_o = judge(p.name, logsieve_rows(p))
        t = theirs[str(p)]
        ok_t, miss_t = judge(p.name, t["rows"]) if not t.get("error") else (False, [t["error"]])
        ours_ok += ok_o
        theirs_ok += ok_t
        detail[p.name] = {"logsieve": "read right" if ok_o else miss_o,
                          "loglead": "read right" if ok_t else miss_t, "loglead_detected": t.get("detected")}
    return {"formats_read": ours_ok, "loglead_formats_read": theirs_ok, "formats_files": len(files),
            "formats_detail": detail}


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setup", action="store_true", help="create benchmarks/.peers/venv and install the pinned peers")
    ap.add_argument("--json", action="store_true", help="last line of stdout is a JSON object")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--parse-repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="3 pairs, parse speed best of 1, no synlogplus")
    ap.add_argument("--only", default="speed,f1,parse,formats", help="comma list of rows to run")
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.setup:
        setup()
    if not PEER_PY.exists():
        raise SystemExit(f"no peers' venv at {PEERS / 'venv'}: run python benchmarks/peers.py --setup first")
    from logsieve.evaluate.loghub import default_data_dir

    data = args.data_dir or default_data_dir()
    pairs, repeat = (3, 1) if args.quick else (args.pairs, args.parse_repeat)
    rows = set(args.only.split(","))
    result: dict[str, object] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="peers_") as tmp:
        work = Path(tmp)
        steps = [("speed", lambda: speed_row(data, work, pairs)), ("f1", lambda: f1_row(data, work)),
                 ("parse", lambda: parsing_row(data, work, repeat, not args.quick)),
                 ("formats", lambda: formats_row(work))]
        for name, step in steps:
            if name not in rows:
                continue
            t = time.perf_counter()
            log(f"row {name} ...")
            result.update(step())
            result.setdefault("row_seconds", {})[name] = round(time.perf_counter() - t, 1)  # type: ignore[union-attr]
    result["quick"] = args.quick
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = f"{os.cpu_count()} cores, shared with other jobs; load average {os.getloadavg()[0]:.2f} at the end"
    text = _portable(json.dumps(result) if args.json else json.dumps(result, indent=2))
    print(text)
    return 0


def _portable(text: str) -> str:
    """The commands in the result name paths relative to the repository (and the data beside
    it), not this machine's: a result file is read on other machines."""
    data = str(ROOT.parent / "shared")
    return text.replace(str(ROOT) + "/", "").replace(data + "/", "../shared/").replace(data, "../shared")


if __name__ == "__main__":
    raise SystemExit(main())
