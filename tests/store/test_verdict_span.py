"""Verdict spans in the store: an older store upgrades in place, new rows carry their span, and
the API shows a span for rows written before the column existed (from their kept lines)."""

from __future__ import annotations

import json

from logsieve.collab.verdicts import VerdictWriter, base_verdict
from logsieve.records import LineRef, LogRecord, ParsedLine, Sequence, Span
from logsieve.service import queries
from logsieve.store import MIGRATIONS, Store

_OLD_ROW = ("INSERT INTO verdicts (identity, seq_key, status, source, refs, template_ids, created_at) "
            "VALUES ('blk_1@a.log:3', 'blk_1', 'abnormal', 'small', '[]', '[4, 4, 5]', 1.0)")


def _seq(key: str, line_nos: list[int], source: str = "a.log") -> Sequence:
    return Sequence(key, [4] * len(line_nos), [ParsedLine(LogRecord(source, n, f"line {n}"), 4, "line <*>") for n in line_nos])


def test_an_older_store_gains_the_span_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "s.db"
    with Store(path, migrations=MIGRATIONS[:-1]) as old:
        old.connection.execute(_OLD_ROW)
        old.connection.executemany("INSERT INTO service_verdict_lines VALUES (1, ?, 'a.log', ?, 'x', 4)",
                                   [(0, 3), (1, 4), (2, 9)])
        old.connection.commit()
    with Store(path) as store:
        row = store.connection.execute("SELECT seq_key, span FROM verdicts").fetchone()
        assert row == ("blk_1", None)  # never recorded, not guessed
        item = queries.anomalies(store.connection, since=None, until=None, status="all", source=None, q=None,
                                 limit=10, offset=0)["items"][0]
        assert item["span"] is None
        one = queries.verdict(store.connection, 1)
        assert one is not None
        assert one["span"] == [{"file": "a.log", "from": 3, "to": 4}, {"file": "a.log", "from": 9, "to": 9}]


def test_written_verdicts_carry_their_span_in_the_store_and_the_jsonl(tmp_path):
    seq = _seq("blk_2", [10, 11, 12, 40, 41])
    v = base_verdict(seq, "abnormal", "small", score=0.9)
    assert v.span == [Span("a.log", 10, 12), Span("a.log", 40, 41)]
    assert v.refs == []  # refs stay the cited lines only
    out = tmp_path / "v.jsonl"
    with Store(tmp_path / "s.db") as store:
        writer = VerdictWriter(store, out)
        writer.write([v])
        writer.close()
        stored = store.connection.execute("SELECT span FROM verdicts").fetchone()[0]
        api = queries.verdict(store.connection, 1)
    assert json.loads(stored) == [["a.log", 10, 12], ["a.log", 40, 41]]
    assert api is not None and api["span"] == [{"file": "a.log", "from": 10, "to": 12},
                                               {"file": "a.log", "from": 40, "to": 41}]
    line = json.loads(out.read_text())
    assert line["span"] == api["span"] and line["lines"] == [] and line["n_lines"] == 5
    assert [LineRef(s["file"], n) for s in line["span"] for n in range(s["from"], s["to"] + 1)] == seq.refs
