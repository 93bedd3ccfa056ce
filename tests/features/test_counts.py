"""Template-count vectors: columns, unknown ids, growth, batches, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from feature_helpers import seq

from logsieve.features import CountsConfig
from logsieve.features.counts import UNKNOWN, TemplateCounter
from logsieve.features.persist import FeatureStateError


def test_counts_known_ids_and_sends_unseen_ones_to_the_unknown_column():
    counter = TemplateCounter().fit([seq(5, 2, 2), seq(9)])
    assert counter.template_ids == [2, 5, 9]
    assert counter.dim == 4 and counter.column(2) == 1 and counter.column(77) == UNKNOWN
    v = counter.count(seq(2, 9, 2, 77, 3, -1, 10**6))
    assert v.dtype == np.float32
    assert v.tolist() == [4, 2, 0, 1]  # unknown: 77, 3, -1 and a huge id


def test_fit_accepts_bare_ids_and_empty_sequences_count_nothing():
    counter = TemplateCounter().fit([3, 1, 3])
    assert counter.template_ids == [1, 3]
    assert counter.count(seq()).tolist() == [0, 0, 0]
    assert TemplateCounter().count(seq(1, 2)).tolist() == [2]  # unfitted: all unknown


def test_dense_and_sparse_batches_agree_with_single_counts():
    counter = TemplateCounter().fit([seq(1, 2, 3)])
    batch = [seq(1, 1, 4), seq(), seq(3, 2, 1, 3)]
    dense = counter.transform(batch)
    sparse = counter.transform(batch, sparse=True)
    expected = np.stack([counter.count(s) for s in batch])
    assert dense.shape == (3, 4) and dense.dtype == np.float32
    assert np.array_equal(dense, expected)
    assert np.array_equal(sparse.toarray(), expected) and sparse.nnz == 5
    assert counter.transform([]).shape == (0, 4)


def test_grow_appends_columns_without_moving_old_ones():
    counter = TemplateCounter(CountsConfig(grow=True)).fit([seq(4, 2)])
    before = counter.count(seq(2, 4))
    after = counter.count(seq(2, 4, 9, 9, 7))
    assert counter.template_ids == [2, 4, 9, 7]  # new ids appended in order of first sight
    assert np.array_equal(after[: len(before)], before)
    assert after[counter.column(9)] == 2 and after[UNKNOWN] == 0


def test_grow_stops_at_max_columns_then_counts_unknown():
    counter = TemplateCounter(CountsConfig(grow=True, max_columns=3)).fit([seq(1)])
    v = counter.transform([seq(1, 5), seq(6, 6)])
    assert counter.template_ids == [1, 5]
    assert v.tolist() == [[0, 1, 1], [2, 0, 0]]


def test_save_and_load_keep_columns_and_config(tmp_path):
    counter = TemplateCounter(CountsConfig(grow=True)).fit([seq(8, 3)])
    counter.count(seq(11))
    loaded = TemplateCounter.load(counter.save(tmp_path / "counts.json"))
    assert loaded.config == counter.config and loaded.template_ids == [3, 8, 11]
    s = seq(11, 3, 3, 12)
    assert np.array_equal(loaded.count(s)[:4], counter.count(s)[:4])


def test_load_refuses_other_files_clearly(tmp_path):
    other = tmp_path / "x.json"
    other.write_text('{"format": "something-else", "version": 1}')
    with pytest.raises(FeatureStateError, match="not a saved logsieve-template-counts"):
        TemplateCounter.load(other)
    with pytest.raises(FeatureStateError, match="no saved"):
        TemplateCounter.load(tmp_path / "missing.json")
    newer = tmp_path / "new.json"
    newer.write_text('{"format": "logsieve-template-counts", "version": 99}')
    with pytest.raises(FeatureStateError, match="version 99.*fit the feature again"):
        TemplateCounter.load(newer)


def test_fit_over_max_columns_keeps_the_most_frequent_ids():
    counter = TemplateCounter(CountsConfig(max_columns=3)).fit([seq(7, 7, 7, 1, 5, 5, 9)])
    assert counter.template_ids == [5, 7]
    assert counter.count(seq(1, 9, 7)).tolist() == [2, 0, 1]
