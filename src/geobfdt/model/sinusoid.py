"""Torch geometry of sinusoid parameters (depth_frac, amplitude_frac, azimuth_deg), batched.

A trace in a patch of H rows lies on row H * (depth_frac + amplitude_frac * cos(phi - azimuth)).
Everything here works in patch-height units so depth, amplitude and curve gaps share one scale.
"""

from __future__ import annotations

import math

import torch

CURVE_AZIMUTHS = 32  # azimuths at which two traces are compared


# torch.rad2deg / deg2rad multiply by these same constants (bit for bit), but the ONNX exporter
# has no rule for them (model/export.py)
def rad_to_deg(radians: torch.Tensor) -> torch.Tensor:
    return radians * (180.0 / math.pi)


def deg_to_rad(degrees: torch.Tensor) -> torch.Tensor:
    return degrees * (math.pi / 180.0)


def wrap_deg(azimuth_deg: torch.Tensor) -> torch.Tensor:
    """Azimuths onto [0, 360): remainder alone returns 360.0 for tiny negatives (float rounding)."""
    wrapped = torch.remainder(azimuth_deg, 360.0)
    return torch.where(wrapped >= 360.0, wrapped - 360.0, wrapped)


def circular_difference_deg(a_deg: torch.Tensor, b_deg: torch.Tensor) -> torch.Tensor:
    """Smallest absolute difference of two azimuths, in [0, 180]."""
    d = torch.remainder(a_deg - b_deg, 360.0)
    return torch.minimum(d, 360.0 - d)


def trace_fracs(params: torch.Tensor, num_azimuths: int = CURVE_AZIMUTHS) -> torch.Tensor:
    """(..., 3) parameters -> (..., num_azimuths) trace depth (patch fraction) at evenly spaced azimuths."""
    phi = torch.arange(num_azimuths, dtype=params.dtype, device=params.device) * (2 * math.pi / num_azimuths)
    phase = deg_to_rad(params[..., 2:3])
    return params[..., 0:1] + params[..., 1:2] * torch.cos(phi - phase)


def curve_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean vertical gap |r_a(phi) - r_b(phi)| over azimuth between aligned (..., 3) parameter sets."""
    return (trace_fracs(a) - trace_fracs(b)).abs().mean(-1)


def refine(reference: torch.Tensor, delta: torch.Tensor, max_depth_step: float = 0.1,
           max_vector_step: float = 0.1) -> torch.Tensor:
    """Apply a bounded correction to reference sinusoids.

    delta (..., 3) raw: depth shift, then the amplitude/phase correction as a 2-D step
    (radial, tangential) in the query's own azimuth frame. Treating amplitude and phase as one
    vector makes the update smooth at zero amplitude (where phase means nothing) and, being
    expressed relative to the query's phase, rotation-equivariant like the sampling that feeds it.
    """
    depth = reference[..., 0] + max_depth_step * torch.tanh(delta[..., 0])
    # the tiny offset keeps atan2/hypot differentiable when amplitude and step are both zero
    radial = reference[..., 1] + max_vector_step * torch.tanh(delta[..., 1]) + 1e-6
    tangential = max_vector_step * torch.tanh(delta[..., 2])
    amplitude = torch.sqrt(radial * radial + tangential * tangential)
    azimuth = wrap_deg(reference[..., 2] + rad_to_deg(torch.atan2(tangential, radial)))
    return torch.stack([depth, amplitude, azimuth], -1)


def trace_mask(targets: list[torch.Tensor], num_classes: int, rows: int, columns: int,
               oversample: int = 4) -> torch.Tensor:
    """(B, num_classes, rows, columns) 0/1 map of the cells each target's trace passes through.

    Traces are sampled at `oversample` azimuths per column so steep ones leave no gaps.
    """
    device = targets[0].device if targets else torch.device("cpu")
    mask = torch.zeros(len(targets), num_classes, rows, columns, device=device)
    sizes = torch.tensor([len(t) for t in targets], device=device)
    if int(sizes.sum()) == 0:
        return mask
    true = torch.cat(targets).float()
    batch = torch.repeat_interleave(torch.arange(len(targets), device=device), sizes)
    samples = columns * oversample
    phi = (torch.arange(samples, device=device, dtype=true.dtype) + 0.5) * (2 * math.pi / samples)
    row = torch.floor(rows * (true[:, 0:1] + true[:, 1:2] * torch.cos(phi - deg_to_rad(true[:, 2:3])))).long()
    column = (torch.arange(samples, device=device) // oversample).expand_as(row)
    inside = (row >= 0) & (row < rows)
    mask[batch[:, None].expand_as(row)[inside], true[:, 3].long()[:, None].expand_as(row)[inside],
         row[inside], column[inside]] = 1.0
    return mask
