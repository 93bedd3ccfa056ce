#!/usr/bin/env python3
"""Fuzz the way in: 100,000+ generated inputs through the real app's ``POST /ingest`` and the
readers of ``logsieve.ingest``; counts crashes, unhandled 5xx and quarantined lines.

Inputs come from a seeded mutation fuzzer (reproducible with ``--seed``): seeds are real HDFS
lines, NDJSON objects, prompt-injection lines and random bytes; each input is a seed body
mutated 0-6 times (bit flips, invalid UTF-8, NUL and control bytes, stray ``\\r``/``\\n``/BOM,
JSON punctuation, deleted/duplicated/spliced chunks, truncation, over-long lines, bodies over
the size limit), sent with a content type that is valid, half valid (odd parameters, other
charsets, odd case) or junk, and an odd ``?source=`` now and then.

* ``/ingest``: the app (:func:`logsieve.service.app.create_app` over a real
  :class:`Service` with the small model, detection thread running, SQLite store) driven
  in-process through fastapi's TestClient with server exceptions turned into 500s, so an
  unhandled error shows as a 5xx instead of stopping the run. For every 202 the counts are
  checked against ``split_body`` on the same input, and at the end every quarantined row in the
  store must have a reason and a detail, and their number must equal the quarantined total
  the 202s reported.
* readers: ``read_records`` over an in-memory stream with a random format, line limit and
  block size; ``IngestStats`` must stay consistent (every line read is a record or a
  quarantine record with its reason).

Usage: nice -n 10 python benchmarks/fuzz.py [--inputs 100000] [--reader-inputs 100000] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_common import REPO, demo_lines, model_dir  # noqa: E402

INJECTION = REPO / "tests" / "llm" / "data" / "injection_lines.txt"
GOOD_TYPES = ["text/plain", "text/plain; charset=utf-8", "application/x-ndjson", "application/ndjson",
              "application/jsonl", "application/x-jsonlines; charset=UTF-8"]
ODD_TYPES = ["TEXT/PLAIN; Charset=\"utf-8\"", "text/plain;;", "text/plain; charset=latin-1", "application/json",
             "application/x-ndjson; charset=utf-16", "text/html", "multipart/form-data; boundary=--x", "", ";",
             "text/plain; charset=", "application/x-ndjson; q=0.5; charset=ascii", "text/plain\x00",
             "tëxt/plain", "text/plain; charset=utf-8; charset=latin-1", " text/plain "]
ODD_SOURCES = ["app", "x" * 201, "", "a\x00b", "ünï/日志", "%00", "a b", "../../etc/passwd", "\t"]
INTERESTING = [b"\xff", b"\xfe", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\n", b"\r",
               b"\r\n", b"\xef\xbb\xbf", b"{", b"}", b"\"", b"\\", b"\\u", b"\\ud800", b"[", b"]", b":", b",",
               b"\x1b[31m", b"\t", b"\x7f", b"\xe2\x80\xa8"]


class Mutator:
    """Seeded bodies and content types."""

    def __init__(self, rng: random.Random, max_line_bytes: int, max_body_bytes: int) -> None:
        self.rng = rng
        self.max_line = max_line_bytes
        self.max_body = max_body_bytes
        lines = demo_lines()[:5000]
        self.lines = lines + INJECTION.read_text("utf-8").splitlines()

    def seed(self) -> tuple[bytes, str]:
        r = self.rng
        pick = r.random()
        chosen = [r.choice(self.lines) for _ in range(r.randint(1, 40))]
        if pick < 0.45:
            return "\n".join(chosen).encode() + (b"\n" if r.random() < 0.7 else b""), "text"
        if pick < 0.85:
            objs = []
            for line in chosen:
                roll = r.random()
                if roll < 0.7:
                    obj: object = {"line": line, **({"source": r.choice(["a", "b", "", 5, None])} if r.random() < 0.3 else {})}
                elif roll < 0.8:
                    obj = {"line": r.choice([5, None, [], {}, line * 50, "a\nb"])}
                elif roll < 0.9:
                    obj = [line]
                else:
                    obj = r.choice([None, 1e308, -0.0, "line", {"lines": [line]}, {"line": line, "x": {"y": [1, 2]}}])
                objs.append(json.dumps(obj, ensure_ascii=r.random() < 0.5).encode())
            return b"\n".join(objs), "ndjson"
        return bytes(r.getrandbits(8) for _ in range(r.randint(0, 600))), "bytes"

    def mutate(self, body: bytes) -> bytes:
        r = self.rng
        for _ in range(r.choice([0, 0, 1, 1, 2, 3, 6])):
            op = r.randrange(8)
            at = r.randint(0, len(body))
            if op == 0 and body:  # bit flip
                i = r.randrange(len(body))
                body = body[:i] + bytes([body[i] ^ (1 << r.randrange(8))]) + body[i + 1:]
            elif op == 1:
                body = body[:at] + r.choice(INTERESTING) + body[at:]
            elif op == 2 and body:  # delete a chunk
                body = body[:at] + body[at + r.randint(1, 64):]
            elif op == 3 and body:  # duplicate a chunk
                chunk = body[at:at + r.randint(1, 200)]
                body = body[:at] + chunk * r.randint(2, 5) + body[at:]
            elif op == 4:
                body = body[:at]
            elif op == 5:  # an over-long line
                body = body[:at] + b"A" * (self.max_line + r.randint(1, 100)) + body[at:]
            elif op == 6:
                other, _ = self.seed()
                body = body[:at] + other[r.randint(0, len(other)):]
            elif op == 7 and r.random() < 0.05:  # rarely: over the body limit
                body = body + b"x" * (self.max_body + 1 - len(body)) if len(body) <= self.max_body else body
        return body

    def content_type(self, kind: str) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.8:
            want = "text" if kind == "text" else "ndjson" if kind == "ndjson" else r.choice(["text", "ndjson"])
            choices = [t for t in GOOD_TYPES if ("text" in t) == (want == "text")]
            return r.choice(choices)
        if roll < 0.97:
            return r.choice(ODD_TYPES)
        return "".join(chr(r.randint(0, 0x2FF)) for _ in range(r.randint(0, 30)))

    def next(self) -> tuple[bytes, str, str | None]:
        body, kind = self.seed()
        source = self.rng.choice(ODD_SOURCES) if self.rng.random() < 0.08 else None
        return self.mutate(body), self.content_type(kind), source


def fuzz_app(n: int, mut: Mutator, cfg_kw: dict, progress) -> dict:
    from fastapi.testclient import TestClient

    from logsieve.service.app import Service, create_app
    from logsieve.service.config import ServeConfig
    from logsieve.service.ingest_body import split_body

    store = Path(tempfile.mkdtemp(prefix="logsieve-fuzz-")) / "fuzz.db"
    cfg = ServeConfig(model=model_dir(None), store=store, llm=None, **cfg_kw)
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    samples: list[dict] = []
    crashes = mismatches = accepted = quarantined = 0
    start = time.perf_counter()
    service = Service(cfg)
    with TestClient(create_app(service, None), raise_server_exceptions=False) as client:
        for i in range(n):
            body, ctype, source = mut.next()
            raw_type = ctype.encode("utf-8", "surrogatepass")
            headers = {"Content-Type": raw_type} if ctype else {}
            params = {} if source is None else {"source": source}
            try:
                r = client.post("/ingest", content=body, headers=headers, params=params)
            except Exception as exc:  # the app raising through the test client = a crash
                crashes += 1
                samples.append({"input": i, "error": repr(exc)[:300], "trace": traceback.format_exc()[-800:]})
                continue
            statuses[str(r.status_code)] += 1
            if r.status_code >= 500:
                samples.append({"input": i, "status": r.status_code, "body": r.text[:300], "content_type": ctype})
            elif r.status_code == 202:
                doc = r.json()
                batch = split_body(body, raw_type.decode("latin-1"), cfg.max_line_bytes)
                accepted += doc["accepted"]
                quarantined += doc["quarantined"]
                reasons.update(q.reason.value for q in batch.quarantined)
                if (doc["accepted"], doc["quarantined"]) != (len(batch.lines), len(batch.quarantined)):
                    mismatches += 1
            progress(i + 1)
            if (i + 1) % 5000 == 0:
                print(f"[fuzz] /ingest {i + 1}/{n} in {time.perf_counter() - start:.0f} s, 5xx so far "
                      f"{sum(v for k, v in statuses.items() if k.startswith('5'))}, crashes {crashes}",
                      file=sys.stderr, flush=True)
        rows = service.store.connection.execute(
            "SELECT COUNT(*), SUM(reason = '' OR detail = '') FROM service_quarantine").fetchone()
        health = client.get("/health").json()
    seconds = time.perf_counter() - start
    fivexx = sum(v for k, v in statuses.items() if k.startswith("5"))
    return {"inputs": n, "seconds": round(seconds, 1), "inputs_per_s": round(n / seconds, 1), "crashes": crashes,
            "unhandled_5xx": fivexx, "status_counts": dict(sorted(statuses.items())), "lines_accepted": accepted,
            "lines_quarantined": quarantined, "quarantined_by_reason": dict(reasons.most_common()),
            "count_mismatches_vs_split_body": mismatches,
            # the store also holds lines the detection thread set aside (not matching the
            # model's log format), so its count is at least the 202s' quarantined total
            "store_quarantine_rows": rows[0],
            "store_rows_without_reason": rows[1] or 0, "health_after": health.get("status"),
            "lines_in_after": health.get("lines_in"), "samples": samples[:10]}


def fuzz_readers(n: int, mut: Mutator, progress) -> dict:
    from logsieve.ingest import IngestStats, read_records
    from logsieve.records import QuarantineRecord

    r = mut.rng
    formats = ["raw", "HDFS", "BGL", "Apache", "Linux", "OpenSSH", "Zookeeper"]
    crashes = inconsistent = no_reason = lines = 0
    reasons: Counter[str] = Counter()
    samples: list[dict] = []
    start = time.perf_counter()
    for i in range(n):
        body, _, _ = mut.next()
        fmt, limit, chunk = r.choice(formats), r.choice([1, 16, 256, 2048, 1_000_000]), r.choice([1, 7, 64, 65536])
        stats = IngestStats()
        try:
            for item in read_records(io.BytesIO(body), fmt, max_line_bytes=limit, stats=stats, chunk_bytes=chunk):
                if isinstance(item, QuarantineRecord) and not (item.reason and item.detail):
                    no_reason += 1
        except Exception as exc:
            crashes += 1
            samples.append({"input": i, "format": fmt, "error": repr(exc)[:300], "trace": traceback.format_exc()[-800:]})
            continue
        if not stats.consistent:
            inconsistent += 1
        lines += stats.lines_read
        reasons.update(stats.by_reason)
        progress(i + 1)
    seconds = time.perf_counter() - start
    return {"inputs": n, "seconds": round(seconds, 1), "inputs_per_s": round(n / seconds, 1), "crashes": crashes,
            "inconsistent_stats": inconsistent, "quarantined_without_reason": no_reason, "lines_read": lines,
            "quarantined_by_reason": dict(reasons.most_common()), "samples": samples[:10]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000, help="requests to POST /ingest")
    ap.add_argument("--reader-inputs", type=int, default=100_000, help="streams through read_records")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-body-bytes", type=int, default=64 * 1024)
    ap.add_argument("--max-line-bytes", type=int, default=2048)
    ap.add_argument("--json", action="store_true", help="last stdout line: one JSON object")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args()

    from rich.progress import Progress

    cfg_kw = {"grouping": {"kind": "session", "idle_lines": 2000}, "batch_size": 64, "max_wait_s": 0.5,
              "checkpoint_s": 1.0, "max_body_bytes": args.max_body_bytes, "max_line_bytes": args.max_line_bytes}
    with Progress(transient=True) as bar:
        t1 = bar.add_task("POST /ingest", total=args.inputs)
        app = fuzz_app(args.inputs, Mutator(random.Random(args.seed), args.max_line_bytes, args.max_body_bytes),
                       cfg_kw, lambda k: bar.update(t1, completed=k) if k % 200 == 0 else None)
        t2 = bar.add_task("readers", total=args.reader_inputs)
        readers = fuzz_readers(args.reader_inputs,
                               Mutator(random.Random(args.seed + 1), args.max_line_bytes, args.max_body_bytes),
                               lambda k: bar.update(t2, completed=k) if k % 500 == 0 else None)
    result = {"benchmark": "fuzz", "seed": args.seed, "total_inputs": args.inputs + args.reader_inputs,
              "crashes": app["crashes"] + readers["crashes"], "unhandled_5xx": app["unhandled_5xx"],
              "ingest": app, "readers": readers,
              "command": "python benchmarks/fuzz.py " + " ".join(sys.argv[1:])}
    print(f"/ingest: {app['inputs']} inputs in {app['seconds']} s, crashes {app['crashes']}, 5xx {app['unhandled_5xx']}, "
          f"statuses {app['status_counts']}, quarantined {app['lines_quarantined']} lines "
          f"({app['quarantined_by_reason']}), count mismatches {app['count_mismatches_vs_split_body']}")
    print(f"readers: {readers['inputs']} inputs in {readers['seconds']} s, crashes {readers['crashes']}, "
          f"inconsistent {readers['inconsistent_stats']}, quarantined {readers['quarantined_by_reason']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result))
    sys.exit(1 if result["crashes"] or result["unhandled_5xx"] else 0)


if __name__ == "__main__":
    main()
