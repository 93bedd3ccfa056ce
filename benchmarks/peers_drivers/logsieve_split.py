#!/usr/bin/env python3
"""Write logsieve's chronological split of one data set, so a peer is scored on the same keys.

Runs with logsieve's Python. For each sequence of ``load_dataset(NAME)`` (train, validation,
test, in that order) it writes one JSON line: ``key``, ``split``, ``label`` and either
``lines`` (the 1-based line numbers of the raw file the sequence holds, after logsieve's
``cut_future`` trimming) or, for the event-id sets that have no raw text, ``events`` (the
template ids). A peer then builds its own features from exactly those lines or events.
The last line of stdout is a JSON summary (counts per split).

Usage: python benchmarks/peers_drivers/logsieve_split.py DATASET OUT.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from logsieve.evaluate.datasets import load_dataset


def main(argv: list[str]) -> int:
    name, out = argv[0], Path(argv[1])
    ds = load_dataset(name)
    counts: dict[str, dict[str, int]] = {}
    files: set[str] = set()
    with out.open("w", encoding="utf-8") as fh:
        for split, seqs in ds.splits.parts().items():
            c = counts.setdefault(split, {"sequences": 0, "anomalous": 0})
            for s in seqs:
                row: dict[str, object] = {"key": s.key, "split": split, "label": s.label}
                refs = s.refs
                if refs:
                    files.update(r[0] for r in refs)
                    row["lines"] = [r[1] for r in refs]
                else:
                    row["events"] = list(s.template_ids)
                fh.write(json.dumps(row) + "\n")
                c["sequences"] += 1
                c["anomalous"] += s.label == 1
    print(json.dumps({"dataset": name, "splits": counts, "files": sorted(files),
                      "templates": {str(k): v for k, v in ds.templates.items()} if not files else {}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
