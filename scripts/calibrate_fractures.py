"""Fracture statistics of the real geothermal FMI picks, used to calibrate the generator.

Reads ../shared/external/fractoolbox_geothermal_picks/testdata-fractures.csv (1142
interpreted fractures, FMI, Wallis et al. 2020, via ICWallis/fractoolbox, Apache-2.0),
wraps dip azimuths above 360, and prints:
- the dip distribution (every 5th percentile, sampled by the generator through its
  inverse CDF; a Beta fit on dip/90 for reference),
- fracture sets as a two-component von Mises mixture on the dip azimuth (axial data
  are not assumed: the picks give the dip direction), fitted by EM,
- the spacing distribution between consecutive picks: a log-normal fitted to spacings of
  1 cm and more (closer picks, ~10%, are near-duplicates of one fracture and are reported
  separately), quantiles, and the dispersion of counts per metre (clustering).
The numbers printed are hard-coded in src/geobfdt/synth/config.py (FRACTURE_CALIBRATION).

    .venv/bin/python scripts/calibrate_fractures.py [CSV]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from scipy import special, stats

DUPLICATE_SPACING_M = 0.01
DEFAULT_CSV = Path(__file__).resolve().parents[1] / "../shared/external/fractoolbox_geothermal_picks/testdata-fractures.csv"


def read_real_picks(path=DEFAULT_CSV):
    """(depth_m, dip_deg, azimuth_deg) arrays from the fractoolbox CSV, azimuth wrapped to [0, 360)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    depth = np.array([float(r["depth_mMDRF"]) for r in rows])
    dip = np.array([float(r["dip_deg"]) for r in rows])
    azimuth = np.mod([float(r["dipazimuth_deg"]) for r in rows], 360.0)
    order = np.argsort(depth)
    return depth[order], dip[order], azimuth[order]


def _a1_inverse(r):
    """kappa with I1(k)/I0(k) = r (Best & Fisher approximation)."""
    r = float(np.clip(r, 1e-6, 0.999))
    if r < 0.53:
        return 2 * r + r ** 3 + 5 * r ** 5 / 6
    if r < 0.85:
        return -0.4 + 1.39 * r + 0.43 / (1 - r)
    return 1 / (r ** 3 - 4 * r ** 2 + 3 * r)


def von_mises_mixture(azimuth_deg, k=2, iterations=200, seed=0):
    """EM fit of a k-component von Mises mixture: (weights, means_deg, kappas)."""
    theta = np.radians(azimuth_deg)
    rng = np.random.default_rng(seed)
    mu = rng.uniform(0, 2 * np.pi, k)
    kappa = np.full(k, 2.0)
    weight = np.full(k, 1.0 / k)
    for _ in range(iterations):
        log_p = (np.log(weight) + kappa * np.cos(theta[:, None] - mu)
                 - np.log(2 * np.pi * special.i0e(kappa)) - kappa)
        resp = np.exp(log_p - log_p.max(1, keepdims=True))
        resp /= resp.sum(1, keepdims=True)
        n = resp.sum(0)
        weight = n / n.sum()
        c, s = resp.T @ np.cos(theta), resp.T @ np.sin(theta)
        mu = np.arctan2(s, c)
        kappa = np.array([_a1_inverse(np.hypot(ci, si) / ni) for ci, si, ni in zip(c, s, n)])
    order = np.argsort(-weight)
    return weight[order], np.mod(np.degrees(mu[order]), 360.0), kappa[order]


def calibrate(path=DEFAULT_CSV) -> dict:
    depth, dip, azimuth = read_real_picks(path)
    a, b, _, _ = stats.beta.fit(np.clip(dip / 90.0, 1e-3, 1 - 1e-3), floc=0, fscale=1)
    weights, means, kappas = von_mises_mixture(azimuth)
    spacing = np.diff(depth)
    log_spacing = np.log(spacing[spacing >= DUPLICATE_SPACING_M])
    counts = np.bincount(((depth - depth[0]) // 1.0).astype(int))
    counts10 = np.bincount(((depth - depth[0]) // 10.0).astype(int))
    return {
        "n_picks": int(depth.size),
        "depth_range_m": [round(float(depth[0]), 2), round(float(depth[-1]), 2)],
        "picks_per_m": round(depth.size / float(depth[-1] - depth[0]), 3),
        "dip_quantiles_deg": {q: round(float(np.quantile(dip, q / 100)), 1) for q in (5, 25, 50, 75, 95)},
        "dip_mean_deg": round(float(dip.mean()), 1),
        "dip_percentiles_0_to_100_step_5_deg": [round(float(v), 1) for v in np.percentile(dip, np.arange(0, 101, 5))],
        "dip_beta_a_b": [round(float(a), 3), round(float(b), 3)],
        "fraction_dip_above_85": round(float(np.mean(dip > 85)), 3),
        "azimuth_sets": [{"weight": round(float(w), 3), "mean_deg": round(float(m), 1), "kappa": round(float(k), 2),
                          "circular_sd_deg": round(float(np.degrees(np.sqrt(-2 * np.log(special.i1e(k) / special.i0e(k))))), 1)}
                         for w, m, k in zip(weights, means, kappas)],
        "spacing_lognormal_mu_sigma": [round(float(log_spacing.mean()), 3), round(float(log_spacing.std()), 3)],
        "spacing_quantiles_m": {q: round(float(np.quantile(spacing, q / 100)), 3) for q in (10, 25, 50, 75, 90)},
        "fraction_spacing_below_5cm": round(float(np.mean(spacing < 0.05)), 3),
        "fraction_spacing_below_1cm": round(float(np.mean(spacing < DUPLICATE_SPACING_M)), 3),
        "counts_per_m_mean_var": [round(float(counts.mean()), 3), round(float(counts.var()), 3)],
        "counts_per_10m_quantiles": {q: int(np.quantile(counts10, q / 100)) for q in (10, 50, 90)},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", nargs="?", default=DEFAULT_CSV, type=Path,
                        help="fractoolbox-style picks CSV (depth_mMDRF, dip_deg, dipazimuth_deg); default: the shared copy")
    args = parser.parse_args()
    if not args.csv.is_file():
        parser.error(f"{args.csv}: no such file")
    print(json.dumps(calibrate(args.csv), indent=2))
