"""Alerts: anomalies grouped by pattern, sent to a webhook, Slack or PagerDuty.

The service's entry point (the serve runner calls it when ``logsieve.alerts`` imports)::

    manager = AlertManager.from_config(config.alerts, store)   # dict or AlertsConfig
    manager.handle(verdicts)   # each judged batch, list[SequenceVerdict]; returns at once
    manager.close()            # at shutdown: sends what waits, bounded by a timeout

``handle`` never blocks and never raises on a slow receiver: abnormal verdicts go on a bounded
queue (a full one drops, counted in ``stats()`` and logged). One thread groups them by
*pattern* (hash of the ordered distinct template ids, :func:`pattern_key`) so one pattern sends
one alert per window with a count; each sink has its own thread, token bucket, and retries
with exponential backoff (httpx + tenacity). Every try, drop and rate-limit decision is a row
in the store's ``alert_deliveries`` table (:func:`read_deliveries`). Secrets (Slack URL,
PagerDuty routing key, bearer token) come from environment variables the config names.
Explanations and keys are redacted (:mod:`logsieve.llm.redact`) before they leave.
"""

from logsieve.alerts.config import AlertConfigError, AlertsConfig, PagerDutySink, SlackSink, WebhookSink
from logsieve.alerts.deliveries import Delivery, read_deliveries
from logsieve.alerts.manager import AlertManager
from logsieve.alerts.payloads import Alert
from logsieve.alerts.pattern import pattern_key

__all__ = ["Alert", "AlertConfigError", "AlertManager", "AlertsConfig", "Delivery", "PagerDutySink", "SlackSink",
           "WebhookSink", "pattern_key", "read_deliveries"]
