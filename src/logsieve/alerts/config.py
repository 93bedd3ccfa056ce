"""Typed alert config: the ``alerts`` section of ``logsieve serve``'s config file.

Secrets never sit in the file: a Slack webhook URL, a PagerDuty routing key or a webhook's
bearer token is named by the *environment variable* that holds it (``url_env``,
``routing_key_env``, ``token_env``), so the config can be committed. A variable that is named
but not set is an error at start-up, with the fix in the message, not a silent no-op at 3 a.m.

Example::

    alerts:
      window_s: 300
      group_wait_s: 10
      sinks:
        - {kind: webhook, name: ops, url: "http://127.0.0.1:9000/hook", token_env: OPS_TOKEN}
        - {kind: slack, url_env: SLACK_WEBHOOK_URL, rate_per_min: 20}
        - {kind: pagerduty, routing_key_env: PD_ROUTING_KEY, severity: error}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AlertConfigError(ValueError):
    """The alerts section cannot be used as written (the message says what to change)."""


class _SinkBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    """Shown in the delivery log; defaults to the kind (give two sinks of one kind names)."""
    rate_per_min: float = Field(default=30.0, gt=0)
    burst: int = Field(default=5, ge=1)
    retries: int = Field(default=3, ge=0)
    """Further tries after the first, on connection errors, timeouts, 429 and 5xx."""
    backoff_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    timeout_s: float = Field(default=10.0, gt=0)
    queue_size: int = Field(default=256, ge=1)
    """Alerts waiting for this sink; when full, new ones are dropped (counted and logged)."""
    url: str | None = None
    url_env: str | None = None
    """Name of the environment variable holding the URL (for URLs that are secrets)."""

    @property
    def label(self) -> str:
        return self.name or self.kind  # type: ignore[attr-defined]

    def resolve_url(self, env: Mapping[str, str]) -> str:
        if self.url_env:
            value = env.get(self.url_env, "")
            if not value:
                raise AlertConfigError(f"alert sink {self.label!r}: environment variable {self.url_env} is not "
                                       f"set; export it (the URL) or remove the sink from the config")
            return value
        if self.url:
            return self.url
        raise AlertConfigError(f"alert sink {self.label!r}: give url or url_env")


class WebhookSink(_SinkBase):
    """Any HTTP endpoint that takes the generic JSON document (see ``payloads.webhook``)."""

    kind: Literal["webhook"] = "webhook"
    token_env: str | None = None
    """Environment variable holding a bearer token sent as ``Authorization``."""

    @model_validator(mode="after")
    def _where(self) -> WebhookSink:
        if not (self.url or self.url_env):
            raise ValueError("a webhook sink needs url or url_env")
        return self


class SlackSink(_SinkBase):
    """A Slack incoming webhook (its URL is the secret, so ``url_env`` is the usual way)."""

    kind: Literal["slack"] = "slack"
    rate_per_min: float = Field(default=20.0, gt=0)
    dashboard_url: str | None = None
    """Base URL of the dashboard, for a link to the verdict in the message."""

    @model_validator(mode="after")
    def _where(self) -> SlackSink:
        if not (self.url or self.url_env):
            raise ValueError("a slack sink needs url_env (or url for a local test receiver)")
        return self


class PagerDutySink(_SinkBase):
    """PagerDuty Events API v2: ``trigger`` events, de-duplicated by pattern on their side too."""

    kind: Literal["pagerduty"] = "pagerduty"
    url: str | None = "https://events.pagerduty.com/v2/enqueue"
    routing_key_env: str = "PAGERDUTY_ROUTING_KEY"
    severity: Literal["critical", "error", "warning", "info"] = "error"
    source: str = "logsieve"
    """``payload.source``: the host or service the alert is about, as PagerDuty shows it."""

    def routing_key(self, env: Mapping[str, str]) -> str:
        value = env.get(self.routing_key_env, "")
        if not value:
            raise AlertConfigError(f"alert sink {self.label!r}: environment variable {self.routing_key_env} is not "
                                   "set; export the PagerDuty integration's routing key or remove the sink")
        return value


SinkConfig = Annotated[Union[WebhookSink, SlackSink, PagerDutySink], Field(discriminator="kind")]


class AlertsConfig(BaseModel):
    """When to alert and where."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    window_s: float = Field(default=300.0, ge=0)
    """One alert per pattern per window; repeats inside it are counted, not sent."""
    group_wait_s: float = Field(default=10.0, ge=0)
    """How long the first anomaly of a pattern waits for repeats before its alert goes out (0:
    at once, with count 1): one message saying "x12" instead of twelve."""
    queue_size: int = Field(default=1024, ge=1)
    """Verdict batches waiting for the alert thread; when full, new batches are dropped."""
    sources: list[Literal["small", "cache", "llm", "fallback"]] = Field(
        default_factory=lambda: ["small", "cache", "llm", "fallback"])
    """Which verdict sources may alert (e.g. only ``llm`` to page on confirmed anomalies)."""
    min_score: float | None = None
    """Ignore anomalies scored below this (None: every abnormal verdict)."""
    redact: bool = True
    """Mask secrets in the explanation and keys before they leave the machine."""
    sinks: list[SinkConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> AlertsConfig:
        labels = [s.label for s in self.sinks]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"alert sinks need distinct names; give a name to each of {dupes}")
        return self


def environment() -> Mapping[str, str]:
    return os.environ
