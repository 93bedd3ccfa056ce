#!/usr/bin/env python3
"""LogLead's parsers (Drain, Tipping, Brain) and drain3 0.9.11 on labelled parsing sets.

Runs with the peers' Python. For each structured CSV (Loghub layout: Content, EventTemplate)
the Content column goes into a polars frame as ``m_message``; LogLead's ``EventLogEnhancer.mask``
(its default masking) then ``parse_drain`` / ``parse_tip`` / ``parse_brain`` give one id per line.
LogLead's Drain is a module-level drain3 miner, so it is replaced by a fresh one before each file
(otherwise templates of one system leak into the next). drain3 runs at its own defaults on the
raw Content (no masking), as the data README's orientation figure does. Grouping accuracy is
computed by the caller from the ids (one metric for every tool). Speed: the same steps on the HDFS
sample's contents (``--speed-file``, one content per line), mask + parse timed together, best of
``--repeat``.

Usage: python loglead_parse.py SPEC.json OUT.json
SPEC: {"datasets": {name: csv}, "speed_file": path|null, "repeat": n, "parsers": [...]}
OUT gets {"ids": {name: {parser: [...]}}, "seconds": {...}}; stdout's last line: speeds.
"""

from __future__ import annotations

import json
import sys
import time

import polars as pl

import loglead.parsers as lp
from drain3.template_miner import TemplateMiner
from loglead.enhancers import EventLogEnhancer


def fresh_drain() -> None:
    lp.DrainTemplateMinerNoMasking = TemplateMiner(config=lp.DrainTemplateMinerNoMasking.config)


def run(parser: str, contents: list[str]) -> list[str]:
    if parser == "drain3":
        from drain3.template_miner_config import TemplateMinerConfig
        cfg = TemplateMinerConfig()
        cfg.profiling_enabled = False
        miner = TemplateMiner(config=cfg)
        return [str(miner.add_log_message(c)["cluster_id"]) for c in contents]
    enh = EventLogEnhancer(pl.DataFrame({"m_message": contents}, schema={"m_message": pl.Utf8}))
    enh.mask()
    if parser == "drain":
        fresh_drain()
        df = enh.parse_drain()
    elif parser == "tipping":
        df = enh.parse_tip()
    elif parser == "brain":
        df = enh.parse_brain()
    elif parser == "ael":
        df = enh.parse_ael()
    else:
        raise ValueError(parser)
    col = f"e_event_{'tip' if parser == 'tipping' else parser}_id"
    return [str(v) for v in df[col].to_list()]


def main(argv: list[str]) -> int:
    spec = json.loads(open(argv[0], encoding="utf-8").read())
    parsers = spec.get("parsers", ["drain", "tipping", "brain", "drain3"])
    ids: dict[str, dict[str, list[str]]] = {}
    seconds: dict[str, dict[str, float]] = {}
    for name, csv in spec["datasets"].items():
        contents = pl.read_csv(csv, infer_schema_length=0)["Content"].fill_null("").to_list()
        for p in parsers:
            t = time.perf_counter()
            ids.setdefault(name, {})[p] = run(p, contents)
            seconds.setdefault(name, {})[p] = round(time.perf_counter() - t, 3)
    speed: dict[str, dict[str, float]] = {}
    if spec.get("speed_file"):
        with open(spec["speed_file"], encoding="utf-8") as fh:
            contents = fh.read().split("\n")
        for p in parsers:
            best = min(_timed(p, contents) for _ in range(spec.get("repeat", 1)))
            speed[p] = {"seconds": round(best, 3), "lines": len(contents),
                        "lines_per_s": round(len(contents) / best, 1)}
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump({"ids": ids, "seconds": seconds}, fh)
    print(json.dumps({"speed": speed, "seconds": seconds}))
    return 0


def _timed(parser: str, contents: list[str]) -> float:
    t = time.perf_counter()
    run(parser, contents)
    return time.perf_counter() - t


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
