"""LogMoE's parts: routing, the two auxiliary losses, masking and features."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from logsieve.detectors.base import SequenceBatch  # noqa: E402
from logsieve.detectors.logmoe import (  # noqa: E402
    DIM,
    LogMoE,
    LogMoEConfig,
    LogMoENet,
    MoELayer,
    _buckets,
    _distinct_rows,
    balance_loss,
    diversity_loss,
)
from logsieve.records import Sequence  # noqa: E402

from detector_data import TEMPLATES, batch  # noqa: E402


def test_routing_picks_exactly_top_k_distinct_experts_with_weights_summing_to_one():
    torch.manual_seed(0)
    moe = MoELayer(dim=6, experts=8, top_k=2, hidden=5)
    probs, top_i, top_w = moe.route(torch.randn(30, 6))
    assert top_i.shape == (30, 2) and (top_i[:, 0] != top_i[:, 1]).all()
    # the chosen experts are the two most probable ones
    assert torch.equal(top_i, probs.topk(2, dim=-1).indices)
    torch.testing.assert_close(top_w.sum(dim=-1), torch.ones(30))


def test_an_expert_not_chosen_for_a_token_does_not_change_its_output():
    torch.manual_seed(0)
    moe = MoELayer(dim=4, experts=4, top_k=1, hidden=3)
    x = torch.randn(10, 4)
    with torch.no_grad():
        out, _, top_i = moe(x)
        chosen = int(top_i[0, 0])
        other = top_i[:, 0] != chosen
        moe.w2[chosen].add_(5.0)
        again = moe(x)[0]
    assert other.any() and not torch.allclose(out[0], again[0])
    torch.testing.assert_close(out[other], again[other])


def test_top_k_larger_than_experts_is_refused():
    with pytest.raises(ValueError, match="top_k"):
        MoELayer(dim=4, experts=2, top_k=3, hidden=3)
    with pytest.raises(ValueError, match="top_k"):
        LogMoE({"experts": 2, "top_k": 3})


def test_balance_loss_is_minimal_for_uniform_routing():
    experts, tokens = 4, 8
    uniform = torch.full((tokens, experts), 1 / experts)
    spread = torch.tensor([[i % experts, (i + 1) % experts] for i in range(tokens)])
    assert balance_loss(uniform, spread, experts).item() == pytest.approx(1.0)
    skewed = torch.tensor([[0.7, 0.1, 0.1, 0.1]] * tokens)
    collapsed = torch.tensor([[0, 1]] * tokens)
    assert balance_loss(skewed, collapsed, experts).item() > 1.5


def test_diversity_loss_falls_when_experts_differ():
    same = torch.ones(4, 3, 2)
    eye = torch.eye(4).reshape(4, 2, 2)
    opposite = torch.stack([torch.ones(3, 2), -torch.ones(3, 2)])
    assert diversity_loss(same).item() == pytest.approx(1.0)
    assert diversity_loss(eye).item() == pytest.approx(0.0)
    assert diversity_loss(opposite).item() == pytest.approx(-1.0)


def _fitted_net(hidden: int = 8) -> LogMoENet:
    torch.manual_seed(0)
    return LogMoENet(LogMoEConfig(hidden=hidden, expert_hidden=8, mlp_hidden=8)).eval()


def _row(length: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    row = np.zeros((width, DIM + 1), dtype=np.float32)
    row[:length, :DIM] = rng.normal(size=(length, DIM))
    row[:length, DIM] = 1.0
    return row


def test_padding_and_batch_mates_do_not_change_a_score():
    net = _fitted_net()
    short = _row(3, 3, seed=1)
    alone = net(torch.from_numpy(short[None]))[0]
    padded = np.stack([np.concatenate([short, np.full((7, DIM + 1), 0, np.float32)]), _row(10, 10, seed=2)])
    padded[0, 3:, :DIM] = 9.0  # garbage under the mask must be ignored too
    together = net(torch.from_numpy(padded))[0]
    torch.testing.assert_close(alone[0], together[0], rtol=1e-5, atol=1e-6)


def test_backward_direction_reads_each_row_from_its_own_last_line():
    net = _fitted_net()
    x = torch.from_numpy(np.stack([_row(4, 6, seed=3), _row(6, 6, seed=4)]))
    lens = torch.tensor([4, 6])
    both = net.bilstm(x[..., :-1], lens)
    alone = net.bilstm(x[:1, :4, :-1], lens[:1])
    torch.testing.assert_close(both[0, :4], alone[0], rtol=1e-5, atol=1e-6)


def test_score_array_matches_scoring_rows_one_by_one():
    det = LogMoE({"hidden": 8, "expert_hidden": 8, "mlp_hidden": 8, "score_batch": 3})
    det.model = _fitted_net()
    x = np.stack([_row(n, 12, seed=n % 4) for n in [12, 2, 5, 2, 9, 12, 1, 5]])
    together = det._score_array(x)
    one_by_one = np.array([det._score_array(x[i : i + 1, : max(1, int(x[i, :, -1].sum()))])[0] for i in range(len(x))])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-5, atol=1e-6)
    # rows that are equal get equal scores (they are scored once)
    assert together[0] == together[5] and together[2] == together[7]


def test_distinct_rows_and_buckets():
    x = np.array([[1, 2], [3, 4], [1, 2], [3, 4], [5, 6]], dtype=np.float32)
    first, inverse = _distinct_rows(x)
    assert first.tolist() == [0, 1, 4] and inverse.tolist() == [0, 1, 0, 1, 2]
    assert _buckets(np.array([40, 35, 30, 30, 10, 9, 9]), size=2) == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert _buckets(np.array([40, 35, 30, 30, 10, 9, 9]), size=100) == [(0, 4), (4, 7)]


def test_featurize_marks_real_lines_keeps_the_last_max_len_and_handles_new_templates():
    det = LogMoE({"max_len": 3})
    det._fit_features(batch(20))
    templates = {**TEMPLATES, 99: "zzzqqq <*>"}  # a template unseen at fit, no GloVe word: zero vector
    seqs = [Sequence("a", [1, 2, 3, 4, 5]), Sequence("b", [99]), Sequence("c", [6, 99])]
    x = det.featurize(SequenceBatch(seqs, templates))
    assert x.shape == (3, 3, DIM + 1) and x.dtype == np.float32
    assert x[:, :, DIM].tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    np.testing.assert_array_equal(x[0, 0, :DIM], det.semantic.vector(3, TEMPLATES[3]))  # last 3 lines
    assert not x[1, 0, :DIM].any() and not x[1, 1:].any()
