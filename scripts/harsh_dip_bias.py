"""Which fault of the `harsh` variant biases the picked dips on LWD wells? (issue 30, item 2: why
the error bars from per-pick evidence miss there; an experiment, nothing shipped.)

Each held-out LWD well of scripts/evaluate_model.py, drawn with the harsh settings, then again with
one fault switched off at a time (same seed; the faults draw from their own random stream, so the
geology and the other faults stay), picked by the shipped model; prints the median signed dip
error of the real picks (picked minus true apparent dip).

Usage: python scripts/harsh_dip_bias.py [--wells 900200 900202] [--length-m 30]
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from geobfdt.evaluation.calibration import pick_matches
from geobfdt.picking.engine import load_engine
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells", type=int, nargs="+", default=[900200, 900202], help="seeds of harsh LWD wells")
    parser.add_argument("--length-m", type=float, default=30.0)
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
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
