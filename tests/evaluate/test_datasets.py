"""Labelled data set loaders: the shared sets' published counts, and a user's own set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsieve.cli import app
from logsieve.evaluate.datasets import (
    DatasetError,
    DatasetFilesMissing,
    DatasetSpec,
    LabelledDataset,
    get_dataset_spec,
    load_dataset,
    load_dataset_specs,
    parse_dataset_specs,
)
from logsieve.evaluate.splits import SplitConfig, time_order_key
from logsieve.sessions import base_key

# --------------------------------------------------------------------------- shared data


@pytest.fixture(scope="module")
def hdfs_sample(shared_data: Path) -> LabelledDataset:
    return load_dataset("hdfs-sample", shared_data)


def test_hdfs_sample_has_the_readme_counts(hdfs_sample: LabelledDataset) -> None:
    assert len(hdfs_sample) == 11_501 and hdfs_sample.anomalous == 350
    stats = hdfs_sample.stats
    assert stats.lines == stats.parsed == 222_579 and stats.quarantined == 0
    assert stats.unlabelled == 0 and stats.labels_unused == 0
    assert stats.grouping.evicted == stats.grouping.split == stats.grouping.skipped == 0
    assert all(s.key == base_key(s.key) and s.key.startswith("blk_") for s in hdfs_sample)


def test_hdfs_sample_split_is_chronological_by_first_line(hdfs_sample: LabelledDataset) -> None:
    parts = hdfs_sample.splits.parts()
    assert [len(p) for p in parts.values()] == [2300, 1150, 8051]
    order = [time_order_key(s) for s in hdfs_sample]
    assert order == sorted(order) and all(s.start is not None for s in hdfs_sample)
    summary = hdfs_sample.summary()["splits"]
    assert [summary[p]["anomalous"] for p in ("train", "validation", "test")] == [124, 31, 195]


def test_bgl_2k_alerts_windows_and_clean_contents(shared_data: Path) -> None:
    ds = load_dataset("bgl-2k", shared_data)
    assert ds.stats.abnormal_lines == 143 and ds.stats.lines == 2000
    assert len(ds) == 100 and ds.anomalous == 28
    assert [len(p) for p in ds.splits.parts().values()] == [20, 10, 70]
    assert [ds.splits.summary()[p]["anomalous"] for p in ("train", "validation", "test")] == [10, 0, 18]
    # the label token never reaches the parser: contents equal loghub's Content column
    with (shared_data / "loghub_2k" / "BGL" / "BGL_2k.log_structured_corrected.csv").open(newline="") as fh:
        truth = {int(row["LineId"]): row["Content"] for row in csv.DictReader(fh)}
    got = {ref.line_no: c for s in ds for ref, c in zip(s.refs, s.contents or [])}
    assert got == truth


def test_bgl_window_size_is_configurable(shared_data: Path) -> None:
    spec = get_dataset_spec("bgl-2k").with_window_size(50)
    ds = load_dataset(spec, shared_data, split=SplitConfig(train=0.5, validation=0.0, test=0.5))
    assert [len(p) for p in ds.splits.parts().values()] == [20, 0, 20]
    last_train = max(r.line_no for s in ds.splits.train for r in s.refs)
    assert last_train < min(r.line_no for s in ds.splits.test for r in s.refs)


def test_hdfs_logai_counts(shared_data: Path) -> None:
    ds = load_dataset("hdfs-logai", shared_data)
    assert len(ds) == 1782 and ds.anomalous == 43 and ds.stats.unlabelled == 0


def test_cli_lists_bgl_with_its_window_size(shared_data: Path) -> None:
    args = ["datasets", "--data-dir", str(shared_data), "-d", "bgl-2k"]
    res = CliRunner().invoke(app, [*args, "--window-size", "40", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    bgl = report["datasets"]["bgl-2k"]
    assert bgl["present"] and bgl["sequences"] == 50 and bgl["abnormal_lines"] == 143
    assert bgl["grouping"] == "fixed windows of 40 lines per source"
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "fixed windows of 20 lines" in table.stdout


# --------------------------------------------------------------------------- a user's own data

FORMATS = """
formats:
  App:
    pattern: "<Date> <Time> <Tag> <Content>"
    timestamp: {fields: [Date, Time], format: "%Y-%m-%d %H:%M:%S"}
"""


def write_app_log(root: Path) -> None:
    """12 requests, one line each second; request 3 and 7 fail; 13 has no label."""
    rows = []
    for i in range(1, 13):
        tag = "bad" if i in (3, 7) else "ok"
        rows.append(f"2024-01-01 00:00:{i:02d} {tag} start req-{i} user {i * 7}")
        rows.append(f"2024-01-01 00:00:{i + 20:02d} ok end req-{i}")
    rows.append("2024-01-01 00:00:59 ok start req-13 user 1")
    (root / "app.log").write_text("\n".join(rows) + "\n")
    (root / "fmts.yaml").write_text(FORMATS)
    labels = [f"{i},{1 if i in (3, 7) else 0}" for i in range(1, 13)] + ["99,0"]
    (root / "labels.csv").write_text("req,y\n" + "\n".join(labels) + "\n")


def spec_file(root: Path, body: str) -> Path:
    path = root / "mine.yaml"
    path.write_text("version: 1\ndatasets:\n" + body)
    return path


SESSION_SPEC = r"""
  app-sessions:
    files: [app.log]
    format: App
    formats_files: [fmts.yaml]
    grouping: {kind: session, id_pattern: 'req-(\d+)'}
    labels: {kind: session_file, path: labels.csv, id_column: req, label_column: y, abnormal: ["1"], normal: ["0"]}
"""


def test_user_sessions_with_a_label_file(tmp_path: Path) -> None:
    write_app_log(tmp_path)
    specs = load_dataset_specs([spec_file(tmp_path, SESSION_SPEC)])
    assert {"hdfs-sample", "bgl-2k", "app-sessions"} <= set(specs)
    ds = load_dataset(specs["app-sessions"], tmp_path, split=SplitConfig(train=0.5, validation=0.25, test=0.25))
    assert [s.key for s in ds] == [str(i) for i in range(1, 14)]
    assert [s.label for s in ds] == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, None]
    assert ds.stats.unlabelled == 1 and ds.stats.labels_unused == 1
    assert [len(p) for p in ds.splits.parts().values()] == [6, 3, 4]


@pytest.mark.parametrize("labels", [
    "{kind: line_token, field: Tag, normal: [ok]}",
    "{kind: line_token, normal: ['-']}",
])
def test_user_windows_with_line_labels(tmp_path: Path, labels: str) -> None:
    write_app_log(tmp_path)
    if "field" not in labels:  # first-token style: the label leads a raw line
        lines = [f"{'-' if i % 5 else 'ALERT'} event {i} done" for i in range(30)]
        (tmp_path / "app.log").write_text("\n".join(lines) + "\n")
    fmt = "App" if "field" in labels else "raw"
    body = f"""
  app-windows:
    files: [app.log]
    format: {fmt}
    formats_files: [fmts.yaml]
    grouping: {{kind: fixed, size: 4}}
    labels: {labels}
"""
    spec = parse_dataset_specs("version: 1\ndatasets:\n" + body, "test")["app-windows"]
    ds = load_dataset(spec, tmp_path, split=SplitConfig(train=0.5, validation=0.0, test=0.5))
    contents = [c for s in ds for c in s.contents or []]
    if fmt == "raw":
        assert ds.stats.abnormal_lines == 6 and all(c.startswith("event") for c in contents)
    else:
        assert ds.stats.abnormal_lines == 2 and not any(c.startswith(("ok", "bad")) for c in contents)
    abnormal_refs = {r for s in ds for r in s.refs if s.label == 1}
    assert len(abnormal_refs) >= ds.stats.abnormal_lines
    assert all(s.label in (0, 1) for s in ds)


def test_spec_errors_say_what_to_fix(tmp_path: Path) -> None:
    write_app_log(tmp_path)
    windowed = SESSION_SPEC.replace(r"{kind: session, id_pattern: 'req-(\d+)'}", "{kind: fixed}")
    with pytest.raises(DatasetError, match="session_file labels need grouping kind 'session'"):
        parse_dataset_specs("datasets:\n" + windowed, "x.yaml")
    with pytest.raises(DatasetError, match="unknown data set"):
        get_dataset_spec("nope")
    missing = DatasetSpec(name="m", files=("nowhere.log",))
    with pytest.raises(DatasetFilesMissing, match="--data-dir"):
        load_dataset(missing, tmp_path)
    with pytest.raises(DatasetFilesMissing, match="LOGSIEVE_DATA_DIR"):
        load_dataset(missing, tmp_path / "absent")
    no_field = DatasetSpec.model_validate({"name": "f", "files": ["app.log"], "grouping": {"kind": "fixed"},
                                           "labels": {"kind": "line_token", "field": "Level"}})
    with pytest.raises(DatasetError, match="no header field 'Level'"):
        load_dataset(no_field, tmp_path)
    (tmp_path / "labels.csv").write_text("req,y\n1,maybe\n")
    spec = parse_dataset_specs("datasets:\n" + SESSION_SPEC, "x")["app-sessions"]
    with pytest.raises(DatasetError, match="'maybe' is neither"):
        load_dataset(spec, tmp_path)


def test_cli_json_on_a_user_data_set(tmp_path: Path) -> None:
    write_app_log(tmp_path)
    path = spec_file(tmp_path, SESSION_SPEC)
    res = CliRunner().invoke(app, ["datasets", "--data-dir", str(tmp_path), "--datasets-file", str(path),
                                   "-d", "app-sessions", "--split", "0.5,0.25,0.25", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    mine = report["datasets"]["app-sessions"]
    assert mine["sequences"] == 13 and mine["anomalous"] == 2
    assert {k: v["sequences"] for k, v in mine["splits"].items()} == {"train": 6, "validation": 3, "test": 4}
    assert report["split"] == {"train": 0.5, "validation": 0.25, "test": 0.25}


def test_cli_reports_missing_files_and_a_missing_data_dir(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["datasets", "--data-dir", str(tmp_path), "--json"])
    assert res.exit_code == 0
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["datasets"]["bgl-2k"]["files"] == {"loghub_2k/BGL/BGL_2k.log": False}
    assert not report["datasets"]["hdfs-sample"]["present"]
    res = CliRunner().invoke(app, ["datasets", "--data-dir", str(tmp_path / "absent")])
    assert res.exit_code == 2 and "--data-dir" in res.output
