"""Score a finished run's verdicts (the ``--out`` JSONL of ``logsieve detect``) against labels.

Scoring only: nothing here loads a model or re-reads the log through a parser. Two kinds of
labels, because users hold one or the other:

* **Session labels**: a CSV of ``id,label`` (HDFS' ``anomaly_label.csv``: ``BlockId,Label`` with
  ``Normal`` / ``Anomaly``). A verdict's ``key`` names its session; a continuation part
  (``blk_1#p2``) counts for its session (:func:`logsieve.sessions.base_key`), and a session is
  flagged when any of its verdicts is abnormal. The unit scored is the labelled session: a
  labelled anomaly that no verdict covers counts as an anomaly not found (``unmatched``), and a
  verdict whose session the file does not list is left out (``unlabelled``).
* **Line labels**: a log whose first token on each line is that line's label (BGL: ``-`` means
  normal, anything else names an alert category). The unit scored is the verdict: it is truly
  anomalous when any line its ``span`` covers is labelled anomalous. Line numbers are the
  readers' (1-based physical lines of the file, a ``.gz`` read decompressed, a leading BOM
  ignored), so the label file is read with the same reader
  (:func:`logsieve.ingest.readers.read_lines`) and its numbers agree line for line. A span names
  its file as the path given to ``detect``; it is matched to a label file by that path, then by
  the absolute path, then by the file name alone (basename), so a run made in another directory
  still scores. Anomalous lines that no verdict's span covers cannot form a sequence of their
  own, so they are reported as ``unmatched`` lines and in the line-level ``line_recall``, not in
  the per-verdict recall.

A JSONL that was appended to by two runs holds the same verdict twice; a verdict is identified
by its key and first span entry, and the later line wins (``duplicates`` counts the rest).
"""

from __future__ import annotations

import bisect
import csv
import json
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from logsieve.ingest.readers import RawLine, read_lines
from logsieve.records import QuarantineReason, QuarantineRecord, Span
from logsieve.sessions import base_key

LabelsKind = Literal["auto", "session", "line"]

DEFAULT_ANOMALY_VALUES = ("anomaly", "anomalous", "abnormal", "1", "true", "yes")
DEFAULT_NORMAL_VALUES = ("normal", "0", "false", "no", "-")
"""Session label values recognised without options (compared case-insensitively). With
``anomaly_values`` set, those values are anomalous and every other value is normal."""


class ScoringError(ValueError):
    """The verdicts or labels cannot be scored; the message says what to change."""


class ScoringConfig(BaseModel):
    """How to read the labels. Column options name a header column, or (no header, or a digit
    string that is no column's name) give a 0-based column position."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: LabelsKind = "auto"
    id_column: str | None = None
    label_column: str | None = None
    anomaly_values: tuple[str, ...] = ()
    normal_token: str = "-"


@dataclass
class LabelFileCounts:
    """What one line-label file held and how many verdicts it scored."""

    path: str
    lines: int
    anomalous_lines: int
    verdicts: int = 0


@dataclass
class VerdictScore:
    """A run scored against labels; :meth:`as_dict` is the ``--json`` record.

    ``flagged``, ``anomalies`` and ``found`` count units (sessions or verdicts, see ``kind``):
    flagged by the run, anomalous by the labels, both. ``unmatched`` counts labelled anomalies
    no verdict covers (sessions, or lines in line mode); ``unlabelled`` counts verdict units the
    labels do not cover, left out of the score. ``by_source`` says who decided each flagged
    unit (``small``, ``llm``, ``cache``, ``fallback``) and how many of them were found
    anomalies. Line mode adds the line-level view: ``anomalous_lines`` in the label files,
    ``lines_found`` of them inside a flagged verdict's span, and ``line_recall``.
    """

    kind: Literal["session", "line"]
    verdicts: int
    duplicates: int
    scored: int
    flagged: int
    anomalies: int
    found: int
    precision: float
    recall: float
    f1: float
    false_alarms: int
    unmatched: int
    unlabelled: int
    flagged_unlabelled: int
    by_source: dict[str, dict[str, int]]
    labels: list[str]
    no_span: int = 0
    anomalous_lines: int | None = None
    lines_found: int | None = None
    line_recall: float | None = None
    label_files: list[LabelFileCounts] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.kind == "session":
            for key in ("no_span", "anomalous_lines", "lines_found", "line_recall", "label_files"):
                out.pop(key)
        return out


@dataclass(frozen=True)
class _Verdict:
    key: str
    abnormal: bool
    source: str
    span: tuple[Span, ...] | None  # None: written before verdicts carried spans


def score_verdicts(verdicts_path: str | os.PathLike[str], labels: Iterable[str | os.PathLike[str]],
                   config: ScoringConfig | None = None) -> VerdictScore:
    """Score the verdicts in a JSONL file against one or more label files of one kind."""
    config = config or ScoringConfig()
    label_paths = [Path(p) for p in labels]
    if not label_paths:
        raise ScoringError("no label file given")
    for p in label_paths:
        if not p.is_file():
            raise ScoringError(f"label file {str(p)!r} does not exist or is not a file")
    kinds = {detect_labels_kind(p) if config.kind == "auto" else config.kind for p in label_paths}
    if len(kinds) > 1:
        raise ScoringError("the label files are of different kinds (session CSV and line labels); "
                           "score them separately or set the kind")
    verdicts, duplicates = read_verdicts(Path(verdicts_path))
    if kinds == {"session"}:
        session_labels: dict[str, int] = {}
        for p in label_paths:
            for sid, y in read_session_label_csv(p, config).items():
                session_labels[sid] = max(y, session_labels.get(sid, 0))
        return _score_sessions(verdicts, duplicates, session_labels, [str(p) for p in label_paths])
    return _score_lines(verdicts, duplicates, label_paths, config.normal_token)


# --------------------------------------------------------------------------- reading

def read_verdicts(path: Path) -> tuple[list[_Verdict], int]:
    """The verdicts of a JSONL file, one per identity (the later line wins), and how many
    repeated lines were dropped."""
    if not path.is_file():
        raise ScoringError(f"verdicts file {str(path)!r} does not exist or is not a file")
    by_identity: dict[tuple, _Verdict] = {}
    lines = 0
    with path.open(encoding="utf-8") as fh:
        for line_no, text in enumerate(fh, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
                span = row.get("span")
                v = _Verdict(str(row["key"]), row["status"] == "abnormal", str(row.get("source", "")),
                             None if span is None else tuple(Span.from_dict(s) for s in span))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ScoringError(f"{path}:{line_no}: not a verdict line ({type(exc).__name__}: {exc}); "
                                   "expected the JSONL that `logsieve detect --out` writes") from exc
            lines += 1
            first = v.span[0][:2] if v.span else None
            by_identity.pop((v.key, first), None)  # re-insert so the later line keeps its place
            by_identity[(v.key, first)] = v
    return list(by_identity.values()), lines - len(by_identity)


def detect_labels_kind(path: Path) -> Literal["session", "line"]:
    """``session`` for a ``.csv`` file, or one whose first line is two or more comma-separated
    fields without spaces (a header such as ``BlockId,Label``, or a first ``id,label`` row);
    else ``line``."""
    if path.suffix.lower() == ".csv":
        return "session"
    for item in read_lines(path):
        if isinstance(item, QuarantineRecord):
            break
        first = item.data.decode("utf-8", "replace").strip()
        if not first:
            continue
        cells = next(csv.reader([first]))
        if len(cells) >= 2 and all(c.strip() and not any(ch.isspace() for ch in c.strip()) for c in cells):
            return "session"
        break
    return "line"


def read_session_label_csv(path: Path, config: ScoringConfig) -> dict[str, int]:
    """``{session id: 0 or 1}`` from an ``id,label`` CSV; finds the header and the columns."""
    anomaly = {v.strip().lower() for v in (config.anomaly_values or DEFAULT_ANOMALY_VALUES)}
    normal = set() if config.anomaly_values else set(DEFAULT_NORMAL_VALUES)
    rows = _csv_rows(path)
    if not rows:
        raise ScoringError(f"{path}: no rows")
    head = [c.strip() for c in rows[0]]
    header = _is_header(rows, config, anomaly | normal | set(DEFAULT_ANOMALY_VALUES) | set(DEFAULT_NORMAL_VALUES))
    id_col = _column(path, head if header else None, config.id_column, default=0, role="id")
    label_col = _column(path, head if header else None, config.label_column,
                        default=_label_default(head) if header else 1, role="label")
    out: dict[str, int] = {}
    for row_no, row in enumerate(rows[1:] if header else rows, 2 if header else 1):
        if not any(c.strip() for c in row):
            continue
        if max(id_col, label_col) >= len(row):
            raise ScoringError(f"{path}:{row_no}: {len(row)} column(s), need column {max(id_col, label_col)} "
                               "(0-based); check --id-column / --label-column")
        value = row[label_col].strip().lower()
        if value in anomaly:
            y = 1
        elif not normal or value in normal:
            y = 0
        else:
            raise ScoringError(f"{path}:{row_no}: label {row[label_col].strip()!r} is neither anomalous "
                               f"{sorted(anomaly)} nor normal {sorted(normal)}; name the anomalous value "
                               "with --anomaly-value (every other value is then normal)")
        sid = row[id_col].strip()
        out[sid] = max(y, out.get(sid, 0))
    return out


def _csv_rows(path: Path) -> list[list[str]]:
    texts = []
    for item in read_lines(path):
        if isinstance(item, QuarantineRecord):
            raise ScoringError(f"{path}:{item.line_no}: cannot read ({item.reason.value}: {item.detail})")
        texts.append(item.data.decode("utf-8", "replace"))
    return list(csv.reader(texts))


def _is_header(rows: list[list[str]], config: ScoringConfig, values: set[str]) -> bool:
    """A first row is a header when it holds a column named by an option, or when its label
    cell is no known label value and recurs in no later row (a column name is not a value)."""
    head = [c.strip() for c in rows[0]]
    named = {c for c in (config.id_column, config.label_column) if c is not None and not c.isdigit()}
    if named & set(head):
        return True
    pos = int(config.label_column) if config.label_column and config.label_column.isdigit() else min(1, len(head) - 1)
    if pos >= len(head):
        return False
    cell = head[pos]
    later = {r[pos].strip() for r in rows[1:] if len(r) > pos}
    return cell.lower() not in values and cell not in later


def _label_default(head: list[str]) -> int:
    for i, name in enumerate(head):
        if name.lower() in ("label", "labels", "anomaly", "is_anomaly", "status"):
            return i
    return 1 if len(head) > 1 else 0


def _column(path: Path, head: list[str] | None, option: str | None, *, default: int, role: str) -> int:
    if option is None:
        return default
    if head is not None and option in head:
        return head.index(option)
    if option.isdigit():
        return int(option)
    where = f"columns are {head}" if head is not None else "the file has no header, so give a 0-based position"
    raise ScoringError(f"{path}: no {role} column {option!r}; {where}")


@dataclass
class _LineLabels:
    """One label file's anomalous line numbers (ascending) and its line count."""

    path: Path
    bad: list[int]
    lines: int


def read_line_labels(path: Path, normal_token: str) -> _LineLabels:
    """Anomalous line numbers of a first-token label file, numbered as the readers number them.
    An empty line (no token) is normal; a line too long to read keeps its number and its first
    bytes, which hold the token."""
    normal = normal_token.encode("utf-8")
    bad: list[int] = []
    lines = 0
    for item in read_lines(path):
        if isinstance(item, RawLine):
            data = item.data
        elif item.reason is QuarantineReason.TOO_LONG:
            data = item.raw
        else:
            raise ScoringError(f"{path}:{item.line_no}: cannot read ({item.reason.value}: {item.detail})")
        lines = item.line_no
        token = data.split(None, 1)[0] if data.strip() else normal
        if token != normal:
            bad.append(item.line_no)
    return _LineLabels(path, bad, lines)


# --------------------------------------------------------------------------- scoring

def _score_sessions(verdicts: list[_Verdict], duplicates: int, labels: dict[str, int],
                    label_names: list[str]) -> VerdictScore:
    flagged_by: dict[str, str] = {}  # session -> source of its first abnormal verdict
    seen: set[str] = set()
    for v in verdicts:
        sid = base_key(v.key)
        seen.add(sid)
        if v.abnormal and sid not in flagged_by:
            flagged_by[sid] = v.source
    scored = [sid for sid in seen if sid in labels]
    flagged = [sid for sid in scored if sid in flagged_by]
    found = [sid for sid in flagged if labels[sid]]
    anomalies = sum(labels.values())
    by_source: dict[str, dict[str, int]] = defaultdict(lambda: {"flagged": 0, "found": 0})
    for sid in flagged:
        by_source[flagged_by[sid]]["flagged"] += 1
        by_source[flagged_by[sid]]["found"] += labels[sid]
    return _record("session", verdicts, duplicates, scored=len(scored), flagged=len(flagged), anomalies=anomalies,
                   found=len(found), unmatched=sum(y for sid, y in labels.items() if sid not in seen),
                   unlabelled=len(seen) - len(scored),
                   flagged_unlabelled=sum(sid not in labels for sid in flagged_by), by_source=by_source,
                   labels=label_names)


def _score_lines(verdicts: list[_Verdict], duplicates: int, paths: list[Path], normal_token: str) -> VerdictScore:
    files = [read_line_labels(p, normal_token) for p in paths]
    match = _FileMatcher(files)
    with_span = [v for v in verdicts if v.span is not None]
    if verdicts and not with_span:
        raise ScoringError("no verdict carries a span (the lines it covers); line labels are read through the "
                           "span, so re-run `logsieve detect --out` with this version")
    covered = {id(f): bytearray(len(f.bad)) for f in files}  # 1: in some span, 2: in a flagged span
    counts = {id(f): LabelFileCounts(str(f.path), f.lines, len(f.bad)) for f in files}
    scored = flagged = anomalies = found = unlabelled = flagged_unlabelled = 0
    by_source: dict[str, dict[str, int]] = defaultdict(lambda: {"flagged": 0, "found": 0})
    for v in with_span:
        truth: bool | None = None
        touched: set[int] = set()
        for span in v.span or ():
            f = match(span.file)
            if f is None:
                continue
            touched.add(id(f))
            lo = bisect.bisect_left(f.bad, span.first)
            hi = bisect.bisect_right(f.bad, span.last)
            truth = bool(truth) or hi > lo
            if hi > lo:
                marks = covered[id(f)]
                mark = 2 if v.abnormal else 1
                for i in range(lo, hi):
                    if marks[i] < mark:
                        marks[i] = mark
        if truth is None:  # no span names a label file
            unlabelled += 1
            flagged_unlabelled += v.abnormal
            continue
        for fid in touched:
            counts[fid].verdicts += 1
        scored += 1
        anomalies += truth
        if v.abnormal:
            flagged += 1
            found += truth
            by_source[v.source]["flagged"] += 1
            by_source[v.source]["found"] += truth
    anomalous_lines = sum(len(f.bad) for f in files)
    lines_found = sum(m.count(2) for m in covered.values())
    unmatched = sum(m.count(0) for m in covered.values())
    return _record("line", verdicts, duplicates, scored=scored, flagged=flagged, anomalies=anomalies, found=found,
                   unmatched=unmatched, unlabelled=unlabelled, flagged_unlabelled=flagged_unlabelled,
                   by_source=by_source, labels=[str(p) for p in paths], no_span=len(verdicts) - len(with_span),
                   anomalous_lines=anomalous_lines, lines_found=lines_found,
                   line_recall=lines_found / anomalous_lines if anomalous_lines else 0.0,
                   label_files=[counts[id(f)] for f in files])


class _FileMatcher:
    """A span's file -> its label file: the same path, the same absolute path, or the same file
    name (only when one label file has it)."""

    def __init__(self, files: list[_LineLabels]) -> None:
        self.exact = {str(f.path): f for f in files}
        self.absolute = {os.path.abspath(f.path): f for f in files}
        names: dict[str, list[_LineLabels]] = defaultdict(list)
        for f in files:
            names[f.path.name].append(f)
        self.names = names
        self._cache: dict[str, _LineLabels | None] = {}

    def __call__(self, file: str) -> _LineLabels | None:
        if file not in self._cache:
            found = self.exact.get(file) or self.absolute.get(os.path.abspath(file))
            if found is None:
                same_name = self.names.get(os.path.basename(file), [])
                if len(same_name) > 1:
                    raise ScoringError(f"span file {file!r} matches several label files by name "
                                       f"({[str(f.path) for f in same_name]}); pass the paths given to detect")
                found = same_name[0] if same_name else None
            self._cache[file] = found
        return self._cache[file]


def _record(kind: Literal["session", "line"], verdicts: list[_Verdict], duplicates: int, *, scored: int,
            flagged: int, anomalies: int, found: int, **rest: Any) -> VerdictScore:
    precision = found / flagged if flagged else 0.0
    recall = found / anomalies if anomalies else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_source = {k: dict(v) for k, v in sorted(rest.pop("by_source").items())}
    return VerdictScore(kind=kind, verdicts=len(verdicts), duplicates=duplicates, scored=scored, flagged=flagged,
                        anomalies=anomalies, found=found, precision=precision, recall=recall, f1=f1,
                        false_alarms=flagged - found, by_source=by_source, **rest)

