"""Masking elsewhere (a reading process) gives what masking here gives, whatever came before."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsieve.parsing import DrainParser, Masker, MaskingConfig
from logsieve.parsing.masking import Premasker

WORDS = st.sampled_from(["Jun", "9", "06:06:20", "451", "bytes", "(0.44", "KB)", "blk_-12", "10.0.0.1:50010",
                         "user=root", "Receiving", "block", "from", "/10.0.0.2", "0x1f", "Oct", "2005", "Fri"])
LINES = st.lists(st.lists(WORDS, min_size=0, max_size=9).map(" ".join), min_size=1, max_size=25)


def _masker(size: int) -> Masker:
    return Masker(MaskingConfig.default(), token_cache_size=size)


@settings(max_examples=150, deadline=None)
@given(history=LINES, line=LINES.map(lambda ls: ls[0]), size=st.integers(1, 6))
def test_a_line_masks_the_same_after_any_history_with_any_memory_size(history, line, size):
    warm = _masker(size)
    for text in history:
        warm.split(text)
    assert warm.split(line) == _masker(50_000).split(line)


@settings(max_examples=100, deadline=None)
@given(lines=LINES)
def test_split_key_is_split_joined(lines):
    masker = _masker(50_000)
    for text in lines:
        raw, masked = masker.split(text)
        got_raw, key = masker.split_key(text)
        assert key == " ".join(masked)
        assert (got_raw if got_raw is not None else text.split()) == raw


def test_the_share_spreads_evenly_and_is_checked():
    run = Premasker(_masker(50_000), share=0.75)
    marks = [run("a b 1") is not None for _ in range(8)]
    assert marks.count(True) == 6 and marks[:4].count(True) == 3
    assert all(Premasker(_masker(10), share=0.0)("x") is None for _ in range(3))
    with pytest.raises(ValueError, match="share"):
        Premasker(_masker(10), share=1.5)


@settings(max_examples=80, deadline=None)
@given(lines=LINES, share=st.sampled_from([0.0, 0.5, 0.75, 1.0]))
def test_drain_on_lines_masked_elsewhere_equals_drain_on_raw_lines(lines, share):
    here, split = DrainParser(), DrainParser()
    run = Premasker(Masker(split.config.masking), share=share)
    for text in lines:
        masked = run(text)
        if masked is None:
            got = split.learn(text)
        else:
            raw, key = masked
            got = split.learn_masked(text.split() if raw is None else raw, key)
        assert got == here.learn(text)
    assert [t.text for t in split.templates] == [t.text for t in here.templates]
    for text in lines:
        raw, key = Masker(split.config.masking).split_key(text)
        assert split.match_masked(text.split() if raw is None else raw, key) == here.match(text)
