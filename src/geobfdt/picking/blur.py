"""How blurred a well's image is, measured from the image itself: its effective resolution.

A tool's response smooths the formation along the hole and around it; a rough run (a worn pad, a
tool off centre, the `harsh` variant's extra blur) smooths it more, and a blurred sinusoid's
peak-to-trough amplitude shrinks, so picked dips come out low (issue 30). Per-pick evidence does
not see this; the whole image does. Along each axis, the image's detail (the log10 values less a
running mean over `window` pixels) has an autocorrelation rho(k); white noise only adds to lag 0,
so the ratio rho(2) / rho(1) measures the smoothing alone. For detail smoothed by a Gaussian of sd
s pixels that ratio is exp(-3 / (4 s^2)), so s = sqrt(3 / (4 ln(rho(1) / rho(2)))) is the
blur's sd in pixels, a lower bound where the formation itself is smooth. Azimuth wraps around the
hole; gaps (NaN) count as missing, not as zeros. Vectorised: FFTs over the whole image.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from geobfdt.picking.injection import working_scale
from geobfdt.well import Well

BLUR = ("blur_depth_px", "blur_azimuth_px", "blur_depth_cm", "blur_azimuth_cm")  # image_blur's keys
_MAX_BLUR_PX = 50.0  # a ratio at or above 1 (no decay between lags 1 and 2) reads as this much blur (cap)
_WINDOW_PX = 101  # the running mean removed before the autocorrelation: drift and the widest beds


def _detail(work: np.ndarray, axis: int, wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    """(detail with gaps as 0, mask of valid pixels) along axis."""
    valid = np.isfinite(work)
    filled = np.where(valid, work, 0.0)
    mode = "wrap" if wrap else "nearest"
    total = uniform_filter1d(filled, _WINDOW_PX, axis=axis, mode=mode)
    count = uniform_filter1d(valid.astype(np.float64), _WINDOW_PX, axis=axis, mode=mode)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return np.where(valid, work - mean, 0.0), valid.astype(np.float64)


def lag_correlations(work: np.ndarray, axis: int, wrap: bool, lags=(1, 2)) -> np.ndarray:
    """Autocorrelation of the image's detail at the given lags (pixels) along axis, pooled over the
    whole image (gaps left out of every product)."""
    detail, valid = _detail(np.asarray(work, dtype=np.float64), axis, wrap)
    n = detail.shape[axis]
    size = n if wrap else 2 * n  # zero padding: no wrap along depth

    def correlate(a, b):
        return np.fft.irfft(np.fft.rfft(a, size, axis=axis) * np.conj(np.fft.rfft(b, size, axis=axis)), size,
                            axis=axis).sum(axis=1 - axis)

    products, pairs = correlate(detail, detail), correlate(valid, valid)
    mean_square = products / np.maximum(pairs, 1.0)
    lags = np.asarray(lags)
    return mean_square[lags] / max(float(mean_square[0]), 1e-30)


def blur_px(rho_1: float, rho_2: float, cap_px: float = _MAX_BLUR_PX) -> float:
    """The Gaussian sd (pixels) whose smoothing gives rho(2) / rho(1), at most cap_px."""
    if not (rho_1 > 0 and rho_2 > 0) or rho_2 >= rho_1:
        return float(cap_px)
    return float(min(np.sqrt(3.0 / (4.0 * np.log(rho_1 / rho_2))), cap_px))


def image_blur(well: Well) -> dict[str, float]:
    """The image's effective blur (BLUR): sd in pixels along depth and azimuth, and in cm (depth
    step; column width at the hole wall, from the well's median radius)."""
    work, _ = working_scale(np.asarray(well.image))
    depth_px = blur_px(*lag_correlations(work, axis=0, wrap=False))
    # around the hole, a blur past a quarter of the circle is no longer a blur: the cap
    azimuth_px = blur_px(*lag_correlations(work, axis=1, wrap=True), cap_px=min(_MAX_BLUR_PX, well.width / 4.0))
    radius_m = float(np.median(well.radius_at(well.depth_m)))
    return {"blur_depth_px": depth_px, "blur_azimuth_px": azimuth_px,
            "blur_depth_cm": 100.0 * depth_px * float(well.depth_step_m),
            "blur_azimuth_cm": 100.0 * azimuth_px * 2.0 * np.pi * radius_m / well.width}
