"""Per-depth curves from per-row measurements: sliding windows on a regular output grid."""

from __future__ import annotations

import numpy as np

CURVE_STEP_M = 0.1  # output curves are sampled every 10 cm


def curve_depths_m(depth_m: np.ndarray, step_m: float = CURVE_STEP_M) -> np.ndarray:
    """A regular grid every step_m from the first row to the last."""
    n = int(np.floor((depth_m[-1] - depth_m[0]) / step_m + 1e-9)) + 1
    return depth_m[0] + np.arange(n) * step_m


def window_mean(depth_m: np.ndarray, values: np.ndarray, weights: np.ndarray, at_m: np.ndarray,
                window_m: float) -> np.ndarray:
    """Weighted mean of `values` over rows within +-window/2 of each `at_m` (NaN where no weight).

    Cumulative sums, so any number of windows costs two searches and a subtraction."""
    w = np.concatenate([[0.0], np.cumsum(weights, dtype=np.float64)])
    vw = np.concatenate([[0.0], np.cumsum(values * weights, dtype=np.float64)])
    lo = np.searchsorted(depth_m, at_m - window_m / 2, "left")
    hi = np.searchsorted(depth_m, at_m + window_m / 2, "right")
    total = w[hi] - w[lo]
    return np.divide(vw[hi] - vw[lo], total, out=np.full(at_m.shape, np.nan), where=total > 0)
