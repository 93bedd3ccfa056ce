"""CoLA's GloVe x TF-IDF template vectors: hand-checked weights, caching, stream behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest
from feature_helpers import HDFS_TEMPLATES, seq

from logsieve.features import SemanticConfig
from logsieve.features.glove import GloVe
from logsieve.features.semantic import Idf, SemanticVectors


class TinyWords:
    """Three 2-d 'word vectors' and a log of every lookup."""

    dim = 2
    table = {"open": [1.0, 0.0], "close": [0.0, 1.0], "file": [1.0, 1.0]}

    def __init__(self) -> None:
        self.lookups: list[str] = []

    def get(self, word: str):
        self.lookups.append(word)
        v = self.table.get(word)
        return None if v is None else np.array(v, dtype=np.float32)


TINY = ["open file <*>", "close file <*>", "open socket <*>"]


def tiny() -> SemanticVectors:
    return SemanticVectors(words=TinyWords()).fit(TINY)


def test_idf_and_tf_idf_weights_by_hand():
    sv = tiny()
    # N = 3 templates; df: open 2, file 2, close 1, socket 1; idf = ln((1+N)/(1+df)) + 1
    idf_common, idf_rare = math.log(4 / 3) + 1, math.log(4 / 2) + 1
    assert sv.idf["open"] == pytest.approx(idf_common)
    assert sv.idf["close"] == pytest.approx(idf_rare)
    assert sv.idf["never-seen"] == pytest.approx(math.log(4 / 1) + 1)  # unseen_df = 0
    w = sv.weights("close file <*>")  # tf = 1/2 each
    assert w == pytest.approx({"close": idf_rare / 2, "file": idf_common / 2})
    v = sv.vector(2, "close file <*>")
    # close (0,1) * idf_rare/2 + file (1,1) * idf_common/2
    assert v == pytest.approx([idf_common / 2, (idf_rare + idf_common) / 2])


def test_words_without_vectors_add_nothing_and_no_known_word_gives_zero():
    sv = tiny()
    v = sv.vector(3, "open socket <*>")
    assert v == pytest.approx([sv.idf["open"] / 2, 0.0])  # socket has no vector, still in tf
    assert not sv.vector(9, "<*> 1234 <*>").any()
    assert not sv.vector(10, "zzyzx qwfp").any()


def test_before_fit_every_word_weighs_the_same():
    sv = SemanticVectors(words=TinyWords())
    assert sv.idf["open"] == sv.idf["close"] == 1.0
    assert sv.vector(1, "open close") == pytest.approx([0.5, 0.5])


def test_each_template_is_computed_once_then_served_from_cache():
    words = TinyWords()
    sv = SemanticVectors(words=words).fit(TINY)
    templates = {1: TINY[0], 2: TINY[1]}
    first = sv.sequence_matrix(seq(1, 2, 1, 1, 2), templates)
    assert sorted(words.lookups) == ["close", "file", "file", "open"]
    words.lookups.clear()
    again = sv.sequence_matrix(seq(2, 1), templates)
    sv.transform([seq(1), seq(2, 2)], templates)
    assert words.lookups == [] and len(sv) == 2
    assert first.shape == (5, 2) and np.array_equal(again, first[[1, 0]])


def test_changed_text_under_an_id_recomputes_that_id_only():
    words = TinyWords()
    sv = SemanticVectors(words=words).fit(TINY)
    sv.sequence_matrix(seq(1, 2), {1: TINY[0], 2: TINY[1]})
    words.lookups.clear()
    m = sv.sequence_matrix(seq(1, 2), {1: "open <*>", 2: TINY[1]})
    assert words.lookups == ["open"]
    assert m[0] == pytest.approx([sv.idf["open"], 0.0])


def test_refit_freezes_a_new_idf_and_clears_the_cache():
    sv = tiny()
    before = sv.vector(1, "open file")
    sv.fit(["open file", "open door"])
    assert len(sv) == 0 and sv.idf.n_docs == 2
    assert not np.allclose(sv.vector(1, "open file"), before)


def test_sequence_mean_and_batch_transform_agree():
    sv = tiny()
    templates = dict(enumerate(TINY, start=1))
    batch = [seq(1, 2, 2), seq(), seq(3)]
    out = sv.transform(batch, templates)
    assert out.shape == (3, 2) and out.dtype == np.float32
    for row, s in zip(out, batch):
        assert row == pytest.approx(sv.sequence_mean(s, templates))
    assert not out[1].any()
    assert sv.sequence_matrix(seq(), templates).shape == (0, 2)


def test_unknown_template_id_names_the_fix():
    with pytest.raises(KeyError, match="ParserTemplates"):
        tiny().sequence_matrix(seq(1, 42), {1: "open"})


def test_save_and_load_keep_the_frozen_idf(tmp_path):
    sv = SemanticVectors(SemanticConfig(min_word_len=1, unseen_df=1), words=TinyWords()).fit(TINY)
    loaded = SemanticVectors.load(sv.save(tmp_path / "idf.json"), words=TinyWords())
    assert loaded.config == sv.config and loaded.idf.unseen == sv.idf.unseen
    assert np.array_equal(loaded.vector(1, "close file x"), sv.vector(1, "close file x"))


def test_idf_fit_counts_documents_not_occurrences():
    idf = Idf.fit([["a", "a", "b"], ["a"]])
    assert idf.df == {"a": 2, "b": 1} and idf.n_docs == 2


def test_real_glove_on_hdfs_templates_puts_related_events_together():
    sv = SemanticVectors(words=GloVe()).fit(HDFS_TEMPLATES)
    v = sv.vectors(range(len(HDFS_TEMPLATES)), HDFS_TEMPLATES)
    assert v.shape == (14, 50) and np.abs(v).sum(axis=1).min() > 0
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -1)
    name = {t: i for i, t in enumerate(HDFS_TEMPLATES)}
    ask_delete, ask_replicate = name["BLOCK* ask <*> to delete <*>"], name["BLOCK* ask <*> to replicate <*> to datanode(s) <*>"]
    assert sim[ask_delete].argmax() == ask_replicate
    deleting = name["Deleting block <*> file <*>"]
    assert sim[deleting].argmax() == ask_delete
