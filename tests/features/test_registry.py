"""The registry builds features from config names; features follow a live parser."""

from __future__ import annotations

import numpy as np
import pytest
from feature_helpers import CountingEncoder, HashEncoder
from pydantic import ValidationError

from logsieve.features import (
    FEATURES, CountsConfig, SemanticConfig, SentenceConfig, build_feature, feature_config,
)
from logsieve.features.counts import TemplateCounter
from logsieve.features.embeddings import TemplateEmbeddings
from logsieve.features.semantic import SemanticVectors
from logsieve.features.table import ParserTemplates
from logsieve.parsing import DrainParser
from logsieve.records import LogRecord, ParsedLine, Sequence
from logsieve.store import Store


def test_names_map_to_config_classes_and_features(tmp_path):
    assert set(FEATURES) == {"counts", "semantic", "sentence"}
    assert isinstance(build_feature({"kind": "counts", "grow": True}), TemplateCounter)
    assert isinstance(build_feature(SemanticConfig(min_word_len=3)), SemanticVectors)
    with Store(tmp_path / "s.db") as store:
        emb = build_feature({"kind": "sentence", "batch_size": 8}, store=store)
        assert isinstance(emb, TemplateEmbeddings) and emb.store_cache is not None
        assert emb.encoder.batch_size == 8  # the model itself is not loaded until first use


def test_configs_validate_and_reject_typos():
    assert feature_config({"kind": "counts"}) == CountsConfig()
    assert feature_config(SentenceConfig(threads=2)).threads == 2
    with pytest.raises(ValidationError):
        feature_config({"kind": "counts", "grwo": True})
    with pytest.raises(ValidationError):
        feature_config({"kind": "tfidf"})
    with pytest.raises(ValidationError):
        CountsConfig(max_columns=1)


def _feed(parser: DrainParser, seqs: dict[str, Sequence], key: str, content: str) -> None:
    result = parser.learn(content)
    rec = LogRecord("test", 0, content)
    line = ParsedLine(rec, result.template_id, result.template, result.params)
    seqs.setdefault(key, Sequence(key)).append(line)


def test_text_features_follow_a_live_parser_as_templates_generalise():
    parser = DrainParser()
    templates = ParserTemplates(parser)
    enc = CountingEncoder(HashEncoder())
    emb = TemplateEmbeddings(encoder=enc)
    seqs: dict[str, Sequence] = {}
    _feed(parser, seqs, "a", "session opened for user alice")
    _feed(parser, seqs, "a", "job started on node one")
    first = emb.sequence_matrix(seqs["a"], templates)
    assert len(enc.batches) == 1 and len(templates) == 2 and set(templates) == {1, 2}
    _feed(parser, seqs, "b", "session opened for user bob")  # generalises template 1
    assert templates[1] == "session opened for user <*>"
    again = emb.sequence_matrix(seqs["a"], templates)
    assert enc.batches[1] == ["session opened for user <*>"]
    assert np.array_equal(again[1], first[1]) and not np.array_equal(again[0], first[0])
    with pytest.raises(KeyError, match="not among the templates"):
        emb.sequence_matrix(Sequence("x", [99]), templates)
