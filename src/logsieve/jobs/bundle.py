"""A trained model directory, as ``logsieve train`` writes it and ``logsieve detect`` reads it.

    DIR/detector.json + model files   the detector (see logsieve.detectors.base)
    DIR/parser/                       the Drain state it was trained with (template ids)
    DIR/bundle.json                   this record: data set, log format, grouping, CoLA's tau

Keeping the parser with the detector matters for detectors that read template ids (counts):
a fresh parser on new logs would number templates differently.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from logsieve.persist import read_json_checked, write_json_atomic
from logsieve.sessions import GroupingConfig, SessionConfig

BUNDLE_FILE = "bundle.json"
_FORMAT, _VERSION = "logsieve-model-bundle", 1


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

    def save(self, path: Path) -> Path:
        return write_json_atomic(path / BUNDLE_FILE, {"format": _FORMAT, "version": _VERSION,
                                                      "bundle": self.model_dump(mode="json")})

    @classmethod
    def load(cls, path: Path) -> ModelBundle:
        target = path / BUNDLE_FILE
        if not target.exists():
            raise BundleError(f"{path} is not a trained model directory ({BUNDLE_FILE} missing); make one with "
                              "`logsieve train --detector logmoe --dataset hdfs-sample --out DIR`")
        doc = read_json_checked(target, _FORMAT, _VERSION, what="a logsieve model bundle", error=BundleError,
                                advice="train the model again with `logsieve train`")
        return cls.model_validate(doc["bundle"])
