"""Root-cause explanations of detected anomalies: asked of the LLM after detection, batched,
cached by pattern, validated, and stored with the verdict (``logsieve explain VERDICT_ID``)."""

from logsieve.explain.explainer import Anomaly, ExplainConfig, Explainer, ExplainStats, flagged_because
from logsieve.explain.schema import ExplanationError, RootCause, parse_root_cause, root_cause_schema
from logsieve.explain.view import root_cause
from logsieve.explain.worker import ExplainWorker

__all__ = ["Anomaly", "ExplainConfig", "ExplainStats", "ExplainWorker", "Explainer", "ExplanationError", "RootCause",
           "flagged_because", "parse_root_cause", "root_cause", "root_cause_schema"]
