"""What the generator drew besides the labelled planes, as truth tables: vugs, breakouts and
drilling-induced fracture segments, and the per-depth vug fraction on the image grid.

Everything here is read from the drawn `Distractors` (geology.py) after the well is made:
no random draw, so emitting the truth leaves every image and pick of a seed unchanged.
A vug's outline is its ellipse at the painted blob's 1/e level (render.paint_vugs paints
contrast * exp(-rho**4)), so its area is pi * a * b and its equivalent diameter the drawn
size; a breakout's width is the painted band's full width at half depth.

How plainly each vug shows is recorded beside it (`vug_visibility`, from numbers the generator
already drew): its contrast after the tool blur over the background sd (as labels.py rates a
plane) and whether it spans two pixels each way. Scores are given over all vugs and over the
visible, resolvable ones (evaluation/features.py).
"""

from __future__ import annotations

import numpy as np

from geobfdt.synth.geology import Distractors
from geobfdt.synth.labels import blurred_peak

VUG_COLUMNS = ("depth_m", "azimuth_deg", "height_mm", "width_mm", "contrast")
BREAKOUT_COLUMNS = ("top_m", "bottom_m", "azimuth_deg", "azimuth2_deg", "width_deg")
INDUCED_COLUMNS = ("top_m", "bottom_m", "azimuth_deg", "azimuth_bottom_deg", "width_mm")


VISIBLE_SD = 3.0  # a vug fainter than this (blurred contrast over background sd) is "faint", as a plane is
RESOLVABLE_PIXELS = 2.0  # a vug narrower or shorter than two pixels is below the tool's resolution


def vug_visibility(vugs: np.ndarray, depth_step_m: float, column_width_m: float, blur_depth_m: float,
                   blur_across_m: float, background_sd: float) -> np.ndarray:
    """(n, 2) rows of contrast_sd, resolvable for the generator's vug rows (depth, azimuth, half
    height, half width, contrast): the drawn contrast times the blurred peak of a box of the vug's
    height and width (labels.blurred_peak), over the background sd; resolvable when the vug spans
    RESOLVABLE_PIXELS rows and columns."""
    vugs = np.asarray(vugs, float).reshape(-1, 5)
    peak = (blurred_peak(2 * vugs[:, 2], max(blur_depth_m, 1e-6))
            * blurred_peak(2 * vugs[:, 3], max(blur_across_m, 1e-6)))
    contrast_sd = np.abs(vugs[:, 4]) * peak / max(background_sd, 1e-9)
    resolvable = (2 * vugs[:, 2] >= RESOLVABLE_PIXELS * depth_step_m) & (2 * vugs[:, 3] >= RESOLVABLE_PIXELS * column_width_m)
    return np.stack([contrast_sd, resolvable.astype(float)], 1)


def _rows(table: np.ndarray, decimals: int = 4) -> list[list[float]]:
    return np.round(np.asarray(table, float), decimals).tolist()


def distractor_truth(distractors: Distractors, bottom_m: float, vug_visibility_rows=None) -> dict[str, list[list[float]]]:
    """Plain lists (for Well.provenance, JSON-safe): one row per vug, breakout and induced segment,
    and per vug its visibility (rows of vug_visibility) when given."""
    v = distractors.vugs
    vugs = np.stack([v[:, 0], np.mod(v[:, 1], 360.0), 2e3 * v[:, 2], 2e3 * v[:, 3], v[:, 4]], 1) if len(v) \
        else np.zeros((0, 5))
    b = distractors.breakouts
    azimuth = np.mod(b[:, 2], 360.0)
    breakouts = np.stack([b[:, 0], b[:, 1], azimuth, np.mod(azimuth + 180.0, 360.0), b[:, 3]], 1) if len(b) \
        else np.zeros((0, 5))
    s = distractors.dif_segments
    induced = np.stack([s[:, 0], np.minimum(s[:, 0] + s[:, 1], bottom_m), np.mod(s[:, 2], 360.0),
                        np.mod(s[:, 2] + s[:, 3], 360.0), 1e3 * s[:, 4]], 1) if len(s) else np.zeros((0, 5))
    out = {"vugs": _rows(vugs), "breakouts": _rows(breakouts), "induced": _rows(induced)}
    if vug_visibility_rows is not None:
        out["vug_visibility"] = _rows(vug_visibility_rows, 2)
    return out


def vug_pixels(vugs: np.ndarray, depth_m: np.ndarray, n_columns: int, radius_m: float):
    """(vug index, row, column) of every image pixel inside each vug's outline ellipse.

    vugs: rows of VUG_COLUMNS. Pixels are those whose centre lies inside the ellipse, with
    the column width at `radius_m` (the mean radius the generator paints with)."""
    vugs = np.asarray(vugs, float).reshape(-1, len(VUG_COLUMNS))
    if not len(vugs):
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    step = float(depth_m[1] - depth_m[0])
    col_width_m = np.radians(360.0 / n_columns) * radius_m
    half_h, half_w = 0.5e-3 * vugs[:, 2], 0.5e-3 * vugs[:, 3]
    hr = int(np.ceil(half_h.max() / step)) + 1
    hc = int(np.ceil(half_w.max() / col_width_m)) + 1
    dr, dc = np.meshgrid(np.arange(-hr, hr + 1), np.arange(-hc, hc + 1), indexing="ij")
    row_c = (vugs[:, 0] - depth_m[0]) / step
    col_c = vugs[:, 1] / (360.0 / n_columns) - 0.5
    rows = np.round(row_c)[:, None, None] + dr
    cols = np.round(col_c)[:, None, None] + dc
    rho2 = (((rows - row_c[:, None, None]) * step / half_h[:, None, None]) ** 2
            + ((cols - col_c[:, None, None]) * col_width_m / half_w[:, None, None]) ** 2)
    inside = (rho2 <= 1.0) & (rows >= 0) & (rows < depth_m.size)
    index = np.broadcast_to(np.arange(len(vugs))[:, None, None], inside.shape)
    return index[inside], rows[inside].astype(np.int64), np.mod(cols[inside], n_columns).astype(np.int64)


def vug_table(vugs, depth_m, valid: np.ndarray, radius_m: float, visibility=None) -> dict[str, np.ndarray]:
    """Per vug: depth, azimuth, area (cm2), equivalent diameter (mm), conductive, the share of its
    outline on valid image pixels (0 where it fell in a pad gap), and from `visibility` (rows of
    vug_visibility; NaN / 1 when the well predates them) its contrast_sd and resolvable."""
    vugs = np.asarray(vugs, float).reshape(-1, len(VUG_COLUMNS))
    if visibility is None or len(visibility) != len(vugs):
        visibility = np.column_stack([np.full(len(vugs), np.nan), np.ones(len(vugs))])
    visibility = np.asarray(visibility, float).reshape(-1, 2)
    index, rows, cols = vug_pixels(vugs, depth_m, valid.shape[1], radius_m)
    pixels = np.bincount(index, minlength=len(vugs))
    seen = np.bincount(index, weights=valid[rows, cols], minlength=len(vugs))
    half_h, half_w = 0.5e-3 * vugs[:, 2], 0.5e-3 * vugs[:, 3]
    return {"depth_m": vugs[:, 0], "azimuth_deg": vugs[:, 1], "height_mm": vugs[:, 2], "width_mm": vugs[:, 3],
            "area_cm2": np.pi * half_h * half_w * 1e4, "equivalent_diameter_mm": 2e3 * np.sqrt(half_h * half_w),
            "conductive": (vugs[:, 4] < 0).astype(int), "radius_m": np.full(len(vugs), radius_m),
            "visible_fraction": np.divide(seen, pixels, out=np.zeros(len(vugs)), where=pixels > 0),
            "contrast_sd": visibility[:, 0], "resolvable": visibility[:, 1].astype(int)}


def vug_fraction_rows(vugs, depth_m, valid: np.ndarray, radius_m: float) -> np.ndarray:
    """Per image row, the share of its valid pixels inside a conductive vug (0-1)."""
    vugs = np.asarray(vugs, float).reshape(-1, len(VUG_COLUMNS))
    index, rows, cols = vug_pixels(vugs[vugs[:, 4] < 0], depth_m, valid.shape[1], radius_m)
    mask = np.zeros(valid.shape, bool)
    mask[rows, cols] = True
    mask &= valid
    n_valid = valid.sum(1)
    return np.divide(mask.sum(1), n_valid, out=np.zeros(depth_m.size), where=n_valid > 0)


FRACTION_BIN_M = 0.01  # the truth vug fraction is written per centimetre of hole


def vug_fraction_bins(fraction_rows: np.ndarray, depth_m: np.ndarray, weight_rows: np.ndarray,
                      bin_m: float = FRACTION_BIN_M) -> dict[str, np.ndarray]:
    """Row fractions averaged (weighted by each row's valid pixels) into bins of `bin_m`."""
    index = np.floor((depth_m - depth_m[0]) / bin_m + 1e-9).astype(np.int64)
    weight = np.bincount(index, weights=weight_rows)
    hits = np.bincount(index, weights=fraction_rows * weight_rows)
    depth = depth_m[0] + (np.arange(weight.size) + 0.5) * bin_m
    return {"depth_m": depth, "vug_fraction_pct": 100.0 * np.divide(hits, weight, out=np.zeros(weight.size),
                                                                    where=weight > 0)}


TRUTH_SUFFIXES = ("_vugs.csv", "_vug_fraction.csv", "_breakouts.csv", "_induced.csv")  # truth_tables' keys


def truth_tables(well) -> dict[str, dict[str, np.ndarray]]:
    """The truth files of a synthetic well, by file suffix: vugs, per-depth vug fraction,
    breakout intervals and induced-fracture segments (docs/formats.md)."""
    truth = well.provenance["feature_truth"]
    valid = np.isfinite(well.image)
    radius_m = float(well.radius_m.mean())
    vugs = np.asarray(truth["vugs"], float).reshape(-1, len(VUG_COLUMNS))
    rows = vug_fraction_rows(vugs, well.depth_m, valid, radius_m)
    breakouts = np.asarray(truth["breakouts"], float).reshape(-1, len(BREAKOUT_COLUMNS))
    induced = np.asarray(truth["induced"], float).reshape(-1, len(INDUCED_COLUMNS))
    return dict(zip(TRUTH_SUFFIXES, (vug_table(vugs, well.depth_m, valid, radius_m, truth.get("vug_visibility")),
                                     vug_fraction_bins(rows, well.depth_m, valid.sum(1).astype(float)),
                                     dict(zip(BREAKOUT_COLUMNS, breakouts.T)), dict(zip(INDUCED_COLUMNS, induced.T)))))
