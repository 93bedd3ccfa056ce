"""Follow mode: appends, partial lines, rotation and truncation, with bounded waits."""

from __future__ import annotations

import os
import threading
import time

from logsieve.ingest import follow, get_format


def _collect(path, stop, out):
    for rec in follow(path, get_format("raw"), poll_interval=0.02, stop=stop):
        out.append(rec.content)


def _wait_for(out, n, timeout=10.0):
    end = time.time() + timeout
    while len(out) < n and time.time() < end:
        time.sleep(0.02)
    return list(out)


def test_follow_survives_rotation_and_truncation(tmp_path):
    path = tmp_path / "app.log"
    stop, out = threading.Event(), []
    t = threading.Thread(target=_collect, args=(path, stop, out), daemon=True)
    t.start()
    try:
        time.sleep(0.1)  # file does not exist yet: follow waits for it
        with path.open("w") as fh:
            fh.write("a1\na2\npart")
        assert _wait_for(out, 2) == ["a1", "a2"]
        with path.open("a") as fh:
            fh.write("ial\n")
        assert _wait_for(out, 3)[-1] == "partial"
        os.rename(path, tmp_path / "app.log.1")  # rotate
        with (tmp_path / "app.log.1").open("a") as fh:
            fh.write("late-old\n")  # written to the old file before the new one appears
        time.sleep(0.1)
        path.write_text("b1\n")
        assert _wait_for(out, 5)[3:] == ["late-old", "b1"]
        with path.open("r+") as fh:  # truncate in place, then write shorter content
            fh.truncate(0)
        time.sleep(0.1)
        with path.open("a") as fh:
            fh.write("c\n")
        assert _wait_for(out, 6)[-1] == "c"
    finally:
        stop.set()
        t.join(timeout=5)
    assert not t.is_alive()
