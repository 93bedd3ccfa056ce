"""Masking: replace obvious variables (IPs, numbers, hex, ...) with ``<*>`` before clustering.

Masking is what lets a tree parser see ``Receiving block <*> src: <*>`` instead of a new shape
for every IP. Rules live in YAML so a user can add one for their system without code. Two kinds:

* ``regex``: every match in the line becomes ``<*>``;
* ``token``: a whitespace token that the regex matches *anywhere* becomes ``<*>`` as a whole
  (e.g. "any token with a digit is a variable", which is cheap and strong for grouping).

Regex rules must not match whitespace, so the masked line has as many tokens as the raw one and
parameters can be read off the raw tokens by position.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

PARAM = "<*>"
MASKING_FORMAT_VERSION = 1


class MaskingRule(BaseModel):
    """One masking rule, as written in YAML."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Literal["regex", "token"] = "regex"
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"masking pattern {value!r} is not a valid regex: {exc}") from exc
        return value


class MaskingConfig(BaseModel):
    """An ordered list of rules; the default is the packaged ``masking.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = MASKING_FORMAT_VERSION
    rules: tuple[MaskingRule, ...] = Field(default_factory=tuple)

    @classmethod
    def default(cls) -> "MaskingConfig":
        text = resources.files("logsieve.parsing").joinpath("masking.yaml").read_text("utf-8")
        return cls.from_yaml_text(text)

    @classmethod
    def none(cls) -> "MaskingConfig":
        return cls(rules=())

    @classmethod
    def from_yaml(cls, path: str | Path) -> "MaskingConfig":
        return cls.from_yaml_text(Path(path).read_text("utf-8"), origin=str(path))

    @classmethod
    def from_yaml_text(cls, text: str, origin: str = "<text>") -> "MaskingConfig":
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict) or "rules" not in data:
            raise ValueError(f"{origin}: a masking file needs a top-level 'rules:' list")
        version = data.get("version", MASKING_FORMAT_VERSION)
        if version != MASKING_FORMAT_VERSION:
            raise ValueError(
                f"{origin}: masking file version {version} is not supported "
                f"(this logsieve reads version {MASKING_FORMAT_VERSION})"
            )
        return cls.model_validate(data)


class Masker:
    """Applies a :class:`MaskingConfig` token by token, fast.

    Each whitespace token is masked on its own (regex rules in order, then token rules), so the
    masked line always has as many tokens as the raw one and parameters line up by position.
    Results are remembered per distinct token (bounded), because real logs repeat the same words
    millions of times while only the variables change.
    """

    def __init__(self, config: MaskingConfig, token_cache_size: int = 200_000) -> None:
        self.config = config
        self._regex = [re.compile(r.pattern) for r in config.rules if r.kind == "regex"]
        self._token = [re.compile(r.pattern) for r in config.rules if r.kind == "token"]
        self._cache: dict[str, str] = {}
        self._cache_size = token_cache_size

    def mask_token(self, token: str) -> str:
        """Mask one token; a token that ends up partly masked stays partly masked."""
        for rx in self._token:
            if rx.search(token):
                return PARAM
        for rx in self._regex:
            token = rx.sub(PARAM, token)
        return token

    def mask(self, text: str) -> list[str]:
        """Split a line on whitespace and mask each token."""
        cache = self._cache
        out = []
        append = out.append
        for tok in text.split():
            masked = cache.get(tok)
            if masked is None:
                masked = self.mask_token(tok)
                if len(cache) >= self._cache_size:
                    cache.clear()
                cache[tok] = masked
            append(masked)
        return out
