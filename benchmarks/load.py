#!/usr/bin/env python3
"""Load on `logsieve serve` over loopback: a steady rate of lines for a bounded time.

A client thread posts ``--rate`` lines per second to ``POST /ingest`` as one body every
``--tick`` seconds (a shipper's batching), for ``--minutes`` (default 10). The lines are the
bundled HDFS sample replayed pass after pass with fresh block ids on each pass, so every pass
opens new sessions as a live system would. The service runs as a child process with the
small model only (``--llm none`` by default: this measures the service, not an LLM).

Reported (the last stdout line is one JSON object with ``--json``):

* ``sustained_lines_per_s``: lines the detection thread got through per second over the run
  (parsed, grouped and judged or held in an open session), next to ``offered_lines_per_s``;
  the service keeps up when the two match and ``backlog_lines`` stays near zero;
* ``ingest_latency_ms``: p50/p99/max of ``POST /ingest`` as the client saw it (request out to
  202, the lines durable in SQLite);
* ``rss_mb``: the server's resident memory sampled every ``--sample`` seconds (flat means no
  leak: compare ``rss_mb_first_minute`` with ``rss_mb_last_minute``);
* ``late_ticks``: ticks the client could not send on time (the client, not the server, fell behind).

Usage: python benchmarks/load.py [--minutes 10] [--rate 2000] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_common import Serve, demo_lines, model_dir, write_config  # noqa: E402

BLOCK = re.compile(r"blk_(-?\d+)")


def replay(lines: list[str]):
    """The sample again and again, block ids made unique per pass (``blk_123`` -> ``blk_123p7``
    is not a valid id for the pattern, so the pass number is appended as digits)."""
    n = 0
    while True:
        n += 1
        suffix = f"{n:04d}"
        for line in lines:
            yield BLOCK.sub(lambda m: f"blk_{m.group(1)}{suffix}", line)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] if ordered else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=2000, help="lines per second offered")
    ap.add_argument("--tick", type=float, default=0.2, help="seconds between bodies")
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between RSS / backlog samples")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--llm", default="none")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="logsieve-load-"))
    serve = Serve(model_dir(args.model), work / "load.db", write_config(work / "serve.yaml"), llm=args.llm)
    stream = replay(demo_lines())
    per_tick = max(1, round(args.rate * args.tick))
    latencies: list[float] = []
    sent = 0
    late = 0
    errors: dict[str, int] = {}
    stop_at = time.monotonic() + args.minutes * 60
    samples: list[dict] = []
    done = threading.Event()

    def sampler() -> None:
        start = time.monotonic()
        while not done.is_set():
            h = serve.client.get("/health").json()
            samples.append({"t": round(time.monotonic() - start, 1), "rss_mb": round(serve.rss_mb(), 1),
                            "lines_in": h["lines_in"], "backlog": h["backlog"], "sequences": h["sequences"],
                            "open_sequences": h["open_sequences"], "store_connections": h.get("store_connections")})
            done.wait(args.sample)

    import httpx

    watcher = threading.Thread(target=sampler, daemon=True)
    client = httpx.Client(base_url=serve.url, timeout=60)
    begin = time.monotonic()
    watcher.start()
    next_tick = begin
    while next_tick < stop_at:
        body = "\n".join(next(stream) for _ in range(per_tick)) + "\n"
        t0 = time.perf_counter()
        r = client.post("/ingest?source=load", content=body, headers={"Content-Type": "text/plain"})
        latencies.append(time.perf_counter() - t0)
        if r.status_code == 202:
            sent += r.json()["accepted"]
        else:
            errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
        next_tick += args.tick
        pause = next_tick - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            late += 1
    elapsed = time.monotonic() - begin
    done.set()
    watcher.join(30)
    final = serve.client.get("/health").json()
    client.close()
    serve.stop()

    processed = final["lines_in"] - final["backlog"]
    minute = 60.0 / args.sample
    first = [s["rss_mb"] for s in samples[: max(1, int(minute))]]
    last = [s["rss_mb"] for s in samples[-max(1, int(minute)):]]
    result = {
        "benchmark": "load", "minutes": round(elapsed / 60, 2), "offered_lines_per_s": args.rate,
        "accepted_lines": sent, "accepted_lines_per_s": round(sent / elapsed, 1),
        "sustained_lines_per_s": round(processed / elapsed, 1), "backlog_lines_at_end": final["backlog"],
        "max_backlog_lines": max((s["backlog"] for s in samples), default=0),
        "sequences_judged": final["sequences"], "ingest_requests": len(latencies),
        "lines_per_request": per_tick, "errors": errors, "late_ticks": late,
        "ingest_latency_ms": {"p50": round(quantile(latencies, 0.5) * 1000, 2),
                              "p99": round(quantile(latencies, 0.99) * 1000, 2),
                              "max": round(max(latencies, default=0) * 1000, 2)},
        "rss_mb_first_minute": round(sum(first) / len(first), 1) if first else None,
        "rss_mb_last_minute": round(sum(last) / len(last), 1) if last else None,
        "rss_mb_max": max((s["rss_mb"] for s in samples), default=None),
        "llm": args.llm, "samples": samples,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    if not args.json:
        print(f"{result['sustained_lines_per_s']} lines/s sustained of {args.rate} offered; ingest p99 "
              f"{result['ingest_latency_ms']['p99']} ms; RSS {result['rss_mb_first_minute']} -> "
              f"{result['rss_mb_last_minute']} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
