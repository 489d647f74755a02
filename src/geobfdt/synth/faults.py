"""Acquisition faults of a rough logging run, for the `harsh` variant: off in the default settings.

A noise model the shipped calibration never saw, to test whether scores and intervals hold off
home ground (issue 30). Beside the stronger noise, pad-to-pad gains and LWD striping the variant
sets through the ordinary knobs, these faults:
- extra tool blur (`fault_blur_scale`, a factor on the tool's depth and azimuth response);
- stuck pads (`stuck_pads_per_m`): a pad (an LWD sector) reads one flat value over an interval;
- stick-slip (`stick_slip_strain`): the tool jerks along the hole, so the recorded depth scale
  stretches and squeezes: row i shows the formation at `true_depth_m[i]`, and labels move with it
  (their depth through the inverse map, their apparent dip through the local stretch);
- eccentering (`eccentering`): a tool off the hole's centre sees the far side damped;
- saturation (`saturation_fraction`): the tool's range clips that share of pixels at each end.
They come from a random stream of their own (`fault_rng(seed)`), so a seed's geology, noise and
picks are drawn as without them.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import gaussian_filter1d

from geobfdt.geometry import apparent_to_true
from geobfdt.synth.config import SynthConfig
from geobfdt.synth.render import smooth_noise_1d

FAULT_STREAM = 0x4A125  # mixed into the seed: the faults' generator is independent of the well's
ECCENTER_LEVEL_M = 1.0  # sd of the smoothing of the level eccentering damps toward: far longer than a trace is tall


def has_faults(cfg: SynthConfig) -> bool:
    return (max(cfg.fault_blur_scale) != 1.0 or max(cfg.stuck_pads_per_m) > 0 or max(cfg.stick_slip_strain) > 0
            or max(cfg.eccentering) > 0 or max(cfg.saturation_fraction) > 0)


def fault_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), FAULT_STREAM])


def stick_slip_depth_m(rng, depth_m: np.ndarray, cfg: SynthConfig) -> tuple[np.ndarray, np.ndarray]:
    """(true depth each recorded row shows, d true / d recorded per row); same ends as depth_m.

    The local stretch is 1 + strain x (smooth noise clipped to +-1), over 0.3-2 m, renormalised so
    the recorded interval shows the whole true interval; it stays positive, so the map is monotone.
    """
    strain = float(rng.uniform(*cfg.stick_slip_strain))
    step_m = float(depth_m[1] - depth_m[0])
    wiggle = np.clip(smooth_noise_1d(rng, depth_m.size, rng.uniform(0.3, 2.0) / step_m), -1.0, 1.0)
    stretch = 1.0 + strain * wiggle
    true = step_m * np.concatenate([[0.0], np.cumsum(0.5 * (stretch[1:] + stretch[:-1]))])
    scale = (depth_m[-1] - depth_m[0]) / true[-1]
    return depth_m[0] + true * scale, stretch * scale


def resample_rows(field: np.ndarray, depth_m: np.ndarray, true_depth_m: np.ndarray) -> np.ndarray:
    """The rows of `field` (on depth_m) nearest to each true depth: what the jerking tool records."""
    step_m = float(depth_m[1] - depth_m[0])
    rows = np.clip(np.round((true_depth_m - depth_m[0]) / step_m), 0, depth_m.size - 1).astype(np.int64)
    return field[rows]


def move_labels(picks, depth_m, true_depth_m, stretch, trajectory) -> None:
    """Labels in place onto the stick-slip image: recorded depth of each plane's centre line, and
    apparent dip from the trace amplitude squeezed by the local stretch (true dip recomputed from it)."""
    if not picks:
        return
    z = np.array([p.depth_m for p in picks])
    recorded = np.interp(z, true_depth_m, depth_m)
    local = np.interp(recorded, depth_m, stretch)
    dip = np.degrees(np.arctan(np.tan(np.radians([p.dip_deg for p in picks])) / local))
    if trajectory.inclination_deg is not None:
        _, inclination, hole_azimuth = trajectory.at(recorded)
        true_dip, true_az = apparent_to_true(dip, np.array([p.azimuth_deg for p in picks]), inclination, hole_azimuth)
    for i, pick in enumerate(picks):
        pick.depth_m, pick.dip_deg = float(recorded[i]), float(dip[i])
        if trajectory.inclination_deg is not None:
            pick.dip_true_deg, pick.azimuth_true_deg = float(true_dip[i]), float(true_az[i])


def move_feature_truth(truth: dict, depth_m, true_depth_m, stretch) -> dict:
    """synth/truth.py's feature truth onto the stick-slip image: every depth (vug centres, breakout and
    induced-segment tops and bottoms) to the row that records it, and a vug's height squeezed by the
    local stretch (true metres per recorded metre), as move_labels does to the planes."""
    def recorded(z):
        return np.interp(np.asarray(z, dtype=np.float64), true_depth_m, depth_m)

    moved = dict(truth)
    vugs = np.asarray(truth.get("vugs", []), dtype=np.float64).reshape(-1, 5)
    if len(vugs):
        at = recorded(vugs[:, 0])
        vugs = np.column_stack([at, vugs[:, 1], vugs[:, 2] / np.interp(at, depth_m, stretch), vugs[:, 3:]])
        moved["vugs"] = np.round(vugs, 4).tolist()
    for key in ("breakouts", "induced"):  # rows of top_m, bottom_m, then azimuths and widths
        rows = np.asarray(truth.get(key, []), dtype=np.float64).reshape(-1, 5)
        if len(rows):
            rows = np.column_stack([recorded(rows[:, 0]), recorded(rows[:, 1]), rows[:, 2:]])
            moved[key] = np.round(rows, 4).tolist()
    return moved


def stuck_pads(rng, field: np.ndarray, pad_of_pixel: np.ndarray, n_pads: int, step_m: float, cfg: SynthConfig):
    """In place: intervals where one pad (an LWD sector: pad_of_pixel is the column) reads a flat value,
    its mean at the interval's top. pad_of_pixel: (rows, columns), -1 off the pads."""
    n_rows = field.shape[0]
    n = int(rng.poisson(rng.uniform(*cfg.stuck_pads_per_m) * n_rows * step_m))
    if n == 0:
        return
    top = rng.integers(0, n_rows, n)
    length = np.maximum(1, np.round(rng.uniform(*cfg.stuck_pad_length_m, n) / step_m)).astype(np.int64)
    pad = rng.integers(0, n_pads, n)
    row = np.arange(n_rows)
    for t, k, p in zip(top, length, pad):  # a handful of intervals, each one array operation
        mask = (pad_of_pixel == p) & ((row >= t) & (row < t + k))[:, None]
        first = field[t][pad_of_pixel[t] == p]
        if first.size and np.isfinite(first).any():
            field[mask & np.isfinite(field)] = np.nanmean(first)


def eccenter(rng, field: np.ndarray, azimuth_deg: np.ndarray, depth_m: np.ndarray, cfg: SynthConfig):
    """In place: the far side's detail damped by up to `eccentering`, the direction of the offset turning
    slowly with depth. Detail is taken around the formation's local level (each row's median, smoothed
    over ECCENTER_LEVEL_M along the hole), as a far-side reading mixes in the mud's and not the rest of
    its row's: around the row's own median a bed boundary's far side would be drawn toward the row where
    half the hole has crossed it, its trace flattened (dips read low) although its label is unchanged."""
    strength = float(rng.uniform(*cfg.eccentering))
    step_m = float(depth_m[1] - depth_m[0])
    near = rng.uniform(0, 360) + 60.0 * smooth_noise_1d(rng, depth_m.size, 5.0 / step_m)
    far = 0.5 * (1.0 - np.cos(np.radians(azimuth_deg[None, :] - near[:, None])))
    with warnings.catch_warnings():  # a row with no reading (pads off the wall) has no median
        warnings.simplefilter("ignore", RuntimeWarning)
        row_level = np.nanmedian(np.where(np.isfinite(field), field, np.nan), axis=1)
    known = np.isfinite(row_level)
    if not known.any():
        return
    row_level = np.interp(np.arange(row_level.size), np.flatnonzero(known), row_level[known])
    level = gaussian_filter1d(row_level, ECCENTER_LEVEL_M / step_m, mode="nearest")[:, None]
    field[:] = level + (field - level) * (1.0 - strength * far).astype(np.float32)


def saturate(rng, field: np.ndarray, cfg: SynthConfig):
    """In place: the image clipped at its quantiles, `saturation_fraction` of the pixels at each end."""
    share = float(rng.uniform(*cfg.saturation_fraction))
    if share > 0:
        low, high = np.nanquantile(field, [share, 1.0 - share])
        np.clip(field, low, high, out=field)
