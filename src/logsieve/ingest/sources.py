"""Sources: what a user names (files, .gz files, directories, globs, ``-``, open streams) ->
named streams of byte chunks.

Reading is done in large chunks rather than line by line because per-call overhead, not I/O, is
what limits a Python reader; the chunks are cut into lines by :mod:`logsieve.ingest.splitter`.
Compressed input is recognised by its gzip magic bytes, not by its name, so a rotated
``app.log.1`` that happens to be gzipped is read correctly and a ``.gz`` that is plain text too.
Decompression output is bounded per step, so a small archive that expands to a huge line never
sits in memory whole.
"""

from __future__ import annotations

import glob
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

from logsieve.records import QuarantineReason, QuarantineRecord

CHUNK_BYTES = 1 << 18
GZIP_MAGIC = b"\x1f\x8b"
STDIN = "-"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class StreamSource:
    """An already-open binary stream with a name for records (stdin, a socket, a test buffer).

    The stream is read but never closed: whoever opened it owns it.
    """

    name: str
    stream: BinaryIO


Source = Union[str, "os.PathLike[str]", StreamSource, BinaryIO]
"""A path, a glob, a directory, ``-`` (stdin), a :class:`StreamSource` or an open binary stream."""


class ArchiveDamaged(Exception):
    """Compressed input ends early or is corrupt; the message says which."""


def as_source_list(sources: Iterable[Source] | Source) -> list[Source]:
    """A single path or stream is one source, not an iterable of characters or lines."""
    if isinstance(sources, (str, os.PathLike, StreamSource)) or _is_stream(sources):
        return [sources]  # type: ignore[list-item]
    return list(sources)  # type: ignore[arg-type]


def _is_stream(obj: object) -> bool:
    return hasattr(obj, "read") and not isinstance(obj, (str, bytes, os.PathLike))


def expand_sources(sources: Iterable[Source]) -> Iterator[Path | StreamSource | QuarantineRecord]:
    """Paths stay paths, directories become their files (sorted, recursive), globs expand.

    A name that is neither an existing path nor a glob with matches becomes a READ_ERROR
    quarantine entry, so one bad name does not stop the others.
    """
    for src in sources:
        if isinstance(src, StreamSource):
            yield src
        elif _is_stream(src):
            yield StreamSource(_stream_name(src), src)  # type: ignore[arg-type]
        elif os.fspath(src) == STDIN:
            yield _stdin()
        else:
            yield from _expand_path(os.fspath(src))


def _stream_name(stream: object) -> str:
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) and name else "<stream>"


def _stdin() -> StreamSource | QuarantineRecord:
    if sys.stdin is None or not hasattr(sys.stdin, "buffer"):
        return QuarantineRecord("<stdin>", 0, QuarantineReason.READ_ERROR, "stdin is not available")
    return StreamSource("<stdin>", sys.stdin.buffer)


def _expand_path(text: str) -> Iterator[Path | QuarantineRecord]:
    path = Path(text)
    if path.is_dir():
        yield from _walk(path)
    elif path.exists() or os.path.islink(text):
        yield path  # a file, a FIFO, a dangling link (open() will say why it fails)
    elif _GLOB_CHARS.intersection(text):
        yield from _expand_glob(text)
    else:
        yield QuarantineRecord(text, 0, QuarantineReason.READ_ERROR, f"file not found: {text}")


def _expand_glob(pattern: str) -> Iterator[Path | QuarantineRecord]:
    """Matching files, and the files below matching directories, each once and in path order
    (``logs/**`` matches ``logs/`` and ``logs/a.log`` alike). Only regular files: a FIFO or
    socket caught by a wildcard would block the run."""
    matches = glob.glob(pattern, recursive=True)
    if not matches:
        yield QuarantineRecord(pattern, 0, QuarantineReason.READ_ERROR, f"no file matches: {pattern}")
        return
    files: set[Path] = set()
    for match in matches:
        if not os.path.isdir(match):
            if os.path.isfile(match):
                files.add(Path(match))
            continue
        for item in _walk(Path(match)):
            if isinstance(item, QuarantineRecord):
                yield item
            else:
                files.add(item)
    yield from sorted(files)


def _walk(root: Path) -> Iterator[Path | QuarantineRecord]:
    """Every regular file under ``root`` in path order. Symlinked directories are not followed
    (no loops); FIFOs, sockets and devices are left out (reading one could block forever)."""
    found: list[Path] = []
    errors: list[QuarantineRecord] = []

    def on_error(exc: OSError) -> None:
        where = exc.filename or str(root)
        errors.append(QuarantineRecord(str(where), 0, QuarantineReason.READ_ERROR,
                                       f"cannot list directory {where}: {exc.strerror or exc}"))

    for folder, _dirs, files in os.walk(root, onerror=on_error):
        found.extend(p for p in (Path(folder, f) for f in files) if p.is_file())
    yield from errors
    yield from sorted(found)


def open_path(path: Path) -> BinaryIO:
    """Open a file for chunked reading (unbuffered: chunks are large, a buffer only copies)."""
    return open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the reader


def describe_open_error(path: Path, exc: OSError) -> str:
    """A short, specific reason: the common cases are named, the rest carry the OS message."""
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {path}"
    if isinstance(exc, PermissionError):
        return f"permission denied: {path}"
    if isinstance(exc, IsADirectoryError):
        return f"is a directory: {path}"
    return f"cannot open {path}: {exc.strerror or exc}"


def iter_chunks(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The stream's bytes in chunks of at most ``size``, decompressed if it starts as gzip.

    Raises :class:`ArchiveDamaged` after the last good chunk of a cut or corrupt archive, and
    ``OSError`` when reading fails.
    """
    read = getattr(stream, "read1", None) or stream.read  # read1: a pipe gives what it has now
    head = read(size)
    if not isinstance(head, bytes):
        raise TypeError(f"source streams must be binary (open with 'rb'), got {type(head).__name__}")
    while 0 < len(head) < len(GZIP_MAGIC):  # a pipe may deliver one byte first
        more = read(size)
        if not more:
            break
        head += more
    if not head:
        return
    rest = iter(lambda: read(size), b"")
    if head.startswith(GZIP_MAGIC):
        yield from gunzip(_prepend(head, rest), size)
    else:
        yield head
        yield from rest


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def gunzip(compressed: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Decompress gzip data (several concatenated members too), at most ``size`` bytes a step.

    Trailing zero padding after the last member is ignored, as ``gzip -d`` does. Anything else
    that is not a complete member raises :class:`ArchiveDamaged`.
    """
    inflater, fresh = zlib.decompressobj(16 + zlib.MAX_WBITS), True
    for data in compressed:
        while data or not fresh:
            if fresh and not data.strip(b"\0"):
                break
            fresh = False
            try:
                out = inflater.decompress(data, size)
            except zlib.error as exc:
                raise ArchiveDamaged(f"corrupt compressed data ({exc})") from exc
            if out:
                yield out
            if inflater.eof:  # a member ended: what follows may be another member
                data = inflater.unused_data
                inflater, fresh = zlib.decompressobj(16 + zlib.MAX_WBITS), True
                continue
            data = inflater.unconsumed_tail
            if not data and len(out) < size:
                break
    if not fresh:
        raise ArchiveDamaged("compressed data ends early: the file is cut short or still being written")


def count_lines(sources: Iterable[Source] | Source) -> int | None:
    """Lines in ``sources`` (gzip read through), or ``None`` when one is a stream such as stdin.

    A quick pass that only counts newlines, for jobs that must size something by the input
    before reading it (a learned parser trains on the first share of a file). Unreadable or
    damaged parts count as far as they read; the real pass reports them.
    """
    paths = list(expand_sources(as_source_list(sources)))
    if any(isinstance(src, StreamSource) for src in paths):
        return None
    total = 0
    for src in paths:
        if isinstance(src, QuarantineRecord):
            continue
        last = b"\n"
        try:
            with open_path(src) as stream:
                for chunk in iter_chunks(stream):
                    total += chunk.count(b"\n")
                    last = chunk[-1:]
        except (OSError, ArchiveDamaged):
            pass
        total += last != b"\n"  # a last line without a newline still counts
    return total
