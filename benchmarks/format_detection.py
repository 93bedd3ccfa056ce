#!/usr/bin/env python3
"""Format detection (issue 19): does `logsieve formats --detect` name the right format?

1. The 16 loghub-2k logs (loghub_2k/<System>/<System>_2k.log under the data folder): the right
   answer is the preset named after the system.
2. The fixtures in tests/fixtures/formats: the right answer is written below (EXPECTED).

Each file is detected exactly as ``logsieve formats --detect FILE`` does it (the first 200
non-empty lines). Prints one row per file and, with --json, a last line
``{"right": n, "of": 16, "misses": [...], "fixtures_right": n, "fixtures_of": m, ...}``.

Usage: python benchmarks/format_detection.py [--json] [--data-dir DIR]
Data folder: --data-dir, else $LOGSIEVE_DATA_DIR, else ../shared/data beside the repository.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from logsieve.evaluate.loghub import LOGHUB_2K_SYSTEMS, default_data_dir
from logsieve.ingest.detect import detect_file_format

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "formats"
EXPECTED = {
    "app.jsonl": "json", "docker.log": "docker", "cri.log": "cri", "logfmt.log": "logfmt",
    "syslog3164_pri.log": "syslog-3164", "syslog3164.log": "syslog-3164", "syslog5424.log": "syslog-5424",
    "java_app.log": "stamped", "python_app.log": "stamped", "hdfs_undecodable.log": "HDFS",
}


def run(files: dict[str, Path], expected: dict[str, str]) -> list[dict]:
    rows = []
    for key, path in files.items():
        start = time.perf_counter()
        guess = detect_file_format(path)
        rows.append({"file": key, "expected": expected[key], "format": guess.format,
                     "confidence": guess.confidence, "multiline": guess.multiline,
                     "next": guess.alternatives[0][0] if guess.alternatives else None,
                     "ms": round((time.perf_counter() - start) * 1000, 1)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="last line of stdout: a JSON summary")
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    root = (args.data_dir or default_data_dir()) / "loghub_2k"
    logs = {s: root / s / f"{s}_2k.log" for s in LOGHUB_2K_SYSTEMS if (root / s / f"{s}_2k.log").is_file()}
    loghub = run(logs, {s: s for s in logs})
    fixtures = run({n: FIXTURES / n for n in EXPECTED}, EXPECTED)
    print(f"{'file':<22} {'expected':<12} {'chosen':<12} {'sure':>5}  multi  next best")
    for r in loghub + fixtures:
        mark = "" if r["format"] == r["expected"] else "  MISS"
        print(f"{r['file']:<22} {r['expected']:<12} {r['format']:<12} {r['confidence']:>5.2f}  "
              f"{'yes' if r['multiline'] else 'no ':<5}  {r['next'] or '-'}{mark}")
    summary = {
        "right": sum(r["format"] == r["expected"] for r in loghub), "of": len(loghub),
        "misses": [r["file"] for r in loghub if r["format"] != r["expected"]],
        "fixtures_right": sum(r["format"] == r["expected"] for r in fixtures), "fixtures_of": len(fixtures),
        "fixture_misses": [r["file"] for r in fixtures if r["format"] != r["expected"]],
        "max_ms": max(r["ms"] for r in loghub + fixtures),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"loghub: {summary['right']}/{summary['of']} right; fixtures: "
              f"{summary['fixtures_right']}/{summary['fixtures_of']} right")


if __name__ == "__main__":
    main()
