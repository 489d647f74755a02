"""Error bars from test-time transforms: how much a pick moves when the image is turned or flipped.

Each window is also shown to the model rolled in azimuth by a quarter, a half and three
quarters of a turn, mirrored in azimuth, and flipped upside down (the label-consistent
geometric transforms of training, geobfdt.preprocess.augment); the predictions are mapped
back to the original frame. For every pick, the nearest trace of each transformed view (mean
distance along the curve under MATCH_ROWS) joins it, and the spread of depth, dip and
azimuth over the pick and its matches is the raw uncertainty. A pick no view reproduces gets
the largest spread seen in its window (its geometry is not stable). The model file's
IntervalScale (geobfdt.model.calibration) turns the spreads into half-widths of 80% intervals,
with factors fitted on labelled wells (geobfdt.training.calibrate): the truth lies within +-
the half-width 80% of the time there. A model file with EvidenceIntervals uses the spread as one
feature among the image's evidence instead (picking/trust.py).
"""

from __future__ import annotations

import numpy as np

from geobfdt.geometry import azimuth_difference_deg, dip_from_amplitude_deg

MATCH_ROWS = 4.0  # a transformed trace within this mean distance (rows, 1 cm) is the same plane
MIN_RAW_SCORE = 0.05  # transformed predictions below this raw score are not planes


def _views(images: torch.Tensor):
    """(name, transformed images, inverse map of predicted rows) for each test-time transform."""
    import torch  # here: picking without --uncertainty on ONNX Runtime loads this module without torch

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
