import math

import numpy as np
import pytest
import torch

from geobfdt.config import LossConfig, ModelConfig
from geobfdt.model import build_criterion, build_model, count_parameters
from geobfdt.model.denoising import attention_mask, noised_queries

torch.set_num_threads(1)


def tiny_config(**changes) -> ModelConfig:
    settings = dict(backbone_width=8, d_model=64, nhead=4, enc_layers=1, dec_layers=2, dim_feedforward=128,
                    dropout=0.0, num_queries=8, sample_azimuths=16, sample_offsets=3, proposals_per_row=2)
    settings.update(changes)
    return ModelConfig(**settings)


def toy_patches(n: int, rows: int, columns: int, seed: int):
    """Patches with up to two drawn sinusoids each: fractures thin and dark, beds broad and bright."""
    g = torch.Generator().manual_seed(seed)
    azimuth = (torch.arange(columns) + 0.5) * (2 * math.pi / columns)
    row = torch.arange(rows, dtype=torch.float32)[:, None] + 0.5
    images, targets = [], []
    for _ in range(n):
        k = int(torch.randint(0, 3, (1,), generator=g))
        target = torch.stack([0.15 + 0.7 * torch.rand(k, generator=g), 0.12 * torch.rand(k, generator=g),
                              360 * torch.rand(k, generator=g), torch.randint(0, 2, (k,), generator=g).float()], 1)
        image = 0.5 + 0.05 * torch.randn(rows, columns, generator=g)
        for depth, amplitude, azimuth_deg, class_id in target.tolist():
            trace = rows * (depth + amplitude * torch.cos(azimuth - math.radians(azimuth_deg)))
            contrast, width = (-0.4, 1.0) if class_id == 0 else (0.3, 2.5)
            image += contrast * torch.exp(-(((row - trace) / width) ** 2))
        images.append(torch.stack([image.clamp(0, 1), torch.ones(rows, columns)]))
        targets.append(target)
    return torch.stack(images), targets


@pytest.mark.parametrize("backbone", ["resnet10", "resnet14", "resnet18", "resnet34"])
def test_forward_shapes(backbone):
    model = build_model(tiny_config(backbone=backbone)).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 2, 128, 64))
    assert out["pred_logits"].shape == (2, 8, 2) and out["pred_params"].shape == (2, 8, 3)
    assert len(out["aux_outputs"]) == 1 and out["aux_outputs"][0]["pred_params"].shape == (2, 8, 3)
    assert out["proposals"]["pred_params"].shape == (2, 16 * 2, 3) and "dn" not in out
    params = out["pred_params"]
    assert (params[..., 1] >= 0).all() and (params[..., 2] >= 0).all() and (params[..., 2] < 360).all()


def test_single_stage_and_no_denoising():
    model = build_model(tiny_config(two_stage=False, dn_groups=0)).train()
    images, targets = toy_patches(2, 128, 64, 1)
    out = model(images, targets)
    assert "proposals" not in out and "dn" not in out and out["pred_logits"].shape == (2, 8, 2)


def test_denoising_outputs_pair_queries_with_their_targets():
    torch.manual_seed(0)
    model = build_model(tiny_config(dn_groups=3)).train()
    images, _ = toy_patches(2, 128, 64, 2)
    targets = [torch.tensor([[0.3, 0.1, 10.0, 0.0], [0.6, 0.05, 300.0, 1.0]]), torch.zeros(0, 4)]
    out = model(images, targets)
    assert out["pred_logits"].shape == (2, 8, 2)  # matching queries only
    assert out["dn"]["pred_params"].shape == (2, 6, 3) and len(out["dn"]["aux_outputs"]) == 1
    assert out["dn"]["target_index"].tolist() == [[0, 1] * 3, [-1, -1] * 3]
    losses = build_criterion(LossConfig(), 2)(out, targets)
    losses["loss"].backward()
    assert float(losses["loss_dn"]) > 0
    assert all(p.grad is not None for p in model.parameters())  # DDP needs every parameter used
    model.eval()
    assert "dn" not in model(images, targets)


def test_noised_queries_stay_near_their_targets():
    torch.manual_seed(0)
    target = torch.tensor([[0.5, 0.1, 359.0, 1.0]]).repeat(200, 1)
    reference, labels, index = noised_queries([target], 2, 2)
    assert reference.shape == (1, 400, 3) and (index[0] == torch.arange(200).repeat(2)).all()
    assert (reference[..., 0] - 0.5).abs().max() <= 0.03 + 1e-6 and (reference[..., 1] >= 0).all()
    gap = torch.remainder(reference[..., 2] - 359.0 + 180.0, 360.0) - 180.0  # phase noise wraps
    assert gap.abs().max() <= 30.0 + 1e-4 and (reference[..., 2] < 360).all() and (reference[..., 2] >= 0).all()
    assert 0.0 < (labels != 1).float().mean() < 0.25


def test_denoising_mask_hides_groups_from_matching_queries_and_each_other():
    mask = attention_mask(6, 3, 4)  # three groups of two denoising queries, then four matching queries
    group = torch.tensor([0, 0, 1, 1, 2, 2, -1, -1, -1, -1])
    for q in range(10):
        for k in range(10):
            blocked = group[k] >= 0 and group[q] != group[k]
            assert bool(mask[q, k]) == bool(blocked)
    assert mask[6:, :6].all() and not mask[:, 6:].any()


def test_matching_outputs_do_not_depend_on_denoising_queries():
    torch.manual_seed(0)
    model = build_model(tiny_config(dropout=0.0)).train()
    images, _ = toy_patches(1, 128, 64, 3)
    target = [torch.tensor([[0.4, 0.05, 90.0, 0.0]])]
    with torch.no_grad():
        plain = model(images)
        with_dn = model(images, target)
    assert "dn" in with_dn
    torch.testing.assert_close(with_dn["pred_params"], plain["pred_params"], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(with_dn["pred_logits"], plain["pred_logits"], atol=1e-5, rtol=1e-5)


def test_predict_format():
    model = build_model(tiny_config())
    model.train()
    rows = model.predict(torch.rand(3, 2, 128, 64))
    assert model.training  # the caller's mode is restored
    assert len(rows) == 3 and all(r.shape == (8, 5) and r.dtype == np.float32 for r in rows)
    for r in rows:
        assert np.all(np.diff(r[:, 4]) <= 0) and np.all((r[:, 4] >= 0) & (r[:, 4] <= 1))
        assert set(np.unique(r[:, 3])) <= {0.0, 1.0}
        assert np.all(r[:, 1] >= 0) and np.all((r[:, 2] >= 0) & (r[:, 2] < 360))
    assert count_parameters(model) == sum(p.numel() for p in model.parameters())


def test_too_few_proposals_for_the_queries_is_refused():
    model = build_model(tiny_config(num_queries=40, proposals_per_row=2))
    with pytest.raises(ValueError, match="proposals_per_row"):
        model(torch.rand(1, 2, 128, 64))


def test_tiny_model_overfits_a_handful_of_patches():
    torch.manual_seed(0)
    model = build_model(tiny_config())
    criterion = build_criterion(LossConfig(), 2)
    images, targets = toy_patches(8, 128, 64, 0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for _ in range(250):
        model.train()
        losses = criterion(model(images, targets), targets)
        optimizer.zero_grad()
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    model.eval()
    with torch.no_grad():
        final = criterion(model(images), targets)
    assert float(final["class_error"]) == 0.0 and float(final["num_matched"]) == sum(len(t) for t in targets)
    assert float(final["loss_params"]) < 0.03 and float(final["loss_curve"]) < 0.01
    for rows, target in zip(model.predict(images), targets):
        picked = rows[rows[:, 4] > 0.5]
        assert len(picked) == len(target)
        for truth in target.numpy():  # each true trace has a confident prediction of its class within 2 rows
            near = picked[np.abs(picked[:, 0] - truth[0]) < 2 / 128]
            assert len(near) == 1 and near[0, 3] == truth[3]
