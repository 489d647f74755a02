"""Image helpers every feature shares: log scale, the local-contrast residual in noise sd, and
connected components that wrap around the hole."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geobfdt.io.image_buffer import rows_in_memory
from geobfdt.well import Well

SMOOTH_PX = 0.7  # pixel-level smoothing of the residual (noise, not shape)


def is_resistivity(well: Well) -> bool:
    """Positive values (a resistivity or conductivity image) are compared in log10; anything else
    (an amplitude, a normalised image) as it is. Judged on the first rows."""
    first_rows = rows_in_memory(well.image, 0, min(well.depth_m.size, 4096))
    return bool(np.nanmin(first_rows) > 0) if np.isfinite(first_rows).any() else True


def log_image(block: np.ndarray, logarithmic: bool) -> np.ndarray:
    if not logarithmic:
        return block.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.where(block > 0, block, np.nan)).astype(np.float32)


def smooth(a: np.ndarray, sigma_px: tuple[float, float]) -> np.ndarray:
    """A Gaussian-like blur: along depth a Gaussian (when asked), around the hole two box passes of
    the same variance (wrapping at the seam), whose cost does not grow with the width."""
    if sigma_px[0] > 0:
        a = ndimage.gaussian_filter1d(a, sigma_px[0], axis=0, mode="nearest", truncate=3.0)
    width = max(1, int(round(np.sqrt(6.0 * sigma_px[1] ** 2 + 1.0))))
    for _ in range(2):
        a = ndimage.uniform_filter1d(a, width, axis=1, mode="wrap")
    return a


def residual_sd(x: np.ndarray, valid: np.ndarray, sigma_px: tuple[float, float]) -> np.ndarray:
    """Local-contrast residual over its robust sd (NaN-aware background; azimuth wraps)."""
    filled = np.where(valid, x, 0.0).astype(np.float32)
    num = smooth(filled, sigma_px)
    den = smooth(valid.astype(np.float32), sigma_px)
    residual = np.where(valid, filled - num / np.maximum(den, 1e-3), 0.0).astype(np.float32)
    residual = ndimage.gaussian_filter(residual, SMOOTH_PX, mode=("nearest", "wrap"), truncate=2.0)
    sample = residual[valid][:: max(1, int(valid.sum()) // 200_000)]
    sd = 1.4826 * float(np.median(np.abs(sample - np.median(sample)))) if sample.size else 1.0
    return residual / max(sd, 1e-6)


def seam_labels(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected labels with components touching across the 0/360 seam joined."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        return labels, 0
    left, right = labels[:, 0], labels[:, -1]
    pairs = [(left[1:], right[:-1]), (left, right), (left[:-1], right[1:])]
    a = np.concatenate([p for p, _ in pairs])
    b = np.concatenate([q for _, q in pairs])
    keep = (a > 0) & (b > 0)
    graph = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n + 1, n + 1))
    _, joined = connected_components(graph, directed=False)
    first = np.sort(np.unique(joined, return_index=True)[1])  # renumber in label order: background stays 0
    new = np.empty(int(joined.max()) + 1, np.int64)
    new[joined[first]] = np.arange(first.size)
    remap = new[joined]
    return remap[labels], int(first.size - 1)
