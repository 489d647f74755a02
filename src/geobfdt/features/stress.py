"""Horizontal stress direction from breakouts and induced fractures: axial circular statistics.

Azimuths of breakouts and induced fractures are axial (a lobe at 30 deg is the same as one at
210 deg), so they are averaged as doubled angles. Breakouts form at the minimum horizontal
stress, so SHmax is their mean + 90 deg; drilling-induced tensile fractures open along SHmax.
The 95% interval of an axial mean uses the doubled angles' mean resultant length R over n
intervals (weights: interval lengths): half-width asin(1.96 * sqrt((1 - R2) / (2 n R^2))) / 2,
with R2 the mean of cos(4 (theta - mean)), the large-sample interval of Fisher (1993, 4.4.4).
"""

from __future__ import annotations

import numpy as np

from geobfdt.geometry import azimuth_difference_deg


def axial_mean_deg(azimuth_deg, weights=None) -> tuple[float, float, float]:
    """(mean azimuth in [0, 180), 95% half-width in degrees, mean resultant length R); NaN when
    there is nothing to average; the half-width is 90 when the data cannot bound it."""
    a = np.radians(2.0 * np.asarray(azimuth_deg, float))
    if a.size == 0:
        return float("nan"), float("nan"), float("nan")
    w = np.ones(a.size) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    c, s = float(np.sum(w * np.cos(a))), float(np.sum(w * np.sin(a)))
    r = float(np.hypot(c, s))
    mean2 = np.arctan2(s, c)
    mean = float(np.mod(np.degrees(mean2) / 2.0, 180.0))
    mean = 0.0 if mean >= 180.0 else mean  # mod of a tiny negative rounds to 180
    if a.size < 2 or r < 1e-9:
        return mean, 90.0, r
    r2 = float(np.sum(w * np.cos(2.0 * (a - mean2))))
    n_eff = 1.0 / float(np.sum(w ** 2))
    x = 1.96 * np.sqrt(max(1.0 - r2, 0.0) / (2.0 * n_eff * r * r))
    half = 90.0 if x >= 1.0 else float(np.degrees(np.arcsin(x)) / 2.0)
    return mean, half, r


def axial_difference_deg(a_deg, b_deg):
    """Smallest angle between two axes (0-90 deg)."""
    d = np.abs(azimuth_difference_deg(a_deg, b_deg))
    return np.minimum(d, 180.0 - d)


def stress_summary(breakout_azimuth_deg, breakout_length_m, induced_azimuth_deg, induced_length_m) -> dict:
    """SHmax azimuth (0-180) with its 95% half-width from each source, and their agreement."""
    out = {}
    for source, azimuth, length, turn in (("breakouts", breakout_azimuth_deg, breakout_length_m, 90.0),
                                          ("induced", induced_azimuth_deg, induced_length_m, 0.0)):
        azimuth = np.asarray(azimuth, float)
        mean, half, r = axial_mean_deg(azimuth + turn, length) if azimuth.size else (np.nan,) * 3
        out[f"shmax_from_{source}_deg"] = None if np.isnan(mean) else round(mean, 2)
        out[f"shmax_from_{source}_ci95_deg"] = None if np.isnan(half) else round(half, 2)
        out[f"{source}_count"] = int(azimuth.size)
        out[f"{source}_length_m"] = round(float(np.sum(length)), 3)
    a, b = out["shmax_from_breakouts_deg"], out["shmax_from_induced_deg"]
    out["shmax_agreement_deg"] = None if a is None or b is None else round(float(axial_difference_deg(a, b)), 2)
    return out
