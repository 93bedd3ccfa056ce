"""Typed configuration, loaded from YAML (``--config cfg.yaml``).

One object per layer, so a config file reads like the pipeline::

    ingest:
      format: HDFS
      formats_files: [my_formats.yaml]
      max_line_bytes: 1000000
    parser:
      depth: 5
      similarity: 0.5
      masking:            # or leave out for the packaged default rules
        rules:
          - {name: ip, kind: regex, pattern: '\\d+\\.\\d+\\.\\d+\\.\\d+'}

Unknown keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from logsieve.parsing import DrainConfig


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str | None = None
    formats_files: tuple[Path, ...] = ()
    max_line_bytes: int = Field(default=1_000_000, ge=64)


class LogsieveConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ingest: IngestConfig = Field(default_factory=IngestConfig)
    parser: DrainConfig = Field(default_factory=DrainConfig)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the problem."""


def load_config(path: Path | None) -> LogsieveConfig:
    if path is None:
        return LogsieveConfig()
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping (ingest:, parser:)")
    try:
        return LogsieveConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
