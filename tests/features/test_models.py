"""The installed embedding models load offline and give what the features need."""

from __future__ import annotations

import numpy as np
import pytest

from logsieve._optional import MissingExtraError, require
from logsieve.features.glove import GloVe
from logsieve.features.sentence import SentenceEncoder


def test_glove_knows_common_words_and_is_case_insensitive():
    g = GloVe()
    assert len(g) == 400_000
    v = g.get("Block")
    assert v is not None and v.shape == (50,)
    assert np.allclose(v, g.get("block"))
    assert g.get("blk_-4241") is None
    m = g.vectors(["received", "zzqxqzzq"])
    assert m.shape == (2, 50) and m[0].any() and not m[1].any()


def test_sentence_encoder_is_normalised_and_semantic():
    enc = SentenceEncoder()
    v = enc.encode(["Receiving block <*> src <*>", "Received block <*> of size <*>", "kernel panic"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    # related HDFS events are closer to each other than to a kernel panic
    assert v[0] @ v[1] > v[0] @ v[2]
    assert enc.encode([]).shape == (0, 384)


def test_missing_extra_names_the_install_command():
    with pytest.raises(MissingExtraError, match=r"pip install 'logsieve\[ml\]'"):
        require("logsieve_no_such_module_xyz", purpose="testing")
