"""Classical baseline: Hough-transform sinusoid picking, no learning (method in docs/hough.md).

1. Edge energy: scale-normalised gradient magnitude plus the largest Hessian eigenvalue of
   the gap-filled, Gaussian-smoothed image, so bed boundaries (steps) and thin fractures
   (lines, either polarity) both give one ridge on the trace. Pixels near no-data are
   masked. The map is divided by its median, so background is about 1.
2. Votes: on a coarser vote grid, every hypothesis (amplitude, phase) shifts each column by
   amplitude*cos(phi - phase) and the mean over valid columns gives the vote for every
   centre depth z0 at once (a strided gather). Depth windows of window_m carry their own
   hole radius; traces may reach outside their window. The vote minus its median over the
   window's depths is the score, so textured intervals do not light up every hypothesis.
3. Peaks: local maxima along z0 above the threshold, then greedy suppression of any
   candidate whose trace shares much of its path with a stronger accepted one.
4. Refinement: each peak is polished by a shrinking local search in (z0, amplitude,
   phase) on the full-resolution edge map with sub-row interpolation.
5. Class: along the trace, a thin line (trace differs from both sides) is a fracture, a
   contrast step (above differs from below) is a bedding plane.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import ndimage

from geobfdt.geometry import dip_from_amplitude_deg
from geobfdt.config import PatchGrid
from geobfdt.preprocess.image import prepare_well
from geobfdt.well import Pick, Well

# Tuned on synthetic training wells by scripts/tune_hough.py, since retired (docs/hough.md, docs/history.md).
DEFAULTS = dict(
    window_m=2.56,
    dip_max_deg=85.0,
    smooth_m=0.01,
    ridge_weight=1.0,
    threshold=1.0,
    min_coverage=0.25,
    suppress_m=0.05,
    suppress_share=0.2,
    line_ratio=0.5,
)
VOTE_ROW_STEP_M = 0.02  # coarse vote grid: rows
VOTE_COLUMNS = 32  # coarse vote grid: sampled azimuths
AMPLITUDE_STEP_ROWS = 1.0  # coarse amplitude step
PHASE_TOLERANCE_ROWS = 1.5  # largest trace displacement between neighbouring phases
CLASS_BAND_M = 0.04  # distance of the above/below samples from the trace
ORIENTATION_BINS = 12  # trace-normal angle bins of the energy stack (15 deg each)
MAX_CANDIDATES_PER_WINDOW = 256  # bounds suppression work on busy intervals
CHUNK_M = 64.0  # depth processed at once (plus margins)


def _bin_of_angle(alpha_rad: np.ndarray, n_bins: int) -> np.ndarray:
    """Index of the orientation bin holding a normal angle in (-pi/2, pi/2)."""
    return np.clip(((alpha_rad + np.pi / 2) / np.pi * n_bins).astype(np.int64), 0, n_bins - 1)


def normal_angle_rad(amplitude_over_radius, phi, phase):
    """Angle of the trace normal from the depth axis: tan(alpha) = tan(dip) sin(phi - phase)."""
    return np.arctan(amplitude_over_radius * np.sin(phi - phase))


def oriented_energy(image: np.ndarray, row_step_m: float, column_step_m: float, smooth_m: float,
                    ridge_weight: float, n_bins: int = ORIENTATION_BINS) -> np.ndarray:
    """(n_bins, rows, columns) edge+ridge energy across a trace whose normal lies in each angle bin.

    Directional first and second Gaussian derivatives along the normal, scale-normalised
    (the smoothing is isotropic in metres, so pixel derivatives times sigma in pixels are
    physical). A trace collects only energy oriented like itself, so a steep hypothesis
    crossing flat beds gains little. NaN near no-data; divided by the median.
    """
    valid = np.isfinite(image)
    sigma = (max(smooth_m / row_step_m, 0.5), max(smooth_m / column_step_m, 0.5))
    mode = ("nearest", "wrap")
    # normalised convolution fills gaps with the local mean, so gap borders are not edges
    wide = (3 * sigma[0], 3 * sigma[1])
    weight = ndimage.gaussian_filter(valid.astype(np.float32), wide, mode=mode)
    local = ndimage.gaussian_filter(np.where(valid, image, 0).astype(np.float32), wide, mode=mode)
    filled = np.where(valid, image, local / np.maximum(weight, 1e-6)).astype(np.float32)

    def d(order):
        return ndimage.gaussian_filter(filled, sigma, order=order, mode=mode)

    gz, gx = sigma[0] * d((1, 0)), sigma[1] * d((0, 1))
    hzz, hxx, hzx = sigma[0] ** 2 * d((2, 0)), sigma[1] ** 2 * d((0, 2)), sigma[0] * sigma[1] * d((1, 1))
    alpha = (np.arange(n_bins) + 0.5) * np.pi / n_bins - np.pi / 2
    energy = np.empty((n_bins,) + image.shape, np.float32)
    for k, (c, s) in enumerate(zip(np.cos(alpha), np.sin(alpha))):  # one map per orientation bin
        first = c * gz + s * gx
        second = c * c * hzz + 2 * c * s * hzx + s * s * hxx
        energy[k] = np.sqrt(first ** 2 + (ridge_weight * second) ** 2)
    near_gap = ndimage.binary_dilation(~valid, np.ones((2 * int(np.ceil(sigma[0])) + 1,
                                                        2 * int(np.ceil(sigma[1])) + 1), bool))
    energy[:, near_gap] = np.nan
    scale = np.nanmedian(energy) if np.any(np.isfinite(energy)) else 1.0
    return energy / max(float(scale), 1e-12)


def _coarse_grid(energy: np.ndarray, factor: int, columns: int):
    """Row-averaged (factor rows), column-sampled energy (bins, columns, rows) and validity."""
    n_rows = energy.shape[1] // factor * factor
    blocks = energy[:, :n_rows].reshape(energy.shape[0], -1, factor, energy.shape[2])
    valid = np.isfinite(blocks[0])
    count = valid.sum(1)
    mean = np.where(valid, blocks, 0).sum(2) / np.maximum(count, 1)
    cols = np.unique(np.round(np.linspace(0, energy.shape[2], columns, endpoint=False)).astype(int))
    return (mean[:, :, cols].transpose(0, 2, 1).astype(np.float32),
            (count[:, cols].T * 2 >= factor), cols)


def _hypotheses(max_amplitude_rows: float):
    """(amplitude_rows, phase_rad) of every coarse hypothesis: phases denser for larger amplitudes."""
    amps = np.arange(0.0, max_amplitude_rows + 1e-9, AMPLITUDE_STEP_ROWS)
    n_phase = np.maximum(1, np.ceil(2 * np.pi * amps / PHASE_TOLERANCE_ROWS)).astype(int)
    amp = np.repeat(amps, n_phase)
    phase = np.concatenate([np.arange(n) * 2 * np.pi / n for n in n_phase])
    return amp, phase


def _window_votes(e_pad, v_pad, offsets, bins, z_start, z_stop, pad):
    """Mean oriented energy and valid-column count along every hypothesis, z0 in [z_start, z_stop)."""
    n_z = z_stop - z_start
    e_win = np.lib.stride_tricks.sliding_window_view(e_pad, n_z, axis=2)
    v_win = np.lib.stride_tricks.sliding_window_view(v_pad, n_z, axis=1)
    col = np.arange(e_pad.shape[1])[None, :]
    votes, counts = [], []
    for batch in np.array_split(np.arange(offsets.shape[0]), max(1, offsets.shape[0] // 128)):
        start = offsets[batch] + z_start + pad
        counts.append(v_win[col, start].sum(1, dtype=np.int32))
        votes.append(e_win[bins[batch], col, start].sum(1))
    count = np.concatenate(counts)
    return np.concatenate(votes) / np.maximum(count, 1), count


def _local_peaks(score: np.ndarray) -> np.ndarray:
    """Mask of local maxima along the last axis (ties: first of the plateau)."""
    left = np.concatenate([np.full(score.shape[:-1] + (1,), -np.inf), score[..., :-1]], -1)
    right = np.concatenate([score[..., 1:], np.full(score.shape[:-1] + (1,), -np.inf)], -1)
    return (score > left) & (score >= right)


def _suppress(z0_m, amp_m, phase, score, phi, suppress_m, suppress_share) -> np.ndarray:
    """Greedy non-maximum suppression by shared trace path; returns kept indices (best first)."""
    order = np.argsort(-score)
    traces = z0_m[order, None] + amp_m[order, None] * np.cos(phi[None, :] - phase[order, None])
    alive = np.ones(order.size, bool)
    kept = []
    for i in range(order.size):  # one iteration per accepted pick, not per pixel
        if not alive[i]:
            continue
        kept.append(order[i])
        shared = np.mean(np.abs(traces[i + 1:] - traces[i]) <= suppress_m, axis=1)
        alive[i + 1:] &= shared <= suppress_share
    return np.array(kept, dtype=np.int64)


def _interp_rows(values: np.ndarray, rows: np.ndarray, bins=None) -> np.ndarray:
    """values[(bin,) row, column] linearly interpolated in rows; rows shape (..., columns); NaN outside."""
    n = values.shape[-2]
    lo = np.floor(rows).astype(np.int64)
    frac = rows - lo
    cols = np.broadcast_to(np.arange(values.shape[-1]), rows.shape)
    lo_c = np.clip(lo, 0, n - 2)
    index = (lo_c, cols) if bins is None else (bins, lo_c, cols)
    upper = (lo_c + 1, cols) if bins is None else (bins, lo_c + 1, cols)
    vals = values[index] * (1 - frac) + values[upper] * frac
    return np.where((lo >= 0) & (lo + 1 < n), vals, np.nan)


def _trace_mean(energy, z0_rows, amp_rows, phase, phi, amp_per_radius, min_valid):
    """Mean oriented energy along traces given broadcastable parameters; -inf if too few columns."""
    delta = phi - phase[..., None]
    rows = z0_rows[..., None] + amp_rows[..., None] * np.cos(delta)
    bins = _bin_of_angle(normal_angle_rad(amp_rows[..., None] * amp_per_radius, delta, 0.0), energy.shape[0])
    vals = _interp_rows(energy, rows, bins)
    ok = np.isfinite(vals)
    n = ok.sum(-1)
    mean = np.where(ok, vals, 0).sum(-1) / np.maximum(n, 1)
    return np.where(n >= min_valid, mean, -np.inf)


def _refine(energy, z0, amp, phase, phi, step_rows, max_amp_rows, amp_per_radius, min_valid):
    """Shrinking 5x5x5 local search per pick (vectorised over picks) on the fine energy stack."""
    grid = np.linspace(-1.0, 1.0, 5)
    dz, da, dp = (g.ravel() for g in np.meshgrid(grid, grid, grid, indexing="ij"))
    pick = np.arange(z0.size)
    for _ in range(4):  # final step factor/16 rows: ~0.5 deg of dip at low dips
        p_step = np.minimum(np.pi / 2, step_rows / np.maximum(amp, 1.0))  # moves the trace ~step_rows
        cz = z0[:, None] + dz * step_rows
        ca = np.clip(amp[:, None] + da * step_rows, 0.0, max_amp_rows)
        cp = phase[:, None] + dp * p_step[:, None]
        best = np.argmax(_trace_mean(energy, cz, ca, cp, phi, amp_per_radius, min_valid), axis=1)
        z0, amp, phase = cz[pick, best], ca[pick, best], cp[pick, best]
        step_rows /= 2
    return z0, amp, np.mod(phase, 2 * np.pi)


def _classify(image, z0_rows, amp_rows, phase, phi, band_rows, line_ratio) -> np.ndarray:
    """True where the trace is a thin line (fracture), False for a contrast step (bedding)."""
    valid = np.isfinite(image)
    mode = ("nearest", "wrap")
    weight = ndimage.gaussian_filter(valid.astype(np.float64), 1.0, mode=mode)
    smooth = ndimage.gaussian_filter(np.where(valid, image, 0.0), 1.0, mode=mode)
    smooth = np.where(weight > 0.5, smooth / np.maximum(weight, 1e-6), np.nan)
    rows = z0_rows[:, None] + amp_rows[:, None] * np.cos(phi[None, :] - phase[:, None])
    on, above, below = (_interp_rows(smooth, rows + k * band_rows) for k in (0, -1, 1))
    ok = np.isfinite(on) & np.isfinite(above) & np.isfinite(below)
    n = np.maximum(ok.sum(1), 1)
    step = np.abs(np.where(ok, below - above, 0).sum(1)) / n  # signed means: noise averages out
    line = np.abs(np.where(ok, on - (above + below) / 2, 0).sum(1)) / n
    return line > line_ratio * step


def _pick_chunk(image, radius_m, row_step, phi_deg, core: slice, p: dict):
    """(z0 rows, amplitude rows, phase rad, is_fracture, score) of picks whose z0 row lies in core."""
    n_cols = image.shape[1]
    radius_ref = float(np.nanmax(radius_m))
    energy = oriented_energy(image, row_step, 2 * np.pi * float(np.nanmedian(radius_m)) / n_cols,
                             p["smooth_m"], p["ridge_weight"])
    factor = max(1, int(round(VOTE_ROW_STEP_M / row_step)))
    if not np.any(np.isfinite(energy)) or image.shape[0] < 2 * factor:
        return None
    e_cols, v_cols, cols = _coarse_grid(energy, factor, min(VOTE_COLUMNS, n_cols))
    coarse_step = factor * row_step
    phi_cols = np.radians(phi_deg[cols])
    max_amp = radius_ref * np.tan(np.radians(p["dip_max_deg"])) / coarse_step
    amp_ref, phase = _hypotheses(max_amp)
    delta = phi_cols[None, :] - phase[:, None]
    bins = _bin_of_angle(normal_angle_rad(amp_ref[:, None] * coarse_step / radius_ref, delta, 0.0), energy.shape[0])
    pad = int(np.ceil(max_amp)) + 1
    e_pad = np.pad(e_cols, ((0, 0), (0, 0), (pad, pad)))
    # beyond the log's ends counts as seen and empty: a steep trace poking out loses votes
    v_pad = np.pad(v_cols, ((0, 0), (pad, pad)), constant_values=True)
    win_rows = max(8, int(round(p["window_m"] / coarse_step)))
    min_valid = max(3, int(np.ceil(p["min_coverage"] * cols.size)))
    z_lo, z_hi = core.start // factor, min(e_cols.shape[2], -(-core.stop // factor))
    cand = []  # (z0 coarse row, amplitude coarse rows, phase, score)
    for z_start in range(z_lo, z_hi, win_rows):
        z_stop = min(z_hi, z_start + win_rows)
        # each depth window votes with its own hole radius
        amp = amp_ref * float(np.nanmedian(radius_m[z_start * factor:z_stop * factor])) / radius_ref
        offsets = np.round(amp[:, None] * np.cos(delta)).astype(np.int64)
        vote, count = _window_votes(e_pad, v_pad, offsets, bins, z_start, z_stop, pad)
        vote = np.where(count >= min_valid, vote, np.nan)
        if z_stop - z_start < 3 or np.all(np.isnan(vote)):
            continue
        with warnings.catch_warnings():  # hypotheses with no valid depth in this window are all-NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            background = np.nanmedian(vote, axis=1, keepdims=True)
        score = np.nan_to_num(vote - background, nan=-np.inf)
        h, z = np.nonzero(_local_peaks(score) & (score > p["threshold"]))
        top = np.argsort(-score[h, z])[:MAX_CANDIDATES_PER_WINDOW]
        cand.append(np.stack([z[top] + z_start, amp[h[top]], phase[h[top]], score[h[top], z[top]]], 1))
    cand = np.concatenate(cand) if cand else np.zeros((0, 4))
    if cand.size == 0:
        return None
    kept = _suppress(cand[:, 0] * coarse_step, cand[:, 1] * coarse_step, cand[:, 2], cand[:, 3],
                     phi_cols, p["suppress_m"], p["suppress_share"])
    cand = cand[kept]
    phi_all = np.radians(phi_deg)
    # coarse row r averages fine rows [r*f, r*f+f): its centre is fine row r*f + (f-1)/2
    z0, amp, phase = _refine(energy, cand[:, 0] * factor + (factor - 1) / 2, cand[:, 1] * factor, cand[:, 2],
                             phi_all, float(factor), max_amp * factor, row_step / radius_ref,
                             max(3, int(np.ceil(p["min_coverage"] * n_cols))))
    inside = (z0 >= core.start) & (z0 < core.stop)
    z0, amp, phase, score = z0[inside], amp[inside], phase[inside], cand[inside, 3]
    is_fracture = _classify(image, z0, amp, phase, phi_all, CLASS_BAND_M / row_step, p["line_ratio"])
    return z0, amp, phase, is_fracture, score


def hough_picks(well: Well, *, window_m: float = DEFAULTS["window_m"], dip_max_deg: float = DEFAULTS["dip_max_deg"],
                smooth_m: float = DEFAULTS["smooth_m"], ridge_weight: float = DEFAULTS["ridge_weight"],
                threshold: float = DEFAULTS["threshold"], min_coverage: float = DEFAULTS["min_coverage"],
                suppress_m: float = DEFAULTS["suppress_m"], suppress_share: float = DEFAULTS["suppress_share"],
                line_ratio: float = DEFAULTS["line_ratio"]) -> list[Pick]:
    """Sinusoid picks of a well already on a regular grid (equal azimuth bins) and normalised.

    The score is the vote contrast: mean oriented edge energy along the trace (in units
    of the map's median) minus its median over the window's depths. The well is processed
    in chunks of CHUNK_M with margins so memory stays bounded for long wells.
    """
    params = dict(window_m=window_m, dip_max_deg=dip_max_deg, smooth_m=smooth_m, ridge_weight=ridge_weight,
                  threshold=threshold, min_coverage=min_coverage, suppress_m=suppress_m,
                  suppress_share=suppress_share, line_ratio=line_ratio)
    row_step = well.depth_step_m
    n_rows = well.depth_m.size
    chunk = max(1, int(round(CHUNK_M / row_step)))
    margin = int(np.ceil((float(np.nanmax(well.radius_m)) * np.tan(np.radians(dip_max_deg)) + window_m) / row_step))
    picks = []
    for core_start in range(0, n_rows, chunk):  # one iteration per chunk of tens of metres
        lo, hi = max(0, core_start - margin), min(n_rows, core_start + chunk + margin)
        core = slice(core_start - lo, min(n_rows, core_start + chunk) - lo)
        found = _pick_chunk(well.image[lo:hi], well.radius_m[lo:hi], row_step, well.azimuth_deg, core, params)
        if found is None:
            continue
        z0, amp, phase, is_fracture, score = found
        depth_m = np.interp(z0 + lo, np.arange(n_rows), well.depth_m)
        dip = dip_from_amplitude_deg(amp * row_step, well.radius_at(depth_m))
        picks += [Pick(depth_m=float(d), dip_deg=float(dp), azimuth_deg=float(np.degrees(ph)),
                       type="fracture" if f else "bedding", score=float(s), well=well.name)
                  for d, dp, ph, f, s in zip(depth_m, dip, phase, is_fracture, score)]
    return sorted(picks, key=lambda p: p.depth_m)


def pick_well_hough(well: Well, grid: PatchGrid = PatchGrid(), **params) -> list[Pick]:
    """Resample a raw well onto the grid, normalise it dynamically, then pick with hough_picks."""
    return hough_picks(prepare_well(well, grid, "dynamic"), **params)
