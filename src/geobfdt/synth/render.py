"""Painting the formation onto an image grid, all vectorised.

The image is built in log10 resistivity. Planar features (bed boundaries, and each
fracture as a thin slab: a step down at its top and back up at its bottom, for a core and
a wider halo) are painted the same way: per plane, the trace row of every column, then
an anti-aliased step at that row written as two increments into a (rows + 1, columns)
array; one cumulative sum down the rows turns all steps into the layered picture. That
paints every plane's depth profile around its trace at the cost of a few array passes,
whatever the number of planes or their dip. Blobs and short segments are splatted with
np.add.at over small windows of rows and columns.
"""

from __future__ import annotations

import numpy as np

from geobfdt.synth.geology import Planes


def trace_rows(planes_depth_m, amplitude_m, azimuth_deg, column_azimuth_deg, depth0_m, step_m):
    """Fractional row of each plane's trace in each column: (planes, columns)."""
    phi = np.radians(column_azimuth_deg)[None, :]
    a = np.radians(azimuth_deg)[:, None]
    z = planes_depth_m[:, None] + amplitude_m[:, None] * np.cos(phi - a)
    return (z - depth0_m) / step_m


def arc_weight(column_azimuth_deg, centre_deg, width_deg, taper_deg: float = 15.0):
    """(planes, columns) visibility of partial traces: 1 inside the arc, soft edges, 0 outside."""
    d = np.abs(np.mod(column_azimuth_deg[None, :] - centre_deg[:, None] + 180.0, 360.0) - 180.0)
    w = np.clip((0.5 * width_deg[:, None] - d) / taper_deg + 0.5, 0.0, 1.0)
    return np.where(width_deg[:, None] >= 360.0, 1.0, w)


def step_increments(rows_float, delta, n_rows: int) -> np.ndarray:
    """Anti-aliased steps: returns (n_rows, columns) sum of all steps (delta below each trace).

    Row i covers [i - 0.5, i + 0.5); a step at row t puts delta * (j + 0.5 - t) into the
    row j holding t and the rest into row j + 1. Steps above the image land in row 0,
    steps below it are dropped.
    """
    n_cols = rows_float.shape[1]
    j = np.floor(rows_float + 0.5)
    frac = j + 0.5 - rows_float
    above = j < 0
    frac = np.where(above, 1.0, frac)
    j = np.clip(j, 0, n_rows).astype(np.int64)
    col = np.broadcast_to(np.arange(n_cols), rows_float.shape)
    delta = np.broadcast_to(delta, rows_float.shape)
    idx = np.concatenate([(j * n_cols + col).ravel(), (np.minimum(j + 1, n_rows) * n_cols + col).ravel()])
    w = np.concatenate([(delta * frac).ravel(), (delta * (1.0 - frac)).ravel()])
    inc = np.bincount(idx, weights=w, minlength=(n_rows + 1) * n_cols).reshape(n_rows + 1, n_cols)
    return np.cumsum(inc[:n_rows], axis=0)


def smooth_noise_1d(rng, n: int, correlation: float) -> np.ndarray:
    """Unit-variance-ish noise correlated over `correlation` samples (linear interpolation of knots)."""
    knots = max(2, int(np.ceil(n / max(correlation, 1.0))) + 2)
    values = rng.standard_normal(knots)
    return np.interp(np.arange(n) / max(correlation, 1.0), np.arange(knots), values)


def smooth_noise_2d(rng, n_rows: int, n_cols: int, corr_rows: float, corr_cols: float) -> np.ndarray:
    """Bilinear upsampling of a coarse Gaussian grid, periodic along the columns (azimuth)."""
    kr, kc = max(corr_rows, 1.0), max(corr_cols, 1.0)
    coarse_rows = int(np.ceil(n_rows / kr)) + 2
    coarse_cols = max(3, int(round(n_cols / kc)))
    grid = rng.standard_normal((coarse_rows, coarse_cols)).astype(np.float32)
    r = np.arange(n_rows) / kr
    r0 = r.astype(np.int64)
    fr = (r - r0).astype(np.float32)[:, None]
    by_rows = grid[r0] * (1 - fr) + grid[r0 + 1] * fr
    c = np.arange(n_cols) * coarse_cols / n_cols
    c0 = c.astype(np.int64)
    fc = (c - c0).astype(np.float32)[None, :]
    return by_rows[:, c0] * (1 - fc) + by_rows[:, (c0 + 1) % coarse_cols] * fc


def lamination(rng, bedding: Planes, depth_m, column_azimuth_deg, sd: float) -> np.ndarray:
    """Faint laminae parallel to the local bedding: a 1-D signal read at the stratigraphic depth."""
    order = np.argsort(bedding.depth_m)
    amp, az = bedding.amplitude_m[order], np.radians(bedding.azimuth_deg[order])
    z_ref = bedding.depth_m[order]
    ac = np.interp(depth_m, z_ref, amp * np.cos(az)).astype(np.float32)
    as_ = np.interp(depth_m, z_ref, amp * np.sin(az)).astype(np.float32)
    phi = np.radians(column_azimuth_deg).astype(np.float32)
    strat = depth_m.astype(np.float32)[:, None] - ac[:, None] * np.cos(phi)[None, :] - as_[:, None] * np.sin(phi)[None, :]
    ds = 0.002
    lo = float(strat.min())
    n = int((float(strat.max()) - lo) / ds) + 2
    signal = (sd * smooth_noise_1d(rng, n, rng.uniform(3, 12))).astype(np.float32)
    return signal[((strat - lo) / ds).astype(np.int64)]


def paint_vugs(field, vugs: np.ndarray, depth0_m, step_m, column_azimuth_deg, radius_m):
    """Soft-edged elliptical blobs added in place."""
    if len(vugs) == 0:
        return
    n_rows, n_cols = field.shape
    col_width_m = np.radians(360.0 / n_cols) * radius_m
    depth, azimuth, half_h, half_w, contrast = vugs.T
    hr = int(np.ceil(1.6 * half_h.max() / step_m)) + 1
    hc = int(np.ceil(1.6 * half_w.max() / col_width_m)) + 1
    dr, dc = np.meshgrid(np.arange(-hr, hr + 1), np.arange(-hc, hc + 1), indexing="ij")
    row_c = (depth - depth0_m) / step_m
    col_c = azimuth / (360.0 / n_cols) - 0.5
    rows = np.round(row_c)[:, None, None] + dr
    cols = np.round(col_c)[:, None, None] + dc
    rho2 = (((rows - row_c[:, None, None]) * step_m / half_h[:, None, None]) ** 2
            + ((cols - col_c[:, None, None]) * col_width_m / half_w[:, None, None]) ** 2)
    value = contrast[:, None, None] * np.exp(-rho2 ** 2)
    keep = (rows >= 0) & (rows < n_rows) & (value != 0)
    np.add.at(field, (rows[keep].astype(np.int64), np.mod(cols[keep], n_cols).astype(np.int64)),
              value[keep].astype(field.dtype))


def paint_segments(field, segments: np.ndarray, depth0_m, step_m, column_azimuth_deg, radius_m):
    """Short near-axial cracks (drilling-induced fractures): thin lines drifting in azimuth."""
    if len(segments) == 0:
        return
    n_rows, n_cols = field.shape
    col_deg = 360.0 / n_cols
    top, length, azimuth, drift, width_m, contrast = segments.T
    n_len = int(np.ceil(length.max() / step_m)) + 1
    sd_cols = np.degrees(width_m / radius_m) / col_deg / 2 + 0.35
    half = int(np.ceil(3 * sd_cols.max()))
    k = np.arange(n_len)[None, :]
    frac = k * step_m / length[:, None]
    inside = frac <= 1.0
    rows = np.round((top - depth0_m) / step_m)[:, None] + k
    centre_col = (azimuth[:, None] + drift[:, None] * frac) / col_deg - 0.5
    taper = np.clip(np.minimum(frac, 1 - frac) * 8, 0, 1)
    dc = np.arange(-half, half + 1)[None, None, :]
    cols = np.round(centre_col)[:, :, None] + dc
    value = (contrast[:, None, None] * taper[:, :, None]
             * np.exp(-0.5 * ((cols - centre_col[:, :, None]) / sd_cols[:, None, None]) ** 2))
    rows3 = np.broadcast_to(rows[:, :, None], value.shape)
    keep = inside[:, :, None] & (rows3 >= 0) & (rows3 < n_rows)
    np.add.at(field, (rows3[keep].astype(np.int64), np.mod(cols, n_cols).astype(np.int64)[keep]),
              value[keep].astype(field.dtype))


def paint_breakouts(rng, field, breakouts: np.ndarray, depth_m, column_azimuth_deg):
    """Broad dark bands on opposite walls with ragged edges and tapered ends (in place)."""
    for top, bottom, azimuth, width, contrast in breakouts:
        i0, i1 = np.searchsorted(depth_m, [top, bottom])
        if i1 <= i0:
            continue
        z = depth_m[i0:i1]
        env = np.clip(np.minimum(z - top, bottom - z) / 0.1, 0, 1)
        ragged = width * (1 + 0.25 * smooth_noise_1d(rng, i1 - i0, 0.05 / (depth_m[1] - depth_m[0])))
        d = np.abs(np.mod(column_azimuth_deg[None, :] - azimuth + 90.0, 180.0) - 90.0)  # to the nearer of the pair
        band = 1.0 / (1.0 + (d / (0.5 * ragged[:, None])) ** 8)
        speckle = 0.08 * rng.standard_normal(band.shape)
        field[i0:i1] += ((contrast * env[:, None] + speckle) * band).astype(field.dtype)
