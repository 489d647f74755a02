"""What the image itself says about how well each pick is pinned down: per-pick evidence features.

For each pick, its mean profile across the trace (picking/injection.py measured_profiles: the
columns where it shows most, on the image's log10 values) against the well's background noise
(the robust sd of its row-to-row detail; on a well longer than PIECE_M, that of the piece read). From them, a Fisher-information style standard error:
a trace whose profile climbs by `slope` per metre, read under noise sd, places each column's
crossing within sd / slope; fitting z = z0 + A cos(phi - azimuth) through n such columns pins z0
within that / sqrt(n) and the amplitude A within that x sqrt(2 / n). Through the hole radius,
the amplitude's error becomes a dip error (d dip = dA cos^2(dip) / r) and an azimuth error
(dA / A: a flat plane's azimuth is barely pinned). These features, with the contrast and the
image's resolution, feed the interval model of model/calibration.py.
"""

from __future__ import annotations

import numpy as np

from geobfdt.geometry import amplitude_m
from geobfdt.picking.injection import background_sd, measured_profiles, profile_offsets_m, working_scale
from geobfdt.picking.whole_well import sub_well
from geobfdt.well import Pick, Well

EVIDENCE = ("contrast_sd", "depth_se_cm", "dip_se_deg", "azimuth_se_deg")  # columns of pick_evidence
PIECE_M = 50.0  # a longer well is read in pieces this long (the fit's wells are 30 m: read whole)
PICKS_AT_ONCE = 64  # profiles read per call: each pick's is (columns x points) wide, so memory stays flat
_MIN_CONTRAST_SD = 0.5  # a pick without a readable profile counts as this faint


def evidence_from_profiles(profiles: np.ndarray, offsets_m: np.ndarray, noise_sd: float, columns: int,
                           dip_deg: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """(picks, len(EVIDENCE)) from profiles (picks, points) read at offsets_m across each trace."""
    noise_sd = max(float(noise_sd), 1e-9)
    finite = np.isfinite(profiles).all(1)
    filled = np.where(finite[:, None], profiles, 0.0)
    contrast = np.where(finite, np.ptp(filled, axis=1) / noise_sd, _MIN_CONTRAST_SD)
    contrast = np.maximum(contrast, _MIN_CONTRAST_SD)
    slope = np.abs(np.gradient(filled, offsets_m, axis=1)).max(1)  # per metre, on the working scale
    # no readable profile: a slope the faintest contrast would give over the profile's half-width
    slope = np.where(finite, np.maximum(slope, _MIN_CONTRAST_SD * noise_sd / np.ptp(offsets_m)),
                     _MIN_CONTRAST_SD * noise_sd / np.ptp(offsets_m))
    column_se_m = noise_sd / slope
    n = max(columns / 2.0, 1.0)  # the profile is read over the stronger half of the columns
    depth_se_m = column_se_m / np.sqrt(n)
    amplitude_se_m = column_se_m * np.sqrt(2.0 / n)
    dip = np.radians(np.asarray(dip_deg, dtype=np.float64))
    dip_se = np.degrees(amplitude_se_m * np.cos(dip) ** 2 / np.asarray(radius_m, dtype=np.float64))
    amplitude = np.maximum(amplitude_m(np.degrees(dip), radius_m), 1e-4)
    azimuth_se = np.degrees(np.minimum(amplitude_se_m / amplitude, np.pi))
    return np.stack([contrast, 100.0 * depth_se_m, dip_se, azimuth_se], axis=1)


def pick_evidence(well: Well, picks: list[Pick]) -> np.ndarray:
    """(picks, len(EVIDENCE)) evidence of each pick on its well's image. A well is read in pieces of
    PIECE_M (each with the rows its picks' traces and profiles reach beyond it), and each piece's
    noise is its own: memory stays flat as the well grows (and as picks crowd), and a well no longer
    than a piece is read whole."""
    if not picks:
        return np.zeros((0, len(EVIDENCE)))
    depth = np.array([p.depth_m for p in picks], dtype=np.float64)
    dip = np.array([p.dip_deg for p in picks], dtype=np.float64)
    radius = np.asarray(well.radius_at(depth), dtype=np.float64).reshape(-1)
    top = float(well.depth_m[0])
    piece = np.floor((depth - top) / PIECE_M).astype(int)
    reach = amplitude_m(np.minimum(dip, 89.9), radius) + np.abs(profile_offsets_m(well.depth_step_m)).max() \
        + 2 * float(well.depth_step_m)
    out = np.empty((len(picks), len(EVIDENCE)))
    for k in np.unique(piece):
        sel = np.flatnonzero(piece == k)
        margin = float(reach[sel].max())
        first = int(np.searchsorted(well.depth_m, top + k * PIECE_M - margin))
        stop = int(np.searchsorted(well.depth_m, top + (k + 1) * PIECE_M + margin, side="right"))
        part = well if (first, stop) == (0, well.depth_m.size) else sub_well(well, first, stop)
        work, _ = working_scale(np.asarray(part.image), np.float32)  # float32: profiles need no more
        chosen = [picks[i] for i in sel]
        profiles = np.concatenate([measured_profiles(part, work, chosen[i:i + PICKS_AT_ONCE])
                                   for i in range(0, len(chosen), PICKS_AT_ONCE)])
        out[sel] = evidence_from_profiles(profiles, profile_offsets_m(part.depth_step_m),
                                          background_sd(work), part.width, dip[sel], radius[sel])
    return out
