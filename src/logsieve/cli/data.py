"""``logsieve datasets``: the labelled data sets, loaded as the benchmarks load them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from logsieve.cli._common import app, emit_json, err, fail, out


@app.command()
def datasets(
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder holding the data (default: $LOGSIEVE_DATA_DIR, else the nearest shared/data).")] = None,
    dataset: Annotated[list[str], typer.Option("--dataset", "-d", help="Only this data set (repeatable). Default: all.")] = [],
    datasets_file: Annotated[list[Path], typer.Option("--datasets-file", help="Extra YAML file of data set specs (layout of the built-in datasets.yaml).")] = [],
    window_size: Annotated[Optional[int], typer.Option(min=1, help="Lines per window for sets grouped in line windows (default: the spec's; bgl-2k: 20).")] = None,
    split: Annotated[str, typer.Option(help="Train,validation,test shares, in time order.")] = "0.2,0.1,0.7",
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON object.")] = False,
) -> None:
    """List the labelled data sets: files, sequences, anomalies, lines, splits.

    Each set whose files are all present is loaded as the benchmarks load
    it: ingest, the Drain parser from an empty state, sessions (by id) or
    windows, labels, then a chronological split.

    Session sets are split by their first line's time. Window sets split
    the line stream first and window each part, so no window straddles two
    splits.

    Built-in sets: hdfs-sample (block sessions), bgl-2k (fixed windows of 20
    lines, abnormal if a window holds an alert line; see --window-size),
    hdfs-logai (block sessions). Add your own with --datasets-file.

    Example: logsieve datasets --data-dir ../shared/data -d bgl-2k --json
    """
    from logsieve.evaluate.datasets import DatasetError, dataset_report, load_dataset_specs, resolve_data_dir
    from logsieve.evaluate.splits import SplitConfig

    try:
        split_cfg = SplitConfig.parse(split)
        specs = load_dataset_specs(datasets_file)
        root = resolve_data_dir(data_dir)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    unknown = [d for d in dataset if d not in specs]
    if unknown:
        fail(f"unknown data set(s) {unknown}; known: {', '.join(specs)}")
    chosen = [specs[d] for d in dict.fromkeys(dataset)] or list(specs.values())
    reports = {}
    for spec in chosen:
        spec = spec.with_window_size(window_size) if window_size else spec
        if err.is_terminal:
            err.print(f"loading {spec.name} ...")
        try:
            reports[spec.name] = dataset_report(spec, root, split_cfg)
        except (DatasetError, OSError) as exc:
            fail(str(exc))
    if json_out:
        emit_json({"data_dir": str(root), "split": split_cfg.model_dump(), "datasets": reports})
        return
    _print_datasets(root, split_cfg, reports)


def _print_datasets(root: Path, split_cfg, reports: dict) -> None:
    shares = f"{split_cfg.train:g}/{split_cfg.validation:g}/{split_cfg.test:g}"
    table = Table(title=f"labelled data sets in {root}")
    for name in ("data set", "files", "sequences", "anomalous", "lines", "train", "validation", "test"):
        table.add_column(name, justify="left" if name in ("data set", "files") else "right",
                         style="bold" if name == "data set" else None, no_wrap=name == "data set")
    notes = []
    for name, r in reports.items():
        missing = [f for f, ok in r["files"].items() if not ok]
        notes.append(f"{name}: {r['grouping']}; labels {r['labels']}")
        notes.extend(f"  missing: {f}" for f in missing)
        if missing:
            table.add_row(name, f"{len(missing)} missing", *["-"] * 6)
            continue
        parts = [f"{p['sequences']:,} ({p['anomalous']:,})" for p in r["splits"].values()]
        table.add_row(name, "ok", f"{r['sequences']:,}", f"{r['anomalous']:,}", f"{r['lines']:,}", *parts)
    out.print(table)
    out.print(f"train / validation / test ({shares} in time order): sequences (anomalous)")
    for note in notes:
        out.print(note, highlight=False, markup=False)
