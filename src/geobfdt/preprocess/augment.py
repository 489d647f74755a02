"""Training-time augmentation of patch batches: photometric jitter and label-consistent geometry.

A batch is `images` (B, 2, H, W) float32 - channel 0 the normalised image in [0, 1] with gaps
at 0.5, channel 1 the validity mask - plus `targets`, one (k_i, 4) tensor per patch of
(depth_frac, amplitude_frac, azimuth_deg, class_id) (geobfdt.patches.extract). Row i has its centre
at depth_frac = i / H and column j at azimuth (j + 0.5) * 360 / W, so a target's trace runs
through row r(phi) = H * (depth_frac + amplitude_frac * cos(phi - azimuth)).

Photometric ops touch channel 0 on valid pixels only and never the targets. Geometric ops
move pixels and targets together so the transformed label traces the transformed feature
exactly (tests/test_augment.py checks this for each transform and their composition).
Every random choice is a per-sample tensor drawn from the caller's torch.Generator, and
each op runs once over the whole batch (or the subset of samples that drew it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import partial, reduce

import torch
import torch.nn.functional as F

from geobfdt.errors import OptionError
from geobfdt.model.sinusoid import wrap_deg

GAP_VALUE = 0.5  # what channel 0 holds where the mask is 0
_EMBOSS_KERNEL = torch.tensor([[-1.0, -1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])  # zero-sum diagonal relief
_SHARPEN_SIGMA_PX = 1.0
_OFFLINE_CHUNK = 256  # patches per augment_batch call in offline expansion, to bound memory


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities (per sample) and parameter ranges (uniform between the two bounds)."""

    photometric: bool = True
    geometric: bool = True
    # colour jitter: contrast about the patch mean, additive brightness, gamma (log-uniform)
    jitter_p: float = 0.8
    contrast_range: tuple[float, float] = (0.7, 1.3)
    brightness_range: tuple[float, float] = (-0.1, 0.1)
    gamma_range: tuple[float, float] = (0.7, 1.4)
    blur_p: float = 0.3
    blur_sigma_px: tuple[float, float] = (0.5, 1.5)
    sharpen_p: float = 0.3
    sharpen_amount: tuple[float, float] = (0.3, 1.0)
    noise_p: float = 0.5
    noise_std: tuple[float, float] = (0.01, 0.05)
    emboss_p: float = 0.2
    emboss_strength: tuple[float, float] = (0.1, 0.3)
    median_p: float = 0.2
    # geometric
    roll_p: float = 1.0  # shift drawn uniformly over all W columns
    mirror_p: float = 0.5
    vflip_p: float = 0.5
    pads_p: float = 0.3
    pad_count: tuple[int, int] = (4, 8)  # inclusive
    pad_coverage: tuple[float, float] = (0.6, 0.95)  # share of the circumference the pads see
    pad_spin_deg: float = 20.0  # tool rotation over the patch height, drawn in [-x, x]

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_p") and not 0.0 <= value <= 1.0:
                raise OptionError(f"augment {f.name} must be a probability in [0, 1], got {value}")
            if isinstance(value, tuple) and not (len(value) == 2 and value[0] <= value[1]):
                raise OptionError(f"augment {f.name} must be (low, high) with low <= high, got {value}")
        if self.pad_count[0] < 1 or not 0.0 < self.pad_coverage[0] <= self.pad_coverage[1] <= 1.0:
            raise OptionError("augment pad_count must be >= 1 and pad_coverage within (0, 1]")
        if min(self.blur_sigma_px[0], self.contrast_range[0], self.gamma_range[0]) <= 0:
            raise OptionError("augment blur sigma, contrast and gamma must be positive")


# ---------------------------------------------------------------- targets as one flat tensor

def _flatten(targets: list[torch.Tensor], device) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """All targets in one (K, 4) tensor, the sample each row belongs to, and the per-sample counts."""
    counts = [int(t.shape[0]) for t in targets]
    flat = torch.cat([t.reshape(-1, 4).to(device=device, dtype=torch.float32) for t in targets])
    owner = torch.repeat_interleave(torch.arange(len(targets), device=device),
                                    torch.tensor(counts, device=device, dtype=torch.long))
    return flat, owner, counts


def _with_azimuth(flat: torch.Tensor, azimuth_deg: torch.Tensor, depth_frac: torch.Tensor | None = None):
    columns = [flat[:, 0] if depth_frac is None else depth_frac, flat[:, 1], wrap_deg(azimuth_deg), flat[:, 3]]
    return torch.stack(columns, dim=1)


# ---------------------------------------------------------------- geometric transforms

def _gather(images: torch.Tensor, source: torch.Tensor, dim: int) -> torch.Tensor:
    """Per-sample reindexing of rows (dim 2) or columns (dim 3): out[b, ..., i, ...] = images[b, ..., source[b, i], ...].

    One gather with a broadcast (stride-0) index: far cheaper than flip/where copies per sample.
    """
    shape = [source.shape[0], 1, 1, 1]
    shape[dim] = source.shape[1]
    return torch.gather(images, dim, source.reshape(shape).expand(images.shape))


def roll_azimuth(images: torch.Tensor, targets: list[torch.Tensor], shift_columns: torch.Tensor):
    """Rotate each patch by shift_columns[b] columns to the right; azimuth += shift * 360 / W."""
    width = images.shape[3]
    shift = shift_columns.to(images.device).long()
    rolled = _gather(images, torch.remainder(torch.arange(width, device=images.device) - shift[:, None], width), 3)
    flat, owner, counts = _flatten(targets, images.device)
    azimuth = flat[:, 2] + shift[owner].to(flat.dtype) * (360.0 / width)
    return rolled, list(_with_azimuth(flat, azimuth).split(counts))


def _flip_index(chosen: torch.Tensor, size: int) -> torch.Tensor:
    """(B, size) source indices: reversed for the chosen samples, straight for the others."""
    index = torch.arange(size, device=chosen.device)
    return torch.where(chosen[:, None], size - 1 - index, index)


def mirror_azimuth(images: torch.Tensor, targets: list[torch.Tensor], chosen: torch.Tensor):
    """Mirror the chosen patches in azimuth: column j -> W-1-j, i.e. phi -> 360 - phi, so azimuth -> -azimuth."""
    chosen = chosen.to(images.device).bool()
    mirrored = _gather(images, _flip_index(chosen, images.shape[3]), 3)
    flat, owner, counts = _flatten(targets, images.device)
    azimuth = torch.where(chosen[owner], -flat[:, 2], flat[:, 2])
    return mirrored, list(_with_azimuth(flat, azimuth).split(counts))


def flip_vertical(images: torch.Tensor, targets: list[torch.Tensor], chosen: torch.Tensor):
    """Flip the chosen patches upside down: row r -> H-1-r.

    The centre line moves to depth_frac' = 1 - depth_frac - 1/H (row centres sit at i / H, so
    the flip is about (H-1)/2, not H/2) and the trace's deepest point becomes its shallowest:
    azimuth += 180 with the amplitude unchanged. A centre line below the last row's centre
    ends up above the first row's centre (-1/H < depth_frac' < 0); it is not clamped.
    """
    rows = images.shape[2]
    chosen = chosen.to(images.device).bool()
    flipped = _gather(images, _flip_index(chosen, rows), 2)
    flat, owner, counts = _flatten(targets, images.device)
    hit = chosen[owner]
    depth = torch.where(hit, 1.0 - flat[:, 0] - 1.0 / rows, flat[:, 0])
    azimuth = torch.where(hit, flat[:, 2] + 180.0, flat[:, 2])
    return flipped, list(_with_azimuth(flat, azimuth, depth).split(counts))


def pad_pattern(rows: int, columns: int, n_pads: torch.Tensor, coverage: torch.Tensor,
                rotation_deg: torch.Tensor, spin_deg: torch.Tensor) -> torch.Tensor:
    """(B, rows, columns) bool: where n equally spaced pads, each seeing coverage * 360 / n deg, touch the wall.

    The first pad's leading edge sits at rotation_deg on the top row and turns by spin_deg
    over the patch height (the tool rotating as it is pulled up).
    """
    device = rotation_deg.device
    phi = (torch.arange(columns, device=device, dtype=torch.float32) + 0.5) * (360.0 / columns)
    depth_frac = torch.arange(rows, device=device, dtype=torch.float32) / rows
    period = 360.0 / n_pads.to(torch.float32)[:, None, None]
    edge = rotation_deg[:, None, None] + spin_deg[:, None, None] * depth_frac[None, :, None]
    return torch.remainder(phi[None, None, :] - edge, period) < coverage[:, None, None] * period


def redraw_pads(images: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Keep only pixels that are valid both before and in the new pad pattern (B, H, W).

    Pixels that were never measured cannot become valid, so the new gaps add to the old ones.
    """
    keep = (images[:, 1] > 0) & valid
    return torch.stack([torch.where(keep, images[:, 0], GAP_VALUE), keep.to(images.dtype)], dim=1)


# ---------------------------------------------------------------- photometric ops (channel 0)

def _pad_circular_replicate(x: torch.Tensor, row_pad: int, column_pad: int) -> torch.Tensor:
    """Pad (N, C, H, W): circular in azimuth (the hole wraps), replicate in depth."""
    x = F.pad(x, (column_pad, column_pad, 0, 0), mode="circular")
    return F.pad(x, (0, 0, row_pad, row_pad), mode="replicate")


def _gaussian_blur(x: torch.Tensor, mask: torch.Tensor, sigma_px: torch.Tensor) -> torch.Tensor:
    """Per-sample Gaussian blur of (N, H, W), separable, normalised by the blurred mask so gaps do not bleed in."""
    n, rows, columns = x.shape
    radius = max(1, math.ceil(3.0 * float(sigma_px.max())))
    offsets = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (offsets[None, :] / sigma_px[:, None]) ** 2)
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (N, k)
    # samples become channels of one grouped convolution, each with its own kernel
    stacked = torch.cat([x * mask, mask]).reshape(1, 2 * n, rows, columns)
    weights = kernel.repeat(2, 1)
    stacked = F.conv2d(_pad_circular_replicate(stacked, 0, radius), weights[:, None, None, :], groups=2 * n)
    stacked = F.conv2d(_pad_circular_replicate(stacked, radius, 0), weights[:, None, :, None], groups=2 * n)
    numerator, weight = stacked.reshape(2, n, rows, columns)
    return torch.where(weight > 1e-6, numerator / weight.clamp_min(1e-6), x)


def _jitter(x, mask, contrast, brightness, gamma):
    mean = (x * mask).sum(dim=(1, 2)) / mask.sum(dim=(1, 2)).clamp_min(1.0)
    x = (x - mean[:, None, None]) * contrast[:, None, None] + mean[:, None, None] + brightness[:, None, None]
    return x.clamp(0.0, 1.0) ** gamma[:, None, None]


def _sharpen(x, mask, amount):
    return x + amount[:, None, None] * (x - _gaussian_blur(x, mask, torch.full_like(amount, _SHARPEN_SIGMA_PX)))


def _neighbours3(x: torch.Tensor) -> list[list[torch.Tensor]]:
    """The 3x3 neighbourhood of every pixel of (N, H, W) as shifted views, [row offset][column offset]."""
    rows, columns = x.shape[1:]
    padded = _pad_circular_replicate(x[:, None], 1, 1)[:, 0]
    return [[padded[:, i:i + rows, j:j + columns] for j in range(3)] for i in range(3)]


def _emboss(x, mask, strength):
    """Add a diagonal relief; only where the whole 3x3 neighbourhood is valid, so gap edges stay unlit."""
    values, valid = _neighbours3(x), _neighbours3(mask)
    relief = sum(float(_EMBOSS_KERNEL[i, j]) * values[i][j] for i in range(3) for j in range(3)
                 if _EMBOSS_KERNEL[i, j] != 0)
    full = reduce(torch.minimum, (v for row in valid for v in row)) > 0
    return x + strength[:, None, None] * torch.where(full, relief, 0.0)


def _sort3(a, b, c):
    low, high = torch.minimum(a, b), torch.maximum(a, b)
    middle_or_high = torch.maximum(low, c)
    return torch.minimum(low, c), torch.minimum(high, middle_or_high), torch.maximum(high, middle_or_high)


def _median_of_3(a, b, c):
    return torch.maximum(torch.minimum(a, b), torch.minimum(torch.maximum(a, b), c))


def _median3(x, mask):
    """3x3 median filter; gap neighbours count as the centre value so gap fill never leaks in.

    Exact 3x3 median without sorting nine values: sort each column triple, then the median is
    the middle of (largest low, middle middle, smallest high).
    """
    values, valid = _neighbours3(x), _neighbours3(mask)
    columns = [_sort3(*(torch.where(valid[i][j] > 0, values[i][j], x) for i in range(3))) for j in range(3)]
    lows, middles, highs = zip(*columns)
    return _median_of_3(torch.maximum(torch.maximum(lows[0], lows[1]), lows[2]), _median_of_3(*middles),
                        torch.minimum(torch.minimum(highs[0], highs[1]), highs[2]))


def _add_noise(x, mask, std, noise):
    return x + std[:, None, None] * noise.to(x.device)


# ---------------------------------------------------------------- random draws and the pipeline

def _uniform(bounds, n: int, generator: torch.Generator) -> torch.Tensor:
    low, high = bounds
    return low + (high - low) * torch.rand(n, generator=generator, device=generator.device)


def _coin(p: float, n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=generator.device) < p


def _apply_to_subset(x, mask, chosen, op, *params):
    """Run op on the samples that drew it (one batched call); the others pass through."""
    index = chosen.nonzero().squeeze(1).to(x.device)
    if index.numel() == 0:
        return x
    x = x.clone()
    x[index] = op(x[index], mask[index], *(p.to(x.device)[index] for p in params))
    return x


def _photometric(images: torch.Tensor, config: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    batch = images.shape[0]
    x, mask = images[:, 0], images[:, 1]
    gamma = torch.exp(_uniform([math.log(g) for g in config.gamma_range], batch, generator))
    x = _apply_to_subset(x, mask, _coin(config.jitter_p, batch, generator), _jitter,
                         _uniform(config.contrast_range, batch, generator),
                         _uniform(config.brightness_range, batch, generator), gamma)
    x = _apply_to_subset(x, mask, _coin(config.blur_p, batch, generator), _gaussian_blur,
                         _uniform(config.blur_sigma_px, batch, generator))
    x = _apply_to_subset(x, mask, _coin(config.sharpen_p, batch, generator), _sharpen,
                         _uniform(config.sharpen_amount, batch, generator))
    noisy = _coin(config.noise_p, batch, generator)
    noise_std = _uniform(config.noise_std, batch, generator)
    noise = torch.randn((int(noisy.sum()), *x.shape[1:]), generator=generator, device=generator.device)
    x = _apply_to_subset(x, mask, noisy, partial(_add_noise, noise=noise), noise_std)
    x = _apply_to_subset(x, mask, _coin(config.emboss_p, batch, generator), _emboss,
                         _uniform(config.emboss_strength, batch, generator))
    x = _apply_to_subset(x, mask, _coin(config.median_p, batch, generator), _median3)
    x = torch.where(mask > 0, x.clamp(0.0, 1.0), GAP_VALUE)
    return torch.stack([x, mask], dim=1)


def _geometric(images, targets, config: AugmentConfig, generator: torch.Generator):
    batch, _, rows, columns = images.shape
    shift = torch.randint(0, columns, (batch,), generator=generator, device=generator.device)
    shift = torch.where(_coin(config.roll_p, batch, generator), shift, 0)
    images, targets = roll_azimuth(images, targets, shift)
    images, targets = mirror_azimuth(images, targets, _coin(config.mirror_p, batch, generator))
    images, targets = flip_vertical(images, targets, _coin(config.vflip_p, batch, generator))
    redrawn = _coin(config.pads_p, batch, generator)
    n_pads = torch.randint(config.pad_count[0], config.pad_count[1] + 1, (batch,), generator=generator,
                           device=generator.device)
    valid = pad_pattern(rows, columns, n_pads, _uniform(config.pad_coverage, batch, generator),
                        _uniform((0.0, 360.0), batch, generator),
                        _uniform((-config.pad_spin_deg, config.pad_spin_deg), batch, generator))
    valid = valid | ~redrawn[:, None, None]
    return redraw_pads(images, valid.to(images.device)), targets


def augment_batch(images: torch.Tensor, targets: list[torch.Tensor], config: AugmentConfig,
                  generator: torch.Generator) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Augment one batch on the fly; the same generator state gives the same result.

    Geometric transforms first (roll, mirror, vertical flip, pad gaps), then the photometric
    chain (jitter, blur, sharpen, noise, emboss, median). The inputs are not modified; with
    both switches off they are returned as they are.
    """
    if images.ndim != 4 or images.shape[1] != 2 or len(targets) != images.shape[0]:
        raise ValueError(f"expected images (B, 2, H, W) and B target tensors, got {tuple(images.shape)} "
                         f"and {len(targets)} targets")
    if config.geometric:
        images, targets = _geometric(images, targets, config, generator)
    if config.photometric:
        images = _photometric(images, config, generator)
    return images, targets


def expand_offline(images: torch.Tensor, targets: list[torch.Tensor], copies: int, config: AugmentConfig,
                   seed: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The case study's offline expansion: every patch once, plus `copies` variants of each patch with a sinusoid.

    Variants are always photometric (geometric too when config.geometric); patches without a
    target are kept once. Output: the originals in order, then the variants.
    """
    if copies < 0:
        raise OptionError(f"copies must be >= 0, got {copies}")
    config = replace(config, photometric=True)
    generator = torch.Generator().manual_seed(seed)
    bearing = torch.tensor([t.shape[0] > 0 for t in targets], dtype=torch.bool)
    source = bearing.nonzero().squeeze(1).repeat(copies)
    out_images, out_targets = [images], list(targets)
    for chunk in source.split(_OFFLINE_CHUNK):
        variants, variant_targets = augment_batch(images[chunk.to(images.device)],
                                                  [targets[i] for i in chunk.tolist()], config, generator)
        out_images.append(variants)
        out_targets.extend(variant_targets)
    return torch.cat(out_images), out_targets
