"""MiniLM template embeddings: batched misses, memory cache, SQLite cache across restarts.

MiniLM loads once for this module (a few seconds); caching tests that do not need meaning use a
cheap deterministic encoder.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from feature_helpers import HDFS_TEMPLATES, CountingEncoder, HashEncoder, RefusingEncoder, seq

from logsieve.features.embeddings import TemplateEmbeddings
from logsieve.features.sentence import SentenceEncoder
from logsieve.store import Store

TEMPLATES = dict(enumerate(HDFS_TEMPLATES, start=1))


@pytest.fixture(scope="module")
def minilm() -> SentenceEncoder:
    return SentenceEncoder()


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "logsieve.db") as s:
        yield s


def test_only_misses_are_embedded_in_one_batch_and_the_second_call_is_free(minilm):
    enc = CountingEncoder(minilm)
    emb = TemplateEmbeddings(encoder=enc)
    first = emb.vectors([1, 2, 3], [TEMPLATES[1], TEMPLATES[2], TEMPLATES[3]])
    assert first.shape == (3, 384) and enc.batches == [[TEMPLATES[1], TEMPLATES[2], TEMPLATES[3]]]
    mixed = emb.vectors([3, 4, 1], [TEMPLATES[3], TEMPLATES[4], TEMPLATES[1]])
    assert enc.batches[1] == [TEMPLATES[4]]
    assert np.array_equal(mixed[[0, 2]], first[[2, 0]])
    emb.vectors([1, 4], [TEMPLATES[1], TEMPLATES[4]])
    emb.sequence_matrix(seq(1, 3, 4, 4, 1), TEMPLATES)
    assert len(enc.batches) == 2


def test_a_batch_of_sequences_embeds_its_new_templates_together(minilm):
    enc = CountingEncoder(minilm)
    emb = TemplateEmbeddings(encoder=enc)
    out = emb.transform([seq(1, 2, 2), seq(), seq(5, 1)], TEMPLATES)
    assert len(enc.batches) == 1 and sorted(enc.texts) == sorted(TEMPLATES[i] for i in (1, 2, 5))
    assert out.shape == (3, 384) and not out[1].any()
    m = emb.sequence_matrix(seq(1, 2, 2), TEMPLATES)
    assert out[0] == pytest.approx(m.mean(axis=0), abs=1e-6)
    assert emb.sequence_mean(seq(5, 1), TEMPLATES) == pytest.approx(out[2], abs=1e-6)


def test_a_new_instance_on_the_same_store_never_calls_the_encoder(minilm, store):
    ids = list(TEMPLATES)
    texts = list(TEMPLATES.values())
    enc = CountingEncoder(minilm)
    original = TemplateEmbeddings(encoder=enc, store=store).vectors(ids, texts)
    assert len(enc.batches) == 1
    reopened = Store(store.path)
    try:
        again = TemplateEmbeddings(encoder=RefusingEncoder(minilm.name, 384), store=reopened)
        assert np.array_equal(again.vectors(ids[::-1], texts[::-1]), original[::-1])
    finally:
        reopened.close()


def test_a_new_process_reads_the_store_and_never_calls_the_encoder(tmp_path):
    path = tmp_path / "logsieve.db"
    texts = HDFS_TEMPLATES[:5]
    with Store(path) as s:
        expected = TemplateEmbeddings(encoder=HashEncoder(), store=s).vectors(range(5), texts)
    np.save(tmp_path / "expected.npy", expected)
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from feature_helpers import HDFS_TEMPLATES, RefusingEncoder
        from logsieve.features.embeddings import TemplateEmbeddings
        from logsieve.store import Store
        with Store({str(path)!r}) as s:
            emb = TemplateEmbeddings(encoder=RefusingEncoder("hash-encoder", 8), store=s)
            got = emb.vectors(range(5), HDFS_TEMPLATES[:5])
        assert np.array_equal(got, np.load({str(tmp_path / "expected.npy")!r}))
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_changed_text_under_the_same_id_is_re_embedded(store):
    enc = CountingEncoder(HashEncoder())
    emb = TemplateEmbeddings(encoder=enc, store=store)
    old = emb.vector(7, "Receiving block <*> src: /10.0.0.1:50010 dest: <*>")
    new = emb.vector(7, "Receiving block <*> src: <*> dest: <*>")
    assert enc.texts == ["Receiving block <*> src: /10.0.0.1:50010 dest: <*>",
                         "Receiving block <*> src: <*> dest: <*>"]
    assert not np.array_equal(old, new) and len(emb) == 1
    # going back to an earlier text is a store hit, not a new embedding
    emb.vector(7, "Receiving block <*> src: /10.0.0.1:50010 dest: <*>")
    assert len(enc.batches) == 2


def test_the_store_keys_by_model_so_another_model_re_embeds(store):
    TemplateEmbeddings(encoder=HashEncoder(), store=store).vector(1, "a template")
    other = CountingEncoder(HashEncoder())
    other.name = "another-model"
    TemplateEmbeddings(encoder=other, store=store).vector(1, "a template")
    assert other.texts == ["a template"]


def test_real_hdfs_templates_embed_and_related_ones_are_nearest(minilm, store):
    emb = TemplateEmbeddings(encoder=minilm, store=store)
    v = emb.vectors(TEMPLATES.keys(), TEMPLATES.values())
    assert v.shape == (14, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    sim = v @ v.T
    np.fill_diagonal(sim, -1)
    idx = {t: i for i, t in enumerate(HDFS_TEMPLATES)}
    received = idx["Received block <*> of size <*> from <*>"]
    received_src = idx["Received block <*> src: <*> dest: <*> of size <*>"]
    receiving = idx["Receiving block <*> src: <*> dest: <*>"]
    assert sim[received].argmax() == received_src
    assert sim[receiving].argmax() == received_src
    assert sim[idx["Deleting block <*> file <*>"]].argmax() == idx["BLOCK* ask <*> to delete <*>"]
