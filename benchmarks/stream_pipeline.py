#!/usr/bin/env python3
"""Does sequencing + feature extraction keep up with the parser, and is memory bounded?

1. Speed (same run, interleaved, best of ``--repeat``) on the HDFS 2% sample file:
   * ``parse``: read + header match + Drain (``parse_stream``), every ParsedLine consumed;
   * ``pipeline``: the same, plus block-id sessions (``IdSessionGrouper`` with its defaults,
     the grouping of the ``hdfs-sample`` data set: 11,501 whole blocks) and a template-count
     vector for every closed session (``TemplateCounter.count``).
   ``ratio`` = parse seconds / pipeline seconds (1.0 means sessions + counts are free).
2. Memory on a long stream: a gzip file of ``--lines`` lines (default 1,000,000) made by
   replaying the HDFS sample with fresh block ids and timestamps shifted forward on each pass,
   so every pass opens new sessions. The pipeline runs in a child process per size (a quarter
   of the lines, then all of them) and reports its peak RSS; bounded memory means the two
   peaks are close although the second stream is four times longer. Sessions close after
   ``--idle-seconds`` of event time and at most ``--max-open`` are open at once.

Usage: python benchmarks/stream_pipeline.py [--json] [--data-dir DIR] [--repeat N] [--lines N]
The last line with --json is one object with ``ratio``, ``parse_lines_per_s``,
``pipeline_lines_per_s``, ``peak_rss_mb`` (for --lines) and ``peak_rss_mb_quarter``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from logsieve.evaluate.loghub import default_data_dir
from logsieve.features.config import CountsConfig
from logsieve.features.counts import TemplateCounter
from logsieve.ingest import get_format
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainParser
from logsieve.sessions import IdSessionGrouper, SessionConfig

_BLK = re.compile(r"blk_(-?)(\d+)")


def sample_path(data_dir: Path) -> Path:
    return data_dir / "hdfs_sample" / "HDFS_sample.log.gz"


def run_parse(path: Path) -> tuple[float, int]:
    cfg = ParseJobConfig(sources=(str(path),), log_format=get_format("HDFS"))
    start = time.perf_counter()
    n = sum(1 for _ in parse_stream(cfg, DrainParser(cfg.drain), ParseSummary()))
    return time.perf_counter() - start, n


def run_pipeline(path: Path, session: SessionConfig) -> tuple[float, int, int]:
    cfg = ParseJobConfig(sources=(str(path),), log_format=get_format("HDFS"))
    grouper = IdSessionGrouper(session)
    counter = TemplateCounter(CountsConfig(grow=True))
    count = counter.count
    sequences = 0
    start = time.perf_counter()
    for line in parse_stream(cfg, DrainParser(cfg.drain), ParseSummary()):
        for seq in grouper.push(line):
            count(seq)
            sequences += 1
    for seq in grouper.flush():
        count(seq)
        sequences += 1
    return time.perf_counter() - start, sequences, grouper.open_count


def speed(path: Path, session: SessionConfig, repeat: int) -> dict:
    parse_t, pipe_t, lines, sequences = [], [], 0, 0
    for _ in range(repeat):  # interleaved, so the machine's drift hits both alike
        t, lines = run_parse(path)
        parse_t.append(t)
        t, sequences, _ = run_pipeline(path, session)
        pipe_t.append(t)
    best_parse, best_pipe = min(parse_t), min(pipe_t)
    return {
        "lines": lines,
        "sequences": sequences,
        "parse_lines_per_s": round(lines / best_parse, 1),
        "pipeline_lines_per_s": round(lines / best_pipe, 1),
        "ratio": round(best_parse / best_pipe, 3),
    }


def make_long_stream(sample: Path, out: Path, lines: int) -> None:
    """Replay the sample with new block ids and later dates on each pass until ``lines``."""
    with gzip.open(sample, "rt", encoding="utf-8") as fh:
        base = fh.read().splitlines()
    written, shift = 0, 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as dst:
        while written < lines:
            for raw in base[: lines - written]:
                if shift:
                    raw = _BLK.sub(lambda m: f"blk_{m.group(1)}{int(m.group(2)) + shift}", raw)
                    # HDFS dates are yymmdd: move each pass one year later
                    raw = f"{int(raw[:2]) + shift // 10**15:02d}{raw[2:]}"
                dst.write(raw + "\n")
            written += min(len(base), lines - written)
            shift += 10**15


def child_peak_rss(path: Path, session: SessionConfig) -> dict:
    """Run the pipeline in a fresh process; return its peak RSS (VmHWM) and counts.

    VmHWM belongs to the process image, so it starts fresh at exec; ``ru_maxrss`` would carry
    this (parent) process's peak into the child.
    """
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, %r)\n"
        "from stream_pipeline import run_pipeline\n"
        "from logsieve.sessions import SessionConfig\n"
        "t, seqs, still_open = run_pipeline(Path(%r), SessionConfig.model_validate_json(%r))\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
        "print(json.dumps({'seconds': round(t, 2), 'sequences': seqs,"
        " 'peak_rss_mb': round(int(hwm) / 1024, 1)}))\n"
    ) % (str(Path(__file__).parent), str(path), session.model_dump_json())
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def memory(sample: Path, session: SessionConfig, lines: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        quarter, full = Path(tmp) / "quarter.log.gz", Path(tmp) / "full.log.gz"
        make_long_stream(sample, quarter, lines // 4)
        make_long_stream(sample, full, lines)
        q = child_peak_rss(quarter, session)
        f = child_peak_rss(full, session)
    return {
        "stream_lines": lines,
        "peak_rss_mb": f["peak_rss_mb"],
        "peak_rss_mb_quarter": q["peak_rss_mb"],
        "stream_sequences": f["sequences"],
        "stream_seconds": f["seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lines", type=int, default=1_000_000, help="length of the memory-test stream")
    ap.add_argument("--idle-seconds", type=float, default=3600.0)
    ap.add_argument("--max-open", type=int, default=20_000)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sample = sample_path(args.data_dir or default_data_dir())
    if not sample.exists():
        raise SystemExit(f"{sample} not found; pass --data-dir (the folder holding hdfs_sample/)")
    session = SessionConfig(idle_seconds=args.idle_seconds, max_open=args.max_open)
    # speed: the hdfs-sample data set's grouping (whole blocks, no idle timeout);
    # memory: a long-running stream has to close idle sessions, so the timeout is on
    result = {**speed(sample, SessionConfig(), args.repeat),
              "session": session.model_dump(mode="json")}
    print(f"HDFS sample, {result['lines']:,} lines, {result['sequences']:,} sessions: parse "
          f"{result['parse_lines_per_s']:,.0f} lines/s, parse+sessions+counts "
          f"{result['pipeline_lines_per_s']:,.0f} lines/s, ratio {result['ratio']:.2f}", file=sys.stderr)
    if not args.no_memory:
        result.update(memory(sample, session, args.lines))
        print(f"{args.lines:,}-line stream: peak RSS {result['peak_rss_mb']} MB "
              f"({args.lines // 4:,} lines: {result['peak_rss_mb_quarter']} MB), "
              f"{result['stream_sequences']:,} sessions", file=sys.stderr)
    result["self_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
