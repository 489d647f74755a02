"""The formation a synthetic well cuts: beds, fractures and unlabelled distractors.

Everything is drawn in true (geographic) orientation and converted to the image frame
(apparent dip and azimuth relative to the hole) with geometry.true_to_apparent, so a
deviated well sees near-flat geology at high apparent dips. Depths are measured depth.
Features are generated over the logged interval plus a margin, so traces that start
above or below it still cross the image edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geobfdt.geometry import true_to_apparent
from geobfdt.synth.config import FRACTURE_CALIBRATION, SynthConfig

RENDER_DIP_CAP_DEG = 88.5  # steeper apparent planes are drawn at this dip (amplitude ~38 r)


@dataclass
class Trajectory:
    """Hole geometry along the logged interval (per image row)."""

    depth_m: np.ndarray
    radius_m: np.ndarray
    inclination_deg: np.ndarray | None  # None for a vertical well
    hole_azimuth_deg: np.ndarray | None

    def at(self, depth_m):
        """(radius_m, inclination_deg, hole_azimuth_deg) at depths (inclination 0 when vertical)."""
        radius = np.interp(depth_m, self.depth_m, self.radius_m)
        if self.inclination_deg is None:
            zeros = np.zeros_like(np.asarray(depth_m, float))
            return radius, zeros, zeros
        return (radius, np.interp(depth_m, self.depth_m, self.inclination_deg),
                np.interp(depth_m, self.depth_m, self.hole_azimuth_deg))


@dataclass
class Planes:
    """Planar features cutting the hole, in the image frame; one row per plane."""

    depth_m: np.ndarray  # centre line z0
    dip_deg: np.ndarray  # apparent
    azimuth_deg: np.ndarray  # apparent
    dip_true_deg: np.ndarray
    azimuth_true_deg: np.ndarray
    radius_m: np.ndarray  # hole radius at z0

    @property
    def amplitude_m(self) -> np.ndarray:
        return self.radius_m * np.tan(np.radians(np.minimum(self.dip_deg, RENDER_DIP_CAP_DEG)))


@dataclass
class Bedding:
    planes: Planes  # one per bed boundary
    step: np.ndarray  # log10 R below minus above
    thinner_bed_m: np.ndarray  # the thinner of the two beds the boundary separates


@dataclass
class Fractures:
    planes: Planes
    core_thickness_m: np.ndarray  # vertical (along-hole) thickness of the trace
    core_contrast: np.ndarray  # signed log10 R change (negative = conductive)
    halo_thickness_m: np.ndarray
    halo_contrast: np.ndarray
    arc_centre_deg: np.ndarray  # visible arc of partial traces (width 360 = full trace)
    arc_width_deg: np.ndarray


@dataclass
class Distractors:
    """Unlabelled features: vugs (blobs), drilling-induced fractures, breakouts."""

    vugs: np.ndarray  # (n, 5): depth_m, azimuth_deg, half_height_m, half_width_m, contrast
    dif_segments: np.ndarray  # (n, 6): top_m, length_m, azimuth_deg, azimuth_drift_deg, width_m, contrast
    breakouts: np.ndarray  # (n, 5): top_m, bottom_m, azimuth_deg, width_deg, contrast


def _uniform(rng, bounds, size=None):
    return rng.uniform(bounds[0], bounds[1], size)


def _log_uniform(rng, bounds, size=None):
    return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), size))


def _planes(depth_m, dip_true, azimuth_true, trajectory: Trajectory) -> Planes:
    radius, inclination, hole_azimuth = trajectory.at(depth_m)
    if trajectory.inclination_deg is None:
        dip, azimuth = np.asarray(dip_true, float), np.mod(azimuth_true, 360.0)
    else:
        dip, azimuth = true_to_apparent(dip_true, azimuth_true, inclination, hole_azimuth)
    return Planes(np.asarray(depth_m, float), dip, azimuth, np.asarray(dip_true, float),
                  np.mod(azimuth_true, 360.0), radius)


def _orientation_zones(rng, top_m, bottom_m, dip_range, cfg: SynthConfig):
    """Structural dip as a smooth function of depth: zones of constant dip, gradual changes.

    Returns a function depth -> (dip_true_deg, azimuth_true_deg) that interpolates the
    zones' plane normals linearly between zone centres.
    """
    edges = [top_m]
    while edges[-1] < bottom_m:
        edges.append(edges[-1] + _uniform(rng, cfg.dip_zone_m))
    centres = 0.5 * (np.array(edges[:-1]) + np.array(edges[1:]))
    dips = _uniform(rng, dip_range, centres.size)
    azimuths = np.cumsum(np.r_[rng.uniform(0, 360), rng.normal(0, 40, centres.size - 1)])
    d, a = np.radians(dips), np.radians(azimuths)
    normals = np.stack([np.sin(d) * np.cos(a), np.sin(d) * np.sin(a), np.cos(d)], -1)

    def orientation(depth_m):
        n = np.stack([np.interp(depth_m, centres, normals[:, k]) for k in range(3)], -1)
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        return np.degrees(np.arccos(n[..., 2])), np.mod(np.degrees(np.arctan2(n[..., 1], n[..., 0])), 360.0)

    return orientation


def _bed_boundaries(rng, top_m, bottom_m, cfg: SynthConfig):
    """Boundary depths and bed values: thick-bedded zones alternating with thin-bedded ones."""
    thin_share = _uniform(rng, cfg.thin_zone_fraction)
    depths, values = [], []
    z, base = top_m, 0.0
    while z < bottom_m:
        thin = rng.random() < thin_share
        zone_end = z + (_uniform(rng, (0.4, 4.0)) if thin else _uniform(rng, (1.5, 10.0)))
        contrast = _uniform(rng, cfg.bed_contrast)
        base += rng.normal(0, cfg.zone_shift_sd)
        if thin:  # interbedded couplets: values alternate between two end-members
            n = int(np.ceil((zone_end - z) / cfg.thin_bed_m[0]))
            h = _log_uniform(rng, cfg.thin_bed_m, n)
            side = np.where(rng.random(n) < 0.85, 1.0, -1.0).cumprod()
            v = base + 0.5 * contrast * side + 0.25 * contrast * rng.normal(size=n)
        else:
            n = int(np.ceil((zone_end - z) / cfg.thick_bed_m[0]))
            h = _log_uniform(rng, cfg.thick_bed_m, n)
            v = base + contrast * rng.normal(0, 0.8, n)
        zz = z + np.cumsum(h)
        keep = np.r_[True, zz[:-1] < zone_end]
        depths.append(zz[keep])
        values.append(v[keep])
        z = float(zz[keep][-1])
    return np.concatenate(depths), np.concatenate(values)


def draw_bedding(rng, top_m, bottom_m, trajectory: Trajectory, cfg: SynthConfig, margin_m: float) -> Bedding:
    dip_range = cfg.deviated_bedding_dip_deg if trajectory.inclination_deg is not None else cfg.structural_dip_deg
    orientation = _orientation_zones(rng, top_m - margin_m, bottom_m + margin_m, dip_range, cfg)
    bottoms, value = _bed_boundaries(rng, top_m - margin_m, bottom_m + margin_m, cfg)
    thickness = np.diff(np.r_[top_m - margin_m, bottoms])
    depth = bottoms[:-1]  # boundary k separates bed k (above) from bed k + 1 (below)
    dip_true, azimuth_true = orientation(depth)
    dip_true = np.abs(dip_true + rng.normal(0, cfg.bed_dip_jitter_deg, depth.size))
    azimuth_true = azimuth_true + rng.normal(0, cfg.bed_azimuth_jitter_deg, depth.size)
    return Bedding(planes=_planes(depth, dip_true, azimuth_true, trajectory), step=np.diff(value),
                   thinner_bed_m=np.minimum(thickness[:-1], thickness[1:]))


def _fracture_depths(rng, top_m, bottom_m, cfg: SynthConfig):
    """Renewal process with the calibrated log-normal spacing, scaled per well."""
    mu, sigma = FRACTURE_CALIBRATION["spacing_lognormal_mu_sigma"]
    scale = _uniform(rng, cfg.fracture_spacing_scale)
    n_guess = int(3 * (bottom_m - top_m) / (scale * np.exp(mu)) + 10)
    spacing = scale * rng.lognormal(mu, sigma, n_guess)
    depths = top_m + rng.uniform(0, spacing[0]) + np.cumsum(spacing)
    return depths[depths < bottom_m]


def _fracture_orientations(rng, n, cfg: SynthConfig):
    """True dip from the calibrated percentiles (inverse CDF), dip azimuth from the calibrated von Mises sets."""
    percentiles = np.asarray(FRACTURE_CALIBRATION["dip_percentiles_deg"])
    dip = np.interp(rng.random(n), np.linspace(0, 1, percentiles.size), percentiles)
    sets = FRACTURE_CALIBRATION["azimuth_sets"]
    weights = np.array([s[0] for s in sets])
    which = rng.choice(len(sets), size=n, p=weights / weights.sum())
    rotation = rng.uniform(0, 360)
    kappa_scale = _uniform(rng, cfg.fracture_kappa_scale)
    means = np.radians(rotation + np.array([s[1] for s in sets]))
    kappas = kappa_scale * np.array([s[2] for s in sets])
    azimuth = np.degrees(rng.vonmises(means[which], kappas[which]))
    return dip, np.mod(azimuth, 360.0)


def draw_fractures(rng, top_m, bottom_m, trajectory: Trajectory, cfg: SynthConfig, margin_m: float) -> Fractures:
    depth = _fracture_depths(rng, top_m - margin_m, bottom_m + margin_m, cfg)
    n = depth.size
    dip_true, azimuth_true = _fracture_orientations(rng, n, cfg)
    planes = _planes(depth, dip_true, azimuth_true, trajectory)
    # A slab of aperture w, normal at apparent dip d to the hole axis, is w / cos(d) thick along the hole.
    stretch = 1.0 / np.cos(np.radians(np.minimum(planes.dip_deg, RENDER_DIP_CAP_DEG)))
    sign = np.where(rng.random(n) < cfg.resistive_fraction, 1.0, -1.0)
    partial = rng.random(n) < cfg.partial_fraction
    return Fractures(
        planes=planes,
        core_thickness_m=1e-3 * _log_uniform(rng, cfg.fracture_aperture_mm, n) * stretch,
        core_contrast=sign * _uniform(rng, cfg.fracture_contrast, n),
        halo_thickness_m=1e-3 * _log_uniform(rng, cfg.fracture_halo_mm, n) * stretch,
        halo_contrast=sign * _uniform(rng, cfg.halo_contrast, n),
        arc_centre_deg=rng.uniform(0, 360, n),
        arc_width_deg=np.where(partial, _uniform(rng, cfg.partial_arc_deg, n), 360.0))


def _zones(rng, top_m, bottom_m, length_m, count):
    length = _uniform(rng, length_m, count)
    start = rng.uniform(top_m, np.maximum(bottom_m - length, top_m + 1e-3))
    return start, np.minimum(start + length, bottom_m)


def draw_distractors(rng, top_m, bottom_m, radius_m: float, cfg: SynthConfig) -> Distractors:
    stress_azimuth = rng.uniform(0, 360)  # SHmax: DIFs along it, breakouts 90 deg away
    vugs = np.zeros((0, 5))
    if rng.random() < cfg.vug_zone_probability:
        starts, ends = _zones(rng, top_m, bottom_m, (0.5, 5.0), rng.integers(1, 4))
        per_zone = [rng.poisson(_uniform(rng, cfg.vugs_per_m) * (e - s)) for s, e in zip(starts, ends)]
        depth = np.concatenate([rng.uniform(s, e, k) for s, e, k in zip(starts, ends, per_zone)])
        n = depth.size
        size_m = 1e-3 * _log_uniform(rng, cfg.vug_size_mm, n)
        aspect = np.exp(rng.normal(0, 0.35, n))
        contrast = np.where(rng.random(n) < 0.85, -1.0, 0.6) * _uniform(rng, cfg.distractor_contrast, n)
        vugs = np.stack([depth, rng.uniform(0, 360, n), 0.5 * size_m * aspect, 0.5 * size_m / aspect, contrast], 1)
    difs = np.zeros((0, 6))
    if rng.random() < cfg.dif_probability:
        starts, ends = _zones(rng, top_m, bottom_m, (0.5, 6.0), rng.integers(1, 3))
        segments = []
        for s, e in zip(starts, ends):
            for side in (0.0, 180.0):  # tensile fractures form in pairs on opposite walls
                n = max(1, int((e - s) / _uniform(rng, (0.08, 0.3))))
                length = _uniform(rng, (0.05, 0.35), n)
                top = rng.uniform(s, max(e - 0.05, s + 1e-3), n)
                azimuth = stress_azimuth + side + rng.normal(0, 4, n)
                drift = rng.choice([-1.0, 1.0]) * _uniform(rng, (2.0, 12.0), n)  # en-echelon tilt
                width = 1e-3 * _uniform(rng, (1.5, 5.0), n)
                contrast = -_uniform(rng, cfg.distractor_contrast, n)
                segments.append(np.stack([top, length, azimuth, drift, width, contrast], 1))
        difs = np.concatenate(segments)
    breakouts = np.zeros((0, 5))
    if rng.random() < cfg.breakout_probability:
        k = rng.integers(int(cfg.breakout_intervals[0]), int(cfg.breakout_intervals[1]) + 1)
        starts, ends = _zones(rng, top_m, bottom_m, (0.5, 5.0), k)
        breakouts = np.stack([starts, ends, np.full(k, stress_azimuth + 90.0), _uniform(rng, (20.0, 70.0), k),
                              -_uniform(rng, cfg.distractor_contrast, k)], 1)
    return Distractors(vugs=vugs, dif_segments=difs, breakouts=breakouts)
