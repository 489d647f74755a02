"""Scores of a model (default: the shipped one) and of the Hough baseline on held-out synthetic
wells, per tool type and for deviated wells. The wells come from seeds pretraining never draws.

Usage: python scripts/evaluate_model.py [--model default] [--wells-per-group 3] [--length-m 30] --out DIR
Writes DIR/scores.json and DIR/scores.md (the tables in docs/model-card.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geobfdt.checkpoint import load_model
from geobfdt.evaluate import evaluate_wells
from geobfdt.predict import pick_well_detr, pick_well_hough_method
from geobfdt.synth import SynthConfig, synthesize_well

GROUPS = {  # name: (config variant, tool)
    "FMI-like, vertical": ("vertical", "fmi"),
    "slim pad imager, vertical": ("vertical", "slim"),
    "LWD sectors, vertical": ("vertical", "lwd"),
    "deviated / horizontal, all tools": ("deviated", None),
}
SEED_BASE = 900_000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--wells-per-group", type=int, default=3)
    parser.add_argument("--length-m", type=float, default=30.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model, cfg, threshold = load_model(args.model)
    results = {"command": f"python scripts/evaluate_model.py --model {args.model} --wells-per-group "
                          f"{args.wells_per_group} --length-m {args.length_m:g} --out {args.out}", "groups": {}}
    all_pred = {"detector": {}, "hough": {}}
    all_truth = {}
    for g, (name, (variant, tool)) in enumerate(GROUPS.items()):
        truth, pred = {}, {"detector": {}, "hough": {}}
        for k in range(args.wells_per_group):
            seed = SEED_BASE + 100 * g + k
            well, picks = synthesize_well(seed, length_m=args.length_m, config=SynthConfig.variant(variant),
                                          tool=tool, name=f"TEST{seed}")
            truth[well.name] = picks
            pred["detector"][well.name] = pick_well_detr(well, model, cfg, threshold, progress=False)
            pred["hough"][well.name] = pick_well_hough_method(well, cfg)
        all_truth.update(truth)
        results["groups"][name] = {}
        for method in pred:
            all_pred[method].update(pred[method])
            results["groups"][name][method] = evaluate_wells(pred[method], truth, tolerances_cm=(3, 5, 8))["micro"]
        print(name, {m: round(results["groups"][name][m]["8"]["overall"]["f1"] or 0, 3) for m in pred}, flush=True)
    results["groups"]["all"] = {m: evaluate_wells(all_pred[m], all_truth, tolerances_cm=(3, 5, 8))["micro"]
                                for m in all_pred}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scores.json").write_text(json.dumps(results, indent=2, default=float))
    fmt = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"
    lines = [f"Command: `{results['command']}`", "",
             "| wells | method | F1 @8 cm | fracture F1 | bedding F1 | F1 @3 cm | F1 @5 cm | dip MAE (deg) | azimuth MAE (deg) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, by_method in results["groups"].items():
        for method, rep in by_method.items():
            r8 = rep["8"]
            lines.append(f"| {name} | {method} | {fmt(r8['overall']['f1'])} | {fmt(r8['fracture']['f1'])} "
                         f"| {fmt(r8['bedding']['f1'])} | {fmt(rep['3']['overall']['f1'])} | {fmt(rep['5']['overall']['f1'])} "
                         f"| {fmt(r8['overall']['dip_mae_deg'], 1)} | {fmt(r8['overall']['azimuth_mae_deg'], 1)} |")
    (out / "scores.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
