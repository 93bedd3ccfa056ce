"""Masking: replace obvious variables (IPs, numbers, hex, ...) with ``<*>`` before clustering.

Masking is what lets a tree parser see ``Receiving block <*> src: <*>`` instead of a new shape
for every IP. Rules live in YAML so a user can add one for their system without code. Two kinds:

* ``regex``: every match in the line becomes ``<*>``;
* ``token``: a whitespace token that the regex matches *anywhere* becomes ``<*>`` as a whole
  (e.g. "any token with a digit is a variable", which is cheap and strong for grouping);
* ``span``: a variable that spans several tokens (``Fri Jul  1 07:57:30 2005``,
  ``2034 bytes (1.98 KB)``) becomes one ``<*>`` token, so lines whose variables differ in token
  count still have the same shape. Span rules run first, on the whole line.

Regex and token rules work inside one token, so the masked line lines up with the raw tokens and
parameters are read off by position; :meth:`Masker.split` returns the raw tokens with a span
rule's match as a single raw token, so the alignment holds with span rules too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    kind: Literal["regex", "token", "span"] = "regex"
    pattern: str
    # span rules only: a token regex; the span pattern runs only on lines holding a matching
    # token. Span regexes scan the whole line, which costs more than all per-token rules
    # together; a trigger keeps that cost off the lines that cannot match.
    trigger: str | None = None
    # regex and token rules: run only on tokens containing this text (a cheap pre-check that
    # spares a regex call on most new tokens, e.g. "." for addresses, "/" for paths).
    contains: str | None = None

    @field_validator("pattern", "trigger")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is None:
            return value
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

    The bound is 50,000 tokens; the memory is emptied, between two lines, once past it. Each new block id, request id or address is a
    new entry, so a service fills any bound in minutes; in `logsieve serve` an entry costs about
    230 bytes of resident memory. At 2,000 HDFS lines/s a 200,000 bound made RSS climb ~5 MB a
    minute towards ~210 MB; 50,000 levels off near 170 MB, with the same parsing speed (a
    routine vocabulary is a few thousand words).
    """

    def __init__(self, config: MaskingConfig, token_cache_size: int = 50_000) -> None:
        self.config = config
        self._regex = [(r.contains, re.compile(r.pattern)) for r in config.rules if r.kind == "regex"]
        self._token = [(r.contains, re.compile(r.pattern)) for r in config.rules if r.kind == "token"]
        spans = [r for r in config.rules if r.kind == "span"]
        self._span = re.compile("|".join(f"(?:{r.pattern})" for r in spans)) if spans else None
        # With every span rule triggered, the span regex runs only on lines holding a token
        # seen to match a trigger; those tokens are remembered in a set checked at C speed.
        self._always_span = any(r.trigger is None for r in spans)
        triggers = [r.trigger for r in spans if r.trigger is not None]
        self._trigger = re.compile("|".join(f"(?:{t})" for t in triggers)) if triggers else None
        self._triggered: set[str] = set()
        self._cache: dict[str, str] = {}
        self._cache_size = token_cache_size

    def mask_token(self, token: str) -> str:
        """Mask one token; a token that ends up partly masked stays partly masked."""
        for needle, rx in self._token:
            if (needle is None or needle in token) and rx.search(token):
                return PARAM
        for needle, rx in self._regex:
            if needle is None or needle in token:
                token = rx.sub(PARAM, token)
        return token

    def mask(self, text: str) -> list[str]:
        """Split a line on whitespace and mask each token."""
        return self.split(text)[1]

    def split(self, text: str) -> tuple[list[str], list[str]]:
        """Return ``(raw_tokens, masked_tokens)`` of one line, aligned position by position.

        Without span rules the raw tokens are ``text.split()``. With them, each span match is
        one raw token (its text, inner whitespace kept) and one ``<*>``.
        """
        raw, masked, _ = self._split(text)
        return raw, masked

    def split_key(self, text: str) -> tuple[list[str] | None, str]:
        """:meth:`split` for handing a line to another process: ``(raw, key)`` where ``key`` is
        the masked tokens joined by one space and ``raw`` is ``None`` when it is just
        ``text.split()`` (no span rule applied), which the receiver can redo for less than the
        cost of sending it."""
        raw, masked, spanned = self._split(text)
        return (raw if spanned else None), " ".join(masked)

    def _split(self, text: str) -> tuple[list[str], list[str], bool]:
        """Raw tokens, masked tokens, and whether a span rule joined some raw tokens."""
        raw = text.split()
        masked = self._mask_all(raw)
        spanned = False
        span = self._span
        if span is not None and (self._always_span or not self._triggered.isdisjoint(raw)):
            found = self._split_spans(text, span)
            if found is not None:
                (raw, masked), spanned = found, True
        if len(self._cache) > self._cache_size:
            self._forget()
        return raw, masked, spanned

    def _forget(self) -> None:
        """Empty the token memory, between two lines only: within a line every token is then
        in the memory (and in the trigger set if it is a trigger) when the span rules are
        decided, so the result never depends on which lines came before, and two maskers (a
        reading process and this one) agree whatever each has seen."""
        self._cache.clear()
        self._triggered.clear()

    def _split_spans(self, text: str, span: re.Pattern[str]) -> tuple[list[str], list[str]] | None:
        raw: list[str] = []
        masked: list[str] = []
        pos = 0
        for m in span.finditer(text):
            if m.start() == m.end():
                continue
            between = text[pos:m.start()].split()
            raw.extend(between)
            masked.extend(self._mask_all(between))
            raw.append(m.group(0))
            masked.append(PARAM)
            pos = m.end()
        if not pos:
            return None
        rest = text[pos:].split()
        raw.extend(rest)
        masked.extend(self._mask_all(rest))
        return raw, masked

    def _mask_all(self, tokens: list[str]) -> list[str]:
        cache = self._cache
        # a masked token is never empty, so `or` only falls through on a cache miss
        return [cache.get(tok) or self._first_sight(tok) for tok in tokens]

    def _first_sight(self, tok: str) -> str:
        masked = self.mask_token(tok)
        self._cache[tok] = masked
        if self._trigger is not None and self._trigger.search(tok):
            self._triggered.add(tok)
        return masked


Premasked = tuple[list[str] | None, str]
"""A line masked ahead: its raw tokens (``None`` when they are just ``content.split()``) and its
masked tokens joined by one space, the key :meth:`DrainParser.learn_masked` takes."""


class Premasker:
    """``content -> (raw tokens or None, masked key)`` for a share of the lines, ``None`` for the
    rest: masking in a reading process (:func:`logsieve.ingest.read_ahead.read_records_ahead`).

    ``share`` lines in every one are masked here, spread evenly (``0.5``: every other line); the
    receiver masks the others, so the two processes share the work. Masking does not depend on
    which lines a masker saw before (see :meth:`Masker._forget`), so where a line is masked never
    changes its result.

    Equal keys come back as one string object (until ``max_keys`` distinct keys, then the
    memory starts over), so a batch of lines pickles each distinct key once. ``raw`` is sent only
    when a span rule made it differ from ``content.split()``, which the receiver recomputes.
    """

    def __init__(self, masker: Masker, share: float = 0.5, max_keys: int = 100_000) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be between 0 and 1, got {share}")
        self.share = share
        self._split_key = masker.split_key
        self._keys: dict[str, str] = {}
        self._max_keys = max_keys
        self._due = 0.0

    def __call__(self, content: str) -> Premasked | None:
        self._due += self.share
        if self._due < 1.0:
            return None
        self._due -= 1.0
        raw, key = self._split_key(content)
        same = self._keys.get(key)
        if same is None:
            if len(self._keys) >= self._max_keys:
                self._keys.clear()
            self._keys[key] = same = key
        return raw, same
