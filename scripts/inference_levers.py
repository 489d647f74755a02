"""Two levers that need no retraining, measured on the held-out synthetic wells of
scripts/evaluate_model.py (3 wells per tool group, 30 m, shipped model):

- context: a second pass at twice the row step (2 cm rows, a 5.12 m window), so traces taller
  than a 2.56 m window fit in one; its steep fracture picks are added where the normal pass has
  no pick on the same trace (mean distance along the curve >= GAP_M);
- test-time augmentation: each window's score averaged over it and its five transformed views
  (azimuth rolls, mirror, vertical flip: picking/uncertainty.py), a view adding 0 where it
  does not reproduce the trace. The scale of the scores changes, so both are compared at
  their best per-class threshold on these wells (an optimistic figure for both alike);
- the shape refit's settings (picking/refine.py) on the slim pad imager's wells, whose dip
  error is the largest: a lower share of counted columns or correlation, a third round, a
  wider band.

Usage: python scripts/inference_levers.py [--only context|views|refit]
(prints the tables docs/model-card.md quotes)
"""

from __future__ import annotations

import argparse
import copy

import numpy as np

from evaluate_model import GROUPS, SEED_BASE, strata_table

import geobfdt.picking.refine as refine
from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.geometry import trace_depth_m
from geobfdt.model.checkpoint import class_thresholds, load_model
from geobfdt.picking.engine import TorchEngine
from geobfdt.picking.uncertainty import MATCH_ROWS, _traces, transformed_predictions
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import SynthConfig, synthesize_well
from geobfdt.well import PICK_TYPES

WELLS_PER_GROUP, LENGTH_M = 3, 30.0
GAP_M = 0.08
PHI_DEG = np.arange(0.0, 360.0, 10.0)
THRESHOLD_GRID = np.round(np.arange(0.05, 0.91, 0.025), 3)


class AveragedViews(TorchEngine):
    """A torch engine whose scores are averaged over the window and its transformed views."""

    def predict(self, images):
        base, views = super().predict(images), transformed_predictions(super().predict, images)
        height, width = images.shape[2], images.shape[3]
        out = []
        for k, rows in enumerate(base):
            rows, live = rows.copy(), rows[:, 4] >= 0.05
            total = rows[live, 4].astype(np.float64)
            traces = _traces(rows[live], width, height)
            for view in views:
                other = view[k]
                if other.size and live.any():
                    gap = np.abs(traces[:, None, :] - _traces(other, width, height)[None]).mean(axis=2)
                    same = (other[None, :, 3] == rows[live][:, None, 3]) & (gap < MATCH_ROWS)
                    total = total + np.where(same, other[None, :, 4], 0.0).max(axis=1)
            rows[live, 4] = total / (1 + len(views))
            out.append(rows)
        return out


def held_out_wells():
    for g, (group, (variant, tool)) in enumerate(GROUPS.items()):
        for k in range(WELLS_PER_GROUP):
            seed = SEED_BASE + 100 * g + k
            well, truth = synthesize_well(seed, length_m=LENGTH_M, config=SynthConfig.variant(variant), tool=tool,
                                          name=f"TEST{seed}")
            yield group, well, truth


def with_context(fine, coarse, min_dip_deg, min_score, radius_m):
    """The fine picks plus the coarse steep fracture picks on traces no fine pick lies on."""
    curves = [trace_depth_m(p.depth_m, p.dip_deg, p.azimuth_deg, radius_m, PHI_DEG) for p in fine]
    picks = list(fine)
    for p in coarse:
        if p.type != "fracture" or p.dip_deg < min_dip_deg or p.score < min_score:
            continue
        curve = trace_depth_m(p.depth_m, p.dip_deg, p.azimuth_deg, radius_m, PHI_DEG)
        if not curves or min(np.abs(curve - c).mean() for c in curves) >= GAP_M:
            picks.append(p)
            curves.append(curve)
    return picks


def report_row(label, pred, truth, group_of, columns):
    micro = evaluate_wells(pred, truth, tolerances_cm=(8,))["micro"]["8"]
    strata = {(r["stratum"], r["class"]): r for r in strata_table(pred, truth, group_of, columns) if r["wells"] == "all"}
    steep = strata[("apparent dip > 80 deg", "fracture")]
    cells = [micro["overall"]["f1"], micro["fracture"]["f1"], micro["bedding"]["f1"],
             strata[("faint: contrast < 3 sd", "both")]["recall"], strata[("partial: coverage 30-50 %", "both")]["recall"],
             strata[("crossing: another true plane within 8 cm", "both")]["recall"], steep["recall"], steep["f1"]]
    print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in cells) + " |", flush=True)


def best_f1(candidates, truth) -> dict:
    """Per class, the best F1 at 8 cm over THRESHOLD_GRID and the threshold giving it."""
    best = {}
    for kind in PICK_TYPES:
        f1 = [evaluate_wells({n: [p for p in ps if p.score >= t] for n, ps in candidates.items()}, truth,
                             tolerances_cm=(8,))["micro"]["8"][kind]["f1"] or 0.0 for t in THRESHOLD_GRID]
        best[kind] = (float(THRESHOLD_GRID[int(np.argmax(f1))]), max(f1))
    return best


def context_and_views(model, cfg, thresholds, only):
    coarse_cfg = copy.deepcopy(cfg)
    coarse_cfg.data.row_step_m *= 2
    coarse_cfg.data.window_m *= 2  # the same normalisation window in rows
    truth, fine, coarse, raw, averaged, group_of, columns, radius = {}, {}, {}, {}, {}, {}, {}, {}
    calibration = model.score_calibration
    for group, well, picks in held_out_wells():
        name = well.name
        truth[name], group_of[name], columns[name] = picks, group, well.width
        radius[name] = float(np.median(well.radius_m))
        if only in (None, "context"):
            fine[name] = pick_well_detr(well, model, cfg, thresholds, progress=False)
            coarse[name] = pick_well_detr(well, model, coarse_cfg, thresholds, progress=False)
        if only in (None, "views"):
            model.score_calibration = None  # both on the raw scale
            raw[name] = pick_well_detr(well, TorchEngine(model), cfg, 0.05, progress=False)
            averaged[name] = pick_well_detr(well, AveragedViews(model), cfg, 0.05, progress=False)
            model.score_calibration = calibration
        print(f"{name}: picked", flush=True)
    if fine:
        print("\n| picks | F1 | fracture F1 | bedding F1 | faint recall | partial recall | crossing recall "
              "| dip > 80 recall | dip > 80 F1 |\n|---|---|---|---|---|---|---|---|---|")
        report_row("shipped (one pass)", fine, truth, group_of, columns)
        for min_dip in (60.0, 75.0):
            for min_score in (thresholds[0], 0.7):
                pred = {n: with_context(fine[n], coarse[n], min_dip, min_score, radius[n]) for n in truth}
                report_row(f"+ 2 cm pass, fractures dip >= {min_dip:g}, score >= {min_score:.2f}", pred, truth,
                           group_of, columns)
    if raw:
        print("\nBest per-class F1 at 8 cm over thresholds 0.05-0.90 (raw scores):")
        for label, candidates in (("one view", raw), ("score averaged over 6 views", averaged)):
            best = best_f1(candidates, truth)
            print(f"  {label}: " + ", ".join(f"{k} {f:.3f} at {t:.3f}" for k, (t, f) in best.items()))


REFIT_SETTINGS = {"shipped settings": {}, "column share 0.2": {"MIN_COLUMN_SHARE": 0.2},
                  "correlation 0.6": {"MIN_CORRELATION": 0.6}, "3 rounds": {"ITERATIONS": 3},
                  "band +-8 rows": {"BAND_ROWS": 8}}


def refit_settings(model, cfg, thresholds):
    wells = [(well, truth) for group, well, truth in held_out_wells() if group.startswith("slim")]
    truth = {well.name: t for well, t in wells}
    print("\nSlim pad imager wells, 8 cm (dip MAE on hits, deg):\n\n| refit | F1 | F1 @3 cm | dip MAE "
          "| fracture dip MAE | bedding dip MAE |\n|---|---|---|---|---|---|")
    for label, changes in REFIT_SETTINGS.items():
        saved = {k: getattr(refine, k) for k in changes}
        for k, v in changes.items():
            setattr(refine, k, v)
        pred = {well.name: pick_well_detr(well, model, cfg, thresholds, progress=False) for well, _ in wells}
        for k, v in saved.items():
            setattr(refine, k, v)
        m = evaluate_wells(pred, truth, tolerances_cm=(3, 8))["micro"]
        print(f"| {label} | {m['8']['overall']['f1']:.3f} | {m['3']['overall']['f1']:.3f} "
              f"| {m['8']['overall']['dip_mae_deg']:.2f} | {m['8']['fracture']['dip_mae_deg']:.2f} "
              f"| {m['8']['bedding']['dip_mae_deg']:.2f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["context", "views", "refit"])
    args = parser.parse_args()
    model, cfg, threshold = load_model("default")
    thresholds = class_thresholds(threshold, cfg.model.num_classes)
    if args.only != "refit":
        context_and_views(model, cfg, thresholds, args.only)
    if args.only in (None, "refit"):
        refit_settings(model, cfg, thresholds)


if __name__ == "__main__":
    main()
