"""MLAD's parts: sparse attention, the mixture energy, features, padding and batch independence.

A fake encoder (a fixed random unit vector per text) stands in for MiniLM so these run in a
second or two; the contract test covers the real one.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch

from logsieve.detectors.base import SequenceBatch
from logsieve.detectors.mlad import (
    EMBED_DIM,
    MLAD,
    EntmaxAttention,
    gmm_energy,
    gmm_parameters,
    sparse_attention,
)
from logsieve.records import Sequence

from detector_data import TEMPLATES, splits

SMALL = {"epochs": 4, "batch_size": 32, "d_model": 16, "heads": 2, "ff": 32, "latent": 2, "threads": 1}


class FakeEncoder:
    name, dim = "fake", EMBED_DIM

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(EMBED_DIM) for t in texts]
        out = np.array(rows, dtype=np.float32).reshape(len(texts), EMBED_DIM)
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-6)


@pytest.fixture(scope="module")
def fitted() -> MLAD:
    train, val, _ = splits()
    det = MLAD(SMALL, encoder=FakeEncoder())
    det.fit(train, val)
    return det


@pytest.mark.parametrize("alpha", [1.5, 1.3])
def test_entmax_rows_sum_to_one_and_can_be_sparse(alpha):
    logits = torch.tensor([[4.0, 3.5, 0.0, -2.0], [0.1, 0.0, 0.2, 0.1]])
    p = sparse_attention(logits, alpha)
    torch.testing.assert_close(p.sum(-1), torch.ones(2))
    assert (p[0] == 0).any()  # softmax would give every entry some weight
    assert (p >= 0).all()


def test_padded_keys_get_exactly_zero_attention():
    torch.manual_seed(0)
    attn = EntmaxAttention(8, 2, 1.5)
    h = torch.randn(1, 5, 8)
    mask = torch.tensor([[True, True, True, False, False]])
    weights, _ = attn.weights(h, mask)
    assert (weights[..., 3:] == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(1, 2, 5))


def test_energy_is_higher_for_an_outlier_than_for_training_like_points():
    gen = torch.Generator().manual_seed(0)
    z = torch.cat([torch.randn(200, 3, generator=gen, dtype=torch.float64) * 0.3 + 2,
                   torch.randn(200, 3, generator=gen, dtype=torch.float64) * 0.3 - 2])
    gamma = torch.cat([torch.tensor([[1.0, 0.0]]).repeat(200, 1),
                       torch.tensor([[0.0, 1.0]]).repeat(200, 1)]).double()
    phi, mu, cov = gmm_parameters(z, gamma, eps=1e-6)
    torch.testing.assert_close(phi, torch.tensor([0.5, 0.5], dtype=torch.float64))
    e = gmm_energy(torch.tensor([[2.0, 2.0, 2.0], [-2.0, -2.0, -2.0], [0.0, 0.0, 0.0]], dtype=torch.float64),
                   phi, mu, cov)
    assert e[2] > e[0] + 10 and e[2] > e[1] + 10


def test_featurize_lines_gives_embeddings_and_a_mask_keeping_the_last_lines():
    det = MLAD({**SMALL, "max_len": 3, "tokens": "lines"}, encoder=FakeEncoder())
    batch = SequenceBatch([Sequence("a", [1, 2, 3, 4, 5]), Sequence("b", [6])], TEMPLATES)
    x = det.featurize(batch)
    assert x.shape == (2, 3, EMBED_DIM + 2) and x.dtype == np.float32
    assert x[:, :, -1].tolist() == [[1, 1, 1], [1, 0, 0]]
    want = FakeEncoder().encode([TEMPLATES[3], TEMPLATES[4], TEMPLATES[5]])
    np.testing.assert_allclose(x[0, :, :EMBED_DIM], want)
    assert (x[..., EMBED_DIM] == 0).all()  # no counts in line mode
    assert (x[1, 1:] == 0).all()


def test_featurize_templates_gives_one_token_per_distinct_template_with_its_log_count():
    det = MLAD({**SMALL, "count_scale": 1.0}, encoder=FakeEncoder())
    batch = SequenceBatch([Sequence("a", [1, 2, 2, 3, 2, 1]), Sequence("b", [6])], TEMPLATES)
    x = det.featurize(batch)
    assert x.shape == (2, 3, EMBED_DIM + 2)
    assert x[:, :, -1].tolist() == [[1, 1, 1], [1, 0, 0]]
    np.testing.assert_allclose(x[0, :, :EMBED_DIM], FakeEncoder().encode([TEMPLATES[t] for t in (1, 2, 3)]))
    np.testing.assert_allclose(x[0, :, EMBED_DIM], np.log1p([2, 3, 1]), rtol=1e-6)
    assert (x[1, 1:] == 0).all()


@pytest.mark.parametrize("energy", ["sequence", "token"])
def test_both_energy_levels_fit_and_rank_anomalies_first(energy):
    train, val, test = splits()
    det = MLAD({**SMALL, "energy": energy}, encoder=FakeEncoder())
    det.fit(train, val)
    s = det.score(test).score
    assert np.isfinite(s).all()
    assert np.median(s[test.labels == 1]) > np.median(s[test.labels == 0])


def test_padding_and_batch_mates_do_not_change_a_score(fitted):
    short = Sequence("s", [1, 2, 3, 4])
    long = Sequence("l", [1] + [2, 3, 4] * 4 + [5, 8])
    alone = fitted.score(SequenceBatch([short], TEMPLATES)).score
    padded = fitted.score(SequenceBatch([short, long], TEMPLATES)).score
    np.testing.assert_allclose(padded[0], alone[0], rtol=1e-5)


def test_anomalies_score_higher_than_normal_sequences(fitted):
    _, _, test = splits()
    s = fitted.score(test).score
    y = test.labels
    assert np.median(s[y == 1]) > np.percentile(s[y == 0], 90)
