"""logsieve: log anomaly detection where a small model screens everything and an LLM judges the rest.

The package is laid out as the pipeline runs: ``ingest`` -> ``parsing`` -> (later) ``sessions``,
``detectors``, ``llm``, ``collab``; ``evaluate`` measures each stage.
"""

from logsieve.records import LogRecord, ParsedLine, QuarantineRecord

__version__ = "0.1.0"

__all__ = ["LogRecord", "ParsedLine", "QuarantineRecord", "__version__"]
