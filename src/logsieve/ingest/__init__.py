"""Ingest: raw bytes from files, archives, directories, stdin or a followed file -> LogRecord.

Nothing here knows about parsers. Lines that cannot become records are quarantined with a
reason (:class:`logsieve.records.QuarantineRecord`), never dropped.
"""

from logsieve.ingest.follow import follow
from logsieve.ingest.formats import LogFormat, TimestampSpec, get_format, list_formats, load_formats
from logsieve.ingest.readers import IngestStats, RawLine, StreamSource, read_lines, read_records

__all__ = [
    "IngestStats",
    "LogFormat",
    "RawLine",
    "StreamSource",
    "TimestampSpec",
    "follow",
    "get_format",
    "list_formats",
    "load_formats",
    "read_lines",
    "read_records",
]
