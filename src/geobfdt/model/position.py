"""Sine position encodings: standard in depth, integer azimuthal harmonics (exactly periodic) in azimuth."""

from __future__ import annotations

import math

import torch
from torch import nn

from geobfdt.model.sinusoid import deg_to_rad


def depth_sine(fraction: torch.Tensor, num_feats: int, temperature: float = 1000.0) -> torch.Tensor:
    """(...,) positions in patch fractions -> (..., num_feats) sines and cosines of geometric frequencies.

    Frequencies run from one radian per 1/256 of the patch (a row at the default 256 rows, as DETR
    uses pixel units) down by `temperature`, so both fine and patch-scale position are coded.
    """
    half = num_feats // 2
    freq = 256.0 * temperature ** (-torch.arange(half, dtype=fraction.dtype, device=fraction.device) / half)
    angle = fraction[..., None] * freq
    return torch.cat([angle.sin(), angle.cos()], -1)


def azimuth_harmonics(azimuth_rad: torch.Tensor, num_feats: int) -> torch.Tensor:
    """(...,) azimuths -> (..., num_feats) cos(k phi), sin(k phi), k = 1..num_feats/2: wraps exactly at 2 pi."""
    k = torch.arange(1, num_feats // 2 + 1, dtype=azimuth_rad.dtype, device=azimuth_rad.device)
    angle = azimuth_rad[..., None] * k
    return torch.cat([angle.cos(), angle.sin()], -1)


def feature_position(rows: int, columns: int, d_model: int, device=None) -> torch.Tensor:
    """(rows * columns, d_model) code for a feature map: half depth, half azimuth (column centres)."""
    depth = (torch.arange(rows, device=device, dtype=torch.float32) + 0.5) / rows
    azimuth = (torch.arange(columns, device=device, dtype=torch.float32) + 0.5) * (2 * math.pi / columns)
    code_depth = depth_sine(depth, d_model // 2)[:, None, :].expand(rows, columns, -1)
    code_azimuth = azimuth_harmonics(azimuth, d_model // 2)[None, :, :].expand(rows, columns, -1)
    return torch.cat([code_depth, code_azimuth], -1).reshape(rows * columns, d_model)


class ReferenceEmbedding(nn.Module):
    """Positional embedding of a query's reference sinusoid (depth_frac, amplitude_frac, azimuth_deg)."""

    def __init__(self, d_model: int):
        super().__init__()
        self.d_model = d_model
        self.mlp = nn.Sequential(nn.Linear(d_model, d_model), nn.ReLU(), nn.Linear(d_model, d_model))

    def forward(self, reference: torch.Tensor) -> torch.Tensor:
        quarter = self.d_model // 4
        code = torch.cat([depth_sine(reference[..., 0], 2 * quarter), depth_sine(reference[..., 1], quarter),
                          azimuth_harmonics(deg_to_rad(reference[..., 2]), self.d_model - 3 * quarter)], -1)
        return self.mlp(code)
