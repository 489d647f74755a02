"""Which fault of the `harsh` variant biases the picked dips on LWD wells? (issue 30, item 2: why
the error bars from per-pick evidence miss there; an experiment, nothing shipped.)

Each held-out LWD well of scripts/evaluate_model.py, drawn with the harsh settings, then again with
one fault switched off at a time (same seed; the faults draw from their own random stream, so the
geology and the other faults stay), picked by the shipped model; prints the median signed dip
error of the real picks (picked minus true apparent dip).

--implants: can injection-recovery (`geobfdt inject-test`) see the bias? On each well with every fault,
implants (picking/injection.py, 2 copies) picked as painted, and again with the faults the image itself
shows reproduced on them alone (reproduce_faults: clipped where the image clips, absent where a sector
is stuck, blurred around the hole by the image's measured blur, damped where the image's detail is);
their median signed dip error beside the real planes'.

--label-traces: does each image draw its planes where their labels say? The image refit
(picking/refine.py), started on each label's own trace, on the same wells and fault settings; prints
the median of its amplitude over the label's (1 where image and labels agree, below 1 where the traces
are drawn flatter than labelled, so that even a perfect reader of the image would pick low dips).

--coverage: which fault takes the 80 % intervals off? The same wells and fault settings picked as `predict
--uncertainty` picks them (picking/picker.py), the real picks pooled over the wells per setting: how often
their depth, dip and azimuth intervals hold the truth, with the median absolute and signed dip errors
and the median dip half-width.

Usage: python scripts/harsh_dip_bias.py [--wells 900200 900202] [--length-m 30] [--implants | --label-traces | --coverage]
"""

from __future__ import annotations

import argparse

import math
from dataclasses import replace

import numpy as np
from scipy.ndimage import gaussian_filter1d
from tqdm import tqdm

from geobfdt.evaluation.calibration import pick_matches
from geobfdt.evaluation.injection import class_matches
from geobfdt.model.calibration import QUANTITIES
from geobfdt.picking.blur import image_blur
from geobfdt.picking.engine import load_engine
from geobfdt.picking.picker import build_picker
from geobfdt.picking.injection import background_sd, implant_truth, implant_well, plan_implants, working_scale
from geobfdt.picking.refine import refine_rows
from geobfdt.picking.quality import STUCK_MIN_M, STUCK_MIN_ROWS, STUCK_TOLERANCE, stuck_steps, image_quality
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.calibrate import pick_errors
from geobfdt.well import Well

FAULTS_OFF = {
    "all faults": {},
    "no extra blur": {"fault_blur_scale": (1.0, 1.0)},
    "no stick-slip": {"stick_slip_strain": (0.0, 0.0)},
    "no eccentering": {"eccentering": (0.0, 0.0)},
    "no stuck sectors": {"stuck_pads_per_m": (0.0, 0.0)},
    "no saturation": {"saturation_fraction": (0.0, 0.0)},
    "default noise and striping": {"noise_sd": SynthConfig.noise_sd, "lwd_stripe_sd": SynthConfig.lwd_stripe_sd},
    "no faults (harsh noise and striping only)": {"fault_blur_scale": (1.0, 1.0), "stick_slip_strain": (0.0, 0.0),
                                                   "eccentering": (0.0, 0.0), "stuck_pads_per_m": (0.0, 0.0),
                                                   "saturation_fraction": (0.0, 0.0)},
}


def detail_damping(work: np.ndarray, block_rows: int) -> np.ndarray:
    """(rows, columns) each column's row-to-row detail (median absolute difference, per block of rows) over
    the block's median across columns, smoothed around the hole and capped at 1: where an off-centre
    tool damps the far side, the image's own detail is damped too."""
    step = np.abs(np.diff(work, axis=0, append=work[-1:]))
    edges = np.linspace(0, work.shape[0], max(1, work.shape[0] // block_rows) + 1).astype(int)
    ratio = np.array([np.nanmedian(step[a:b], axis=0) / np.nanmedian(step[a:b]) for a, b in zip(edges[:-1], edges[1:])])
    ratio = np.clip(gaussian_filter1d(ratio, 1.0, axis=1, mode="wrap"), 0.0, 1.0)
    centres = 0.5 * (edges[:-1] + edges[1:])
    rows = np.arange(work.shape[0])
    return np.stack([np.interp(rows, centres, ratio[:, j]) for j in range(work.shape[1])], axis=1)


def reproduce_faults(well: Well, implanted: Well) -> Well:
    """The implanted copy with the faults the image shows reproduced on the implants alone (--implants)."""
    work, log = working_scale(np.asarray(well.image))
    valid = np.isfinite(work)
    added = np.where(valid, working_scale(np.asarray(implanted.image))[0] - work, 0.0)
    sector_sd_px = math.sqrt(1.0 / 12.0)  # implant_well already averages each sector's arc
    added = gaussian_filter1d(added, math.sqrt(max(image_blur(well)["blur_azimuth_px"] ** 2 - sector_sd_px ** 2, 0.0)),
                              axis=1, mode="wrap")
    added *= detail_damping(np.where(valid, work, np.nan), max(16, int(1.0 / well.depth_step_m)))
    run_rows = max(STUCK_MIN_ROWS, math.ceil(STUCK_MIN_M / well.depth_step_m))
    stuck_step = stuck_steps(work, STUCK_TOLERANCE * background_sd(work), run_rows)
    stuck = np.zeros_like(valid)
    stuck[:-1] |= stuck_step
    stuck[1:] |= stuck_step
    image = work + np.where(stuck, 0.0, added)
    quality = image_quality(well)
    if quality.saturated_low_share > 0:
        image = np.maximum(image, np.nanmin(work))
    if quality.saturated_high_share > 0:
        image = np.minimum(image, np.nanmax(work))
    image[~valid] = np.nan
    return replace(well, image=(np.power(10.0, image) if log else image).astype(np.float32))


def label_trace_ratio(well: Well, picks) -> float:
    """Median of (amplitude the image refit finds, started on each label's trace) / the label's amplitude,
    over the labels with a trace taller than a row and dips below 80 deg (--label-traces)."""
    image = np.log10(np.asarray(well.image, dtype=np.float64))
    valid = np.isfinite(image)
    rows, columns = image.shape
    z = np.array([p.depth_m for p in picks])
    dip = np.array([p.dip_deg for p in picks])
    amplitude_rows = np.interp(z, well.depth_m, well.radius_m) * np.tan(np.radians(dip)) / well.depth_step_m
    azimuth = (np.array([p.azimuth_deg for p in picks]) - well.azimuth_deg[0] + 180.0 / columns) % 360.0
    labels = np.column_stack([(z - well.depth_m[0]) / well.depth_step_m / rows, amplitude_rows / rows, azimuth])
    shown = (amplitude_rows > 1) & (dip < 80)
    refit = refine_rows(labels[shown], np.where(valid, image, 0.0), valid.astype(np.float32))
    return float(np.median(refit[:, 1] / labels[shown, 1]))


def implant_rows(seeds, length_m: float, pick) -> list[str]:
    """--implants' table: per well with every fault, the real planes' and the implants' median signed dip error."""
    lines = ["| seed | sectors | planes | recovered | median signed dip error (deg) |", "|---|---|---|---|---|"]
    for seed in tqdm(seeds, unit="well", desc="implants"):
        config = SynthConfig.variant("vertical").replace(**VARIANTS["harsh"])
        well, truth = synthesize_well(seed, length_m=length_m, config=config, tool="lwd", name=f"W{seed}")
        before = pick(well)
        pairs = class_matches(truth, before)
        lines.append(f"| {seed} | {well.width} | real | {len(pairs)} of {len(truth)} | "
                     f"{np.median([before[i].dip_deg - truth[j].dip_deg for j, i in pairs]):+.1f} |")
        for name, paint in (("implants as painted", lambda w, m: implant_well(w, m)),
                            ("implants, the image's faults reproduced", lambda w, m: reproduce_faults(w, implant_well(w, m)))):
            error, planted = [], 0
            for copy in range(2):
                implants = plan_implants(well, before, 0, copy)
                planes, found = implant_truth(implants), pick(paint(well, implants))
                error += [found[i].dip_deg - planes[j].dip_deg for j, i in class_matches(planes, found, competing=before)]
                planted += len(planes)
            lines.append(f"| {seed} | {well.width} | {name} | {len(error)} of {planted} | {np.median(error):+.1f} |")
    return lines


def coverage_rows(seeds, length_m: float) -> list[str]:
    """--coverage's table: per fault setting, the real picks of all the wells pooled."""
    picker = build_picker("default", device="cpu")
    lines = ["| harsh settings | real picks | coverage depth / dip / azimuth | dip error (deg): median absolute, "
             "median signed | median dip half-width (deg) |", "|---|---|---|---|---|"]
    for name, off in tqdm(list(FAULTS_OFF.items()), unit="setting"):
        widths, errors, signed = [], [], []
        for seed in seeds:
            config = SynthConfig.variant("vertical").replace(**{**VARIANTS["harsh"], **off})
            well, truth = synthesize_well(seed, length_m=length_m, config=config, tool="lwd", name=f"W{seed}")
            picks = picker.pick(well, uncertainty=True)
            taken = pick_matches(picks, truth)
            real = np.flatnonzero(taken >= 0)
            widths += [[getattr(picks[i], q) for q in QUANTITIES] for i in real]
            errors.append(pick_errors([picks[i] for i in real], truth, taken[real]))
            signed += [picks[i].dip_deg - truth[taken[i]].dip_deg for i in real]
        widths, errors = np.array(widths, dtype=float).reshape(-1, 3), np.concatenate(errors)
        inside = (errors <= widths).mean(0)
        lines.append(f"| {name} | {len(signed)} | {' / '.join(f'{v:.2f}' for v in inside)} | "
                     f"{np.median(errors[:, 1]):.1f}, {np.median(signed):+.1f} | {np.median(widths[:, 1]):.1f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells", type=int, nargs="+", default=[900200, 900202], help="seeds of harsh LWD wells")
    parser.add_argument("--length-m", type=float, default=30.0)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--implants", action="store_true",
                      help="instead: the implants' dip errors, as painted and with the image's faults reproduced")
    mode.add_argument("--label-traces", action="store_true",
                      help="instead: how far each image's traces sit from its labels (no picking)")
    mode.add_argument("--coverage", action="store_true",
                      help="instead: the 80 %% interval coverage of the real picks per fault setting, pooled over the wells")
    args = parser.parse_args()
    if args.coverage:
        print("\n".join(coverage_rows(args.wells, args.length_m)))
        return
    if args.label_traces:
        lines = ["| seed | sectors | harsh settings | labels | image refit amplitude / label's, median |",
                 "|---|---|---|---|---|"]
        for seed, (name, off) in tqdm([(s, f) for s in args.wells for f in FAULTS_OFF.items()], unit="well"):
            config = SynthConfig.variant("vertical").replace(**{**VARIANTS["harsh"], **off})
            well, truth = synthesize_well(seed, length_m=args.length_m, config=config, tool="lwd", name=f"W{seed}")
            lines.append(f"| {seed} | {well.width} | {name} | {len(truth)} | {label_trace_ratio(well, truth):.3f} |")
        print("\n".join(lines))
        return
    engine, header = load_engine("default", log=lambda *a: None)
    if args.implants:
        pick = lambda w: pick_well_detr(w, engine, header.config, header.thresholds, progress=False,
                                        calibration=header.score_calibration)
        print("\n".join(implant_rows(args.wells, args.length_m, pick)))
        return
    lines = ["| seed | sectors | harsh settings | real picks | median signed dip error (deg) |", "|---|---|---|---|---|"]
    for seed, (name, off) in tqdm([(s, f) for s in args.wells for f in FAULTS_OFF.items()], unit="well"):
        config = SynthConfig.variant("vertical").replace(**{**VARIANTS["harsh"], **off})
        well, truth = synthesize_well(seed, length_m=args.length_m, config=config, tool="lwd", name=f"W{seed}")
        picks = pick_well_detr(well, engine, header.config, header.thresholds, progress=False,
                               calibration=header.score_calibration)
        taken = pick_matches(picks, truth)
        error = [picks[i].dip_deg - truth[taken[i]].dip_deg for i in np.flatnonzero(taken >= 0)]
        lines.append(f"| {seed} | {well.width} | {name} | {len(error)} | "
                     f"{np.median(error) if error else float('nan'):+.1f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
