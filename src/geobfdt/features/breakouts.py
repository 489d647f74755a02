"""Breakouts and drilling-induced tensile fractures, and the SHmax direction they give.

Breakouts: the image in log10 (a resistivity) is averaged into BIN_DEG azimuth bins and
SMOOTH_M of depth, each depth's median over azimuth subtracted; a breakout pair is two dark
lobes 180 deg apart, so per depth the pair profile is the lesser darkness of the two lobes
(a single dark side, such as a conductive bed below an oblique boundary, scores nothing),
smoothed over a lobe's width. Depths where its darkest axis is DARK_SD robust sd below zero
(and at least MIN_DECADES) are joined into intervals (gaps under GAP_M closed, intervals under
MIN_LENGTH_M dropped, and lobes narrower than MIN_WIDTH_DEG, as rows of induced cracks are,
dropped); each interval reports both lobe azimuths (axial mean) and the lobe
width at half its depth.

Induced fractures: thin near-axial dark lines in pairs on opposite walls. The local-contrast residual (features/vugs.py)
averaged over INDUCED_SMOOTH_M along the hole keeps vertical lines and washes out texture and
planes' traces; components taller than MIN_INDUCED_M and much taller than wide, with a partner on
the opposite wall, not inside a breakout lobe, along the well's main induced axis (when one
stands out) and not on a picked trace, are induced segments. Picked fractures lying on one are flagged induced, so the
intensity, rose and stereonet of natural fractures leave them out (docs/breakouts.md).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import ndimage

from geobfdt.features.result import FeatureResult
from geobfdt.features.stress import axial_difference_deg, axial_mean_deg, stress_summary
from geobfdt.features.image import is_resistivity, log_image, residual_sd, seam_labels
from geobfdt.features.vugs import on_traces
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.io.image_buffer import rows_in_memory
from geobfdt.well import Pick, Well

BIN_DEG = 5.0
SMOOTH_M = 0.1
DARK_SD, MIN_DECADES = 4.0, 0.1
MIN_WIDTH_DEG = 15.0  # breakouts are broad; the synthetic ones 20-70 deg, real ones mostly wider
GAP_M, MIN_LENGTH_M = 0.15, 0.4  # shorter dark pairs are mostly bed or pad artefacts
LOBE_SMOOTH_DEG = 20.0
INDUCED_SMOOTH_M = 0.05
INDUCED_SD = 3.0  # 3.5 before the main-axis filter took out most false segments (docs/breakouts.md)
MIN_INDUCED_M, MAX_INDUCED_M = 0.04, 0.6
MIN_INDUCED_ASPECT = 4.0  # height over width
INDUCED_MAX_DIP_DEG = 80.0  # picks steeper than this, striking along induced segments, are flagged
INDUCED_ZONE_M = 0.1
PAIR_DEG, PAIR_GAP_M = 25.0, 0.1
INDUCED_EDGE_PX = 2
LOBE_MARGIN_DEG = 10.0
MAX_INDUCED_COLUMN_MM = 15.0
AXIS_DEG, MIN_AXIS_SEGMENTS, MIN_AXIS_SHARE = 20.0, 4, 0.4  # tuning seeds 2100-2103: docs/breakouts.md
CHUNK_ROWS, MARGIN_ROWS = 4096, 64


def _binned(well: Well, logarithmic: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depths, bin centres, NaN-aware mean image on the coarse grid)."""
    width = well.width
    bins = max(2, min(width, int(round(360.0 / BIN_DEG))))
    bins -= bins % 2  # even, so every bin has its opposite
    onehot = np.zeros((width, bins), np.float32)
    onehot[np.arange(width), np.minimum((well.azimuth_deg / (360.0 / bins)).astype(int), bins - 1)] = 1.0
    rows_per = max(1, int(round(0.01 / well.depth_step_m)))
    sums, counts = [], []
    for start in range(0, well.depth_m.size, CHUNK_ROWS * rows_per):
        x = log_image(rows_in_memory(well.image, start, min(well.depth_m.size, start + CHUNK_ROWS * rows_per)),
                       logarithmic)
        valid = np.isfinite(x)
        sums.append(np.where(valid, x, 0.0) @ onehot)
        counts.append(valid.astype(np.float32) @ onehot)
    s, c = np.concatenate(sums), np.concatenate(counts)
    n = s.shape[0] // rows_per * rows_per
    if n == 0:
        n, rows_per = s.shape[0], 1
    s = s[:n].reshape(-1, rows_per, bins).sum(1)
    c = c[:n].reshape(-1, rows_per, bins).sum(1)
    depth = well.depth_m[:n].reshape(-1, rows_per).mean(1)
    k = max(1, int(round(SMOOTH_M / (rows_per * well.depth_step_m))))
    s = ndimage.uniform_filter1d(s, k, axis=0, mode="nearest")
    c = ndimage.uniform_filter1d(c, k, axis=0, mode="nearest")
    mean = np.divide(s, c, out=np.full(s.shape, np.nan, np.float32), where=c > 0.5 * rows_per * width / bins / k)
    return depth, (np.arange(bins) + 0.5) * 360.0 / bins, mean


def _intervals(flag: np.ndarray, depth_m: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) runs of flagged depths, gaps under GAP_M closed, runs under MIN_LENGTH_M dropped."""
    step = float(np.median(np.diff(depth_m))) if depth_m.size > 1 else 1.0
    closed = ndimage.binary_closing(flag, np.ones(max(1, int(round(GAP_M / step))) | 1, bool)) | flag
    labels, n = ndimage.label(closed)
    runs = ndimage.find_objects(labels)
    return [(r[0].start, r[0].stop) for r in runs if (r[0].stop - r[0].start) * step >= MIN_LENGTH_M]


def _lobe_width_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Width of an interval's darkest lobe at half its depth, from both walls' anomalies (rows of
    half-turn bins, NaN in pad gaps). A lobe that runs into a pad gap may go on inside it: the gap
    bins it touches count half (a breakout cut by a gap stays wide; a crack beside one stays narrow)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        profile = np.nanmean(np.concatenate([a, b]), axis=0)
    if not np.isfinite(profile).any():
        return 0.0
    dark = profile < 0.5 * np.nanmin(profile)
    gap = np.isnan(profile)
    n = profile.size
    # the half turn wraps onto itself: propagate through gaps on three copies, keep the middle one
    reach = ndimage.binary_propagation(np.tile(dark, 3), mask=np.tile(dark | gap, 3))[n:2 * n]
    return float((dark.sum() + 0.5 * (reach & gap).sum()) * 360.0 / (2 * n))


def detect_breakout_intervals(well: Well, logarithmic: bool) -> dict[str, np.ndarray]:
    depth, centres, mean = _binned(well, logarithmic)
    bins = centres.size
    with warnings.catch_warnings():  # depths with no data at all stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        anomaly = mean - np.nanmedian(mean, axis=1, keepdims=True)
    half = bins // 2
    a, b = anomaly[:, :half], anomaly[:, half:]
    pair = np.maximum(a, b)  # the lesser darkness of two opposite lobes
    # one lobe in a pad gap: half the evidence of the one seen (a dark pad facing a gap is not a pair)
    pair = np.where(np.isnan(pair), 0.5 * np.nan_to_num(np.fmax(a, b)), pair)
    raw = pair
    k = max(1, int(round(LOBE_SMOOTH_DEG / (360.0 / bins))))
    pair = ndimage.uniform_filter1d(pair, k, axis=1, mode="wrap")  # 180-periodic: bin half wraps to bin 0
    axis = np.argmin(pair, axis=1)
    depth_of = pair[np.arange(depth.size), axis]
    sd = 1.4826 * float(np.median(np.abs(pair - np.median(pair)))) or 1e-6
    flag = (depth_of < -DARK_SD * sd) & (depth_of < -MIN_DECADES)
    rows = {"top_m": [], "bottom_m": [], "azimuth_deg": [], "azimuth2_deg": [], "width_deg": [], "contrast": []}
    for i0, i1 in _intervals(flag, depth):
        az, _, _ = axial_mean_deg(centres[axis[i0:i1]], -depth_of[i0:i1])
        profile = raw[i0:i1].mean(0)  # unsmoothed, so a thin crack's lobe stays thin
        dark = profile < 0.5 * profile.min()
        if _lobe_width_deg(a[i0:i1], b[i0:i1]) < MIN_WIDTH_DEG:  # tensile cracks in a row, not an enlarged wall
            continue
        rows["top_m"].append(depth[i0])
        rows["bottom_m"].append(depth[i1 - 1])
        rows["azimuth_deg"].append(az)
        rows["azimuth2_deg"].append(az + 180.0)
        rows["width_deg"].append(float(dark.sum() * 360.0 / bins))
        rows["contrast"].append(float(profile.min()))
    return {k: np.asarray(v, float) for k, v in rows.items()}


def induced_resolvable(well: Well) -> bool:
    """Tensile cracks are millimetres wide: on columns wider than MAX_INDUCED_COLUMN_MM (a 16-sector
    LWD image's are ~40 mm) a dark streak is a sector's noise, not a crack."""
    return np.radians(360.0 / well.width) * float(np.median(well.radius_m)) * 1e3 <= MAX_INDUCED_COLUMN_MM


def detect_induced_segments(well: Well, logarithmic: bool) -> dict[str, np.ndarray]:
    rows_total, width = well.image.shape
    if not induced_resolvable(well):
        return {k: np.zeros(0) for k in ("top_m", "bottom_m", "azimuth_deg", "width_mm")}
    step_m = well.depth_step_m
    found = []
    for start in range(0, rows_total, CHUNK_ROWS):
        stop = min(rows_total, start + CHUNK_ROWS)
        lo, hi = max(0, start - MARGIN_ROWS), min(rows_total, stop + MARGIN_ROWS)
        x = log_image(rows_in_memory(well.image, lo, hi), logarithmic)
        valid = np.isfinite(x)
        radius = float(np.median(well.radius_m[lo:hi]))
        col_m = np.radians(360.0 / width) * radius
        score = residual_sd(x, valid, (0.002 / step_m, 0.02 / col_m))
        score = ndimage.uniform_filter1d(score, max(1, int(round(INDUCED_SMOOTH_M / step_m))), axis=0)
        score /= 1.4826 * float(np.median(np.abs(score[valid]))) or 1.0
        # a pad's edge is a vertical line too: keep INDUCED_EDGE_PX columns away from unmeasured pixels
        inner = ~ndimage.binary_dilation(~valid, np.ones((1, 2 * INDUCED_EDGE_PX + 1), bool))
        labels, n = seam_labels((score < -INDUCED_SD) & inner)
        if n == 0:
            continue
        index = np.arange(1, n + 1)
        rows = np.broadcast_to(np.arange(hi - lo)[:, None], labels.shape)
        top = ndimage.minimum(rows, labels, index)
        bottom = ndimage.maximum(rows, labels, index)
        pixels = ndimage.sum_labels(np.ones(labels.shape), labels, index)
        height_m = (bottom - top + 1) * step_m
        width_m = pixels * col_m / np.maximum(bottom - top + 1, 1)
        phi = np.radians(well.azimuth_deg)[None, :]
        c = ndimage.sum_labels(np.broadcast_to(np.cos(phi), labels.shape), labels, index)
        s = ndimage.sum_labels(np.broadcast_to(np.sin(phi), labels.shape), labels, index)
        azimuth = np.mod(np.degrees(np.arctan2(s, c)), 360.0)
        centre = well.depth_m[lo + ((top + bottom) // 2).astype(int)]
        keep = ((height_m >= MIN_INDUCED_M) & (height_m <= MAX_INDUCED_M) & (height_m >= MIN_INDUCED_ASPECT * width_m)
                & (centre >= well.depth_m[start]) & (centre <= well.depth_m[stop - 1]))
        found.append(np.stack([well.depth_m[lo + top[keep].astype(int)], well.depth_m[lo + bottom[keep].astype(int)],
                               azimuth[keep], 1e3 * width_m[keep]], 1))
    table = np.concatenate(found) if found else np.zeros((0, 4))
    return dict(zip(("top_m", "bottom_m", "azimuth_deg", "width_mm"), table[_paired(table)].T))


def _paired(table: np.ndarray) -> np.ndarray:
    """Segments with a partner on the opposite wall (axis within PAIR_DEG, depths overlapping or
    within PAIR_GAP_M): tensile fractures open on both sides of the hole at once."""
    if len(table) < 2:
        return np.zeros(len(table), bool)
    top, bottom, azimuth = table[:, 0], table[:, 1], table[:, 2]
    near = (np.minimum(bottom[:, None], bottom[None, :]) - np.maximum(top[:, None], top[None, :])) > -PAIR_GAP_M
    opposite = np.abs(azimuth_difference_deg(azimuth[:, None], azimuth[None, :])) > 180.0 - PAIR_DEG
    return (near & opposite).any(1)


def _on_main_axis(induced: dict) -> dict:
    """Induced segments within AXIS_DEG of the well's main induced axis: tensile fractures of one
    well all open along SHmax, while texture streaks and steep traces that pass the pair test point
    anywhere. The axis is the mode of the segments' axes (weighted by height), used only when at
    least MIN_AXIS_SHARE of that weight lies near it (else no axis stands out and all are kept)."""
    axial = np.mod(induced["azimuth_deg"], 180.0)
    weight = induced["bottom_m"] - induced["top_m"]
    if AXIS_DEG >= 90.0 or axial.size < MIN_AXIS_SEGMENTS:
        return induced
    hist, _ = np.histogram(axial, bins=36, range=(0.0, 180.0), weights=weight)
    mode = (np.argmax(ndimage.uniform_filter1d(hist, 5, mode="wrap")) + 0.5) * 5.0
    near = axial_difference_deg(axial, mode) < AXIS_DEG
    main, _, _ = axial_mean_deg(axial[near], weight[near])
    keep = axial_difference_deg(axial, main) < AXIS_DEG
    if weight[keep].sum() < MIN_AXIS_SHARE * weight.sum():
        return induced
    return {k: v[keep] for k, v in induced.items()}


def _outside_breakouts(induced: dict, breakouts: dict) -> dict:
    """Induced segments minus those inside a breakout lobe (a lobe's ragged edges are vertical dark
    lines 180 deg apart too; tensile fractures open 90 deg away from breakouts)."""
    if not len(induced["top_m"]) or not len(breakouts["top_m"]):
        return induced
    overlap = ((np.minimum(induced["bottom_m"][:, None], breakouts["bottom_m"][None, :])
                - np.maximum(induced["top_m"][:, None], breakouts["top_m"][None, :])) > 0)
    inside = axial_difference_deg(induced["azimuth_deg"][:, None], breakouts["azimuth_deg"][None, :]) \
        < 0.5 * breakouts["width_deg"][None, :] + LOBE_MARGIN_DEG
    keep = ~(overlap & inside).any(1)
    return {k: v[keep] for k, v in induced.items()}


def induced_picks(picks: list[Pick], induced: dict[str, np.ndarray], radius_m: float) -> np.ndarray:
    """True for each steep fracture pick inside an induced zone (within INDUCED_ZONE_M of a segment)
    that strikes along it (its flanks, dip azimuth +-90, within PAIR_DEG of the segment's axis):
    a plane the picker drew through en-echelon tensile cracks."""
    if not picks or not len(induced["top_m"]):
        return np.zeros(len(picks), bool)
    p = np.array([[q.depth_m, q.dip_deg, q.azimuth_deg, q.type == "fracture"] for q in picks], float)
    near = ((p[:, None, 0] > induced["top_m"][None, :] - INDUCED_ZONE_M)
            & (p[:, None, 0] < induced["bottom_m"][None, :] + INDUCED_ZONE_M))
    along = axial_difference_deg(p[:, None, 2] + 90.0, induced["azimuth_deg"][None, :]) < PAIR_DEG
    return (p[:, 3] > 0) & (p[:, 1] >= INDUCED_MAX_DIP_DEG) & (near & along).any(1)


def detect_breakouts(well: Well, picks: list[Pick] | None = None, progress=None) -> FeatureResult:
    """Breakout intervals, induced-fracture segments and the SHmax summary of one well."""
    logarithmic = is_resistivity(well)
    breakouts = detect_breakout_intervals(well, logarithmic)
    induced = _on_main_axis(_outside_breakouts(detect_induced_segments(well, logarithmic), breakouts))
    if picks:  # a steep plane's flanks are vertical dark lines 180 deg apart too
        mid = 0.5 * (induced["top_m"] + induced["bottom_m"])
        off = ~on_traces(mid, induced["azimuth_deg"], picks, float(np.median(well.radius_m)))
        induced = {k: v[off] for k, v in induced.items()}
    if progress:
        progress(well.depth_m.size)
    flagged = induced_picks(picks or [], induced, float(np.median(well.radius_m)))
    summary = stress_summary(breakouts["azimuth_deg"], breakouts["bottom_m"] - breakouts["top_m"],
                             induced["azimuth_deg"], induced["bottom_m"] - induced["top_m"])
    summary["induced_picks"] = int(flagged.sum())
    summary["induced_resolvable"] = bool(induced_resolvable(well))
    return FeatureResult("breakouts", tables={"breakouts": breakouts, "induced": induced}, summary=summary)
