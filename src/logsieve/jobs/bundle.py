"""A trained model directory, as ``logsieve train`` writes it and ``logsieve detect`` reads it.

    DIR/detector.json + model files   the detector (see logsieve.detectors.base)
    DIR/parser/                       the Drain state it was trained with (template ids)
    DIR/bundle.json                   this record: data set, log format, grouping, CoLA's tau,
                                      the known templates and the trust rule (version 2)
    DIR/examples.jsonl, examples.npy  the few-shot example bank: labelled train and validation
                                      sequences with their embeddings (:mod:`logsieve.engine.bank`)

Keeping the parser with the detector matters for detectors that read template ids (counts):
a fresh parser on new logs would number templates differently.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from logsieve.collab.trust import TrustRule
from logsieve.persist import read_json_marked, write_json_atomic
from logsieve.sessions import GroupingConfig, SessionConfig

BUNDLE_FILE = "bundle.json"
_FORMAT, _VERSION = "logsieve-model-bundle", 2
UPGRADE_ADVICE = ("it has no few-shot example bank, known-template list or trust rule, so the LLM judges "
                  "without examples and its answers are trusted by the default rule; upgrade it by training "
                  "again: `logsieve train --detector DETECTOR --dataset DATASET --out DIR` "
                  "(add `--llm embedded` to measure the trust rule on validation)")


class BundleError(RuntimeError):
    """A model directory is missing or unreadable; the message says how to make one."""


class ModelBundle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    detector: str
    dataset: str = ""
    fit_on: list[str] = Field(default_factory=list)
    format: str = "raw"
    grouping: GroupingConfig = Field(default_factory=SessionConfig)
    tau: float = Field(default=0.0, ge=0.0, le=1.0)
    known_templates: list[int] | None = None
    """Template ids of the train and validation sequences: what the small model has seen. A
    sequence holding any other is never-seen (routed to the LLM). None: a version-1 bundle,
    where the parser state's templates stand in (they include whatever the parser saw)."""
    trust: TrustRule = Field(default_factory=TrustRule)
    """Who decides each routed situation, with the validation figures that chose it."""
    expert: dict[str, str] = Field(default_factory=dict)
    """The prompt and model the trust rule was measured with (empty: not measured)."""
    examples: int = 0
    """Labelled sequences in the example bank (``examples.jsonl``)."""
    label_origin: dict[str, int] = Field(default_factory=dict)
    """Who made the labels the model was fitted on, and how many (``logsieve learn``: none at all,
    or with an LLM ``llm`` / ``propagated`` / ``label-free``; each sequence's in ``labels.jsonl``).
    Empty: a data set's labels (``logsieve train``)."""
    upgrade_note: str = Field(default="", exclude=True)
    """Set on loading a bundle from an older version: what it lacks and how to upgrade it."""

    def save(self, path: Path) -> Path:
        return write_json_atomic(path / BUNDLE_FILE, {"format": _FORMAT, "version": _VERSION,
                                                      "bundle": self.model_dump(mode="json")})

    @classmethod
    def load(cls, path: Path) -> ModelBundle:
        target = path / BUNDLE_FILE
        if not target.exists():
            raise BundleError(f"{path} is not a trained model directory ({BUNDLE_FILE} missing); make one with "
                              "`logsieve train --detector logmoe --dataset hdfs-sample --out DIR`")
        doc = read_json_marked(target, _FORMAT, what="a logsieve model bundle", error=BundleError)
        version = doc.get("version")
        if version == 1:  # loads, with defaults for what it lacks and a note saying how to upgrade
            return cls.model_validate(doc["bundle"]).model_copy(
                update={"upgrade_note": f"{path} is a version-1 model bundle: {UPGRADE_ADVICE}"})
        if version != _VERSION:
            raise BundleError(f"{target} was written as a logsieve model bundle version {version}, this logsieve "
                              f"reads versions 1 and {_VERSION}; train the model again with `logsieve train`")
        return cls.model_validate(doc["bundle"])
