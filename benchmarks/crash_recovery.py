#!/usr/bin/env python3
"""Crash recovery of `logsieve serve`: SIGKILL at random points while ingesting, restart each time.

The labelled stream is the bundled HDFS sample (examples/hdfs/HDFS_demo.log.gz, 26,145 lines,
1,200 labelled blocks) sent over HTTP in bodies of ``--body`` lines.

1. Reference: one uninterrupted service ingests the whole stream, then ``POST /admin/flush``.
2. Crash run: a fresh store; ``--kills`` (20) points drawn with ``--seed`` over the stream.
   For each point the client sends up to it, waits a random 0-``--max-delay`` s (so the kill
   lands mid-parse, mid-judge or mid-checkpoint), and the service is SIGKILLed. The next
   service on the same store is asked where the source stands (``GET /sources``) and the client
   resumes right after that, as a real shipper would. After the last point: the rest, a flush.
3. Compared by verdict identity (sequence key + first line): ``lost`` = in the reference, not
   in the crash run; ``duplicated`` = verdicts of the crash run beyond the reference (an
   identity not in the reference, i.e. a sequence split or replayed under another identity)
   plus lines judged more often than in the reference; ``mismatched`` = same identity, other
   status, template ids or lines. Targets: 0, 0, 0. Also F1 against the block labels, both runs.

Usage: python benchmarks/crash_recovery.py [--kills 20] [--seed 7] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_common import REPO, Serve, demo_lines, model_dir, write_config  # noqa: E402

SOURCE = "hdfs"


def send(serve: Serve, lines: list[str], start: int, stop: int, body: int) -> None:
    for i in range(start, stop, body):
        r = serve.client.post(f"/ingest?source={SOURCE}", content="\n".join(lines[i:min(i + body, stop)]) + "\n",
                              headers={"Content-Type": "text/plain"})
        if r.status_code != 202:
            raise RuntimeError(f"/ingest answered {r.status_code}: {r.text[:200]}")


def verdicts(db: Path) -> tuple[dict[str, tuple], Counter]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT identity, seq_key, status, template_ids FROM verdicts").fetchall()
        lines = Counter(conn.execute("SELECT source, line_no FROM service_verdict_lines").fetchall())
        per = dict(conn.execute("SELECT v.identity, COUNT(l.pos) FROM verdicts v LEFT JOIN service_verdict_lines l "
                                "ON l.verdict_id = v.id GROUP BY v.id").fetchall())
    finally:
        conn.close()
    return {i: (k, s, t, per.get(i, 0)) for i, k, s, t in rows}, lines


def f1(found: dict[str, tuple], labels: dict[str, int]) -> float:
    flagged = {k for k, s, _, _ in found.values() if s == "abnormal"}
    truth = {k for k, y in labels.items() if y}
    tp = len(flagged & truth)
    return round(2 * tp / (len(flagged) + len(truth)), 4) if flagged or truth else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--body", type=int, default=500, help="lines per POST /ingest")
    ap.add_argument("--max-delay", type=float, default=0.5, help="seconds between the last body and the kill, at most")
    ap.add_argument("--model", type=Path, default=None, help="default: PCA trained on the bundled sample")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON result here")
    args = ap.parse_args()

    model = model_dir(args.model)
    lines = demo_lines()
    labels = {row["BlockId"]: int(row["Label"] == "Anomaly")
              for row in csv.DictReader(open(REPO / "examples" / "hdfs" / "anomaly_label.csv"))}
    work = Path(tempfile.mkdtemp(prefix="logsieve-crash-"))
    config = write_config(work / "serve.yaml")
    t0 = time.perf_counter()

    ref = Serve(model, work / "ref.db", config)
    send(ref, lines, 0, len(lines), args.body)
    ref.client.post("/admin/flush", params={"timeout_s": 600})
    ref.stop()
    reference_seconds = time.perf_counter() - t0

    rng = random.Random(args.seed)
    points = sorted(rng.sample(range(1, len(lines)), args.kills))
    store = work / "crash.db"
    resumed, starts, kills = [], [], []
    sent = 0
    for point in points:
        serve = Serve(model, store, config)
        starts.append(round(serve.start_seconds, 2))
        taken = serve.lines_taken(SOURCE)
        if taken != sent:
            raise RuntimeError(f"the store holds {taken} lines but {sent} were acknowledged")
        resumed.append(serve.client.get("/health").json()["restored"])
        send(serve, lines, taken, max(point, taken), args.body)
        sent = max(point, taken)
        delay = rng.uniform(0, args.max_delay)
        time.sleep(delay)
        serve.kill()
        kills.append({"after_line": sent, "delay_s": round(delay, 3)})
    serve = Serve(model, store, config)
    taken = serve.lines_taken(SOURCE)
    lost_acked = sent - taken
    send(serve, lines, taken, len(lines), args.body)
    serve.client.post("/admin/flush", params={"timeout_s": 600})
    serve.stop()

    expected, ref_lines = verdicts(work / "ref.db")
    got, got_lines = verdicts(store)
    lost = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    over = sum(max(0, n - ref_lines.get(k, 0)) for k, n in got_lines.items())
    mismatched = sorted(i for i in set(expected) & set(got) if expected[i] != got[i])
    result = {
        "benchmark": "crash_recovery", "stream": "examples/hdfs/HDFS_demo.log.gz", "lines": len(lines),
        "kills": args.kills, "seed": args.seed, "body_lines": args.body,
        "reference_verdicts": len(expected), "crash_run_verdicts": len(got),
        "lost": len(lost), "duplicated": len(extra) + over, "extra_identities": len(extra),
        "lines_judged_more_than_reference": over, "mismatched": len(mismatched),
        "acknowledged_lines_missing_after_restart": lost_acked,
        "lines_in_verdicts": {"reference": sum(ref_lines.values()), "crash_run": sum(got_lines.values())},
        "f1": {"reference": f1(expected, labels), "crash_run": f1(got, labels)},
        "restarts_resumed_from_checkpoint": sum(r.startswith("resumed") for r in resumed[1:]),
        "restart_seconds_median": sorted(starts)[len(starts) // 2],
        "kill_points": kills, "reference_seconds": round(reference_seconds, 1),
        "seconds": round(time.perf_counter() - t0, 1),
        "examples": {"lost": lost[:5], "extra": extra[:5], "mismatched": mismatched[:5]},
    }
    text = json.dumps(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    if not args.json:
        print(f"lost {result['lost']}, duplicated {result['duplicated']}, mismatched {result['mismatched']} "
              f"over {args.kills} kills ({len(expected)} reference verdicts)")
    print(text)


if __name__ == "__main__":
    main()
