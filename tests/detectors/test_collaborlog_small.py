"""CollaborLog's coordinator (autoencoder) and small model (KNN): routing, evolving, memory."""

from __future__ import annotations

import numpy as np
import pytest

from logsieve.detectors import load_detector, make_detector
from logsieve.detectors.base import DetectorError, DetectorInputError, SequenceBatch
from logsieve.records import Sequence

from detector_data import TEMPLATES, splits

# a kind of sequence the train data never shows: a block moved to another volume after writing
NEW_TEMPLATES = {**TEMPLATES, 9: "Moving block <*> to volume <*> after rebalancing", 10: "Volume <*> rebalanced"}
NEW_KIND = [1, 2, 3, 4, 9, 10, 9, 10]


def new_kind(n: int, label: int | None, start: int = 9000) -> SequenceBatch:
    return SequenceBatch([Sequence(f"new_{start + i}", NEW_KIND + [5] * (i % 3), label=label) for i in range(n)],
                         NEW_TEMPLATES)


@pytest.fixture(scope="module")
def data():
    return splits()


@pytest.fixture()
def coordinator(data):
    det = make_detector("autoencoder", {"epochs": 5, "threads": 1})
    det.fit(data[0], data[1])
    return det


@pytest.fixture()
def small_model(data):
    det = make_detector("knn", {"epochs": 3, "threads": 1})
    det.fit(data[0], data[1])
    return det


def test_both_models_share_the_mean_embedding_features(coordinator, small_model, data):
    x = coordinator.featurize(data[2])
    assert x.dtype == np.float32 and x.shape == (len(data[2]), 384)
    np.testing.assert_array_equal(x, small_model.featurize(data[2]))


def test_unfamiliar_routes_at_the_validation_threshold_by_default(coordinator, data):
    test = data[2]
    s = coordinator.score(test)
    np.testing.assert_array_equal(coordinator.unfamiliar(test), s.abnormal)
    assert coordinator.unfamiliar(test, threshold=-1.0).all()
    assert not coordinator.unfamiliar(test, threshold=float(s.score.max()) + 1).any()


def test_partial_fit_makes_a_new_kind_of_normal_sequence_familiar(coordinator, data):
    fresh = new_kind(40, 0)
    before = coordinator.score(fresh).score
    assert coordinator.unfamiliar(fresh).all()  # new templates: route to the LLM
    normal = data[2].subset(data[2].labels == 0)
    normal_before = coordinator.score(normal).score.mean()
    coordinator.partial_fit(fresh, epochs=100)  # 40 rows: one step a pass
    after = coordinator.score(fresh).score
    assert after.mean() < 0.5 * before.mean()
    assert not coordinator.unfamiliar(fresh).any()
    # what it knew stays familiar
    assert coordinator.score(normal).score.mean() < 2 * normal_before + 1e-3


def test_remember_makes_the_knn_call_a_near_duplicate_the_same(small_model):
    # the LLM judged a new kind of sequence normal: its near-duplicates must follow at once
    seen, duplicate = new_kind(1, 0), new_kind(1, None, start=9100)
    before = small_model.score(duplicate)
    assert small_model.remember(seen) == 1
    after = small_model.score(duplicate)
    assert after.score[0] < before.score[0] and after.score[0] < 0.5
    assert not after.abnormal[0] and after.confidence[0] > 0.5
    # later judgements outvote it once they are the majority of the nearest neighbours
    small_model.remember(SequenceBatch(new_kind(1, 1, start=9200).sequences * 4, NEW_TEMPLATES))
    assert small_model.score(duplicate).abnormal[0]


def test_memory_is_bounded_and_drops_the_oldest(data):
    train, val, _ = data
    det = make_detector("knn", {"epochs": 2, "threads": 1, "memory": 100})
    det.fit(train, val)
    assert len(det.memory) == 100
    np.testing.assert_array_equal(det.memory.y, train.labels[-100:])
    det.remember(new_kind(30, 1))
    assert len(det.memory) == 100 and (det.memory.y[-30:] == 1).all()
    assert len(det.memory.z) == 100


def test_partial_fit_learns_remembers_and_survives_a_round_trip(small_model, tmp_path):
    size = len(small_model.memory)
    fresh = new_kind(20, 0)
    small_model.partial_fit(fresh, epochs=5)
    assert len(small_model.memory) == size + 20
    assert not small_model.score(new_kind(5, None, start=9500)).abnormal.any()
    small_model.save(tmp_path / "knn")
    again = load_detector(tmp_path / "knn")
    probe = new_kind(5, None, start=9600)
    np.testing.assert_array_equal(small_model.score(probe).score, again.score(probe).score)
    assert again.updates == 1 and len(again.memory) == size + 20


def test_learning_needs_labels_and_a_fitted_model(small_model):
    with pytest.raises(DetectorInputError, match="no labels"):
        small_model.remember(new_kind(3, None))
    with pytest.raises(DetectorError, match="not fitted"):
        make_detector("knn").remember(new_kind(3, 1))
    with pytest.raises(DetectorError, match="not fitted"):
        make_detector("autoencoder").partial_fit(new_kind(3, 0))
