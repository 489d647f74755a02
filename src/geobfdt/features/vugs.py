"""Vugs: dark (conductive) blobs found by scale-space blob detection, outlined by connected
components and shape filters, measured in physical units.

Per chunk of rows (with a margin, so a vug on a chunk edge is seen whole once): the image in
log10 where it is a resistivity, its local background (a NaN-aware mean 2 cm wide around
the hole, 1 cm along it) subtracted, the residual in units of its robust noise sd; pixels below -LOW_SD joined into components
(8-connected, across the 0/360 seam). A component is a vug when its equivalent diameter,
circularity, extents and mean contrast are those of a blob, not of a plane's trace, and it holds
a round blob centre (features/blobs.py: a difference of Gaussians over 5-40 mm in a window
around its darkest pixel; a trace or a streak of texture is a ridge, a vug is not); with picks,
any component centred within PICK_BAND_M of a pick's trace is dropped too. The vug-porosity
curve is the share of valid image pixels inside vugs in a sliding window, in %. docs/vugs.md has the measurements."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from geobfdt.features.blobs import blob_centres, window_half_px, windows_at
from geobfdt.features.curves import curve_depths_m, window_mean
from geobfdt.features.image import SMOOTH_PX, is_resistivity, log_image, residual_sd, seam_labels
from geobfdt.features.result import FeatureResult
from geobfdt.geometry import trace_depth_m
from geobfdt.io.image_buffer import rows_in_memory
from geobfdt.well import Pick, Well

BACKGROUND_M = 0.02  # sd of the local background around the hole: about the largest vugs (25 mm), narrow
# enough to take out much of the formation's 1-4 cm mottling; along the hole only 1 cm: a bed boundary is
# a step along depth, which a wider background over depth would turn into a dark band beside it
# (tuning seeds 100-102, 4 -> 2 cm and 0 -> 1 cm: F1 52 -> 55 % FMI, 34 -> 37 % slim; docs/vugs.md)
BACKGROUND_DEPTH_M = 0.01
LOW_SD = 2.0  # component pixels: this far below the background
MEAN_SD = 3.3  # a vug's mean contrast: the formation's mottled texture makes blobs of about -2.5 sd
OUTLINE_LEVEL = np.exp(-1.0)  # a vug's edge: where its darkness falls to 1/e of its peak
MIN_PIXELS = 4  # fewer is noise: nothing smaller can be told from a speck
MIN_DIAMETER_MM, MAX_DIAMETER_MM = 3.0, 60.0
MIN_CIRCULARITY = 0.5
MAX_ASPECT = 3.0  # azimuthal extent over depth extent (and the reverse): traces are long and thin
PICK_BAND_M = 0.02
CHUNK_ROWS, MARGIN_ROWS = 4096, 96
WINDOW_M = 0.5
# blob centres (features/blobs.py): a disc of diameter d answers most at sigma d / (2 sqrt 2), so these
# sigmas cover vugs of 5-40 mm; the vug's component must hold a centre of at least MIN_RESPONSE_SD over
# the noise at its scale and at least MIN_ROUNDNESS (Hessian eigenvalue ratio): a trace or a streak of
# texture is a ridge (tuning seeds 100-102, with extent ratio 2.5 -> 3: F1 55 -> 64 % FMI, 37 -> 40 % slim).
# Read on an isotropic 2 cm residual in each window, two scales up (features/blobs.py), so that a vug twice as tall as
# wide passes as one twice as wide as tall does (F1 59.4 % FMI, 40.7 % slim; docs/vugs.md)
BLOB_SIGMAS_M = np.geomspace(0.005, 0.04, 7) / (2.0 * np.sqrt(2.0))
MIN_RESPONSE_SD = 3.0
MIN_ROUNDNESS = 0.5


def _perimeter_m(labels: np.ndarray, n: int, pixel_h_m: np.ndarray, pixel_w_m: np.ndarray) -> np.ndarray:
    """Per label, the boundary length (pixel edges against other labels, times pi/4 so that a
    digitised disc reads its true perimeter on average)."""
    down = labels[1:] != labels[:-1]
    across = labels != np.roll(labels, -1, axis=1)
    w_rows = np.broadcast_to(pixel_w_m[:-1, None], down.shape)
    h_rows = np.broadcast_to(pixel_h_m[:, None], across.shape)
    edges = (np.bincount(labels[1:][down], w_rows[down], n + 1) + np.bincount(labels[:-1][down], w_rows[down], n + 1)
             + np.bincount(labels[across], h_rows[across], n + 1)
             + np.bincount(np.roll(labels, -1, axis=1)[across], h_rows[across], n + 1))
    return 0.25 * np.pi * edges


def _components(score: np.ndarray, valid: np.ndarray, depth_m: np.ndarray, azimuth_deg: np.ndarray,
                radius_m: np.ndarray) -> tuple[dict, np.ndarray]:
    """Candidate vugs of one chunk: per-component measurements (with the row and column of its
    darkest pixel) and the label image.

    Measured on the labelled pixels only (a few % of the chunk) with bincount and ufunc.at."""
    labels, n = seam_labels((score < -LOW_SD) & valid)
    rows, cols = np.nonzero(labels)
    lab = labels[rows, cols]
    peak = np.zeros(n + 1, np.float32)
    np.minimum.at(peak, lab, score[rows, cols])
    at_peak = score[rows, cols] == peak[lab]
    peak_row, peak_col = np.zeros(n + 1, np.int64), np.zeros(n + 1, np.int64)
    peak_row[lab[at_peak]], peak_col[lab[at_peak]] = rows[at_peak], cols[at_peak]
    # the outline at OUTLINE_LEVEL of each blob's own peak, not at the noise threshold: a strong vug
    # would otherwise measure larger than a faint one of the same size
    core = score[rows, cols] <= OUTLINE_LEVEL * peak[lab]
    labels[rows[~core], cols[~core]] = 0
    rows, cols, lab = rows[core], cols[core], lab[core]
    step_m = np.gradient(depth_m) if depth_m.size > 1 else np.ones(1)
    pixel_w_m = np.radians(360.0 / azimuth_deg.size) * radius_m
    weight = (step_m * pixel_w_m)[rows]

    def total(values):
        return np.bincount(lab, values, n + 1)

    pixels = np.bincount(lab, minlength=n + 1)
    area = total(weight)
    row_c = total(rows * weight) / np.maximum(area, 1e-12)
    phi = np.radians(azimuth_deg)[cols]
    azimuth = np.mod(np.degrees(np.arctan2(total(np.sin(phi) * weight), total(np.cos(phi) * weight))), 360.0)
    row_lo = np.full(n + 1, labels.shape[0], np.int64)
    row_hi = np.zeros(n + 1, np.int64)
    np.minimum.at(row_lo, lab, rows)
    np.maximum.at(row_hi, lab, rows)
    height_m = np.maximum(row_hi - row_lo + 1, 0) * np.median(step_m)
    row_index = np.clip(np.round(row_c).astype(np.int64), 0, depth_m.size - 1)
    width_m = area / np.maximum(height_m, 1e-9) * 4.0 / np.pi  # an ellipse's width from its area and height
    comp = {"depth_m": np.interp(row_c, np.arange(depth_m.size), depth_m), "azimuth_deg": azimuth, "area_m2": area,
            "height_m": height_m, "width_m": width_m, "perimeter_m": _perimeter_m(labels, n, step_m, pixel_w_m),
            "peak_row": peak_row, "peak_column": peak_col, "contrast_sd": total(score[rows, cols]) / np.maximum(pixels, 1),
            "radius_m": radius_m[row_index], "pixels": pixels}
    return {k: v[1:] for k, v in comp.items()}, labels


def on_traces(depth_m: np.ndarray, azimuth_deg: np.ndarray, picks: list[Pick], radius_m: float) -> np.ndarray:
    """True where a component centre lies within PICK_BAND_M of a pick's trace."""
    if not picks or not depth_m.size:
        return np.zeros(depth_m.shape, bool)
    p = np.array([[q.depth_m, q.dip_deg, q.azimuth_deg] for q in picks])
    near = np.abs(p[None, :, 0] - depth_m[:, None]) < radius_m * np.tan(np.radians(np.minimum(p[None, :, 1], 89.0))) \
        + PICK_BAND_M
    trace = trace_depth_m(p[None, :, 0], p[None, :, 1], p[None, :, 2], radius_m, azimuth_deg[:, None])
    return np.any(near & (np.abs(trace - depth_m[:, None]) < PICK_BAND_M), axis=1)


def _accept(comp: dict) -> np.ndarray:
    diameter_mm = 2e3 * np.sqrt(comp["area_m2"] / np.pi)
    circularity = 4 * np.pi * comp["area_m2"] / np.maximum(comp["perimeter_m"], 1e-12) ** 2
    aspect = comp["width_m"] / np.maximum(comp["height_m"], 1e-9)
    return ((comp["pixels"] >= MIN_PIXELS) & (comp["contrast_sd"] <= -MEAN_SD) & (diameter_mm >= MIN_DIAMETER_MM) & (diameter_mm <= MAX_DIAMETER_MM)
            & (circularity >= MIN_CIRCULARITY) & (aspect <= MAX_ASPECT) & (aspect >= 1.0 / MAX_ASPECT))


def _holds_round_blob(x: np.ndarray, labels: np.ndarray, comp: dict, candidate: np.ndarray,
                      pixel_m: tuple[float, float]) -> np.ndarray:
    """Per component, True when a round blob centre (features/blobs.py) lies in it; looked for
    only in windows of the (log) image `x` around the `candidate` components' darkest pixels,
    less a background as wide along the hole as around it (BACKGROUND_M both ways, NaN-aware,
    taken in the windows only: the blob response is over its own noise there, so the residual
    needs no sd). The components' own
    residual (1 cm along depth, 2 cm around) high-passes a vug taller than wide along depth
    only, so that it read as elongated and failed the roundness test where the same vug lying
    on its side passed (issue 28: 22 mm, axis ratio 1.9, roundness 0.48 against 0.65)."""
    index = np.nonzero(candidate)[0]
    held = np.zeros(candidate.size, bool)
    if not index.size:
        return held
    half = window_half_px(BLOB_SIGMAS_M, pixel_m)
    windows = windows_at(x, comp["peak_row"][index], comp["peak_column"][index], half)
    valid = np.isfinite(windows)
    filled = np.where(valid, windows, 0.0).astype(np.float32)
    sigma_px = (0.0, BACKGROUND_M / pixel_m[0], BACKGROUND_M / pixel_m[1])
    background = ndimage.gaussian_filter(filled, sigma_px, mode="nearest") / np.maximum(
        ndimage.gaussian_filter(valid.astype(np.float32), sigma_px, mode="nearest"), 1e-3)
    residual = ndimage.gaussian_filter(np.where(valid, filled - background, 0.0), (0.0, SMOOTH_PX, SMOOTH_PX),
                                       mode="nearest", truncate=2.0)  # as image.residual_sd smooths its own
    blobs = blob_centres(residual, BLOB_SIGMAS_M, pixel_m, MIN_RESPONSE_SD, MIN_ROUNDNESS)
    window = blobs["window"]
    row = np.clip(comp["peak_row"][index][window] + blobs["row"] - half[0], 0, x.shape[0] - 1)
    col = (comp["peak_column"][index][window] + blobs["column"] - half[1]) % x.shape[1]
    hit = labels[row, col] == index[window] + 1
    held[index[window[hit]]] = True
    return held


def detect_vugs(well: Well, picks: list[Pick] | None = None, window_m: float = WINDOW_M,
                progress=None) -> FeatureResult:
    """Vugs of a well: a per-vug table and the vug-porosity curve (% of the image area in vugs in a
    `window_m` sliding window). `progress(rows)` is called per chunk."""
    rows_total, width = well.image.shape
    step_m = well.depth_step_m
    logarithmic = is_resistivity(well)
    tables, hit_rows, valid_rows = [], np.zeros(rows_total), np.zeros(rows_total)
    for start in range(0, rows_total, CHUNK_ROWS):
        stop = min(rows_total, start + CHUNK_ROWS)
        lo, hi = max(0, start - MARGIN_ROWS), min(rows_total, stop + MARGIN_ROWS)
        x = log_image(rows_in_memory(well.image, lo, hi), logarithmic)
        valid = np.isfinite(x)
        radius = well.radius_m[lo:hi]
        col_m = np.radians(360.0 / width) * float(np.median(radius))
        score = residual_sd(x, valid, (BACKGROUND_DEPTH_M / step_m, BACKGROUND_M / col_m))
        comp, labels = _components(score, valid, well.depth_m[lo:hi], well.azimuth_deg, radius)
        keep = _accept(comp) & ~on_traces(comp["depth_m"], comp["azimuth_deg"], picks or [], float(np.median(radius)))
        keep &= (comp["depth_m"] >= well.depth_m[start]) & (comp["depth_m"] <= well.depth_m[stop - 1])
        keep &= _holds_round_blob(x, labels, comp, keep, (step_m, col_m))
        in_vug = np.concatenate([[False], keep])[labels] & valid
        own = slice(start - lo, stop - lo)
        hit_rows[start:stop] = in_vug[own].sum(1)
        valid_rows[start:stop] = valid[own].sum(1)
        tables.append({k: v[keep] for k, v in comp.items()})
        if progress:
            progress(stop - start)
    comp = {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}
    area = comp["area_m2"]
    table = {"depth_m": comp["depth_m"], "azimuth_deg": comp["azimuth_deg"], "area_cm2": 1e4 * area,
             "equivalent_diameter_mm": 2e3 * np.sqrt(area / np.pi),
             "circularity": np.minimum(1.0, 4 * np.pi * area / np.maximum(comp["perimeter_m"], 1e-12) ** 2),
             "height_mm": 1e3 * comp["height_m"], "width_mm": 1e3 * comp["width_m"],
             "contrast_sd": comp["contrast_sd"], "radius_m": comp["radius_m"]}
    at = curve_depths_m(well.depth_m)
    fraction = np.divide(hit_rows, valid_rows, out=np.zeros(rows_total), where=valid_rows > 0)
    pct = 100.0 * window_mean(well.depth_m, fraction, valid_rows, at, window_m)
    return FeatureResult("vugs", depth_m=at, curves={"vug_fraction_pct": (pct, "%")}, tables={"vugs": table},
                         summary={"vugs": int(area.size), "window_m": window_m,
                                  "mean_vug_fraction_pct": round(float(np.nanmean(pct)) if pct.size else 0.0, 4)})
