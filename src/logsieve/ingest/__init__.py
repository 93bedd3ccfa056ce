"""Ingest: raw bytes from files, archives, directories, stdin or a followed file -> LogRecord.

Nothing here knows about parsers. Lines that cannot become records are quarantined with a
reason (:class:`logsieve.records.QuarantineRecord`), never dropped, and :class:`IngestStats`
keeps ``records + quarantined == lines_read``.
"""

from logsieve.ingest.follow import follow
from logsieve.ingest.formats import FormatError, LogFormat, get_format, list_formats, load_formats
from logsieve.ingest.readers import DEFAULT_MAX_LINE_BYTES, IngestStats, RawLine, read_lines, read_records
from logsieve.ingest.sources import StreamSource
from logsieve.ingest.timestamps import TimestampSpec

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "FormatError",
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
