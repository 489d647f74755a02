"""Query denoising (DN-DETR): noised ground-truth sinusoids become extra decoder queries in training.

The decoder learns to pull a nearby hypothesis onto the true trace without waiting for the
Hungarian matching to settle, which is what slows DETR's early training. Each of `groups` copies
of an image's targets gets independent noise; groups cannot see each other and the matching
queries cannot see any of them (they would otherwise copy the answer).
"""

from __future__ import annotations

import torch

from geobfdt.model.sinusoid import wrap_deg

DEPTH_NOISE_FRAC = 0.03  # +-7.7 cm on a 2.56 m patch
AMPLITUDE_NOISE_REL = 0.25
AMPLITUDE_NOISE_FRAC = 0.01
PHASE_NOISE_DEG = 30.0
LABEL_FLIP_PROB = 0.1


def noised_queries(targets: list[torch.Tensor], groups: int, num_classes: int):
    """-> reference (B, G*K, 3), labels (B, G*K), target_index (B, G*K) with -1 on padding; K = max targets.

    Query g*K + i of an image is group g's noised copy of that image's target i.
    """
    batch, most = len(targets), max(len(t) for t in targets)
    device = targets[0].device
    padded = torch.zeros(batch, most, 4, device=device)
    index = torch.full((batch, most), -1, dtype=torch.long, device=device)
    for b, t in enumerate(targets):
        padded[b, :len(t)] = t
        index[b, :len(t)] = torch.arange(len(t), device=device)
    padded, index = padded.repeat(1, groups, 1), index.repeat(1, groups)

    def uniform(scale):
        return (torch.rand(padded.shape[:2], device=device) * 2 - 1) * scale

    amplitude = padded[..., 1] * (1 + uniform(AMPLITUDE_NOISE_REL)) + uniform(AMPLITUDE_NOISE_FRAC)
    reference = torch.stack([padded[..., 0] + uniform(DEPTH_NOISE_FRAC), amplitude.abs(),
                             wrap_deg(padded[..., 2] + uniform(PHASE_NOISE_DEG))], -1)
    labels = padded[..., 3].long()
    flip = torch.rand(labels.shape, device=device) < LABEL_FLIP_PROB
    other = torch.randint_like(labels, 1, max(num_classes, 2))  # a different class, never the same one
    labels = torch.where(flip, (labels + other) % num_classes, labels)
    return reference, labels, index


def attention_mask(num_denoising: int, groups: int, num_matching: int, device=None) -> torch.Tensor:
    """(N, N) bool, True = may not attend; denoising queries first, grouped, then the matching queries."""
    total = num_denoising + num_matching
    group = torch.full((total,), -1, dtype=torch.long, device=device)
    if num_denoising:
        group[:num_denoising] = torch.arange(num_denoising, device=device) // (num_denoising // groups)
    query_group, key_group = group[:, None], group[None, :]
    # a denoising key is visible only to queries of its own group; matching keys are visible to all
    return (key_group >= 0) & (query_group != key_group)
