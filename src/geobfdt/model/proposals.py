"""Dense proposals: every depth row of the stride-8 map proposes a few sinusoids (two-stage DETR).

Each row is pooled over azimuth into its mean and first azimuthal harmonic (cos, sin). Rotating
the image by an angle turns every channel's first harmonic by that angle, and the phase of a
sinusoid is the angle of such a harmonic. So magnitudes feed an invariant path (class, depth
offset, amplitude) and the harmonics are mixed only by complex-linear maps (with weights that
depend on the invariant features), whose angle gives the phase: rotation-equivariant exactly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from geobfdt.model.sinusoid import rad_to_deg, wrap_deg
from geobfdt.model.transformer import CLASS_PRIOR

CONTEXT_ROWS = 5  # neighbouring rows mixed per row: a sinusoid spreads over several rows
DEPTH_BAND_ROWS = 2.0  # a candidate's centre line may sit up to this many rows from its own
MAX_AMPLITUDE_FRAC = 0.5


class RowProposals(nn.Module):
    def __init__(self, d_model: int, num_classes: int, per_row: int):
        super().__init__()
        self.per_row, self.num_classes, self.d_model = per_row, num_classes, d_model
        pad = CONTEXT_ROWS // 2
        self.invariant = nn.Sequential(nn.Conv1d(2 * d_model, d_model, CONTEXT_ROWS, padding=pad), nn.ReLU(),
                                       nn.Conv1d(d_model, d_model, 1), nn.ReLU())
        # complex convolution over rows: real and imaginary weights, no bias (a bias would fix an absolute phase)
        self.harmonic_real = nn.Conv1d(d_model, d_model, CONTEXT_ROWS, padding=pad, bias=False)
        self.harmonic_imag = nn.Conv1d(d_model, d_model, CONTEXT_ROWS, padding=pad, bias=False)
        self.phase_weights = nn.Linear(d_model, per_row * d_model * 2)
        self.class_head = nn.Linear(d_model, per_row * num_classes)
        self.geometry_head = nn.Linear(d_model, per_row * 2)
        self.content = nn.Linear(d_model, per_row * d_model)
        nn.init.constant_(self.class_head.bias, -math.log((1 - CLASS_PRIOR) / CLASS_PRIOR))
        with torch.no_grad():  # start near thin traces at the row centre
            self.geometry_head.bias.view(per_row, 2)[:, 1] = -2.0

    def forward(self, feature_map: torch.Tensor) -> dict:
        """feature_map (B, d, h, w) -> pred_logits (B, h*P, C), pred_params (B, h*P, 3), content (B, h*P, d)."""
        batch, _, rows, columns = feature_map.shape
        azimuth = (torch.arange(columns, device=feature_map.device, dtype=feature_map.dtype) + 0.5) * (2 * math.pi / columns)
        mean = feature_map.mean(-1)
        cos_part = 2 * (feature_map * azimuth.cos()).mean(-1)
        sin_part = 2 * (feature_map * azimuth.sin()).mean(-1)
        hidden = self.invariant(torch.cat([mean, torch.sqrt(cos_part ** 2 + sin_part ** 2 + 1e-8)], 1))
        hidden = hidden.transpose(1, 2)  # (B, h, d)
        real = self.harmonic_real(cos_part) - self.harmonic_imag(sin_part)
        imag = self.harmonic_real(sin_part) + self.harmonic_imag(cos_part)
        weights = self.phase_weights(hidden).view(batch, rows, self.per_row, self.d_model, 2)
        real, imag = real.transpose(1, 2)[:, :, None], imag.transpose(1, 2)[:, :, None]  # (B, h, 1, d)
        phase_real = (weights[..., 0] * real - weights[..., 1] * imag).sum(-1)
        phase_imag = (weights[..., 0] * imag + weights[..., 1] * real).sum(-1)
        azimuth_deg = wrap_deg(rad_to_deg(torch.atan2(phase_imag, phase_real + 1e-12)))

        geometry = self.geometry_head(hidden).view(batch, rows, self.per_row, 2)
        row_centre = torch.arange(rows, device=feature_map.device, dtype=feature_map.dtype)[None, :, None] + 0.5
        depth_frac = (row_centre + DEPTH_BAND_ROWS * torch.tanh(geometry[..., 0])) / rows
        amplitude_frac = MAX_AMPLITUDE_FRAC * torch.sigmoid(geometry[..., 1])
        params = torch.stack([depth_frac, amplitude_frac, azimuth_deg], -1).reshape(batch, rows * self.per_row, 3)
        return {
            "pred_logits": self.class_head(hidden).reshape(batch, rows * self.per_row, self.num_classes),
            "pred_params": params,
            # the decoder trains this projection but not, through it, the proposal features
            "content": F.relu(self.content(hidden.detach())).reshape(batch, rows * self.per_row, self.d_model),
        }


def select_top(proposals: dict, num_queries: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Best-scoring proposals as (reference (B, Q, 3) detached, content (B, Q, d)) for the decoder."""
    scores = proposals["pred_logits"].max(-1).values
    if scores.shape[1] < num_queries:
        raise ValueError(f"{scores.shape[1]} proposals cannot seed {num_queries} queries: raise proposals_per_row")
    index = scores.topk(num_queries, dim=1).indices
    reference = torch.gather(proposals["pred_params"], 1, index[..., None].expand(-1, -1, 3))
    content = torch.gather(proposals["content"], 1, index[..., None].expand(-1, -1, proposals["content"].shape[-1]))
    return reference.detach(), content
