"""How blurred a well's image is, measured from the image itself: its effective resolution.

A tool's response smooths the formation along the hole and around it; a rough run (a worn pad, a
tool off centre, the `harsh` variant's extra blur) smooths it more, and a blurred sinusoid's
peak-to-trough amplitude shrinks, so picked dips come out low (issue 30). Per-pick evidence does
not see this; the whole image does. Along each axis, the image's detail (the log10 values less a
running mean over `window` pixels) has an autocorrelation rho(k); white noise only adds to lag 0,
so the ratio rho(2) / rho(1) measures the smoothing alone. For detail smoothed by a Gaussian of sd
s pixels that ratio is exp(-3 / (4 s^2)), so s = sqrt(3 / (4 ln(rho(1) / rho(2)))) is the
blur's sd in pixels, a lower bound where the formation itself is smooth. Azimuth wraps around the
hole; gaps (NaN) count as missing, not as zeros. Vectorised over blocks of rows: only the lags
needed are summed, so memory stays flat as the well grows; a well longer than _MAX_BLOCKS blocks is
read in that many blocks spread evenly along it (a well's blur is one figure: 33k rows, 83 m at
0.1 in, pin it), so the cost stops growing too (docs/benchmarks.md has the cost).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from geobfdt.io.image_buffer import rows_in_memory
from geobfdt.well import Well

BLUR = ("blur_depth_px", "blur_azimuth_px", "blur_depth_cm", "blur_azimuth_cm")  # image_blur's keys
_MAX_BLUR_PX = 50.0  # a ratio at or above 1 (no decay between lags 1 and 2) reads as this much blur (cap)
_WINDOW_PX = 101  # the running mean removed before the autocorrelation: drift and the widest beds


_CHUNK_ROWS = 1024  # rows of the image worked on at once: memory stays flat as the well grows
_MAX_BLOCKS = 32  # blocks of _CHUNK_ROWS read at most, spread evenly over a longer well


def _detail(work: np.ndarray, axis: int, wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    """(detail with gaps as 0, mask of valid pixels) along axis."""
    valid = np.isfinite(work)
    filled = np.where(valid, work, 0.0)
    mode = "wrap" if wrap else "nearest"
    total = uniform_filter1d(filled, _WINDOW_PX, axis=axis, mode=mode)
    count = uniform_filter1d(valid.astype(np.float64), _WINDOW_PX, axis=axis, mode=mode)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return np.where(valid, work - mean, 0.0), valid.astype(np.float64)


def _pair_sum(a: np.ndarray, k: int, axis: int, wrap: bool, first: int | None = None) -> float:
    """Sum of a[i] a[i + k] along axis over the pairs whose first place i is below `first` (all
    when None), wrapped around or not."""
    if wrap:
        return float(np.sum(a * np.roll(a, -k, axis=axis)))
    n = a.shape[axis]
    count = max(0, min(n if first is None else first, n - k))
    head = a[:count] if axis == 0 else a[:, :count]
    tail = a[k:k + count] if axis == 0 else a[:, k:k + count]
    return float(np.sum(head * tail))


def lag_correlations(work: np.ndarray, axis: int, wrap: bool, lags=(1, 2), log10: bool = False) -> np.ndarray:
    """Autocorrelation of the image's detail at the given lags (pixels) along axis, pooled over the
    image (gaps left out of every product). wrap: around the hole (axis 1; depth never wraps).
    Worked through _CHUNK_ROWS rows at a time, each read with enough rows around it for the running
    mean and the lags, so the sums are the whole image's up to _MAX_BLOCKS chunks, and those of
    _MAX_BLOCKS chunks spread evenly beyond; log10: take the log of each chunk as it is read (no
    float64 copy of the whole image)."""
    if wrap and axis == 0:
        raise ValueError("depth does not wrap")
    every = np.r_[0, np.asarray(lags, dtype=int)]
    products, pairs = np.zeros(every.size), np.zeros(every.size)
    rows = work.shape[0]
    margin = _WINDOW_PX // 2 + int(every.max())
    starts = np.arange(0, rows, _CHUNK_ROWS)
    if starts.size > _MAX_BLOCKS:
        starts = starts[np.unique(np.linspace(0, starts.size - 1, _MAX_BLOCKS).round().astype(int))]
    for start in starts.tolist():
        stop = min(start + _CHUNK_ROWS, rows)
        lo, hi = max(0, start - margin), min(rows, stop + margin)
        chunk = np.asarray(rows_in_memory(work, lo, hi), dtype=np.float64)
        if log10:
            with np.errstate(invalid="ignore", divide="ignore"):
                chunk = np.log10(chunk)
        detail, valid = _detail(chunk, axis, wrap)
        # the pairs that start in this chunk's own rows
        detail, valid = detail[start - lo:] if axis == 0 else detail[start - lo:stop - lo], \
            valid[start - lo:] if axis == 0 else valid[start - lo:stop - lo]
        first = stop - start if axis == 0 else None
        for j, k in enumerate(every):
            products[j] += _pair_sum(detail, int(k), axis, wrap, first)
            pairs[j] += _pair_sum(valid, int(k), axis, wrap, first)
    mean_square = products / np.maximum(pairs, 1.0)
    return mean_square[1:] / max(float(mean_square[0]), 1e-30)


def _log_scale(image) -> bool:
    """picking/injection.py working_scale's rule (log10 when every finite value is positive), decided
    over the whole image a chunk of rows at a time."""
    lowest, seen = np.inf, False
    for start in range(0, image.shape[0], _CHUNK_ROWS):
        chunk = rows_in_memory(image, start, min(start + _CHUNK_ROWS, image.shape[0]))
        finite = chunk[np.isfinite(chunk)]
        if finite.size:
            lowest, seen = min(lowest, float(finite.min())), True
    return seen and lowest > 0


def blur_px(rho_1: float, rho_2: float, cap_px: float = _MAX_BLUR_PX) -> float:
    """The Gaussian sd (pixels) whose smoothing gives rho(2) / rho(1), at most cap_px."""
    if not (rho_1 > 0 and rho_2 > 0) or rho_2 >= rho_1:
        return float(cap_px)
    return float(min(np.sqrt(3.0 / (4.0 * np.log(rho_1 / rho_2))), cap_px))


def image_blur(well: Well) -> dict[str, float]:
    """The image's effective blur (BLUR): sd in pixels along depth and azimuth, and in cm (depth
    step; column width at the hole wall, from the well's median radius)."""
    image = well.image  # read a chunk of rows at a time (it may live in a temporary file: io/image_buffer.py)
    log10 = _log_scale(image)
    depth_px = blur_px(*lag_correlations(image, axis=0, wrap=False, log10=log10))
    # around the hole, a blur past a quarter of the circle is no longer a blur: the cap
    azimuth_px = blur_px(*lag_correlations(image, axis=1, wrap=True, log10=log10),
                         cap_px=min(_MAX_BLUR_PX, well.width / 4.0))
    radius_m = float(np.median(well.radius_at(well.depth_m)))
    return {"blur_depth_px": depth_px, "blur_azimuth_px": azimuth_px,
            "blur_depth_cm": 100.0 * depth_px * float(well.depth_step_m),
            "blur_azimuth_cm": 100.0 * azimuth_px * 2.0 * np.pi * radius_m / well.width}
