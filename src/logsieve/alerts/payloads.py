"""What one alert says, and how each receiver wants it shaped.

An :class:`Alert` is one pattern's anomalies in one window: the first verdict stands for them,
``count`` says how many there were. The three payload builders are pure functions of it, so
their shapes are tested without a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SUMMARY_MAX = 1024  # PagerDuty truncates payload.summary at 1024 characters
SLACK_HEADER_MAX = 150  # Slack rejects a plain_text header longer than this
KEYS_SHOWN = 10


@dataclass
class Alert:
    """One pattern's anomalies within a window (``count`` >= 1), ready to send."""

    pattern: str
    count: int
    first_seen: float
    last_seen: float
    key: str
    """Sequence key of the first anomaly (a block id, a session, a window)."""
    keys: list[str] = field(default_factory=list)
    explanation: str = ""
    source: str = ""
    score: float | None = None
    confidence: float | None = None
    detector: str = ""
    template_ids: list[int] = field(default_factory=list)
    suppressed_before: int = 0
    """Repeats of this pattern counted (not sent) in its previous window."""

    @property
    def dedup_key(self) -> str:
        """Stable per pattern: a receiver that de-duplicates (PagerDuty) folds repeats into one incident."""
        return f"logsieve-{self.pattern}"

    @property
    def title(self) -> str:
        what = self.explanation or "anomalous log sequence"
        times = f" (x{self.count})" if self.count > 1 else ""
        return f"logsieve anomaly {self.pattern}: {what}{times}"

    def details(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "count": self.count, "first_seen": self.first_seen,
                "last_seen": self.last_seen, "key": self.key, "keys": self.keys[:KEYS_SHOWN],
                "explanation": self.explanation, "source": self.source, "score": self.score,
                "confidence": self.confidence, "detector": self.detector, "template_ids": self.template_ids,
                "suppressed_before": self.suppressed_before}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


def webhook(alert: Alert) -> dict[str, Any]:
    """The generic document: every field, flat enough to route on with any tool."""
    return {"type": "logsieve.anomaly", "title": alert.title, "dedup_key": alert.dedup_key, **alert.details()}


def _mrkdwn(text: str) -> str:
    # Slack's mrkdwn reserves these three; log text must not become links or mentions
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(alert: Alert, dashboard_url: str | None = None) -> dict[str, Any]:
    """An incoming-webhook message: ``text`` (the notification fallback) plus Block Kit blocks."""
    header = alert.title if len(alert.title) <= SLACK_HEADER_MAX else alert.title[: SLACK_HEADER_MAX - 1] + "…"
    score = "n/a" if alert.score is None else f"{alert.score:.3g}"
    body = (f"*{alert.count}* anomalous sequence{'s' if alert.count != 1 else ''} with pattern "
            f"`{alert.pattern}`\n*First:* `{_mrkdwn(alert.key)}`  *Decided by:* {_mrkdwn(alert.source)}  "
            f"*Score:* {score}")
    if alert.explanation:
        body += f"\n>{_mrkdwn(alert.explanation)}"
    context = f"first {_iso(alert.first_seen)}, last {_iso(alert.last_seen)}"
    if alert.suppressed_before:
        context += f"; {alert.suppressed_before} repeats in the previous window were not sent"
    if dashboard_url:
        context += f" | <{dashboard_url.rstrip('/')}/#pattern={alert.pattern}|open in logsieve>"
    return {
        "text": header,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def pagerduty(alert: Alert, routing_key: str, severity: str = "error", source: str = "logsieve") -> dict[str, Any]:
    """An Events API v2 ``trigger``; ``dedup_key`` is per pattern, so PagerDuty groups repeats too."""
    summary = alert.title if len(alert.title) <= SUMMARY_MAX else alert.title[: SUMMARY_MAX - 1] + "…"
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.dedup_key,
        "payload": {
            "summary": summary,
            "severity": severity,
            "source": source,
            "timestamp": _iso(alert.first_seen),
            "component": "logsieve",
            "class": "log anomaly",
            "custom_details": alert.details(),
        },
        "client": "logsieve",
    }
