"""Pick similar: the model's sub-threshold detections near a pick, with a similar plane.

The candidates come from one picking run at a low threshold (CANDIDATE_FLOOR); those that
predict keeps are the auto picks (commands/review.py model_picks), the rest are candidates. After a
reviewer accepts or adds a pick, the candidates within SIMILAR_DEPTH_M of it whose plane
lies within SIMILAR_ANGLE_DEG of its plane are proposed, nearest first.
"""

from __future__ import annotations

import numpy as np

from geobfdt.geometry import plane_angle_deg, trace_depth_m
from geobfdt.well import Pick

CANDIDATE_FLOOR = 0.05
SIMILAR_DEPTH_M = 3.0
SIMILAR_ANGLE_DEG = 15.0
MAX_PROPOSALS = 8
SAME_TRACE_M = 0.03  # mean gap below which a candidate is the trace of an existing pick


def unseen(candidates: list[Pick], picks: list[Pick], radius_m: float) -> list[Pick]:
    """Candidates whose trace is not already one of picks (the review file may hold them)."""
    if not candidates or not picks:
        return list(candidates)
    phi = np.arange(0.0, 360.0, 10.0)

    def curves(ps):
        return trace_depth_m(np.array([p.depth_m for p in ps])[:, None], np.array([p.dip_deg for p in ps])[:, None],
                             np.array([p.azimuth_deg for p in ps])[:, None], radius_m, phi)

    gaps = np.abs(curves(candidates)[:, None, :] - curves(picks)[None, :, :]).mean(axis=2)
    return [c for c, gap in zip(candidates, gaps.min(axis=1)) if gap >= SAME_TRACE_M]


def similar_indices(pick: Pick, candidates: list[Pick], depth_m: float = SIMILAR_DEPTH_M,
                    angle_deg: float = SIMILAR_ANGLE_DEG, limit: int = MAX_PROPOSALS) -> list[int]:
    """Indices of candidates near `pick` in depth with a similar plane, nearest first."""
    if not candidates:
        return []
    depth = np.array([c.depth_m for c in candidates])
    angle = plane_angle_deg(pick.dip_deg, pick.azimuth_deg, np.array([c.dip_deg for c in candidates]),
                            np.array([c.azimuth_deg for c in candidates]))
    gap = np.abs(depth - pick.depth_m)
    ok = np.flatnonzero((gap <= depth_m) & (angle <= angle_deg))
    return ok[np.argsort(gap[ok], kind="stable")][:limit].tolist()
