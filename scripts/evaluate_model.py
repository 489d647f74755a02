"""Scores of a model (default: the shipped one) and of the Hough baseline on held-out synthetic
wells, per tool type and for deviated wells. The wells come from seeds pretraining never draws.

Usage: python scripts/evaluate_model.py [--model default] [--wells-per-group 3] [--length-m 30] --out DIR
Writes DIR/scores.json and DIR/scores.md (the tables in docs/model-card.md), the latter with
the detector's fracture recall and precision by apparent dip (where the fracture errors are).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from geobfdt.checkpoint import load_model
from geobfdt.evaluate import evaluate_wells, match_picks
from geobfdt.predict import pick_well_detr, pick_well_hough_method
from geobfdt.synth import SynthConfig, synthesize_well

GROUPS = {  # name: (config variant, tool)
    "FMI-like, vertical": ("vertical", "fmi"),
    "slim pad imager, vertical": ("vertical", "slim"),
    "LWD sectors, vertical": ("vertical", "lwd"),
    "deviated / horizontal, all tools": ("deviated", None),
}
SEED_BASE = 900_000
DIP_BINS_DEG = (0, 40, 60, 75, 80, 90)


def fracture_errors_by_dip(pred_by_well, truth_by_well, tolerance_m=0.08) -> list[dict]:
    """Fracture recall (by true apparent dip) and precision (by picked dip) in DIP_BINS_DEG bins, and
    how many missed fractures have a bedding pick within the tolerance (class confusion)."""
    hit_truth, hit_pred, confused = [], [], []
    for name, truth in truth_by_well.items():
        tf = [t for t in truth if t.type == "fracture"]
        pf = [p for p in pred_by_well[name] if p.type == "fracture"]
        pairs = match_picks(pf, tf, tolerance_m)
        found, used = {j for _, j in pairs}, {i for i, _ in pairs}
        beds = np.array([p.depth_m for p in pred_by_well[name] if p.type == "bedding"])
        hit_truth += [(t.dip_deg, j in found) for j, t in enumerate(tf)]
        hit_pred += [(p.dip_deg, i in used) for i, p in enumerate(pf)]
        confused += [bool(beds.size) and np.abs(beds - t.depth_m).min() <= tolerance_m
                     for j, t in enumerate(tf) if j not in found]
    rows = []
    for lo, hi in zip(DIP_BINS_DEG[:-1], DIP_BINS_DEG[1:]):
        t = [hit for dip, hit in hit_truth if lo <= dip < hi]
        p = [hit for dip, hit in hit_pred if lo <= dip < hi]
        rows.append({"dip_deg": f"{lo}-{hi}", "n_truth": len(t), "recall": float(np.mean(t)) if t else None,
                     "n_pred": len(p), "precision": float(np.mean(p)) if p else None})
    rows.append({"missed": len(confused), "missed_with_bedding_pick_nearby": int(sum(confused))})
    return rows


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
    results["detector_fractures_by_dip"] = fracture_errors_by_dip(all_pred["detector"], all_truth)
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
    *by_dip, missed = results["detector_fractures_by_dip"]
    lines += ["", "Detector fractures at 8 cm, all wells, by apparent dip (recall by the true dip, precision by "
              "the picked dip):", "", "| apparent dip (deg) | true fractures | recall | picked fractures | precision |",
              "|---|---|---|---|---|"]
    lines += [f"| {r['dip_deg']} | {r['n_truth']} | {fmt(r['recall'], 2)} | {r['n_pred']} | {fmt(r['precision'], 2)} |"
              for r in by_dip]
    lines += ["", f"{missed['missed_with_bedding_pick_nearby']} of {missed['missed']} missed fractures have a bedding "
              "pick within 8 cm."]
    (out / "scores.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
