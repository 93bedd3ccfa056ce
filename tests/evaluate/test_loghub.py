"""Loghub data set loading: the shared data (skipped when absent), specs, custom CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from logsieve.evaluate import (
    DATA_DIR_ENV,
    LOGHUB2_SYSTEMS,
    LOGHUB_2K_SYSTEMS,
    ParsingDataset,
    default_data_dir,
    parsing_scores,
    resolve_parsing_datasets,
)


def _data_dir_or_none() -> Path | None:
    try:
        return default_data_dir()
    except FileNotFoundError:
        return None


DATA_DIR = _data_dir_or_none()
needs_data = pytest.mark.skipif(
    DATA_DIR is None, reason=f"shared data not found (set ${DATA_DIR_ENV} to run these tests)"
)


def test_system_lists() -> None:
    assert len(LOGHUB_2K_SYSTEMS) == 16
    assert list(LOGHUB_2K_SYSTEMS) == sorted(LOGHUB_2K_SYSTEMS)
    assert len(LOGHUB2_SYSTEMS) == 14
    assert set(LOGHUB_2K_SYSTEMS) - set(LOGHUB2_SYSTEMS) == {"Android", "Windows"}


@needs_data
@pytest.mark.parametrize(
    ("collection", "systems"), [("loghub2k", LOGHUB_2K_SYSTEMS), ("loghub2", LOGHUB2_SYSTEMS)]
)
def test_all_shared_datasets_load_with_2000_rows(collection: str, systems: tuple[str, ...]) -> None:
    datasets = resolve_parsing_datasets(f"{collection}/all", DATA_DIR)
    assert [d.name for d in datasets] == [f"{collection}/{s}" for s in systems]
    for d in datasets:
        assert len(d.contents) == len(d.templates) == 2000, d.name
        assert all(t for t in d.templates), d.name
        assert d.path.is_file()


@needs_data
def test_quoted_fields_with_commas_survive() -> None:
    # Several systems have commas inside Content; a naive split would shift the columns.
    datasets = resolve_parsing_datasets("loghub2k/all", DATA_DIR)
    assert any("," in c for d in datasets for c in d.contents)
    assert any("," in t for d in datasets for t in d.templates)


@needs_data
def test_single_system_spec_and_case_insensitivity() -> None:
    (hdfs,) = resolve_parsing_datasets("loghub2/hdfs", DATA_DIR)
    assert hdfs.name == "loghub2/HDFS"
    assert hdfs.path.parent.parent.name == "loghub2_2k_corrected"
    assert len(set(hdfs.templates)) == 14  # HDFS has 14 templates in the 2k sample


@needs_data
def test_ground_truth_against_itself_is_perfect() -> None:
    (linux,) = resolve_parsing_datasets("loghub2k/Linux", DATA_DIR)
    s = parsing_scores(linux.templates, linux.templates)
    assert (s.ga, s.pa, s.fga, s.fta, s.ri) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert s.lines == 2000


def test_unknown_system_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown system 'Nope' for loghub2k; valid: Android"):
        resolve_parsing_datasets("loghub2k/Nope", tmp_path)
    # Android exists in loghub_2k but not in Loghub-2.0.
    with pytest.raises(ValueError, match="valid: Apache, BGL"):
        resolve_parsing_datasets("loghub2/Android", tmp_path)


def test_unknown_spec_is_an_error(tmp_path: Path) -> None:
    for spec in ("loghub3/HDFS", "loghub2k/", "", str(tmp_path / "missing.csv")):
        with pytest.raises(ValueError, match="unknown parsing data set"):
            resolve_parsing_datasets(spec, tmp_path)


def test_missing_file_in_data_dir_is_explained(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--data-dir"):
        resolve_parsing_datasets("loghub2k/HDFS", tmp_path)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_custom_csv(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "mine_structured.csv",
        ["LineId", "Level", "Content", "EventId", "EventTemplate"],
        [
            ["1", "INFO", 'got "a, b" from 10.0.0.1', "E1", 'got "<*>" from <*>'],
            ["2", "WARN", "disk full", "E2", "disk full"],
        ],
    )
    (ds,) = resolve_parsing_datasets(str(path))  # no data dir needed for a plain path
    assert ds == ParsingDataset(
        name="mine_structured.csv",
        path=path,
        contents=['got "a, b" from 10.0.0.1', "disk full"],
        templates=['got "<*>" from <*>', "disk full"],
    )


def test_custom_csv_without_required_columns(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "bad.csv", ["LineId", "Content"], [["1", "x"]])
    with pytest.raises(ValueError, match="missing column.*EventTemplate.*found: LineId, Content"):
        resolve_parsing_datasets(str(path))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="no header"):
        resolve_parsing_datasets(str(empty))


def test_custom_csv_short_row(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Content,EventTemplate\nonly content\n")
    with pytest.raises(ValueError, match="too few fields"):
        resolve_parsing_datasets(str(path))


def test_dataset_rejects_misaligned_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 contents but 1 templates"):
        ParsingDataset("x", tmp_path, ["a", "b"], ["a"])


def test_data_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=DATA_DIR_ENV):
        default_data_dir()


def test_data_dir_found_as_sibling_of_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    repo_subdir = tmp_path / "repo" / "src"
    repo_subdir.mkdir(parents=True)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.chdir(repo_subdir)
    assert default_data_dir() == data


def test_data_dir_not_found_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    import logsieve.evaluate.loghub as loghub

    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(loghub, "_find_shared_data", lambda start: None)
    with pytest.raises(FileNotFoundError, match=r"pass --data-dir or set \$LOGSIEVE_DATA_DIR"):
        default_data_dir()
