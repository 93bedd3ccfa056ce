"""The batch jobs' collector thresholds: raised inside, restored after, even on error."""

from __future__ import annotations

import gc

import pytest

from logsieve.jobs.batch_gc import BATCH_THRESHOLDS, batch_gc


def test_thresholds_are_raised_inside_and_restored_after():
    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold() == BATCH_THRESHOLDS
    assert gc.get_threshold() == before


def test_thresholds_are_restored_when_the_job_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_a_disabled_collector_or_higher_thresholds_are_left_alone():
    before = gc.get_threshold()
    gc.disable()
    try:
        with batch_gc((10**6, 10, 10)):
            assert gc.get_threshold() == before
    finally:
        gc.enable()
    gc.set_threshold(10**7, 10, 10)
    try:
        with batch_gc():
            assert gc.get_threshold() == (10**7, 10, 10)
    finally:
        gc.set_threshold(*before)
