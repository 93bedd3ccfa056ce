#!/usr/bin/env python3
"""What LogLead's AutoLoader reads from each format fixture: one row per record it makes.

Runs with the peers' Python. ``AutoLoader(filename=FILE).execute()`` detects the format and
loads the file; for each row we keep ``m_timestamp`` (rendered ``YYYY-MM-DD HH:MM:SS`` in UTC
when it carries a zone, as written otherwise) and ``m_message``. The caller judges the rows
against the fixtures' truth (benchmarks/peers.py), the same way it judges logsieve's records.

Usage: python loglead_formats.py FILE...   (last line of stdout: JSON {file: {...}})
"""

from __future__ import annotations

import json
import sys
import warnings

import polars as pl
from loglead.loaders import AutoLoader

warnings.filterwarnings("ignore")


def rows_of(path: str) -> dict:
    try:
        loader = AutoLoader(filename=path)
        df = loader.execute()
    except Exception as exc:  # a file it cannot load is a miss, reported with its error
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "rows": []}
    try:
        det = loader.detections()
        detected = [f"{r[0]} {r[1]}" for r in det.select("loader", "format").rows()]
    except Exception:  # detections() is informative only
        detected = []
    ts = df["m_timestamp"] if "m_timestamp" in df.columns else pl.Series([None] * df.height)
    if isinstance(ts.dtype, pl.Datetime) and ts.dtype.time_zone:
        ts = ts.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    if isinstance(ts.dtype, pl.Datetime):
        ts = ts.dt.strftime("%Y-%m-%d %H:%M:%S")
    else:
        ts = ts.cast(pl.Utf8)
    msgs = df["m_message"].cast(pl.Utf8).to_list() if "m_message" in df.columns else [None] * df.height
    return {"detected": detected, "columns": df.columns,
            "rows": [{"ts": t, "msg": m} for t, m in zip(ts.to_list(), msgs)]}


def main(paths: list[str]) -> int:
    print(json.dumps({p: rows_of(p) for p in paths}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
