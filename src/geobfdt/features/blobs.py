"""Scale-space blob centres: dark, round spots found by a difference of Gaussians over physical
scales, kept when they stand out of the local noise and are round, not ridges.

Worked on windows cut around candidate spots (`windows_at`: rows clipped at the ends, columns
wrapped at the 0/360 seam), all at once as one (n, rows, columns) array. Sigmas are in metres,
turned into pixels per axis (depth rows, arc length around the hole), so the blur and the
curvature are isotropic on the wall. The response at a scale is the scale-normalised DoG (about
sigma^2 times the Laplacian of the blurred image, positive on a dark spot) over its robust sd in
the same window at that scale (the contrast to the local noise at that size); a centre is a
local maximum in space of the strongest response over the scales. The Hessian of the blurred
window two scales up says whether the spot is round: its smaller over its larger eigenvalue (both
positive on a dark blob) is near 1 on a blob, also an elongated one seen two scales up, and near
0 along a ridge, such as a plane's trace or a streak of texture.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

HESSIAN_UP = 2  # the curvature two scales (2x sigma) above the blob's own: a vug twice as long as wide rounds off
# there (about 0.6 against 0.5 one scale up, too near MIN_ROUNDNESS), a ridge does not (near 0 at any scale)
TRUNCATE = 2.5  # Gaussian kernels cut at 2.5 sd
WINDOW_SIGMAS = 4.0  # a window reaches this many of the largest sigmas either side of its centre


def window_half_px(sigmas_m: np.ndarray, pixel_m: tuple[float, float]) -> tuple[int, int]:
    """Half-height and half-width in pixels of the windows `blob_centres` needs."""
    reach_m = WINDOW_SIGMAS * float(np.max(sigmas_m))
    return int(np.ceil(reach_m / pixel_m[0])), int(np.ceil(reach_m / pixel_m[1]))


def windows_at(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, half: tuple[int, int]) -> np.ndarray:
    """(n, 2 half_h + 1, 2 half_w + 1) windows of `image` centred at (rows, cols)."""
    dr, dc = np.arange(-half[0], half[0] + 1), np.arange(-half[1], half[1] + 1)
    r = np.clip(np.asarray(rows)[:, None, None] + dr[None, :, None], 0, image.shape[0] - 1)
    c = (np.asarray(cols)[:, None, None] + dc[None, None, :]) % image.shape[1]
    return image[r, c]


def _blur(a: np.ndarray, sigma_m: float, pixel_m: tuple[float, float]) -> np.ndarray:
    return ndimage.gaussian_filter(a, (0.0, sigma_m / pixel_m[0], sigma_m / pixel_m[1]), mode="nearest",
                                   truncate=TRUNCATE)


def blob_centres(windows: np.ndarray, sigmas_m: np.ndarray, pixel_m: tuple[float, float], min_response_sd: float,
                 min_roundness: float) -> dict[str, np.ndarray]:
    """Window, row, column, sigma_m, response_sd and roundness of the dark blob centres in a stack
    of windows (n, rows, columns), at `sigmas_m` (increasing, geometric), with pixels of `pixel_m`
    (depth, arc length) in metres."""
    sigmas_m = np.asarray(sigmas_m, float)
    ratio = float(sigmas_m[1] / sigmas_m[0]) if sigmas_m.size > 1 else 1.6
    ladder = sigmas_m[0] * ratio ** np.arange(sigmas_m.size + max(1, HESSIAN_UP))
    blurred = [_blur(windows.astype(np.float32), ladder[0], pixel_m)]
    for lo, hi in zip(ladder[:-1], ladder[1:]):  # each level from the one before: the added blur only
        blurred.append(_blur(blurred[-1], float(np.sqrt(hi ** 2 - lo ** 2)), pixel_m))
    best = np.full(windows.shape, -np.inf, np.float32)
    scale = np.zeros(windows.shape, np.int64)
    for k in range(sigmas_m.size):
        dog = blurred[k + 1] - blurred[k]
        flat = dog.reshape(dog.shape[0], -1)
        sd = 1.4826 * np.median(np.abs(flat - np.median(flat, axis=1, keepdims=True)), axis=1)
        response = dog / np.maximum(sd, 1e-9)[:, None, None]
        scale = np.where(response > best, k, scale)
        best = np.maximum(best, response)
    peak = ndimage.maximum_filter(best, size=(1, 3, 3), mode="nearest")
    w, r, c = np.nonzero((best == peak) & (best >= min_response_sd))
    h = scale[w, r, c] + HESSIAN_UP
    rows, cols = windows.shape[1:]
    hr = np.maximum(1, np.round(ladder[h] / pixel_m[0])).astype(np.int64)
    hc = np.maximum(1, np.round(ladder[h] / pixel_m[1])).astype(np.int64)
    up, down = np.clip(r - hr, 0, rows - 1), np.clip(r + hr, 0, rows - 1)
    left, right = np.clip(c - hc, 0, cols - 1), np.clip(c + hc, 0, cols - 1)
    g = np.stack(blurred)
    dz, dp = hr * pixel_m[0], hc * pixel_m[1]
    hzz = (g[h, w, up, c] - 2 * g[h, w, r, c] + g[h, w, down, c]) / dz ** 2
    hpp = (g[h, w, r, left] - 2 * g[h, w, r, c] + g[h, w, r, right]) / dp ** 2
    hzp = (g[h, w, down, right] - g[h, w, down, left] - g[h, w, up, right] + g[h, w, up, left]) / (4 * dz * dp)
    mean, spread = 0.5 * (hzz + hpp), np.hypot(0.5 * (hzz - hpp), hzp)
    large = mean + spread
    roundness = np.where(large > 0, (mean - spread) / np.maximum(large, 1e-12), -1.0)
    # only centres in the window's inner half: at its clamped edges a ridge ends, and an end is round
    inner = (np.abs(r - rows // 2) <= rows // 4) & (np.abs(c - cols // 2) <= cols // 4)
    keep = (roundness >= min_roundness) & inner
    return {"window": w[keep], "row": r[keep], "column": c[keep], "sigma_m": sigmas_m[h[keep] - HESSIAN_UP],
            "response_sd": best[w, r, c][keep], "roundness": roundness[keep]}
