"""Scores of a model (default: the shipped one) and of the Hough baseline on held-out synthetic
wells, per tool type and for deviated wells. The wells come from seeds pretraining never draws.

Usage: python scripts/evaluate_model.py [--model default] [--wells-per-group 3] [--length-m 30] --out DIR
Writes DIR/scores.json and DIR/scores.md (the tables in docs/model-card.md), the latter with
the detector's fracture recall and precision by apparent dip, its fracture recall by how
plainly each fracture shows (contrast, visible coverage), and the cause of every missed
fracture (where the fracture errors are).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from geobfdt.io.common import write_text_atomic
from geobfdt.model.checkpoint import class_thresholds, load_model
from geobfdt.evaluation.metrics import evaluate_wells, match_picks
from geobfdt.training.thresholds import THRESHOLDS
from geobfdt.picking.whole_well import pick_well_detr, pick_well_hough_method
from geobfdt.synth import SynthConfig, synthesize_well
from geobfdt.well import PICK_TYPES

GROUPS = {  # name: (config variant, tool)
    "FMI-like, vertical": ("vertical", "fmi"),
    "slim pad imager, vertical": ("vertical", "slim"),
    "LWD sectors, vertical": ("vertical", "lwd"),
    "deviated / horizontal, all tools": ("deviated", None),
}
SEED_BASE = 900_000
CANDIDATE_SCORE = min(THRESHOLDS)  # the lowest score a candidate is kept at: the threshold grid's floor
DIP_BINS_DEG = (0, 40, 60, 75, 80, 90)
VISIBILITY_BINS = {  # name: contrast over background sd [lo, hi), visible coverage [lo, hi)
    "contrast 1.5-3 sd": ((1.5, 3.0), (0.0, 1.1)),
    "contrast 3-5 sd": ((3.0, 5.0), (0.0, 1.1)),
    "contrast 5-10 sd": ((5.0, 10.0), (0.0, 1.1)),
    "contrast >= 10 sd": ((10.0, np.inf), (0.0, 1.1)),
    "coverage 30-50 %": ((0.0, np.inf), (0.3, 0.5)),
    "coverage 50-90 %": ((0.0, np.inf), (0.5, 0.9)),
    "coverage >= 90 %": ((0.0, np.inf), (0.9, 1.1)),
    "clear: contrast >= 5 sd and coverage >= 90 %": ((5.0, np.inf), (0.9, 1.1)),
}


MISS_CAUSES = {  # why a true fracture was missed, checked in this order
    "pair": "a fracture pick within 8 cm is matched to another true fracture (two planes, one pick)",
    "bedding": "picked as bedding: a bedding pick within 8 cm, no fracture pick",
    "low_score": "a fracture candidate within 8 cm scored below the threshold",
    "unseen": "no candidate within 8 cm at any score >= 0.05",
}


def fracture_errors(candidates_by_well, thresholds, truth_by_well, visibility_by_well, tolerance_m=0.08) -> dict:
    """Fracture recall (by true apparent dip, and by how plainly the fracture shows: VISIBILITY_BINS)
    and precision (by picked dip) in DIP_BINS_DEG bins, and the cause of every missed fracture
    (MISS_CAUSES). candidates_by_well: the detector's picks at the lowest score; the shipped picks
    are those at or above their class threshold. visibility_by_well: (contrast / background sd,
    visible coverage) per true pick, in order (the generator's provenance)."""
    limit = dict(zip(PICK_TYPES, thresholds))
    hit_truth, hit_pred, causes = [], [], dict.fromkeys(MISS_CAUSES, 0)
    for name, truth in truth_by_well.items():
        loose = candidates_by_well[name]
        picked = [p for p in loose if p.score >= limit[p.type]]
        tf = [t for t in truth if t.type == "fracture"]
        visibility = [v for t, v in zip(truth, visibility_by_well[name]) if t.type == "fracture"]
        pf = [p for p in picked if p.type == "fracture"]
        pairs = match_picks(pf, tf, tolerance_m)
        found, used = {j for _, j in pairs}, {i for i, _ in pairs}
        hit_truth += [(t.dip_deg, *visibility[j], j in found) for j, t in enumerate(tf)]
        hit_pred += [(p.dip_deg, i in used) for i, p in enumerate(pf)]

        def near(picks, depth_m, kind):
            return any(p.type == kind and abs(p.depth_m - depth_m) <= tolerance_m for p in picks)
        for j, t in enumerate(tf):
            if j not in found:
                cause = ("pair" if near(pf, t.depth_m, "fracture") else "bedding" if near(picked, t.depth_m, "bedding")
                         else "low_score" if near(loose, t.depth_m, "fracture") else "unseen")
                causes[cause] += 1
    rows = []
    for lo, hi in zip(DIP_BINS_DEG[:-1], DIP_BINS_DEG[1:]):
        t = [hit for dip, _, _, hit in hit_truth if lo <= dip < hi]
        p = [hit for dip, hit in hit_pred if lo <= dip < hi]
        rows.append({"dip_deg": f"{lo}-{hi}", "n_truth": len(t), "recall": float(np.mean(t)) if t else None,
                     "n_pred": len(p), "precision": float(np.mean(p)) if p else None})
    by_visibility = []
    for label, ((snr_lo, snr_hi), (cov_lo, cov_hi)) in VISIBILITY_BINS.items():
        t = [hit for _, snr, cov, hit in hit_truth if snr_lo <= snr < snr_hi and cov_lo <= cov < cov_hi]
        by_visibility.append({"fractures": label, "n_truth": len(t), "recall": float(np.mean(t)) if t else None})
    return {"by_dip": rows, "by_visibility": by_visibility, "missed_by_cause": causes}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--wells-per-group", type=int, default=3)
    parser.add_argument("--length-m", type=float, default=30.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model, cfg, threshold = load_model(args.model)
    thresholds = class_thresholds(threshold, cfg.model.num_classes)
    results = {"command": f"python scripts/evaluate_model.py --model {args.model} --wells-per-group "
                          f"{args.wells_per_group} --length-m {args.length_m:g} --out {args.out}", "groups": {}}
    all_pred = {"detector": {}, "hough": {}}
    candidates = {}
    all_truth, visibility = {}, {}
    for g, (name, (variant, tool)) in enumerate(GROUPS.items()):
        truth, pred = {}, {"detector": {}, "hough": {}}
        for k in range(args.wells_per_group):
            seed = SEED_BASE + 100 * g + k
            well, picks = synthesize_well(seed, length_m=args.length_m, config=SynthConfig.variant(variant),
                                          tool=tool, name=f"TEST{seed}")
            truth[well.name] = picks
            visibility[well.name] = list(zip(well.provenance["label_snr"], well.provenance["label_coverage"]))
            # picked once at the lowest score: the shipped picks are those above their class threshold
            # (merging keeps the best of duplicates, so dropping low scores afterwards gives the same picks)
            candidates[well.name] = pick_well_detr(well, model, cfg, min(CANDIDATE_SCORE, *thresholds),
                                                  progress=False)
            pred["detector"][well.name] = [p for p in candidates[well.name]
                                           if p.score >= thresholds[PICK_TYPES.index(p.type)]]
            pred["hough"][well.name] = pick_well_hough_method(well, cfg)
        all_truth.update(truth)
        results["groups"][name] = {}
        for method in pred:
            all_pred[method].update(pred[method])
            results["groups"][name][method] = evaluate_wells(pred[method], truth, tolerances_cm=(3, 5, 8))["micro"]
        print(name, {m: round(results["groups"][name][m]["8"]["overall"]["f1"] or 0, 3) for m in pred}, flush=True)
    results["groups"]["all"] = {m: evaluate_wells(all_pred[m], all_truth, tolerances_cm=(3, 5, 8))["micro"]
                                for m in all_pred}
    results["detector_fracture_errors"] = fracture_errors(candidates, thresholds, all_truth, visibility)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "scores.json", json.dumps(results, indent=2, default=float))
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
    errors = results["detector_fracture_errors"]
    lines += ["", "Detector fractures at 8 cm, all wells, by apparent dip (recall by the true dip, precision by "
              "the picked dip):", "", "| apparent dip (deg) | true fractures | recall | picked fractures | precision |",
              "|---|---|---|---|---|"]
    lines += [f"| {r['dip_deg']} | {r['n_truth']} | {fmt(r['recall'], 2)} | {r['n_pred']} | {fmt(r['precision'], 2)} |"
              for r in errors["by_dip"]]
    lines += ["", "Detector fracture recall at 8 cm, all wells, by how plainly the fracture shows (its contrast "
              "over the background sd, the share of its trace visible):", "", "| true fractures | n | recall |",
              "|---|---|---|"]
    lines += [f"| {r['fractures']} | {r['n_truth']} | {fmt(r['recall'], 2)} |" for r in errors["by_visibility"]]
    lines += ["", f"Missed fractures by cause ({sum(errors['missed_by_cause'].values())} in all):", "",
              "| cause | missed |", "|---|---|"]
    lines += [f"| {MISS_CAUSES[cause]} | {n} |" for cause, n in errors["missed_by_cause"].items()]
    write_text_atomic(out / "scores.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
