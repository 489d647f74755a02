"""One synthetic well in memory: `synthesize_well(seed, ...) -> (Well, picks)`.

Order of work: draw the tool and the hole, draw the geology (in true orientation,
converted to the image frame), paint it in log10 resistivity, apply the tool response
(blur, sector averaging), acquisition effects (pad/button gains, dead buttons, pad gaps
that rotate with depth, drift, noise, LWD striping and, when configured, LWD sector noise,
spikes and a low-side difference), then label what is visible.
Everything comes from one numpy Generator seeded by `seed` (the LWD artefacts from a child of it),
so a seed is a well.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from geobfdt.errors import OptionError
from geobfdt.geometry import apparent_to_true
from geobfdt.well import Pick, Well
from geobfdt.synth.config import TOOLS, SynthConfig
from geobfdt.synth.geology import (RENDER_DIP_CAP_DEG, Bedding, Fractures, Trajectory, draw_bedding, draw_distractors,
                      draw_fractures)
from geobfdt.synth.labels import blurred_peak, effective_sigma_m, labelled, visible_coverage
from geobfdt.synth.render import (lamination, paint_breakouts, paint_segments, paint_vugs, smooth_noise_1d, smooth_noise_2d,
                     step_increments, trace_rows, arc_weight)
from geobfdt.synth.truth import distractor_truth, vug_visibility
from geobfdt.synth.faults import (eccenter, fault_rng, has_faults, move_feature_truth, move_labels, resample_rows,
                                  saturate, stick_slip_depth_m, stuck_pads)
from geobfdt.synth.tools import (INCH_M, ToolSpec, apply_pad_effects, draw_tool, has_lwd_artefacts, lwd_artefacts,
                                 pad_layout)


def column_azimuths_deg(columns: int) -> np.ndarray:
    """Column centres, column 0 starting at azimuth 0."""
    return (np.arange(columns) + 0.5) * 360.0 / columns


def _draw_tool_name(rng, cfg: SynthConfig) -> str:
    names = list(cfg.tool_mix)
    weights = np.array([cfg.tool_mix[n] for n in names], float)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _trajectory(rng, depth_m, tool: ToolSpec, cfg: SynthConfig) -> Trajectory:
    n = depth_m.size
    z = depth_m - depth_m[0]
    wobble = smooth_noise_1d(rng, n, 2.0 / tool.depth_step_m)
    radius = 0.5 * tool.bit_size_in * INCH_M * (1 + cfg.caliper_variation * np.clip(0.4 + wobble, -0.5, 3))
    if rng.random() >= cfg.deviated_fraction:
        return Trajectory(depth_m, radius, None, None)
    bounds = cfg.horizontal_inclination_deg if rng.random() < cfg.horizontal_fraction else cfg.inclination_deg
    inclination = np.clip(rng.uniform(*bounds) + rng.uniform(-0.08, 0.08) * z, 0.0, 90.0)
    hole_azimuth = np.mod(rng.uniform(0, 360) + rng.uniform(-0.1, 0.1) * z, 360.0)
    return Trajectory(depth_m, radius, inclination, hole_azimuth)


def _fracture_steps(fr: Fractures, column_azimuth_deg):
    """Each fracture as four steps (core and halo slabs): depths, amplitudes, azimuths, (4n, columns) deltas."""
    p = fr.planes
    depth = np.concatenate([p.depth_m - fr.core_thickness_m / 2, p.depth_m + fr.core_thickness_m / 2,
                            p.depth_m - fr.halo_thickness_m / 2, p.depth_m + fr.halo_thickness_m / 2])
    weight = arc_weight(column_azimuth_deg, fr.arc_centre_deg, fr.arc_width_deg)
    delta = np.concatenate([fr.core_contrast[:, None] * weight, -fr.core_contrast[:, None] * weight,
                            fr.halo_contrast[:, None] * weight, -fr.halo_contrast[:, None] * weight])
    return depth, np.tile(p.amplitude_m, 4), np.tile(p.azimuth_deg, 4), delta


def _paint_geology(rng, bedding: Bedding, fractures: Fractures, distractors, depth_m, render_az, tool, radius_m,
                   cfg):
    """The formation in log10 R on the render grid, and the sd of its unlabelled texture."""
    n_rows, step = depth_m.size, tool.depth_step_m
    b = bedding.planes
    f_depth, f_amp, f_az, f_delta = _fracture_steps(fractures, render_az)
    rows = np.concatenate([trace_rows(b.depth_m, b.amplitude_m, b.azimuth_deg, render_az, depth_m[0], step),
                           trace_rows(f_depth, f_amp, f_az, render_az, depth_m[0], step)])
    delta = np.concatenate([np.broadcast_to(bedding.step[:, None], (b.depth_m.size, render_az.size)), f_delta])
    field = step_increments(rows, delta, n_rows).astype(np.float32)

    lamination_sd, texture_sd = rng.uniform(*cfg.lamination_sd), rng.uniform(*cfg.texture_sd)
    field += lamination(rng, b, depth_m, render_az, lamination_sd)
    col_m = 2 * np.pi * radius_m / render_az.size
    texture = (0.8 * smooth_noise_2d(rng, n_rows, render_az.size, rng.uniform(0.01, 0.04) / step,
                                     rng.uniform(0.01, 0.04) / col_m)
               + 0.6 * smooth_noise_2d(rng, n_rows, render_az.size, rng.uniform(0.08, 0.3) / step,
                                       rng.uniform(0.05, 0.2) / col_m))
    field += (1.5 * texture_sd) * texture  # bilinear noise has sd ~2/3

    paint_vugs(field, distractors.vugs, depth_m[0], step, render_az, radius_m)
    paint_segments(field, distractors.dif_segments, depth_m[0], step, render_az, radius_m)
    paint_breakouts(rng, field, distractors.breakouts, depth_m, render_az)
    return field, np.hypot(lamination_sd, texture_sd)


def _drift(rng, depth_m, cfg: SynthConfig) -> np.ndarray:
    """Slow resistivity drift with depth (sum of long-wavelength waves, +-half the peak-to-peak)."""
    wavelengths = rng.uniform(*cfg.drift_wavelength_m, 3)
    phases = rng.uniform(0, 2 * np.pi, 3)
    waves = np.sin(2 * np.pi * depth_m[:, None] / wavelengths + phases).mean(1)
    return (0.5 * rng.uniform(*cfg.drift_decades) * waves).astype(np.float32)


def _azimuth_blur_deg(tool) -> float:
    """The tool's sd of response around the hole; an LWD sector also averages over its width."""
    return float(np.hypot(tool.blur_azimuth_deg, 360.0 / tool.columns / np.sqrt(12) if tool.n_pads == 0 else 0.0))


def _label(planes, contrast, arc_centre, arc_width, kind, valid, out_az, depth_m, tool, trajectory, background_sd,
           cfg, name) -> list[tuple[Pick, float, float]]:
    """The labelled planes as (pick, contrast over background sd, visible coverage)."""
    sigma = effective_sigma_m(planes, tool.blur_depth_m, _azimuth_blur_deg(tool))
    effective = contrast(sigma)
    coverage = visible_coverage(planes, arc_centre, arc_width, valid, out_az, depth_m[0], tool.depth_step_m)
    keep = np.flatnonzero(labelled(planes, effective, coverage, depth_m, background_sd, cfg))
    true_dip, true_az = [None] * keep.size, [None] * keep.size
    if trajectory.inclination_deg is not None and keep.size:
        _, inclination, hole_azimuth = trajectory.at(planes.depth_m[keep])
        true_dip, true_az = apparent_to_true(planes.dip_deg[keep], planes.azimuth_deg[keep], inclination, hole_azimuth)
        true_dip, true_az = [float(v) for v in true_dip], [float(v) for v in true_az]
    return [(Pick(depth_m=float(planes.depth_m[i]), dip_deg=float(planes.dip_deg[i]),
                  azimuth_deg=float(planes.azimuth_deg[i]), type=kind, dip_true_deg=td, azimuth_true_deg=ta, well=name),
             float(abs(effective[i]) / background_sd), float(coverage[i]))
            for i, td, ta in zip(keep, true_dip, true_az)]


def synthesize_well(seed: int, length_m: float = 60.0, config: SynthConfig | None = None, tool: str | None = None,
                    top_m: float | None = None, name: str | None = None) -> tuple[Well, list[Pick]]:
    """A synthetic image log and its visible fracture / bedding picks, deterministic by seed.

    tool: "fmi", "slim" or "lwd" (None: drawn from config.tool_mix). Image values are
    resistivity-like (ohm.m, not normalised), NaN in pad gaps and on dead buttons.
    well.provenance["label_snr"] and ["label_coverage"] give, for each pick in order, its
    effective contrast over the background sd and its visible coverage (labels.py's rules 3-4).
    well.provenance["feature_truth"] lists the vugs, breakouts and induced-fracture segments
    drawn (synth/truth.py turns them into truth tables).
    """
    cfg = config or SynthConfig()
    if tool is not None and tool not in TOOLS:
        raise OptionError(f"unknown tool {tool!r}; choose from {', '.join(TOOLS)}")
    if not length_m > 0:
        raise OptionError(f"length_m must be positive, got {length_m}")
    rng = np.random.default_rng(seed)
    name = name or f"SYN{seed}"
    spec = draw_tool(rng, tool or _draw_tool_name(rng, cfg), cfg)
    faults = fault_rng(seed) if has_faults(cfg) else None  # their own stream: the rest of the well stays the same
    if faults is not None:
        blur_scale = faults.uniform(*cfg.fault_blur_scale)
        spec.blur_depth_m, spec.blur_azimuth_deg = spec.blur_depth_m * blur_scale, spec.blur_azimuth_deg * blur_scale
    top = float(np.round(rng.uniform(800, 3500), 1)) if top_m is None else float(top_m)
    depth = top + np.arange(int(round(length_m / spec.depth_step_m)) + 1) * spec.depth_step_m
    bottom = float(depth[-1])
    out_az = column_azimuths_deg(spec.columns)
    render_az = column_azimuths_deg(spec.render_columns)
    trajectory = _trajectory(rng, depth, spec, cfg)
    radius = float(trajectory.radius_m.mean())
    margin = float(trajectory.radius_m.max() * np.tan(np.radians(RENDER_DIP_CAP_DEG))) + 0.05

    bedding = draw_bedding(rng, top, bottom, trajectory, cfg, margin)
    fractures = draw_fractures(rng, top, bottom, trajectory, cfg, margin)
    distractors = draw_distractors(rng, top, bottom, radius, cfg)

    field, formation_sd = _paint_geology(rng, bedding, fractures, distractors, depth, render_az, spec, radius, cfg)
    field = gaussian_filter(field, sigma=(spec.blur_depth_m / spec.depth_step_m,
                                          spec.blur_azimuth_deg * spec.render_columns / 360.0),
                            mode=("nearest", "wrap"), truncate=3.0)
    if spec.oversample > 1:
        field = field.reshape(depth.size, spec.columns, spec.oversample).mean(-1)
    if faults is not None and max(cfg.stick_slip_strain) > 0:
        true_depth, stretch = stick_slip_depth_m(faults, depth, cfg)
        field = resample_rows(field, depth, true_depth)
    field += rng.uniform(*cfg.base_log10_ohmm) + _drift(rng, depth, cfg)[:, None]
    noise_sd = rng.uniform(*cfg.noise_sd) * (0.6 if spec.n_pads == 0 else 1.0)  # LWD averages many samples
    field += noise_sd * rng.standard_normal(field.shape, dtype=np.float32)
    background_sd = np.hypot(noise_sd, formation_sd)
    if spec.n_pads:
        layout = pad_layout(rng, spec, depth, out_az, trajectory.radius_m, cfg)
        valid = apply_pad_effects(rng, field, layout, spec, cfg)
    else:
        stripe_sd = rng.uniform(*cfg.lwd_stripe_sd)
        field += (rng.normal(0, 0.02, spec.columns)[None, :]
                  + stripe_sd * rng.standard_normal(depth.size)[:, None]).astype(np.float32)
        background_sd = np.hypot(background_sd, stripe_sd)
        if has_lwd_artefacts(cfg):  # their own stream: the rest of the well stays as without them
            artefacts, sector_noise_sd = lwd_artefacts(np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0]),
                                                       depth, out_az, trajectory.inclination_deg, cfg)
            field += artefacts
            # independent per sector, so a plane's trace averages it down over the sectors it crosses
            background_sd = np.hypot(background_sd, sector_noise_sd / np.sqrt(spec.columns))
        valid = np.ones(field.shape, bool)
    if faults is not None:
        pad_of_pixel = (np.where(layout.on_pad, layout.pad, -1) if spec.n_pads
                        else np.broadcast_to(np.arange(spec.columns), field.shape))
        stuck_pads(faults, field, pad_of_pixel, spec.n_pads or spec.columns, spec.depth_step_m, cfg)
        eccenter(faults, field, out_az, depth, cfg)
        saturate(faults, field, cfg)
    image = np.power(np.float32(10.0), field, dtype=np.float32)

    full = np.full(bedding.planes.depth_m.size, 360.0)
    labels = _label(bedding.planes, lambda s: bedding.step * blurred_peak(bedding.thinner_bed_m, s), full, full,
                   "bedding", valid, out_az, depth, spec, trajectory, background_sd, cfg, name)
    labels += _label(fractures.planes,
                    lambda s: (np.abs(fractures.core_contrast) * blurred_peak(fractures.core_thickness_m, s)
                               + np.abs(fractures.halo_contrast) * blurred_peak(fractures.halo_thickness_m, s)),
                    fractures.arc_centre_deg, fractures.arc_width_deg, "fracture", valid, out_az, depth, spec,
                    trajectory, background_sd, cfg, name)
    labels.sort(key=lambda label: label[0].depth_m)
    for pick, snr, cov in labels:  # written to the picks file, so `evaluate --strata` can use them
        pick.contrast_sd, pick.coverage_frac = round(snr, 2), round(cov, 3)
    picks = [pick for pick, _, _ in labels]
    feature_truth = distractor_truth(distractors, bottom, _vug_visibility(distractors.vugs, spec, radius, background_sd))
    if faults is not None and max(cfg.stick_slip_strain) > 0:
        move_labels(picks, depth, true_depth, stretch, trajectory)
        feature_truth = move_feature_truth(feature_truth, depth, true_depth, stretch)

    well = Well(name=name, depth_m=depth, azimuth_deg=out_az, image=image, radius_m=trajectory.radius_m,
                radius_source="caliper", inclination_deg=trajectory.inclination_deg,
                hole_azimuth_deg=trajectory.hole_azimuth_deg, tool=spec.name,
                provenance={"source": "geobfdt synth", "seed": int(seed), "tool": spec.to_dict(),
                            "dif_zones_m": _dif_zones(distractors.dif_segments),
                            "breakouts": distractors.breakouts[:, :4].round(3).tolist(),
                            "vugs": int(len(distractors.vugs)),
                            # what was drawn besides the planes (synth/truth.py; no random draw)
                            "feature_truth": feature_truth,
                            # per pick, in pick order: how plainly it shows (for error analysis)
                            "label_snr": [round(snr, 2) for _, snr, _ in labels],
                            "label_coverage": [round(cov, 3) for _, _, cov in labels]})
    return well, picks


def _vug_visibility(vugs, spec, radius_m: float, background_sd: float) -> np.ndarray:
    """Each vug's blurred contrast over the background sd and resolvability (truth.vug_visibility):
    the blur around the hole as _label takes it."""
    column_m = np.radians(360.0 / spec.columns) * radius_m
    return vug_visibility(vugs, spec.depth_step_m, column_m, spec.blur_depth_m,
                          np.radians(_azimuth_blur_deg(spec)) * radius_m, background_sd)


def _dif_zones(segments: np.ndarray) -> list:
    """[top_m, bottom_m] extents of the drilling-induced fracture segments, overlaps merged."""
    merged = []
    for top, bottom in sorted(zip(segments[:, 0], segments[:, 0] + segments[:, 1])):
        if merged and top <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], bottom)
        else:
            merged.append([top, bottom])
    return [[round(float(a), 3), round(float(b), 3)] for a, b in merged]
