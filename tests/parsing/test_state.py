"""Saving and loading parser state: exact round trips, versioning, size."""

from __future__ import annotations

import json

import pytest

from logsieve.parsing import DrainParser, StateVersionError
from logsieve.parsing.state import STATE_FILENAME


def _lines(n: int) -> list[str]:
    shapes = [
        "Receiving block blk_{i} src: /10.0.{a}.{b}:5{i} dest: /10.0.{b}.{a}:50010",
        "PacketResponder {a} for block blk_{i} terminating",
        "user {u} opened session {i} from host{a}",
        "Deleting block blk_{i} file /data/{u}/blk_{i}",
        "job {u} finished with status {s}",
    ]
    users = ["alice", "bob", "carol"]
    status = ["OK", "FAILED", "KILLED"]
    out = []
    for i in range(n):
        shape = shapes[(i * 7) % len(shapes)]
        out.append(shape.format(i=i, a=i % 7, b=i % 5, u=users[i % 3], s=status[(i // 3) % 3]))
    return out


def test_round_trip_gives_same_ids_and_same_output_on_the_rest(tmp_path):
    lines = _lines(3000)
    whole = DrainParser()
    expected = [whole.learn(x) for x in lines]

    first = DrainParser()
    got = [first.learn(x) for x in lines[:1500]]
    first.save(tmp_path / "state")
    resumed = DrainParser.load(tmp_path / "state")
    assert [(t.id, t.tokens, t.size) for t in resumed.templates] == [(t.id, t.tokens, t.size) for t in first.templates]
    got += [resumed.learn(x) for x in lines[1500:]]
    assert got == expected


def test_state_size_grows_with_templates_not_lines(tmp_path):
    p = DrainParser()
    for x in _lines(1000):
        p.learn(x)
    small = p.save(tmp_path / "a").stat().st_size
    for x in _lines(50_000)[1000:]:
        p.learn(x)
    big = p.save(tmp_path / "b").stat().st_size
    assert big < small * 1.2  # 50x the lines, same templates: same size but for counters


def test_other_version_is_refused_with_advice(tmp_path):
    p = DrainParser()
    p.learn("hello world")
    path = p.save(tmp_path / "s")
    doc = json.loads(path.read_text())
    doc["version"] = 999
    path.write_text(json.dumps(doc))
    with pytest.raises(StateVersionError, match="version 999.*re-create"):
        DrainParser.load(tmp_path / "s")


def test_not_a_state_file_is_refused(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / STATE_FILENAME).write_text("{not json")
    with pytest.raises(StateVersionError, match="not a logsieve parser state"):
        DrainParser.load(tmp_path / "s")
    with pytest.raises(FileNotFoundError, match="logsieve parse --state"):
        DrainParser.load(tmp_path / "missing")


def test_config_travels_with_the_state(tmp_path):
    from logsieve.parsing import DrainConfig

    p = DrainParser(DrainConfig(depth=6, similarity=0.7))
    p.learn("a b c")
    p.save(tmp_path / "s.json")
    q = DrainParser.load(tmp_path / "s.json")
    assert q.config == p.config


def test_round_trip_on_real_hdfs_lines(tmp_path, shared_data):
    path = shared_data / "logai" / "HDFS_20000.log"
    contents = [line.split(": ", 1)[-1] for line in path.read_text().splitlines()[:8000]]
    whole = DrainParser()
    expected = [whole.learn(x).template_id for x in contents]
    a = DrainParser()
    got = [a.learn(x).template_id for x in contents[:4000]]
    a.save(tmp_path / "st")
    b = DrainParser.load(tmp_path / "st")
    got += [b.learn(x).template_id for x in contents[4000:]]
    assert got == expected
