"""Error bars from test-time transforms: how much a pick moves when the image is turned or flipped.

Each window is also shown to the model rolled in azimuth by a quarter, a half and three
quarters of a turn, mirrored in azimuth, and flipped upside down (the label-consistent
geometric transforms of training, geobfdt.preprocess.augment); the predictions are mapped
back to the original frame. For every pick, the nearest trace of each transformed view (mean
distance along the curve under MATCH_ROWS) joins it, and the spread of depth, dip and
azimuth over the pick and its matches is the raw uncertainty. A pick no view reproduces gets
the largest spread seen in its window (its geometry is not stable). IntervalScale turns the
spreads into half-widths of 80% intervals with factors fitted on validation wells
(fit_interval_scale): the truth lies within +- the half-width 80% of the time there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geobfdt.geometry import azimuth_difference_deg, dip_from_amplitude_deg

MATCH_ROWS = 4.0  # a transformed trace within this mean distance (rows, 1 cm) is the same plane
MIN_RAW_SCORE = 0.05  # transformed predictions below this raw score are not planes
COVERAGE = 0.8
QUANTITIES = ("depth_err80_cm", "dip_err80_deg", "azimuth_err80_deg")


def _views(images: torch.Tensor):
    """(name, transformed images, inverse map of predicted rows) for each test-time transform."""
    import torch  # here: IntervalScale is read with every model file, also where torch is not loaded

    from geobfdt.preprocess.augment import flip_vertical, mirror_azimuth, roll_azimuth

    batch, _, rows, width = images.shape
    none = [torch.zeros((0, 4)) for _ in range(batch)]
    views = []
    for quarter in (1, 2, 3):
        shift = quarter * width // 4
        rolled, _ = roll_azimuth(images, none, torch.full((batch,), shift))
        views.append((rolled, lambda r, s=shift: _with_azimuth(r, r[:, 2] - s * 360.0 / width)))
    mirrored, _ = mirror_azimuth(images, none, torch.ones(batch, dtype=torch.bool))
    views.append((mirrored, lambda r: _with_azimuth(r, -r[:, 2])))
    flipped, _ = flip_vertical(images, none, torch.ones(batch, dtype=torch.bool))
    views.append((flipped, lambda r: _with_azimuth(r, r[:, 2] - 180.0, 1.0 - r[:, 0] - 1.0 / rows)))
    return views


def _with_azimuth(rows: np.ndarray, azimuth_deg: np.ndarray, depth_frac: np.ndarray | None = None) -> np.ndarray:
    out = rows.copy()
    out[:, 2] = np.mod(azimuth_deg, 360.0)
    if depth_frac is not None:
        out[:, 0] = depth_frac
    return out


def transformed_predictions(predict, images: np.ndarray) -> list[list[np.ndarray]]:
    """Per view, per window: predicted rows (raw score >= MIN_RAW_SCORE) mapped back to the
    window's own frame. predict(images (N, 2, H, W) array) -> list of (Q, 5) rows."""
    import torch

    out = []
    for transformed, inverse in _views(torch.from_numpy(images)):
        rows = predict(transformed.numpy())
        out.append([inverse(r[r[:, 4] >= MIN_RAW_SCORE]) for r in rows])
    return out


def _traces(rows: np.ndarray, width: int, height: int) -> np.ndarray:
    phi = np.radians((np.arange(width) + 0.5) * 360.0 / width)
    return height * (rows[:, :1] + rows[:, 1:2] * np.cos(phi - np.radians(rows[:, 2:3])))


def window_spread(rows: np.ndarray, views: list[np.ndarray], radius_m: float, height_m: float,
                  height: int, width: int) -> np.ndarray:
    """(k, 3) spreads (sd) of depth (cm), dip (deg) and azimuth (deg, circular) of one window's
    picks (rows: depth_frac, amplitude_frac, azimuth_deg, ...) over the transformed views."""
    if rows.size == 0:
        return np.zeros((0, 3))
    base = _traces(rows, width, height)
    members = [rows[:, None, :3]]
    found = [np.ones((len(rows), 1), dtype=bool)]
    for view in views:
        if view.size == 0:
            members.append(np.zeros((len(rows), 1, 3)))
            found.append(np.zeros((len(rows), 1), dtype=bool))
            continue
        gap = np.abs(base[:, None, :] - _traces(view, width, height)[None]).mean(-1)
        best = gap.argmin(1)
        members.append(view[best, None, :3])
        found.append(gap[np.arange(len(rows)), best, None] <= MATCH_ROWS)
    sets, found = np.concatenate(members, 1).astype(np.float64), np.concatenate(found, 1)
    depth_cm = 100.0 * sets[..., 0] * height_m
    dip = dip_from_amplitude_deg(sets[..., 1] * height_m, radius_m)
    n = found.sum(1)
    spread = np.zeros((len(rows), 3))
    for q, values in enumerate((depth_cm, dip)):
        mean = (values * found).sum(1) / n
        spread[:, q] = np.sqrt((((values - mean[:, None]) ** 2) * found).sum(1) / n)
    az = np.radians(sets[..., 2])
    mean_az = np.degrees(np.arctan2((np.sin(az) * found).sum(1), (np.cos(az) * found).sum(1)))
    diff = azimuth_difference_deg(np.degrees(az), mean_az[:, None])
    spread[:, 2] = np.sqrt(((diff ** 2) * found).sum(1) / n)
    alone = n < 2  # no view reproduces it: as uncertain as the least stable pick of the window
    if alone.any():
        spread[alone] = spread[~alone].max(0) if (~alone).any() else np.nan
    return spread


@dataclass(frozen=True)
class IntervalScale:
    """Per quantity (factor, floor): half-width = sqrt((factor * spread)^2 + floor^2). The azimuth's
    floor is a displacement along the trace in cm, turned into degrees by the pick's amplitude
    (r tan(dip)): the flatter the plane, the less its azimuth is pinned down (up to 180 deg)."""

    params: dict

    def half_widths(self, spread: np.ndarray, amplitude_cm: np.ndarray) -> np.ndarray:
        out = np.empty_like(spread, dtype=np.float64)
        for q, name in enumerate(QUANTITIES):
            factor, floor = self.params[name]
            if name == "azimuth_err80_deg":
                floor = _azimuth_floor_deg(floor, amplitude_cm)
            out[:, q] = np.hypot(factor * spread[:, q], floor)
        out[:, 2] = np.minimum(out[:, 2], 180.0)  # azimuth: no interval is wider than the circle
        return out

    def to_dict(self) -> dict:
        return dict(self.params)

    @staticmethod
    def from_dict(data: dict) -> "IntervalScale":
        return IntervalScale({name: [float(v) for v in data[name]] for name in QUANTITIES})


def _azimuth_floor_deg(floor_cm, amplitude_cm):
    return np.minimum(180.0, np.degrees(floor_cm / np.maximum(np.asarray(amplitude_cm, dtype=np.float64), 1e-3)))


def fit_interval_scale(spread: np.ndarray, error: np.ndarray, amplitude_cm: np.ndarray,
                       coverage: float = COVERAGE) -> IntervalScale:
    """Per quantity, among floors on a grid, the (factor, floor) giving the narrowest mean
    half-width whose interval holds `coverage` of the absolute errors (spread, error: (n, 3);
    amplitude_cm: (n,) the picks' trace amplitudes, for the azimuth floor)."""
    params = {}
    for q, name in enumerate(QUANTITIES):
        s, e, amp = spread[:, q], np.abs(error[:, q]), np.asarray(amplitude_cm, dtype=np.float64)
        ok = np.isfinite(s) & np.isfinite(e)
        s, e, amp = s[ok], e[ok], amp[ok]
        along = np.radians(e) * amp if name == "azimuth_err80_deg" else e  # the floor's own unit
        best = None
        for floor in np.quantile(along, np.linspace(0.0, 0.9, 19)):
            floor_here = _azimuth_floor_deg(floor, amp) if name == "azimuth_err80_deg" else floor
            # the smallest factor with coverage: a quantile of the factor each pick needs
            need = np.where(e <= floor_here, 0.0, np.sqrt(np.maximum(e ** 2 - floor_here ** 2, 0.0)) / np.maximum(s, 1e-6))
            factor = float(np.quantile(need, coverage))
            width = np.minimum(np.hypot(factor * s, floor_here), 180.0).mean()
            if best is None or width < best[0]:
                best = (width, factor, float(floor))
        params[name] = [round(best[1], 4), round(best[2], 4)]
    return IntervalScale(params)
