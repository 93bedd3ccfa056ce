"""The store's JSON columns are written by hand for speed; they must be json.dumps' own text."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from logsieve.collab.verdicts import int_list_json, span_json
from logsieve.records import Span


@given(st.lists(st.integers(-5, 10**6), max_size=30))
def test_template_ids_are_written_as_json_dumps_writes_them(ids):
    assert int_list_json(ids) == json.dumps(ids)


@given(st.lists(st.tuples(st.text(max_size=12), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=8))
def test_spans_are_written_as_json_dumps_writes_them(parts):
    span = [Span(*p) for p in parts]
    assert span_json(span, {}) == json.dumps([list(s) for s in span])
