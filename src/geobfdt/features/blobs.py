"""Scale-space blob centres: dark, round spots of an image, found by a difference of Gaussians
over physical scales and kept when they stand out of the noise and are round, not ridges.

Sigmas are in metres, turned into pixels per axis (depth rows, arc length around the hole), so
the blur and the curvature are isotropic on the wall; azimuth wraps at the seam. The response at
a scale is the scale-normalised DoG (about sigma^2 times the Laplacian of the blurred image,
positive on a dark spot) over its robust sd at that scale (the contrast to the noise at that
size); a centre is a local maximum in space of the strongest response over the scales. The
Hessian of the blurred image at the centre's scale says whether the spot is round: its smaller
over its larger eigenvalue (both positive on a dark blob) is near 1 on a blob and near 0 along a
ridge, such as a plane's trace or an elongated streak of texture.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

HESSIAN_STEP = 1.0  # second differences this many sigmas apart: the blob's curvature, not the noise's
HESSIAN_UP = 1
TRUNCATE = 2.5  # Gaussian kernels cut at 2.5 sd


def _blur(a: np.ndarray, sigma_px: tuple[float, float]) -> np.ndarray:
    return ndimage.gaussian_filter(a, sigma_px, mode=("nearest", "wrap"), truncate=TRUNCATE)


def blob_centres(image: np.ndarray, valid: np.ndarray, sigmas_m: np.ndarray, pixel_m: tuple[float, float],
                 min_response_sd: float, min_roundness: float) -> dict[str, np.ndarray]:
    """Row, column, sigma_m, response_sd and roundness of the dark blobs of `image` (pixels
    outside `valid` count as background) at `sigmas_m` (increasing, geometric), with pixels of
    `pixel_m` (depth, arc length) in metres."""
    sigmas_m = np.asarray(sigmas_m, float)
    ratio = float(sigmas_m[1] / sigmas_m[0]) if sigmas_m.size > 1 else 1.6
    ladder = np.append(sigmas_m, sigmas_m[-1] * ratio)
    blurred = [_blur(np.where(valid, image, 0.0).astype(np.float32), (ladder[0] / pixel_m[0], ladder[0] / pixel_m[1]))]
    for lo, hi in zip(ladder[:-1], ladder[1:]):  # each level from the one before: the added blur only
        step = np.sqrt(hi ** 2 - lo ** 2)
        blurred.append(_blur(blurred[-1], (step / pixel_m[0], step / pixel_m[1])))
    response = np.empty((sigmas_m.size,) + image.shape, np.float32)
    every = max(1, int(valid.sum()) // 50_000)
    for k in range(sigmas_m.size):
        dog = blurred[k + 1] - blurred[k]
        sample = dog[valid][::every]
        sd = 1.4826 * float(np.median(np.abs(sample - np.median(sample)))) if sample.size else 1.0
        response[k] = np.where(valid, dog / (max(sd, 1e-9)), 0.0)
    best, scale = response.max(0), response.argmax(0)
    peak = ndimage.maximum_filter(best, size=3, mode=("nearest", "wrap"))
    r, c = np.nonzero((best == peak) & (best >= min_response_sd))
    k = scale[r, c]
    h = np.minimum(k + HESSIAN_UP, sigmas_m.size)  # the curvature one level up: an elongated vug rounds off there, a ridge does not
    rows, cols = image.shape
    hr = np.maximum(1, np.round(HESSIAN_STEP * ladder[h] / pixel_m[0])).astype(np.int64)
    hc = np.maximum(1, np.round(HESSIAN_STEP * ladder[h] / pixel_m[1])).astype(np.int64)
    up, down = np.clip(r - hr, 0, rows - 1), np.clip(r + hr, 0, rows - 1)
    left, right = (c - hc) % cols, (c + hc) % cols
    g = np.stack(blurred)
    dz, dp = hr * pixel_m[0], hc * pixel_m[1]
    hzz = (g[h, up, c] - 2 * g[h, r, c] + g[h, down, c]) / dz ** 2
    hpp = (g[h, r, left] - 2 * g[h, r, c] + g[h, r, right]) / dp ** 2
    hzp = (g[h, down, right] - g[h, down, left] - g[h, up, right] + g[h, up, left]) / (4 * dz * dp)
    mean, spread = 0.5 * (hzz + hpp), np.hypot(0.5 * (hzz - hpp), hzp)
    large = mean + spread
    roundness = np.where(large > 0, (mean - spread) / np.maximum(large, 1e-12), -1.0)
    keep = roundness >= min_roundness
    return {"row": r[keep], "column": c[keep], "sigma_m": sigmas_m[k[keep]], "response_sd": best[r, c][keep],
            "roundness": roundness[keep]}
