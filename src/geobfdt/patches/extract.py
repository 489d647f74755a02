"""Fixed-size patches of a well on the canonical grid, and the label encoding they carry.

A patch is `rows` x `columns` of a well already resampled to the canonical grid
(row step `row_step_m`, `columns` equal azimuth bins starting at 0 deg) and normalised.
Channel 0 is the image with gaps set to 0.5, channel 1 the validity mask.

Edge rule: a pick belongs to a patch when its centre line z0 lies inside the patch
(top <= z0 < top + rows * row_step). Its trace may leave the patch (steep dips); the
model still sees where the centre line crosses. Consecutive patches overlap by
rows - stride_rows, so every pick sits in at least one patch away from the edges.

Targets, one row per pick: (depth_frac, amplitude_frac, azimuth_deg, class_id) where
depth_frac = (z0 - top) / patch height, amplitude_frac = r tan(dip) / patch height.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geobfdt.config import PatchGrid
from geobfdt.geometry import amplitude_m, dip_from_amplitude_deg
from geobfdt.well import PICK_TYPES, Pick, Well

CLASS_IDS = {name: i for i, name in enumerate(PICK_TYPES)}  # fracture 0, bedding 1


@dataclass
class PatchSet:
    images: np.ndarray  # (N, 2, rows, columns) float32
    top_m: np.ndarray  # (N,) depth of the first row's centre
    radius_m: np.ndarray  # (N,) mean hole radius over the patch
    well: list[str] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)  # each (k, 4) float32

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @staticmethod
    def concatenate(sets: list["PatchSet"]) -> "PatchSet":
        return PatchSet(
            images=np.concatenate([s.images for s in sets]), top_m=np.concatenate([s.top_m for s in sets]),
            radius_m=np.concatenate([s.radius_m for s in sets]), well=[w for s in sets for w in s.well],
            targets=[t for s in sets for t in s.targets])


def picks_to_targets(picks: list[Pick], top_m: float, radius_m: float, grid: PatchGrid) -> np.ndarray:
    """Picks whose centre line lies in the patch, encoded as (k, 4) targets."""
    rows = [(
        (p.depth_m - top_m) / grid.height_m,
        float(amplitude_m(p.dip_deg, radius_m)) / grid.height_m,
        p.azimuth_deg % 360.0,
        CLASS_IDS[p.type],
    ) for p in picks if top_m <= p.depth_m < top_m + grid.height_m]
    targets = np.asarray(rows, dtype=np.float32).reshape(-1, 4)
    targets[targets[:, 2] >= 360.0, 2] = 0.0  # an azimuth just under 360 rounds up to 360 in float32
    return targets


def targets_to_picks(targets: np.ndarray, top_m: float, radius_m: float, grid: PatchGrid,
                     scores: np.ndarray | None = None, well: str | None = None) -> list[Pick]:
    """Inverse of picks_to_targets (scores optional, for predictions)."""
    picks = []
    for i, (depth_frac, amp_frac, azimuth_deg, class_id) in enumerate(np.asarray(targets, dtype=np.float64)):
        picks.append(Pick(
            depth_m=float(top_m + depth_frac * grid.height_m),
            dip_deg=float(dip_from_amplitude_deg(amp_frac * grid.height_m, radius_m)),
            azimuth_deg=float(azimuth_deg % 360.0), type=PICK_TYPES[int(round(class_id))],
            score=None if scores is None else float(scores[i]), well=well))
    return picks


def patch_tops(n_rows: int, grid: PatchGrid) -> np.ndarray:
    """Row index of each patch's first row; the last patch is flush with the well bottom."""
    if n_rows <= grid.rows:
        return np.zeros(1, dtype=np.int64)
    tops = np.arange(0, n_rows - grid.rows + 1, grid.stride_rows)
    if tops[-1] != n_rows - grid.rows:
        tops = np.append(tops, n_rows - grid.rows)
    return tops


def extract_patches(well: Well, picks: list[Pick], grid: PatchGrid, tops: np.ndarray | None = None) -> PatchSet:
    """Cut a well already on the canonical grid (and normalised) into patches with targets."""
    if well.width != grid.columns:
        raise ValueError(f"well {well.name} has {well.width} columns, the grid {grid.columns}: resample first")
    image = well.image
    if image.shape[0] < grid.rows:  # short well: pad with no-data rows at the bottom
        image = np.vstack([image, np.full((grid.rows - image.shape[0], image.shape[1]), np.nan, np.float32)])
    tops = patch_tops(image.shape[0], grid) if tops is None else tops
    windows = np.lib.stride_tricks.sliding_window_view(image, grid.rows, axis=0)[tops]  # (N, columns, rows)
    windows = windows.transpose(0, 2, 1)
    valid = np.isfinite(windows)
    images = np.stack([np.where(valid, windows, 0.5), valid], axis=1).astype(np.float32)
    top_m = well.depth_m[0] + tops * grid.row_step_m
    radius = np.array([well.radius_m[t:t + grid.rows].mean() for t in np.minimum(tops, well.depth_m.size - 1)])
    targets = [picks_to_targets(picks, t, r, grid) for t, r in zip(top_m, radius)]
    return PatchSet(images=images, top_m=top_m, radius_m=radius, well=[well.name] * len(tops), targets=targets)
