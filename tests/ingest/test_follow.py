"""Follow mode: appends, partial lines, rotation, truncation, late files, stop; bounded waits."""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable

import pytest

from logsieve.ingest import IngestStats, follow, get_format
from logsieve.records import LogRecord, QuarantineRecord

RAW = get_format("raw")
TIMEOUT = 10.0


class Follower:
    """Runs follow() in a thread and collects what it yields."""

    def __init__(self, path, **kw) -> None:
        self.stop = threading.Event()
        self.stats = IngestStats()
        self.items: list[LogRecord | QuarantineRecord] = []
        kw.setdefault("poll_interval", 0.01)
        self._gen = follow(path, RAW, stop=self.stop, stats=self.stats, **kw)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for item in self._gen:
            self.items.append(item)

    def wait_for(self, n: int) -> list[tuple[str, int]]:
        """(content or reason, line_no) of everything so far, once there are at least ``n`` items."""
        _until(lambda: len(self.items) >= n)
        return [(r.content if isinstance(r, LogRecord) else r.reason.value, r.line_no) for r in self.items]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=TIMEOUT)
        assert not self.thread.is_alive(), "follow() did not stop"


def _until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.005)


def _append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def test_rotation_and_truncation_with_a_writer_thread(tmp_path):
    path = tmp_path / "app.log"
    f = Follower(path)
    steps = threading.Event()

    def writer() -> None:
        time.sleep(0.05)  # the file does not exist yet: follow waits for it
        _append(path, "a1\na2\npart")
        _until(lambda: len(f.items) >= 2)
        time.sleep(0.05)  # the unfinished line must be held back, not emitted
        _append(path, "ial\n")
        _until(lambda: len(f.items) >= 3)
        os.rename(path, tmp_path / "app.log.1")  # rotate
        _append(tmp_path / "app.log.1", "late-old\nunfinished")  # the old writer's last words
        time.sleep(0.05)
        _append(path, "b1\nb2\n")  # the new generation
        _until(lambda: len(f.items) >= 7)
        with open(path, "r+b") as fh:  # copytruncate-style: cut in place, then write again
            fh.truncate(0)
        time.sleep(0.05)
        _append(path, "c\n")
        steps.set()

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    try:
        assert steps.wait(TIMEOUT)
        got = f.wait_for(8)
    finally:
        f.close()
        w.join(TIMEOUT)
    assert got == [("a1", 1), ("a2", 2), ("partial", 3),  # generation 1
                   ("late-old", 4), ("unfinished", 5),  # drained after the rename; held bytes end it
                   ("b1", 1), ("b2", 2),  # generation 2: numbering restarts
                   ("c", 1)]  # after truncation: generation 3
    assert all(r.source == str(path) for r in f.items)
    assert f.stats.records == f.stats.lines_read == 8


def test_partial_line_is_not_emitted_on_stop(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("done\nhalf")
    f = Follower(path)
    try:
        assert f.wait_for(1) == [("done", 1)]
        time.sleep(0.1)
    finally:
        f.close()
    assert len(f.items) == 1


def test_from_end_skips_existing_lines_and_a_partial_one(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("old1\nold2\nhalf-writ")
    f = Follower(path, from_start=False)
    try:
        time.sleep(0.1)
        _append(path, "ten\nnew\n")
        assert f.wait_for(1) == [("new", 1)]
    finally:
        f.close()


def test_from_end_reads_a_file_that_appears_later_from_its_start(tmp_path):
    path = tmp_path / "late.log"
    f = Follower(path, from_start=False)
    try:
        time.sleep(0.05)
        path.write_text("first\n")
        assert f.wait_for(1) == [("first", 1)]
    finally:
        f.close()


def test_long_line_written_in_pieces_is_quarantined_once(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("")
    f = Follower(path, max_line_bytes=100)
    try:
        for _ in range(5):
            _append(path, "x" * 60)  # the line grows past the limit across several polls
            time.sleep(0.02)
        _append(path, "\nnext\n")
        got = f.wait_for(2)
    finally:
        f.close()
    assert got == [("too_long", 1), ("next", 2)]
    assert set(f.items[0].raw) == {ord("x")} and len(f.items[0].raw) <= 256


def test_stop_while_waiting_for_a_missing_file_returns_quickly(tmp_path):
    f = Follower(tmp_path / "never.log", poll_interval=0.05)
    time.sleep(0.1)
    start = time.monotonic()
    f.close()
    assert time.monotonic() - start < 1.0 and f.items == []


def test_bad_bytes_in_a_followed_file_are_quarantined(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"ok\n\xff\xfe\nfine\n")
    f = Follower(path)
    try:
        got = f.wait_for(3)
    finally:
        f.close()
    assert got == [("ok", 1), ("decode_error", 2), ("fine", 3)]
    assert f.stats.consistent and f.stats.by_reason == {"decode_error": 1}


def test_unreadable_file_is_reported_once_then_read_when_it_can_be(tmp_path, monkeypatch):
    follow_module = importlib.import_module("logsieve.ingest.follow")  # the package's `follow` is the function

    path = tmp_path / "locked.log"
    path.write_text("x\n")
    real_open, locked = follow_module.open_path, threading.Event()
    locked.set()

    def guarded_open(p):
        if locked.is_set():
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p)

    monkeypatch.setattr(follow_module, "open_path", guarded_open)
    f = Follower(path)
    try:
        time.sleep(0.1)  # many polls, one report
        locked.clear()
        got = f.wait_for(2)
    finally:
        f.close()
    assert got == [("read_error", 0), ("x", 1)]
    assert f.items[0].detail == f"permission denied: {path} (waiting for it)"


def test_poll_interval_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        next(follow(tmp_path / "x", RAW, poll_interval=0))
