"""Labelled data sets that come already parsed: sessions as event-id lists plus a template file.

Some public anomaly-detection sets ship no raw text, only sequences: one session a line,
``<session id>,<space-separated event ids>``, where event id N is line N (1-based) of a
template file (the AIT review's Hadoop and OpenStack sets in ``shared/data/sequences_ait``).
Each sequence file holds sessions of one label. Such a set skips ingest, parsing and grouping:
a session becomes a :class:`~logsieve.records.Sequence` of template ids with no lines, and
its template ids index the file's templates, so the LLM can read the sequence as template text
(there are no raw lines and no parameters to show).

Splitting: the files already say which sessions train (the source's train files); the test
files are random samples without timestamps, so no chronological split is possible. The
validation split is carved out of them at random, with a fixed seed, per label (stratified),
in the share ``validation / (validation + test)`` of the split config (0.125 with the default
0.2/0.1/0.7); the rest is test. Say so wherever a figure on such a set is quoted.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from logsieve.evaluate.splits import SplitConfig, Splits
from logsieve.records import Sequence

SPLIT_METHOD = "given train, random validation"


class EventIdsError(ValueError):
    """A sequence or template file that does not follow the layout; the message says where."""


class EventIdSpec(BaseModel):
    """An event-id data set: template file, sequence files per split and label, split seed.

    Relative paths are resolved against the data dir, as for log data sets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["event_ids"] = "event_ids"
    name: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*$")
    description: str = ""
    templates: str
    """Line N (1-based) is the text of event id N."""
    train_normal: tuple[str, ...] = ()
    train_abnormal: tuple[str, ...] = ()
    test_normal: tuple[str, ...] = Field(min_length=1)
    test_abnormal: tuple[str, ...] = Field(min_length=1)
    seed: int = 0
    """Seed of the random validation carve (the same seed gives the same splits)."""

    @model_validator(mode="after")
    def _has_train(self) -> EventIdSpec:
        if not (self.train_normal or self.train_abnormal):
            raise ValueError("an event-id data set needs train_normal or train_abnormal files")
        return self

    # the parts of a log data set's interface that the CLI and reports use
    @property
    def format(self) -> str:
        return "event ids"

    @property
    def windowed(self) -> bool:
        return False

    def resolve(self, data_dir: Path, path: str) -> Path:
        """``path`` as given if absolute, else under ``data_dir``."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else data_dir / p

    def required_files(self, data_dir: Path) -> dict[str, Path]:
        names = [self.templates, *self.train_normal, *self.train_abnormal, *self.test_normal, *self.test_abnormal]
        return {n: self.resolve(data_dir, n) for n in names}

    def with_window_size(self, size: int) -> EventIdSpec:
        """Sessions are given, not windows: unchanged."""
        return self

    def describe(self) -> dict[str, str]:
        """What ``logsieve datasets`` says about its grouping and labels."""
        return {"grouping": "sessions given as event-id lists (no raw lines)",
                "labels": "per file (train and test files of each label); validation carved at random "
                          f"from the test files, seed {self.seed}"}


def read_templates(path: Path) -> dict[int, str]:
    """``{event id: text}``: line N is event id N; a blank line keeps its number."""
    with path.open(encoding="utf-8") as fh:
        return {n: line.rstrip("\r\n") for n, line in enumerate(fh, 1)}


def read_sequences(path: Path, label: int, templates: dict[int, str]) -> Iterator[Sequence]:
    """The sessions of one file, all with ``label``; an id outside the template file is an error."""
    with path.open(encoding="utf-8") as fh:
        for row, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            key, sep, ids = line.partition(",")
            try:
                events = [int(t) for t in ids.split()]
            except ValueError:
                raise EventIdsError(f"{path}:{row}: expected '<session id>,<event ids>', got {line[:80]!r}") from None
            if not sep or not key:
                raise EventIdsError(f"{path}:{row}: expected '<session id>,<event ids>', got {line[:80]!r}")
            unknown = [e for e in events if e not in templates]
            if unknown:
                raise EventIdsError(f"{path}:{row}: event id {unknown[0]} is not a line of the template file "
                                    f"({len(templates)} lines)")
            yield Sequence(key, events, label=label)


def split_event_ids(spec: EventIdSpec, data_dir: Path, templates: dict[int, str],
                    split: SplitConfig | None = None) -> Splits:
    """Train from the train files; validation carved at random, per label, from the test files."""
    cfg = split or SplitConfig()
    share = cfg.validation / (cfg.validation + cfg.test) if cfg.validation + cfg.test > 0 else 0.0
    rng = random.Random(spec.seed)

    def read(files: Iterable[str], label: int) -> list[Sequence]:
        return [s for f in files for s in read_sequences(spec.resolve(data_dir, f), label, templates)]

    train = read(spec.train_normal, 0) + read(spec.train_abnormal, 1)
    validation: list[Sequence] = []
    test: list[Sequence] = []
    for files, label in ((spec.test_normal, 0), (spec.test_abnormal, 1)):
        part = read(files, label)
        rng.shuffle(part)
        cut = round(share * len(part))
        validation += part[:cut]
        test += part[cut:]
    # one order for each split, the same for every run with this seed: labels interleaved
    rng.shuffle(validation)
    rng.shuffle(test)
    return Splits(train, validation, test, method=SPLIT_METHOD)
