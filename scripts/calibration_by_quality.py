"""Would a tool/resolution group or an input-quality feature make the scores mean the same on every image?
(issue 30, item 3; an experiment: nothing here changes the shipped model.)

Fitted on the 16 synthetic validation wells (training/ship.py) drawn twice, with the default settings and
with the real-texture variant; measured on the held-out wells of scripts/evaluate_model.py drawn with
the default settings, the real-texture variant and the harsh variant (never fitted on). Picks are the
shipped model's at its thresholds; a pick is real as in docs/evaluation.md. Per class, three maps of the
raw score to a probability, all logistic in logit(raw):
- shipped: the model file's Platt calibration, as predict applies it;
- refit: Platt refitted on these calibration wells;
- resolution: Platt per resolution group (images of 64 columns or fewer, and finer ones);
- quality: Platt plus a term in the well's noise share, log(pixel-to-pixel sd / sd of the image), both
  on the image's log10 values (picking/injection.py's working scale and background_sd).
Reports the ECE per held-out tool group and variant.

Usage: python scripts/calibration_by_quality.py [--wells-per-group 4] --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from tqdm import tqdm

from evaluate_model import SEED_BASE
from geobfdt.evaluation.calibration import expected_calibration_error, pick_outcomes
from geobfdt.files import write_text_atomic
from geobfdt.model.calibration import logit, sigmoid
from geobfdt.picking.engine import load_engine
from geobfdt.picking.injection import background_sd, working_scale
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.calibrate import fit_platt
from geobfdt.training.ship import GROUPS, VALIDATION_LENGTH_M, VALIDATION_SEED_BASE
from geobfdt.well import PICK_TYPES

LOW_RES_COLUMNS = 64


def noise_share(well) -> float:
    work, _ = working_scale(np.asarray(well.image))
    return float(np.log(background_sd(work) / max(float(np.nanstd(work)), 1e-9)))


def collect(seed_base, variant, per_group, engine, header, length_m):
    """Per pick: raw score, class, real, tool group, low-resolution flag, well noise share."""
    rows = []
    for g, (group, (group_variant, tool)) in enumerate(tqdm(list(GROUPS.items()), desc=f"{variant} {seed_base}")):
        for k in range(per_group):
            seed = seed_base + 100 * g + k
            config = SynthConfig.variant(group_variant).replace(**VARIANTS[variant])
            well, truth = synthesize_well(seed, length_m=length_m, config=config, tool=tool, name=f"W{seed}")
            picks = pick_well_detr(well, engine, header.config, header.raw_thresholds, progress=False)
            real = pick_outcomes(picks, truth)
            q = noise_share(well)
            rows += [(p.score, PICK_TYPES.index(p.type), r, group, well.width <= LOW_RES_COLUMNS, q)
                     for p, r in zip(picks, real)]
    return rows


def fit_with_feature(x, q, t):
    """(a, b, c) of sigmoid(a x + b + c q) by log loss."""
    def loss(theta):
        z = theta[0] * x + theta[1] + theta[2] * q
        return np.sum(np.logaddexp(0.0, z) - t * z), np.array([np.sum((sigmoid(z) - t) * v) for v in (x, 1.0, q)])

    return minimize(loss, np.array([1.0, 0.0, 0.0]), jac=True, method="L-BFGS-B",
                    bounds=[(1e-3, None), (None, None), (None, None)]).x


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells-per-group", type=int, default=4, help="calibration wells per group and variant")
    parser.add_argument("--test-wells-per-group", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
    fit_rows = [r for v in ("default", "real-texture")
                for r in collect(VALIDATION_SEED_BASE, v, args.wells_per_group, engine, header, VALIDATION_LENGTH_M)]
    test = {v: collect(SEED_BASE, v, args.test_wells_per_group, engine, header, 30.0)
            for v in ("default", "real-texture", "harsh")}
    arr = lambda rows: [np.array(c) for c in zip(*rows)]
    raw, cls, real, _, low, q = arr(fit_rows)
    maps = {"refit": {}, "resolution": {}, "quality": {}}
    for k in range(len(PICK_TYPES)):
        sel = cls == k
        maps["refit"][k] = fit_platt(raw[sel], real[sel])
        maps["resolution"][k] = {flag: fit_platt(raw[sel & (low == flag)], real[sel & (low == flag)]) for flag in (False, True)}
        maps["quality"][k] = fit_with_feature(logit(raw[sel]), q[sel], real[sel].astype(float))

    def probability(name, raw, cls, low, q):
        out = np.empty(raw.size)
        for i in range(raw.size):
            x = logit(raw[i])
            if name == "shipped":
                out[i] = header.score_calibration.probability(np.array([raw[i]]), np.array([cls[i]]))[0]
            elif name == "refit":
                a, b = maps["refit"][cls[i]]
                out[i] = sigmoid(a * x + b)
            elif name == "resolution":
                a, b = maps["resolution"][cls[i]][bool(low[i])]
                out[i] = sigmoid(a * x + b)
            else:
                a, b, c = maps["quality"][cls[i]]
                out[i] = sigmoid(a * x + b + c * q[i])
        return out

    results = {"command": f"python scripts/calibration_by_quality.py --wells-per-group {args.wells_per_group} "
                          f"--test-wells-per-group {args.test_wells_per_group} --out {args.out}",
               "maps": {k: {str(c): np.asarray(v if k != "resolution" else [v[False], v[True]]).tolist()
                            for c, v in m.items()} for k, m in maps.items()}, "ece": []}
    names = ("shipped", "refit", "resolution", "quality")
    for variant, rows in test.items():
        raw, cls, real, group, low, q = arr(rows)
        for g in [*GROUPS, "all"]:
            sel = np.ones(raw.size, bool) if g == "all" else group == g
            row = {"variant": variant, "wells": g, "picks": int(sel.sum()), "share_real": float(real[sel].mean())}
            for name in names:
                row[name] = expected_calibration_error(probability(name, raw[sel], cls[sel], low[sel], q[sel]),
                                                       real[sel].astype(float))
            results["ece"].append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "calibration_by_quality.json", json.dumps(results, indent=2, default=float))
    lines = [f"Command: `{results['command']}`", "", "| variant | wells | picks | share real | " + " | ".join(
        f"ECE {n}" for n in names) + " |", "|---|---|---|---|" + "---|" * len(names)]
    lines += [f"| {r['variant']} | {r['wells']} | {r['picks']} | {r['share_real']:.3f} | "
              + " | ".join(f"{r[n]:.3f}" for n in names) + " |" for r in results["ece"]]
    write_text_atomic(out / "calibration_by_quality.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
