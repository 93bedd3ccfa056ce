"""``logsieve serve``'s typed config, read from YAML (``--config serve.yaml``).

Every field has a default a laptop can run with, and command-line options override the file.
Unknown keys are errors: a typo in ``max_body_bytes`` must not silently leave the default. ::

    host: 127.0.0.1          # anything else needs a token, from the variable token_env names
    port: 8765
    model: .logsieve/models/logmoe-hdfs-sample   # none here and none there: warm up, learn, swap in
    format: HDFS             # default: the format the model was trained on
    warmup: {lines: 5000, minutes: 10, expected_share: 0.02, format: auto}   # used only with no model
    store: .logsieve/serve.db
    files: [/var/log/app.log]  # followed like tail -F, offsets kept across restarts
    llm: embedded            # embedded | none | http://host:port/v1 | {kind: openai, ...}
    grouping: {kind: session, idle_lines: 20000}   # default: the model's own grouping
    batch_size: 64
    max_wait_s: 2.0
    alerts: {sinks: [{kind: webhook, url: "http://127.0.0.1:9000/hook"}]}
    adapt: {enabled: true, warmup: 50, retrain_every: 200}   # learning while running (default on)
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from logsieve.engine.adapting import AdaptSection
from logsieve.service.warmup import WarmupSection
from logsieve.sessions import GroupingConfig

Mode = Literal["cola", "collaborlog", "small-only", "llm-only"]
DEFAULT_MODEL = Path(".logsieve/models/logmoe-hdfs-sample")
"""Served when ``model`` is not set and this directory holds a trained bundle."""


class ServeConfigError(ValueError):
    """The config file cannot be used; the message says which key and what to write."""


class ServeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    """0 picks a free port (the URL printed at start says which)."""
    token_env: str = "LOGSIEVE_TOKEN"
    """The environment variable holding the bearer token; required when ``host`` is not
    loopback (a token in a config file would end up in a repository)."""
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_line_bytes: int = Field(default=64 * 1024, ge=64)
    max_backlog_lines: int = Field(default=2_000_000, ge=1000)
    """Lines accepted but not yet through the parser; past this /ingest answers 429 so a
    flood cannot fill the disk faster than detection drains it."""

    api_threads: int = Field(default=8, ge=1, le=64)
    """Threads serving API routes (each holds a SQLite connection and its page cache)."""

    files: tuple[Path, ...] = ()
    stdin: bool = False
    """Also read lines from standard input (no resume across restarts: a pipe has no offset)."""
    poll_s: float = Field(default=0.5, gt=0)

    model: Path | None = None
    """A trained bundle. None: :data:`DEFAULT_MODEL` when it exists, else the model a warm-up
    on this store learnt before, else a warm-up (``warmup:``) that learns one from the first
    lines and swaps it in while serving."""
    warmup: WarmupSection = Field(default_factory=WarmupSection)
    """Used only with no model to serve: how long to warm up, what share to expect abnormal,
    the incoming format (:mod:`logsieve.service.warmup`)."""
    format: str | None = None
    formats_files: tuple[Path, ...] = ()
    mode: Mode = "cola"
    llm: str | dict[str, Any] | None = "embedded"
    llm_model: str | None = None
    tau: float | None = Field(default=None, ge=0.0, le=1.0)
    max_llm_calls: int | None = Field(default=None, ge=0)
    coordinator: Path | None = None
    grouping: GroupingConfig | None = None

    store: Path = Path(".logsieve/serve.db")
    batch_size: int = Field(default=64, ge=1)
    max_wait_s: float = Field(default=2.0, gt=0)
    """A closed sequence waits at most this long for its batch to fill before it is judged."""
    checkpoint_s: float = Field(default=2.0, gt=0)
    """How often the detection state is committed; a restart replays at most this much."""
    retain_verdict_lines_days: float | None = Field(default=30.0, gt=0)

    alerts: dict[str, Any] | None = None
    """Passed to ``logsieve.alerts`` as is (see that package's config)."""

    adapt: AdaptSection = Field(default_factory=AdaptSection)
    """Learning while running (on by default; it runs in mode cola with an LLM and a model
    bundle that has an example bank): the LLM's answers become pseudo-labels, a background
    retrain fits a candidate, and a candidate not worse on the newest ones goes live as a new
    registry version (``logsieve models``). ``enabled: false`` (or ``--no-adapt``) turns it off;
    the other keys are :class:`~logsieve.adapt.adapter.AdaptConfig`'s."""

    @field_validator("llm")
    @classmethod
    def _llm_kind(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in ("embedded", "none") and not value.startswith(("http://", "https://")):
            raise ValueError("llm must be embedded, none, an http(s):// base URL or a backend mapping")
        return value

    def model_to_serve(self, learnt: Path | None = None) -> Path | None:
        """The bundle to serve: ``model``, the default one when it exists, ``learnt`` (what a
        warm-up on this store learnt), or None: warm up."""
        if self.model is not None:
            return self.model
        if (DEFAULT_MODEL / "bundle.json").exists():
            return DEFAULT_MODEL
        return learnt

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def backend(self) -> dict[str, Any] | None:
        """The LLM backend config (``None``: no LLM; the small model's verdicts stand, marked)."""
        from logsieve.llm import backend_config

        if self.llm is None:
            return None
        if isinstance(self.llm, dict):
            return dict(self.llm)
        return backend_config(self.llm, self.llm_model)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; everything else (0.0.0.0 too) is exposed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_serve_config(path: Path | None, **overrides: Any) -> ServeConfig:
    """The file's settings (none: defaults) with the non-None ``overrides`` on top."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ServeConfigError(f"cannot read --config {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ServeConfigError(f"--config {path} must hold a mapping (host:, port:, model:, ...)")
        data.update(loaded)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServeConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ServeConfigError(f"serve config {path or '(command line)'}: {problems}") from exc
