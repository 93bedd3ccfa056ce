"""Loghub parsing benchmarks: find the data, read the structured ground-truth CSVs.

The data is never vendored (Loghub's licence is research-only), so it is looked up at run time:
``$LOGSIEVE_DATA_DIR`` if set, else a ``shared/data`` folder next to (or inside) an ancestor of
the working directory or of this file. Specs name what to load:

* ``loghub2k/<System>`` or ``loghub2k/all`` -- the 16 corrected Loghub 2k sets (``loghub_2k/``);
* ``loghub2/<System>`` or ``loghub2/all`` -- the 14 sets with Loghub-2.0 ground truth
  (``loghub2_2k_corrected/``), the ones the published reference results were measured on;
* a path to any CSV in the same structured layout (needs ``Content`` and ``EventTemplate``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "LOGSIEVE_DATA_DIR"

LOGHUB_2K_SYSTEMS: tuple[str, ...] = (
    "Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux",
    "Mac", "OpenSSH", "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper",
)  # fmt: skip
"""The 16 systems of ``loghub_2k/``, in ``sorted()`` order (upper case sorts before lower)."""

LOGHUB2_SYSTEMS: tuple[str, ...] = tuple(
    s for s in LOGHUB_2K_SYSTEMS if s not in ("Android", "Windows")
)
"""The 14 systems Loghub-2.0 kept (it dropped Android and Windows)."""

_COLLECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "loghub2k": ("loghub_2k", LOGHUB_2K_SYSTEMS),
    "loghub2": ("loghub2_2k_corrected", LOGHUB2_SYSTEMS),
}
_REQUIRED_COLUMNS = ("Content", "EventTemplate")


@dataclass(frozen=True)
class ParsingDataset:
    """One data set's log contents and their ground-truth templates, line for line."""

    name: str
    path: Path
    contents: list[str]
    templates: list[str]

    def __post_init__(self) -> None:
        """Reject misaligned columns here, before they skew every metric downstream."""
        if len(self.contents) != len(self.templates):
            raise ValueError(
                f"{self.name}: {len(self.contents)} contents but {len(self.templates)} templates"
            )

    def __len__(self) -> int:
        return len(self.contents)


def default_data_dir() -> Path:
    """Where the shared data lives, so no caller has to hard-code a machine's layout.

    ``$LOGSIEVE_DATA_DIR`` wins when set (and must exist). Otherwise walk up from the working
    directory, then from this file, and take the first ``<ancestor>/shared/data`` folder: that
    finds a ``shared/`` that is a sibling of the repository root as well as one inside it.
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"${DATA_DIR_ENV} is set to {env!r}, which is not a directory")
        return path
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        found = _find_shared_data(start)
        if found is not None:
            return found
    raise FileNotFoundError(
        "could not find the data directory (no shared/data above the working directory or the "
        f"installed package); pass --data-dir or set ${DATA_DIR_ENV}"
    )


def resolve_parsing_datasets(spec: str, data_dir: Path | None = None) -> list[ParsingDataset]:
    """Load the data set(s) a spec names; see the module docstring for the spec forms.

    ``data_dir`` defaults to :func:`default_data_dir` and is only consulted for collection
    specs, so a plain CSV path works on a machine without the shared data.
    """
    collection, _, system = spec.partition("/")
    if collection in _COLLECTIONS and system and not spec.lower().endswith(".csv"):
        systems = _systems_for(collection, system)  # bad names fail before any disk access
        root = data_dir if data_dir is not None else default_data_dir()
        return [_load_system(root, collection, s) for s in systems]
    path = Path(spec).expanduser()
    if path.is_file():
        return [load_structured_csv(path)]
    raise ValueError(
        f"unknown parsing data set {spec!r}: expected loghub2k/<System>, loghub2k/all, "
        "loghub2/<System>, loghub2/all, or the path of an existing structured CSV file"
    )


def load_structured_csv(path: Path, name: str | None = None) -> ParsingDataset:
    """Read a Loghub ``*_structured*.csv`` file with the csv module.

    The csv module (not a split on commas) is required: contents and templates are quoted
    whenever they contain commas or quotes. Only ``Content`` and ``EventTemplate`` are kept.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        _check_columns(path, reader.fieldnames)
        contents, templates = _read_columns(path, reader)
    return ParsingDataset(name or path.name, path, contents, templates)


def _find_shared_data(start: Path) -> Path | None:
    """First ``shared/data`` directory under ``start`` or any of its ancestors."""
    for folder in (start, *start.parents):
        candidate = folder / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def _systems_for(collection: str, system: str) -> list[str]:
    """Canonical system names for ``<collection>/<system>``; case-insensitive for convenience."""
    valid = _COLLECTIONS[collection][1]
    if system.lower() == "all":
        return list(valid)
    by_lower = {s.lower(): s for s in valid}
    if system.lower() not in by_lower:
        raise ValueError(
            f"unknown system {system!r} for {collection}; valid: {', '.join(valid)} (or 'all')"
        )
    return [by_lower[system.lower()]]


def _load_system(root: Path, collection: str, system: str) -> ParsingDataset:
    """Load one system's structured CSV from a collection folder under ``root``."""
    folder = _COLLECTIONS[collection][0]
    path = root / folder / system / f"{system}_2k.log_structured_corrected.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"{collection}/{system}: expected {path}; is the data directory right? "
            f"(pass --data-dir or set ${DATA_DIR_ENV})"
        )
    return load_structured_csv(path, name=f"{collection}/{system}")


def _check_columns(path: Path, fieldnames: Iterable[str] | None) -> None:
    """Name the missing columns, so a wrong file is diagnosed at once."""
    found = list(fieldnames or [])
    missing = [c for c in _REQUIRED_COLUMNS if c not in found]
    if missing:
        raise ValueError(
            f"{path}: not a structured log CSV; missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(found) or 'no header'})"
        )


def _read_columns(path: Path, reader: csv.DictReader[str]) -> tuple[list[str], list[str]]:
    """Content and EventTemplate columns; a short row is an error, not a silent ``None``."""
    contents: list[str] = []
    templates: list[str] = []
    for row in reader:
        content, template = row["Content"], row["EventTemplate"]
        if content is None or template is None:
            raise ValueError(f"{path}:{reader.line_num}: row has too few fields")
        contents.append(content)
        templates.append(template)
    return contents, templates
