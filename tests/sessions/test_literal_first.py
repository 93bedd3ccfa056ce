"""The id regex rewrite that lets ``re`` jump to the literal: same matches, always."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.sessions.discover import shape_regex
from logsieve.sessions.ids import IdSessionGrouper, literal_first
from logsieve.sessions.config import SessionConfig

GUARD = r"(?<![A-Za-z0-9])"
WORDS = st.text(alphabet="abk_lB0123456789", min_size=1, max_size=6)
TEXT = st.text(alphabet="abk_lB0123456789-:= .xX/", max_size=60)
TAILS = st.sampled_from([r"-?\d+", r"\d+_\d+", r"[0-9a-f]{2,}", "", r"\d*", r"(?:_\d+)?"])


def test_the_discovered_shape_starts_with_its_literal():
    assert literal_first(GUARD + r"blk_-?\d+") == r"blk_(?<![A-Za-z0-9]blk_)-?\d+"


def test_patterns_of_other_shapes_are_left_alone():
    for pattern in (r"blk_-?\d+", r"(?<![\w-])[0-9a-f]{8}", GUARD + r"a+", GUARD + r"(?:x|y)\d+", ""):
        assert literal_first(pattern) == pattern


def test_a_quantifier_keeps_its_character():
    assert literal_first(GUARD + r"ab?c") == r"a(?<![A-Za-z0-9]a)b?c"


@settings(max_examples=300, deadline=None)
@given(word=WORDS, tail=TAILS, text=TEXT)
def test_rewritten_pattern_finds_exactly_the_same_ids(word, tail, text):
    pattern = GUARD + re.escape(word) + tail
    fast = literal_first(pattern)
    for probe in (text, word + text, text + " " + word + "12", "x" + word + "7 " + word + "7"):
        assert re.findall(fast, probe) == re.findall(pattern, probe)


@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_a_discovered_shape_and_its_rewrite_agree(text):
    pattern = shape_regex((("L", "blk_"), ("N", "")), signed={1})
    probe = text + " blk_-12 " + text.replace(" ", "blk_3")
    assert re.findall(literal_first(pattern), probe) == re.findall(pattern, probe)


def test_the_grouper_uses_the_rewrite_and_reports_the_pattern_it_was_given():
    grouper = IdSessionGrouper(SessionConfig(id_pattern=GUARD + r"blk_-?\d+"))
    assert grouper.config.id_pattern == GUARD + r"blk_-?\d+"
    assert grouper.ids("xblk_1 blk_2 blk_-3 ablk_4 blk_2") == ["blk_2", "blk_-3"]
