import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.config import LossConfig
from geobfdt.model.matcher import HungarianMatcher, build_matcher, parameter_l1

torch.set_num_threads(1)


def random_batch(seed: int, queries: int, counts: list[int]):
    g = torch.Generator().manual_seed(seed)
    outputs = {"pred_logits": torch.randn(len(counts), queries, 2, generator=g),
               "pred_params": torch.stack([torch.rand(len(counts), queries, generator=g),
                                           0.2 * torch.rand(len(counts), queries, generator=g),
                                           360 * torch.rand(len(counts), queries, generator=g)], -1)}
    targets = [torch.stack([torch.rand(k, generator=g), 0.2 * torch.rand(k, generator=g), 360 * torch.rand(k, generator=g),
                            torch.randint(0, 2, (k,), generator=g).float()], -1) for k in counts]
    return outputs, targets


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), queries=st.integers(1, 5), data=st.data())
def test_matching_is_optimal_against_brute_force(seed, queries, data):
    counts = data.draw(st.lists(st.integers(0, queries), min_size=1, max_size=3))
    outputs, targets = random_batch(seed, queries, counts)
    matcher = build_matcher(LossConfig())
    cost = matcher.cost_matrix(outputs["pred_logits"], outputs["pred_params"], targets)
    blocks = cost.split(counts, -1)
    for b, (pred, true) in enumerate(matcher(outputs, targets)):
        block = blocks[b][b]
        assert len(pred) == len(true) == counts[b] and len(set(pred.tolist())) == counts[b]
        found = float(block[pred, true].sum())
        best = min((float(block[list(p), list(range(counts[b]))].sum())
                    for p in itertools.permutations(range(queries), counts[b])), default=0.0)
        assert found <= best + 1e-5


def test_images_without_sinusoids_get_empty_matches():
    outputs, targets = random_batch(0, 4, [0, 2, 0])
    indices = build_matcher(LossConfig())(outputs, targets)
    assert [len(p) for p, _ in indices] == [0, 2, 0]
    assert all(p.dtype == torch.long and t.dtype == torch.long for p, t in indices)
    outputs, targets = random_batch(0, 4, [0, 0])
    assert [len(p) for p, _ in build_matcher(LossConfig())(outputs, targets)] == [0, 0]


def test_azimuth_cost_is_circular():
    pred = torch.tensor([0.5, 0.1, 359.0])
    assert float(parameter_l1(pred, torch.tensor([0.5, 0.1, 1.0]))) == pytest.approx(2 / 360)
    matcher = HungarianMatcher(cost_class=0.0, cost_param=1.0, cost_curve=1.0)
    outputs = {"pred_logits": torch.zeros(1, 2, 2),
               "pred_params": torch.tensor([[[0.5, 0.1, 180.0], [0.5, 0.1, 359.0]]])}
    (pred, true), = matcher(outputs, [torch.tensor([[0.5, 0.1, 1.0, 0.0]])])
    assert pred.tolist() == [1] and true.tolist() == [0]


def test_curve_cost_ignores_phase_of_flat_traces():
    matcher = HungarianMatcher(cost_class=0.0, cost_param=0.0, cost_curve=1.0)
    flat = torch.tensor([[[0.5, 0.0, 0.0], [0.5, 0.0, 180.0]]])
    cost = matcher.cost_matrix(torch.zeros(1, 2, 2), flat, [torch.tensor([[0.5, 0.0, 90.0, 1.0]])])
    torch.testing.assert_close(cost, torch.zeros(1, 2, 1))
