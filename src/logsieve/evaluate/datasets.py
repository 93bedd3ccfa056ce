"""Labelled data sets for detection: spec in YAML, loaded through the real pipeline.

A data set is a :class:`DatasetSpec`: log files, their format, a grouping config (the one the
sessions layer takes) and where labels come from. The built-in sets (``hdfs-sample``,
``bgl-2k``, ``hdfs-logai``) are entries in the packaged ``datasets.yaml``; a user's own set is
one more entry in a file of the same layout. Loading runs exactly what production runs --
:func:`logsieve.ingest.read_records` -> :class:`~logsieve.parsing.DrainParser` (online, from an
empty state) -> a grouper -- so a number measured on a data set is a number about the product.

Labels come in two styles:

* ``session_file``: a CSV with an id column and a label column (HDFS ``anomaly_label.csv``);
  a session takes its id's label (continuation parts ``<id>#p2`` too). Needs id sessions.
* ``line_token``: each line carries a label token, in a header field of the format (BGL's
  ``Label``) or as the line's first token, which is then cut off before parsing so a label
  never reaches the parser as content. A sequence is abnormal if it holds an abnormal line.

A third kind of set comes already parsed (``kind: event_ids``: sessions as event-id lists and
a template file, see :mod:`logsieve.evaluate.event_ids`); it skips ingest and parsing, and its
validation split is carved at random from its test files, since it has no timestamps.

Every loaded set of log files comes already split chronologically (see :mod:`logsieve.evaluate.splits`):
window sets are split on the line stream before windowing, session sets on their start times.
The parser learns online over the whole stream in file order, as a deployed one would: a line's
template id depends only on the lines before it, never on later (test) lines.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from logsieve.evaluate.event_ids import EventIdSpec, read_templates, split_event_ids
from logsieve.evaluate.loghub import DATA_DIR_ENV, default_data_dir
from logsieve.evaluate.splits import SplitConfig, Splits, chronological_split, split_then_group
from logsieve.ingest import LogFormat, get_format
from logsieve.jobs.parse import ParseJobConfig, ParseSummary, parse_stream
from logsieve.parsing import DrainConfig, DrainParser
from logsieve.records import LineRef, ParsedLine, Sequence
from logsieve.sessions import GroupingConfig, GroupStats, Grouper, SessionConfig, base_key, make_grouper

DATASETS_FILE = "datasets.yaml"
LINE_LABEL_FIELD = "LineLabel"
"""Header field that holds a first-token line label once it is cut off the line."""

_WINDOW_KINDS = frozenset({"fixed", "sliding", "time"})
_DATA_DIR_HINT = f"pass --data-dir DIR or set ${DATA_DIR_ENV}"


class DatasetError(ValueError):
    """A data set spec or its files cannot be used; the message says what to change."""


class DatasetFilesMissing(FileNotFoundError):
    """A data set's files are not under the data dir."""


class SessionLabels(BaseModel):
    """One label per session id, from a CSV file (relative paths: under the data dir)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["session_file"] = "session_file"
    path: str
    id_column: str = "BlockId"
    label_column: str = "Label"
    abnormal: tuple[str, ...] = ("Anomaly",)
    normal: tuple[str, ...] = ("Normal",)

    @model_validator(mode="after")
    def _values_distinct(self) -> SessionLabels:
        if not self.abnormal or set(self.abnormal) & set(self.normal):
            raise ValueError("abnormal must name at least one value, and no value may be both abnormal and normal")
        return self

    def describe(self) -> str:
        return f"per session from {self.path} ({self.label_column} in {list(self.abnormal)} is abnormal)"


class LineLabels(BaseModel):
    """One label per line: a header field's value, or (``field: null``) the first token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["line_token"] = "line_token"
    field: str | None = None
    normal: tuple[str, ...] = ("-",)

    def describe(self) -> str:
        where = f"header field {self.field}" if self.field else "first token"
        return f"per line from the {where} (anything but {list(self.normal)} is abnormal)"


LabelSpec = Annotated[Union[SessionLabels, LineLabels], Field(discriminator="kind")]


class DatasetSpec(BaseModel):
    """Everything needed to turn files into labelled sequences; see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*$")
    description: str = ""
    files: tuple[str, ...] = Field(min_length=1)
    format: str = "raw"
    formats_files: tuple[str, ...] = ()
    grouping: GroupingConfig = Field(default_factory=SessionConfig)
    labels: LabelSpec | None = None
    parser: DrainConfig = Field(default_factory=DrainConfig)

    @model_validator(mode="after")
    def _labels_fit_grouping(self) -> DatasetSpec:
        if isinstance(self.labels, SessionLabels) and self.grouping.kind != "session":
            raise ValueError(f"session_file labels need grouping kind 'session', not {self.grouping.kind!r}; "
                             "use line_token labels for windows")
        return self

    @property
    def windowed(self) -> bool:
        return self.grouping.kind in _WINDOW_KINDS

    def resolve(self, data_dir: Path, path: str) -> Path:
        """``path`` as given if absolute, else under ``data_dir``."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else data_dir / p

    def required_files(self, data_dir: Path) -> dict[str, Path]:
        """Every file the set reads (logs, label file, formats files), by the name the spec uses."""
        names = [*self.files, *self.formats_files]
        if isinstance(self.labels, SessionLabels):
            names.append(self.labels.path)
        return {n: self.resolve(data_dir, n) for n in names}

    def with_window_size(self, size: int) -> DatasetSpec:
        """The same set with line windows of ``size`` (a sliding step shrinks to fit); others unchanged."""
        kind = self.grouping.kind
        if kind not in ("fixed", "sliding"):
            return self
        update: dict[str, Any] = {"size": size}
        if kind == "sliding":
            update["step"] = min(self.grouping.step, size)  # type: ignore[union-attr]
        grouping = type(self.grouping).model_validate({**self.grouping.model_dump(), **update})
        return self.model_copy(update={"grouping": grouping})


AnySpec = Union[DatasetSpec, EventIdSpec]
"""A data set of log files (``kind: logs``, the default) or of event-id sequences (``kind: event_ids``)."""
SPEC_KINDS = {"logs": DatasetSpec, "event_ids": EventIdSpec}


# --------------------------------------------------------------------------- spec files

def load_dataset_specs(extra_paths: Iterable[str | Path] = ()) -> dict[str, AnySpec]:
    """The built-in specs, then those of each file in ``extra_paths`` (same name replaces)."""
    packaged = resources.files("logsieve.evaluate").joinpath(DATASETS_FILE).read_text("utf-8")
    specs = parse_dataset_specs(packaged, f"logsieve/evaluate/{DATASETS_FILE}")
    for path in extra_paths:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise DatasetError(f"cannot read data sets file {path}: {exc.strerror or exc}") from exc
        specs.update(parse_dataset_specs(text, str(path)))
    return specs


def parse_dataset_specs(text: str, origin: str) -> dict[str, AnySpec]:
    """Specs from YAML text ``{version: 1, datasets: {name: {...}}}``; errors name ``origin``."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DatasetError(f"{origin} is not valid YAML: {exc}") from exc
    entries = data.get("datasets") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise DatasetError(f"{origin}: expected a top-level 'datasets:' mapping of name -> spec")
    specs: dict[str, AnySpec] = {}
    for name, raw in entries.items():
        if not isinstance(raw, dict):
            raise DatasetError(f"{origin}: data set {name!r} must be a mapping")
        raw = dict(raw)
        kind = raw.pop("kind", "logs")
        if kind not in SPEC_KINDS:
            raise DatasetError(f"{origin}: data set {name!r}: kind {kind!r} is not one of {', '.join(SPEC_KINDS)}")
        try:
            specs[str(name)] = SPEC_KINDS[kind].model_validate({"name": str(name), **raw})
        except ValidationError as exc:
            raise DatasetError(f"{origin}: data set {name!r}: {exc}") from exc
    return specs


def get_dataset_spec(name: str, extra_paths: Iterable[str | Path] = ()) -> AnySpec:
    specs = load_dataset_specs(extra_paths)
    if name not in specs:
        raise DatasetError(f"unknown data set {name!r}; known: {', '.join(specs)} "
                           "(add your own with a data sets YAML file, --datasets-file)")
    return specs[name]


# --------------------------------------------------------------------------- labels

class _LineLabeller:
    """Remembers abnormal lines as they stream by; a sequence holding one is abnormal.

    Only abnormal lines are kept, so memory grows with the anomalies, not with the log.
    """

    def __init__(self, spec: LineLabels) -> None:
        self.field = spec.field or LINE_LABEL_FIELD
        self.normal = frozenset(spec.normal)
        self.abnormal: set[LineRef] = set()

    def watch(self, lines: Iterable[ParsedLine]) -> Iterator[ParsedLine]:
        for line in lines:
            rec = line.record
            if rec.fields.get(self.field, "") not in self.normal:
                self.abnormal.add(LineRef(rec.source, rec.line_no))
            yield line

    def label(self, seq: Sequence) -> int:
        abnormal = self.abnormal
        return int(any(ref in abnormal for ref in seq.refs))


class _SessionLabeller:
    """Labels sessions from a CSV of ``id,label``; counts ids the log never mentions."""

    def __init__(self, spec: SessionLabels, path: Path) -> None:
        self.labels = read_session_labels(spec, path)
        self.used: set[str] = set()

    def watch(self, lines: Iterable[ParsedLine]) -> Iterable[ParsedLine]:
        return lines

    def label(self, seq: Sequence) -> int | None:
        sid = base_key(seq.key)
        value = self.labels.get(sid)
        if value is not None:
            self.used.add(sid)
        return value


def read_session_labels(spec: SessionLabels, path: Path) -> dict[str, int]:
    """``{session id: 0 or 1}``; an unknown label value is an error naming the value and row."""
    values = {v: 1 for v in spec.abnormal} | {v: 0 for v in spec.normal}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (spec.id_column, spec.label_column) if c not in (reader.fieldnames or ())]
        if missing:
            raise DatasetError(f"{path}: no column(s) {missing}; columns are {reader.fieldnames} "
                               "(set id_column / label_column in the spec)")
        out: dict[str, int] = {}
        for row_no, row in enumerate(reader, 2):
            value = row[spec.label_column].strip()
            if value not in values:
                raise DatasetError(f"{path}:{row_no}: label {value!r} is neither abnormal {list(spec.abnormal)} "
                                   f"nor normal {list(spec.normal)}; list it in the spec")
            out[row[spec.id_column].strip()] = values[value]
    return out


# --------------------------------------------------------------------------- loading

@dataclass
class LoadStats:
    """What loading saw: the parse job's counts (``lines == parsed + quarantined``), the
    grouping counters (``grouping.skipped`` lines joined no sequence) and the labels' coverage."""

    parse: ParseSummary = field(default_factory=ParseSummary)
    grouping: GroupStats = field(default_factory=GroupStats)
    abnormal_lines: int | None = None
    unlabelled: int = 0
    labels_unused: int | None = None
    seconds: float = 0.0

    @property
    def lines(self) -> int:
        return self.parse.lines

    @property
    def parsed(self) -> int:
        return self.parse.parsed

    @property
    def quarantined(self) -> int:
        return self.parse.quarantined

    def as_dict(self) -> dict[str, object]:
        p = self.parse
        return {"lines": p.lines, "parsed": p.parsed, "quarantined": p.quarantined,
                "quarantine_reasons": dict(p.quarantine_reasons), "templates": p.templates,
                "abnormal_lines": self.abnormal_lines, "unlabelled": self.unlabelled,
                "labels_unused": self.labels_unused, "group_stats": self.grouping.as_dict(),
                "seconds": round(self.seconds, 3)}


@dataclass
class LabelledDataset:
    """Labelled sequences in time order, already split; iterate it for all of them."""

    spec: AnySpec
    data_dir: Path
    splits: Splits
    stats: LoadStats
    templates: dict[int, str] = field(default_factory=dict)
    """Template id -> text at the end of the stream (what the text features embed)."""
    parser: DrainParser | None = None
    """The parser as it stood at the end: saved with a trained model so ids stay the same."""

    @property
    def sequences(self) -> list[Sequence]:
        return self.splits.sequences()

    def __iter__(self) -> Iterator[Sequence]:
        return iter(self.sequences)

    def __len__(self) -> int:
        return len(self.splits.train) + len(self.splits.validation) + len(self.splits.test)

    @property
    def anomalous(self) -> int:
        return sum(1 for s in self if s.label == 1)

    def summary(self) -> dict[str, object]:
        return {"sequences": len(self), "anomalous": self.anomalous, **self.stats.as_dict(),
                "split_method": self.splits.method, "splits": self.splits.summary()}


def load_dataset(
    dataset: str | AnySpec,
    data_dir: Path | None = None,
    *,
    split: SplitConfig | None = None,
    extra_specs: Iterable[str | Path] = (),
) -> LabelledDataset:
    """Read, parse, group, label and split one data set (a name or a spec)."""
    spec = dataset if isinstance(dataset, (DatasetSpec, EventIdSpec)) else get_dataset_spec(dataset, extra_specs)
    root = resolve_data_dir(data_dir)
    paths = check_files(spec, root)
    started = time.perf_counter()
    if isinstance(spec, EventIdSpec):
        return _load_event_ids(spec, root, paths, split, started)
    labeller = _labeller(spec, root)
    summary, parser = ParseSummary(), DrainParser(spec.parser)
    job = ParseJobConfig(tuple(str(paths[f]) for f in spec.files), _log_format(spec, root), drain=spec.parser)
    lines: Iterable[ParsedLine] = parse_stream(job, parser, summary)
    if labeller is not None:
        lines = labeller.watch(lines)
    splits, groupers = _group_and_split(spec, lines, split or SplitConfig())
    stats = _label_all(splits, labeller)
    summary.templates = len(parser)
    stats.parse = summary
    stats.grouping = GroupStats.combine(g.stats for g in groupers)
    stats.seconds = time.perf_counter() - started
    return LabelledDataset(spec, root, splits, stats, {t.id: t.text for t in parser.templates}, parser)


def _load_event_ids(spec: EventIdSpec, root: Path, paths: dict[str, Path], split: SplitConfig | None,
                    started: float) -> LabelledDataset:
    """An already parsed set: template file and sequence files, no parser (see the event_ids module)."""
    templates = read_templates(paths[spec.templates])
    splits = split_event_ids(spec, root, templates, split)
    events = sum(len(s) for s in splits.sequences())
    stats = LoadStats(parse=ParseSummary(lines=events, parsed=events, templates=len(templates), parser="given"))
    stats.seconds = time.perf_counter() - started
    return LabelledDataset(spec, root, splits, stats, templates, None)


def iter_dataset(dataset: str | AnySpec, data_dir: Path | None = None, **options: Any) -> Iterator[Sequence]:
    """The labelled sequences of a data set in time order (see :func:`load_dataset`)."""
    yield from load_dataset(dataset, data_dir, **options)


def resolve_data_dir(data_dir: Path | None) -> Path:
    """``data_dir`` if it exists, else the default; the error says how to point at the data."""
    if data_dir is None:
        return default_data_dir()
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DatasetFilesMissing(f"data dir {path} is not a directory; "
                                  f"{_DATA_DIR_HINT} to the folder holding the data")
    return path


def check_files(spec: AnySpec, data_dir: Path) -> dict[str, Path]:
    """The spec's files resolved under ``data_dir``; all must exist."""
    paths = spec.required_files(data_dir)
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise DatasetFilesMissing(f"data set {spec.name!r}: missing {', '.join(missing)}; "
                                  f"{_DATA_DIR_HINT} to the folder that holds them")
    return paths


def _log_format(spec: DatasetSpec, data_dir: Path) -> LogFormat:
    """The spec's format; for first-token labels, one that reads that token as a header field."""
    try:
        fmt = get_format(spec.format, extra_paths=[spec.resolve(data_dir, p) for p in spec.formats_files])
    except (KeyError, ValueError, OSError) as exc:
        raise DatasetError(f"data set {spec.name!r}: {exc}") from exc
    labels = spec.labels
    if not isinstance(labels, LineLabels):
        return fmt
    if labels.field is not None:
        if labels.field not in fmt.fields:
            raise DatasetError(f"data set {spec.name!r}: format {fmt.name!r} has no header field {labels.field!r} "
                               f"(fields: {list(fmt.fields)}); leave 'field' out to use the line's first token")
        return fmt
    if LINE_LABEL_FIELD in fmt.fields:
        raise DatasetError(f"data set {spec.name!r}: format {fmt.name!r} already has a {LINE_LABEL_FIELD} field; "
                           f"name it in labels.field instead")
    return LogFormat(f"{fmt.name}+label", f"<{LINE_LABEL_FIELD}> {fmt.pattern}", fmt.timestamp, fmt.strip,
                     fmt.max_header_chars, f"{fmt.description} (first token: line label)")


def _labeller(spec: DatasetSpec, data_dir: Path) -> _LineLabeller | _SessionLabeller | None:
    labels = spec.labels
    if isinstance(labels, SessionLabels):
        return _SessionLabeller(labels, spec.resolve(data_dir, labels.path))
    if isinstance(labels, LineLabels):
        return _LineLabeller(labels)
    return None


def _group_and_split(
    spec: DatasetSpec, lines: Iterable[ParsedLine], split: SplitConfig
) -> tuple[Splits, list[Grouper]]:
    """Windows: split lines, then window each part. Sessions: group all, then split by start."""
    groupers: list[Grouper] = []

    def fresh() -> Grouper:
        groupers.append(make_grouper(spec.grouping))
        return groupers[-1]

    if spec.windowed:
        return split_then_group(lines, fresh, split), groupers
    return chronological_split(fresh().group(lines), split), groupers


def _label_all(splits: Splits, labeller: _LineLabeller | _SessionLabeller | None) -> LoadStats:
    stats = LoadStats()
    if labeller is None:
        stats.unlabelled = len(splits.sequences())
        return stats
    for seq in splits.sequences():
        seq.label = labeller.label(seq)
        stats.unlabelled += seq.label is None
    if isinstance(labeller, _LineLabeller):
        stats.abnormal_lines = len(labeller.abnormal)
    else:
        stats.labels_unused = len(labeller.labels) - len(labeller.used)
    return stats


# --------------------------------------------------------------------------- reports

def dataset_report(spec: AnySpec, data_dir: Path, split: SplitConfig | None = None) -> dict[str, object]:
    """One data set as the ``datasets`` command shows it: files, and counts when they are all there."""
    files = {name: path.is_file() for name, path in spec.required_files(data_dir).items()}
    if isinstance(spec, EventIdSpec):
        described = spec.describe()
    else:
        described = {"grouping": spec.grouping.describe(),
                     "labels": spec.labels.describe() if spec.labels else "none"}
    report: dict[str, object] = {
        "description": spec.description,
        "format": spec.format,
        **described,
        "files": files,
        "present": all(files.values()),
    }
    if report["present"]:
        report.update(load_dataset(spec, data_dir, split=split).summary())
    return report
