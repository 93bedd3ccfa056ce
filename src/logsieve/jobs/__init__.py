"""Jobs: the pipeline stages wired together for one command (parse now; detect later).

A job is the only place that knows both a reader and a parser; the layers themselves stay
ignorant of each other and pass record types.
"""

from logsieve.jobs.parse import ParseJobConfig, ParseSummary, run_parse

__all__ = ["ParseJobConfig", "ParseSummary", "run_parse"]
