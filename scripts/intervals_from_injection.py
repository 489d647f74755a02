"""Would the well's own injection-recovery scale fix the 80 % intervals off home ground? (issue 30, item 2;
an experiment: nothing here changes the shipped model.)

Per well: the shipped intervals (`predict --uncertainty`, test-time views and the model file's scale)
and one inject-test copy (geobfdt.evaluation.injection.run_injection). The candidate interval per
pick and quantity: hypot(shipped half-width, f x the 80 % quantile of that well's implant errors of
the pick's class), f per quantity fitted, by bisection, to hold 80 % of the errors on calibration
wells (the synthetic validation wells of training/ship.py, default and real-texture); measured on the
held-out wells of scripts/evaluate_model.py, default, real-texture and harsh (never fitted on).

Usage: python scripts/intervals_from_injection.py [--wells-per-group 2] [--test-wells-per-group 2] --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluate_model import SEED_BASE
from geobfdt.evaluation.calibration import pick_matches
from geobfdt.evaluation.injection import ERRORS, run_injection
from geobfdt.files import write_text_atomic
from geobfdt.picking.engine import load_engine
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.calibrate import pick_errors
from geobfdt.training.ship import GROUPS, VALIDATION_LENGTH_M, VALIDATION_SEED_BASE
from geobfdt.well import PICK_TYPES

QUANTITIES = ("depth_err80_cm", "dip_err80_deg", "azimuth_err80_deg")


def collect(seed_base, variant, per_group, engine, header, length_m):
    """Per real pick: shipped half-widths (3), errors (3), the well's implant 80 % error quantiles for
    the pick's class (3), tool group."""
    widths, errors, scale, groups = [], [], [], []
    for g, (group, (group_variant, tool)) in enumerate(tqdm(list(GROUPS.items()), desc=f"{variant} {seed_base}")):
        for k in range(per_group):
            seed = seed_base + 100 * g + k
            config = SynthConfig.variant(group_variant).replace(**VARIANTS[variant])
            well, truth = synthesize_well(seed, length_m=length_m, config=config, tool=tool, name=f"W{seed}")
            kwargs = dict(progress=False, calibration=header.score_calibration)
            picks = pick_well_detr(well, engine, header.config, header.thresholds, uncertainty=True,
                                   intervals=header.interval_scale, **kwargs)
            plain = lambda w: pick_well_detr(w, engine, header.config, header.thresholds, **kwargs)
            report, *_ = run_injection(well, plain, seed=0, copies=1)
            q80 = {r["class"]: [np.nan if r[e][1] is None else r[e][1] for e in ERRORS]
                   for r in report["by_class_and_dip"] if r["dip_bin_deg"] == "0-80"}
            taken = pick_matches(picks, truth)
            real = np.flatnonzero(taken >= 0)
            widths += [[getattr(picks[i], q) for q in QUANTITIES] for i in real]
            errors.append(pick_errors([picks[i] for i in real], truth, taken[real]))
            scale += [q80[picks[i].type] for i in real]
            groups += [group] * real.size
    return (np.array(widths, float).reshape(-1, 3), np.concatenate(errors), np.array(scale, float).reshape(-1, 3),
            np.array(groups))


def widened(widths, scale, f):
    return np.hypot(widths, f * np.nan_to_num(scale, nan=0.0))


def fit_factor(widths, errors, scale, coverage=0.8) -> list[float]:
    factors = []
    for q in range(3):
        lo, hi = 0.0, 20.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            held = np.mean(errors[:, q] <= widened(widths[:, q], scale[:, q], mid))
            lo, hi = (mid, hi) if held < coverage else (lo, mid)
        factors.append(round(hi, 3))
    return factors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells-per-group", type=int, default=2)
    parser.add_argument("--test-wells-per-group", type=int, default=2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
    fit = [collect(VALIDATION_SEED_BASE, v, args.wells_per_group, engine, header, VALIDATION_LENGTH_M)
           for v in ("default", "real-texture")]
    widths, errors, scale, _ = (np.concatenate(parts) for parts in zip(*fit))
    factors = fit_factor(widths, errors, scale)
    results = {"command": f"python scripts/intervals_from_injection.py --wells-per-group {args.wells_per_group} "
                          f"--test-wells-per-group {args.test_wells_per_group} --out {args.out}",
               "factors": dict(zip(QUANTITIES, factors)), "coverage": []}
    for variant in ("default", "real-texture", "harsh"):
        w, e, s, g = collect(SEED_BASE, variant, args.test_wells_per_group, engine, header, 30.0)
        for group in [*GROUPS, "all"]:
            sel = np.ones(len(g), bool) if group == "all" else g == group
            row = {"variant": variant, "wells": group, "picks": int(sel.sum())}
            for q, name in enumerate(QUANTITIES):
                row[name] = [float(np.mean(e[sel, q] <= w[sel, q])),
                             float(np.mean(e[sel, q] <= widened(w[sel, q], s[sel, q], factors[q])))]
            results["coverage"].append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "intervals_from_injection.json", json.dumps(results, indent=2))
    lines = [f"Command: `{results['command']}`", "", f"Factors on the well's implant 80 % errors: {factors}", "",
             "| variant | wells | picks | depth: shipped, with injection | dip | azimuth |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['wells']} | {r['picks']} | " + " | ".join(
        f"{r[n][0]:.2f}, {r[n][1]:.2f}" for n in QUANTITIES) + " |" for r in results["coverage"]]
    write_text_atomic(out / "intervals_from_injection.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
