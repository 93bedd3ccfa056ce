"""Writers for parsed lines: CSV (always available) and Parquet (needs the `parquet` extra)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from logsieve.records import ParsedLine, QuarantineRecord

COLUMNS = ["source", "line_no", "timestamp", "template_id", "template", "params", "content"]


def _row(p: ParsedLine) -> list:
    r = p.record
    return [r.source, r.line_no, r.timestamp, p.template_id, p.template, json.dumps(list(p.params)), r.content]


def write_parsed(lines: Iterable[ParsedLine], path: Path) -> None:
    """Write to ``.csv`` or ``.parquet`` by suffix; streams CSV, batches Parquet."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for p in lines:
                writer.writerow(_row(p))
    elif suffix == ".parquet":
        _write_parquet(lines, path)
    else:
        raise ValueError(f"--out must end in .csv or .parquet, got {path.name!r}")


def _write_parquet(lines: Iterable[ParsedLine], path: Path, batch: int = 50_000) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "Parquet output needs pyarrow: pip install 'logsieve[parquet]' (or write .csv)"
        ) from exc
    schema = pa.schema(
        [
            ("source", pa.string()),
            ("line_no", pa.int64()),
            ("timestamp", pa.float64()),
            ("template_id", pa.int64()),
            ("template", pa.string()),
            ("params", pa.string()),
            ("content", pa.string()),
        ]
    )
    with pq.ParquetWriter(str(path), schema) as writer:
        rows: list[list] = []
        for p in lines:
            rows.append(_row(p))
            if len(rows) >= batch:
                writer.write_table(pa.Table.from_pylist([dict(zip(COLUMNS, r)) for r in rows], schema))
                rows = []
        if rows:
            writer.write_table(pa.Table.from_pylist([dict(zip(COLUMNS, r)) for r in rows], schema))


class QuarantineWriter:
    """Appends quarantine records as JSON lines: source, line, reason, detail, raw prefix."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("w", encoding="utf-8")

    def __call__(self, q: QuarantineRecord) -> None:
        self._fh.write(
            json.dumps(
                {
                    "source": q.source,
                    "line_no": q.line_no,
                    "reason": getattr(q.reason, "value", str(q.reason)),
                    "detail": q.detail,
                    "raw": q.raw.decode("utf-8", errors="backslashreplace"),
                }
            )
            + "\n"
        )

    def close(self) -> None:
        self._fh.close()
