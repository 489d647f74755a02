"""Scores of a model (default: the shipped one) and of the Hough baseline on held-out synthetic
wells, per tool type and for deviated wells. The wells come from seeds pretraining never draws.

Usage: python scripts/evaluate_model.py [--model default] [--wells-per-group 3] [--length-m 30]
       [--no-refine] [--uncertainty] [--detector-only] [--variant real-texture]
       [--self-calibrate [--copies 1]] [--split test|test-coarse-rows|test-blurred|validation|validation-blurred|
                                          validation-coarse|validation-coarse-rows]
       [--groups WORD...]
       [--choose-by predict|platt|written] --out DIR
       python scripts/evaluate_model.py --refit DIR/self_calibration.json... --out DIR
Writes DIR/scores.json and DIR/scores.md (the tables in docs/model-card.md), the latter with
the detector's fracture recall and precision by apparent dip, its fracture recall by how
plainly each fracture shows (contrast, visible coverage), the cause of every missed fracture
(where the fracture errors are), the hard-case strata per tool group (geobfdt.evaluation.strata,
plus low-resolution wells: 64 or fewer image columns), the calibration error of the scores
per tool group (raw and calibrated, with DIR/reliability.png) and with --uncertainty how often
the 80% intervals hold the truth. With a model file holding quality-aware scores and evidence-based
intervals (model/calibration.py), the picks at the thresholds get those scores, and with --uncertainty
those intervals, as `predict` writes them (picking/trust.py), after they are chosen. --no-refine picks without the image refit of each sinusoid
(picking/refine.py), to measure what it does. --variant lays a synth variant's settings over each
group's (same seeds, so the same wells but for what the variant changes), e.g. real-texture: the
LWD wells with the real LWD image's artefacts (docs/synthetic.md).

--self-calibrate (with --uncertainty for the intervals) also runs each well's injection-recovery on
--copies implanted copies picked as the well (evaluation/self_calibration.py, `geobfdt predict
--self-calibrate`) and adds the interval table of the self-calibrated picks, with each well's
factors; DIR/self_calibration.json keeps each well's implant ratios and picks (class, written score,
found_again, real, half-widths, errors), and --refit
DIR/self_calibration.json ... re-fits them, pooled, with other constants (a grid of the shrinkage
and the reference ratios, printed per tool group) without
picking again: how the constants were chosen, on --split validation (the seeds of training/ship.py;
never harsh). --groups keeps the tool
groups whose name holds one of the words given (e.g. LWD).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from geobfdt.files import write_text_atomic
from geobfdt.model.calibration import IDENTITY_SCALE
from geobfdt.model.checkpoint import load_model
from geobfdt.evaluation.calibration import ece_noise_floor, expected_calibration_error, pick_matches, pick_outcomes
from geobfdt.evaluation.metrics import evaluate_wells, match_picks
from geobfdt.evaluation.strata import strata_report
from geobfdt.evaluation.injection import run_injection
from geobfdt.evaluation.self_calibration import (COVERAGE, MIN_FACTOR, apply_self_calibration, fit_self_calibration,
                                                 implant_ratios)
from geobfdt.training.ship import (EVIDENCE_AUGMENTATIONS, GROUPS,  # GROUPS name: (config variant, tool)
                                   VALIDATION_LENGTH_M, VALIDATION_SEED_BASE)
from geobfdt.picking.picker import Picker, trusted
from geobfdt.picking.trust import candidate_floor, candidate_thresholds, written_choice, written_score_chooses
from geobfdt.picking.whole_well import pick_well_detr, pick_well_hough_method
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.well import PICK_TYPES

SEED_BASE = 900_000
# --split: (wells, training/ship.py EVIDENCE_AUGMENTATIONS entry): the held-out test wells (SEED_BASE) or the
# validation wells the shipped fits are made on, plain or augmented as that fit augments them (test-coarse-rows:
# the test LWD wells at 5 or 10 cm rows, as a real LWD log's; test-blurred: the test wells with the tool's blur
# scaled 1-3x, as the fit's blurred copies are: does the fit hold on held-out wells of its own augmentation?).
# scripts/pick_evidence.py caches the same splits.
SPLITS = {"test": ("test", "plain"), "test-coarse-rows": ("test", "coarse-rows"), "test-blurred": ("test", "blurred"),
          "validation": ("validation", "plain"), "validation-blurred": ("validation", "blurred"),
          "validation-coarse": ("validation", "coarse"), "validation-coarse-rows": ("validation", "coarse-rows")}
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


def calibration_table(pred_by_well, truth_by_well, group_of, raw_by_well) -> tuple[list[dict], dict]:
    """Per tool group and class: picks, ECE of the scores as written and of the raw scores (the
    calibration undone), and the ECE a perfectly calibrated score shows on that many picks.
    Also the (scores, outcomes) per group for the reliability diagram."""
    rows, curves = [], {}
    for group in [*GROUPS, "all"]:
        names = [n for n in truth_by_well if group in ("all", group_of[n])]
        if not names:  # a group left out (--groups)
            continue
        picks = [p for n in names for p in pred_by_well[n]]
        real = np.concatenate([pick_outcomes(pred_by_well[n], truth_by_well[n]) for n in names]).astype(float)
        score = np.array([p.score for p in picks])
        class_id = np.array([PICK_TYPES.index(p.type) for p in picks])
        raw = np.concatenate([raw_by_well[n] for n in names])
        curves[group] = (score, real)
        for kind in ("both", *PICK_TYPES):
            sel = np.ones(score.size, bool) if kind == "both" else class_id == PICK_TYPES.index(kind)
            if not sel.any():  # a group without picks of this class (one well, a weak trial model)
                continue
            rows.append({"wells": group, "class": kind, "n": int(sel.sum()), "share_real": float(real[sel].mean()),
                         "mean_score": float(score[sel].mean()),
                         "ece": expected_calibration_error(score[sel], real[sel]),
                         "ece_raw": expected_calibration_error(raw[sel], real[sel]),
                         "ece_noise_floor": ece_noise_floor(score[sel])})
    return rows, curves


AZIMUTH_DIP_BINS_DEG = ((0, 10), (10, 30), (30, 90))


def interval_table(pred_by_well, truth_by_well, group_of) -> list[dict]:
    """How often the 80% intervals hold the truth, on real picks (pick_matches), per tool group;
    the azimuth also by true dip (near-flat planes should have wide azimuth intervals)."""
    from geobfdt.training.calibrate import pick_errors
    from geobfdt.model.calibration import QUANTITIES

    rows = []
    for group in [*GROUPS, "all"]:
        widths, errors, dips = [], [], []
        if not any(group in ("all", group_of[n]) for n in truth_by_well):
            continue
        for n in (n for n in truth_by_well if group in ("all", group_of[n])):
            taken = pick_matches(pred_by_well[n], truth_by_well[n])
            real = [i for i in range(len(taken)) if taken[i] >= 0]
            widths += [[getattr(pred_by_well[n][i], q) for q in QUANTITIES] for i in real]
            errors.append(pick_errors([pred_by_well[n][i] for i in real], truth_by_well[n], taken[real]))
            dips += [truth_by_well[n][taken[i]].dip_deg for i in real]
        widths, errors, dips = np.array(widths, dtype=float).reshape(-1, 3), np.concatenate(errors), np.array(dips)
        row = {"wells": group, "n": len(dips)}
        for q, name in enumerate(QUANTITIES):
            row[name] = {"coverage": float(np.mean(errors[:, q] <= widths[:, q])),
                         "median_half_width": float(np.median(widths[:, q]))}
        for lo, hi in AZIMUTH_DIP_BINS_DEG:
            sel = (dips >= lo) & (dips < hi)
            row[f"azimuth, true dip {lo}-{hi}"] = {
                "n": int(sel.sum()), "coverage": float(np.mean(errors[sel, 2] <= widths[sel, 2])) if sel.any() else None,
                "median_half_width": float(np.median(widths[sel, 2])) if sel.any() else None}
        rows.append(row)
    return rows


LOW_RES_COLUMNS = 64  # LWD-like images: 16-64 sectors


def strata_table(pred_by_well, truth_by_well, group_of, columns) -> list[dict]:
    """The hard-case strata (recall; F1 where defined) per tool group and for all wells, then F1
    of whole-well strata: the low-resolution wells and each tool group."""
    rows = []
    for group in [*GROUPS, "all"]:
        names = [n for n in truth_by_well if group in ("all", group_of[n])]
        if not names:
            continue
        for r in strata_report({n: pred_by_well[n] for n in names}, {n: truth_by_well[n] for n in names}):
            rows.append({"wells": group, **r})
    wells_of = {f"low resolution: {LOW_RES_COLUMNS} columns or fewer": [n for n in truth_by_well
                                                                          if columns[n] <= LOW_RES_COLUMNS]}
    wells_of.update({f"tool group: {g}": [n for n in truth_by_well if group_of[n] == g] for g in GROUPS})
    for stratum, names in wells_of.items():
        if not names:
            continue
        micro = evaluate_wells({n: pred_by_well[n] for n in names}, {n: truth_by_well[n] for n in names},
                               tolerances_cm=(8,))["micro"]["8"]
        for kind, key in (("fracture", "fracture"), ("bedding", "bedding"), ("both", "overall")):
            rows.append({"wells": "all", "stratum": stratum, "class": kind, "n_truth": micro[key]["n_truth"],
                         "recall": micro[key]["recall"], "f1": micro[key]["f1"]})
    return rows


def well_self_calibration(well, pick, before, truth, copies: int, group: str) -> dict:
    """One well's implant ratios (evaluation/self_calibration.py implant_ratios, per copy) and its real
    picks (group, real, class, written score, found_again, 80 % half-widths, absolute errors), for the
    tables, --refit and offline score fits."""
    from geobfdt.training.calibrate import pick_errors
    from geobfdt.model.calibration import QUANTITIES

    picked = []
    run_injection(well, pick, copies=copies, before=before, picked=picked)
    taken = pick_matches(before, truth)
    real = np.flatnonzero(taken >= 0)
    errors = np.full((len(before), 3), np.nan)
    errors[real] = pick_errors([before[i] for i in real], truth, taken[real])
    return {"group": group, "outcomes": [implant_ratios(planes, found, before) for planes, found in picked],
            "real": (taken >= 0).tolist(), "type": [p.type for p in before], "score": [p.score for p in before],
            "found_again": [p.found_again for p in before],
            "half_width": [[getattr(p, q) for q in QUANTITIES] for p in before], "error": errors.tolist()}


def _self_calibrated_figures(wells: dict, prior_implants: float, references) -> dict:
    """Per tool group and all: coverage of depth, dip and azimuth of the self-calibrated real picks."""
    rows = {}
    for group in [*GROUPS, "all"]:
        names = [n for n, v in wells.items() if group in ("all", v["group"])]
        if not names:
            continue
        inside = []
        for n in names:
            v = wells[n]
            fit = fit_self_calibration(_outcomes(v), prior_implants, MIN_FACTOR, references)
            width = np.array(v["half_width"], dtype=float).reshape(-1, 3) * np.array(fit.factors)
            width[:, 2] = np.minimum(width[:, 2], 180.0)
            error, is_real = np.array(v["error"], dtype=float).reshape(-1, 3), np.array(v["real"], bool)
            inside.append(np.where(np.isnan(error), np.nan, error <= width)[is_real])
        rows[group] = list(np.nanmean(np.concatenate(inside), axis=0))
    return rows


def _outcomes(well: dict) -> list:
    return [np.asarray(o, dtype=float).reshape(-1, 3) for o in well["outcomes"]]


def reference_ratios(wells: dict, percentile: float) -> tuple[float, float, float]:
    """Per quantity, the percentile over the wells of each well's COVERAGE quantile of its implant ratios
    (evaluation/self_calibration.py REFERENCE_RATIOS, measured on validation wells)."""
    per_well = []
    for v in wells.values():
        ratios = np.concatenate(_outcomes(v)) if v["outcomes"] else np.zeros((0, 3))
        per_well.append([np.quantile(r[np.isfinite(r)], COVERAGE) if np.isfinite(r).any() else np.nan
                         for r in ratios.T])
    return tuple(float(v) for v in np.nanpercentile(np.array(per_well), percentile, axis=0))


def refit_table(paths: list[str], out: str) -> None:
    """self_calibration.json files (pooled) re-fitted on a grid of PRIOR_IMPLANTS and the percentile over
    their wells that gives REFERENCE_RATIOS."""
    wells = {f"{k}:{n}": v for k, path in enumerate(paths) for n, v in json.loads(Path(path).read_text()).items()}
    lines = ["| implants' prior | reference: percentile of wells | ratios | wells | depth | dip | azimuth |",
             "|---|---|---|---|---|---|---|"]
    for percentile in (50.0, 75.0, 90.0):
        references = reference_ratios(wells, percentile)
        for prior_implants in (0.0, 2.0, 10.0, 40.0):
            for group, row in _self_calibrated_figures(wells, prior_implants, references).items():
                lines.append(f"| {prior_implants:g} | {percentile:g} | {', '.join(f'{r:.2f}' for r in references)} | "
                             f"{group} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    Path(out).mkdir(parents=True, exist_ok=True)
    write_text_atomic(Path(out) / "refit.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


def self_calibration_lines(results: dict, uncertainty: bool) -> list[str]:
    """scores.md's self-calibration tables: coverage as predicted and self-calibrated, each well's factors."""
    fmt = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"
    lines = []
    if uncertainty:
        lines += ["", "80% intervals on the real picks, as predicted -> self-calibrated (coverage; median half-width):",
                  "", "| wells | picks | depth | dip | azimuth |", "|---|---|---|---|---|"]
        for b, r in zip(results["intervals"], results["self_calibrated"]["intervals"]):
            cells = [f"{fmt(b[q]['coverage'], 2)} -> {fmt(r[q]['coverage'], 2)} ({fmt(b[q]['median_half_width'], 1)} -> "
                     f"{fmt(r[q]['median_half_width'], 1)})" for q in ("depth_err80_cm", "dip_err80_deg", "azimuth_err80_deg")]
            lines.append(f"| {r['wells']} | {r['n']} | " + " | ".join(cells) + " |")
    lines += ["", "Per well: interval factors (depth, dip, azimuth) and the recovered implants behind them:", "",
              "| well | factors | implants |", "|---|---|---|"]
    for n, w in results["self_calibrated"]["wells"].items():
        lines.append(f"| {n} | {', '.join(f'{f:.2f}' for f in w['interval_factors'].values())} | "
                     f"{', '.join(str(k) for k in w['implants_per_factor'].values())} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--wells-per-group", type=int, default=3)
    parser.add_argument("--length-m", type=float, default=30.0)
    parser.add_argument("--no-refine", action="store_true")
    parser.add_argument("--uncertainty", action="store_true")
    parser.add_argument("--detector-only", action="store_true", help="skip the Hough baseline")
    parser.add_argument("--variant", choices=[v for v in VARIANTS if v != "default"],
                        help="synth variant laid over each group's settings (default: none)")
    parser.add_argument("--self-calibrate", action="store_true",
                        help="also each well's injection-recovery self-calibration (evaluation/self_calibration.py)")
    parser.add_argument("--copies", type=int, default=1, help="implanted copies per well for --self-calibrate")
    parser.add_argument("--split", choices=list(SPLITS),
                        default="test",
                        help="held-out wells (seeds 900,000+, default), their LWD wells at 5 or 10 cm rows as a real "
                        "LWD log's, or the validation wells of training/ship.py plain or augmented as its "
                        "evidence fit augments them (SPLITS; EVIDENCE_AUGMENTATIONS)")
    parser.add_argument("--groups", nargs="+", metavar="WORD", help="tool groups whose name holds one of these words")
    parser.add_argument("--refit", nargs="+", metavar="JSON",
                        help="self_calibration.json files (pooled): re-fit them on a grid, no picking")
    parser.add_argument("--choose-by", choices=("predict", "platt", "written"), default="predict",
                        help="how the picks are chosen at the thresholds: as predict chooses them (default: by the "
                        "written score on sector images with sector noise, picking/trust.py written_score_chooses; "
                        "by the Platt score elsewhere), by the Platt score on every well (what predict did before "
                        "the gate), or by the written score on every well (a lever measured, not shipped: "
                        "docs/experiments.md); the table of missed fractures' causes stays on the Platt choice")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.self_calibrate and args.choose_by != "predict":
        parser.error("--self-calibrate picks the copies as predict does: --choose-by predict")
    if args.self_calibrate and args.no_refine:
        parser.error("--self-calibrate picks the copies as predict does, with the refit")
    if args.refit:
        refit_table(args.refit, args.out)
        return
    model, header = load_model(args.model)
    cfg, thresholds, calibration = header.config, header.thresholds, header.score_calibration
    evidence = args.uncertainty and header.evidence_intervals is not None
    picker = Picker(model=args.model, method="detr", engine=model, header=header)
    floor = candidate_floor(calibration)  # candidates down to the raw score CANDIDATE_RAW_SCORE, on the scores' scale
    flags = "".join(f" --{f}" for f in ("no-refine", "uncertainty", "detector-only") if getattr(args, f.replace("-", "_")))
    flags += f" --variant {args.variant}" if args.variant else ""
    flags += f" --self-calibrate --copies {args.copies}" if args.self_calibrate else ""
    flags += f" --split {args.split}" if args.split != "test" else ""
    flags += f" --groups {' '.join(args.groups)}" if args.groups else ""
    flags += f" --choose-by {args.choose_by}" if args.choose_by != "predict" else ""
    groups = {name: value for name, value in GROUPS.items() if not args.groups or any(w in name for w in args.groups)}
    split_wells, augmentation = SPLITS[args.split]
    seed_base, length_m = ((SEED_BASE, args.length_m) if split_wells == "test"
                           else (VALIDATION_SEED_BASE, VALIDATION_LENGTH_M))
    split_settings, split_groups = EVIDENCE_AUGMENTATIONS[augmentation]
    groups = {name: value for name, value in groups.items() if name in split_groups}
    self_calibrated, self_calibration = {}, {}
    results = {"command": f"python scripts/evaluate_model.py --model {args.model} --wells-per-group "
                          f"{args.wells_per_group} --length-m {args.length_m:g}{flags} --out {args.out}", "groups": {}}
    methods = ("detector",) if args.detector_only else ("detector", "hough")
    all_pred = {m: {} for m in methods}
    candidates = {}
    all_truth, visibility, columns, group_of, raw_by_well = {}, {}, {}, {}, {}
    for g, (name, (variant, tool)) in enumerate(GROUPS.items()):
        if name not in groups:
            continue
        truth, pred = {}, {m: {} for m in methods}
        for k in range(args.wells_per_group):
            seed = seed_base + 100 * g + k
            config = SynthConfig.variant(variant).replace(**{**(VARIANTS[args.variant] if args.variant else {}),
                                                             **split_settings})
            well, picks = synthesize_well(seed, length_m=length_m, config=config,
                                          tool=tool, name=f"TEST{seed}")
            truth[well.name] = picks
            columns[well.name], group_of[well.name] = well.width, name
            visibility[well.name] = list(zip(well.provenance["label_snr"], well.provenance["label_coverage"]))
            # picked once at the lowest score: the shipped picks are those above their class threshold
            # (merging keeps the best of duplicates, so dropping low scores afterwards gives the same picks)
            candidates[well.name] = pick_well_detr(well, model, cfg, [min(f, t) for f, t in zip(floor, thresholds)],
                                                  progress=False, refine=not args.no_refine,
                                                  uncertainty=args.uncertainty, calibration=calibration,
                                                  intervals=IDENTITY_SCALE if evidence else header.interval_scale)
            by_written = {"written": (True,) * len(PICK_TYPES), "platt": (False,) * len(PICK_TYPES)}.get(
                args.choose_by) or written_score_chooses(well, header.quality_scores)
            # as Picker.pick chooses: the candidates down to each class's floor scored as predict writes them,
            # a class chosen by the written score held to its threshold on it
            below = candidate_thresholds(thresholds, calibration, by_written)
            if len(set(by_written)) > 1:  # one class's candidates lower than the other's: merged as predict merges them
                scored = pick_well_detr(well, model, cfg, below, progress=False, refine=not args.no_refine,
                                        uncertainty=args.uncertainty, calibration=calibration,
                                        intervals=IDENTITY_SCALE if evidence else header.interval_scale)
            else:
                scored = [replace(p) for p in candidates[well.name] if p.score >= below[PICK_TYPES.index(p.type)]]
            platt = [p.score for p in scored]
            trusted(well, scored, header, args.uncertainty)
            kept = {id(p) for p in written_choice(scored, thresholds, by_written)}
            shipped = [p for p in scored if id(p) in kept]
            score = np.array([s for p, s in zip(scored, platt) if id(p) in kept], dtype=float)
            class_id = np.array([PICK_TYPES.index(p.type) for p in shipped], dtype=int)
            raw_by_well[well.name] = score if calibration is None else calibration.raw_scores(score, class_id)
            pred["detector"][well.name] = shipped
            if "hough" in methods:
                pred["hough"][well.name] = pick_well_hough_method(well, cfg)
            if args.self_calibrate:  # the copies picked as predict picks (picking/picker.py)
                self_calibration[well.name] = well_self_calibration(
                    well, lambda w: picker.pick(w, uncertainty=args.uncertainty), pred["detector"][well.name], picks,
                    args.copies, name)
                self_calibrated[well.name] = apply_self_calibration(
                    pred["detector"][well.name], fit_self_calibration(self_calibration[well.name]["outcomes"]))
        all_truth.update(truth)
        results["groups"][name] = {}
        for method in pred:
            all_pred[method].update(pred[method])
            results["groups"][name][method] = evaluate_wells(pred[method], truth, tolerances_cm=(3, 5, 8))["micro"]
        print(name, {m: round(results["groups"][name][m]["8"]["overall"]["f1"] or 0, 3) for m in pred}, flush=True)
    results["groups"]["all"] = {m: evaluate_wells(all_pred[m], all_truth, tolerances_cm=(3, 5, 8))["micro"]
                                for m in all_pred}
    results["detector_fracture_errors"] = fracture_errors(candidates, thresholds, all_truth, visibility)
    shipped = all_pred["detector"]
    results["calibration"], curves = calibration_table(shipped, all_truth, group_of, raw_by_well)
    results["strata"] = strata_table(shipped, all_truth, group_of, columns)
    if args.uncertainty:
        results["intervals"] = interval_table(shipped, all_truth, group_of)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.self_calibrate:
        results["self_calibrated"] = {"wells": {n: fit_self_calibration(v["outcomes"]).to_dict()
                                                for n, v in self_calibration.items()}}
        if args.uncertainty:
            results["self_calibrated"]["intervals"] = interval_table(self_calibrated, all_truth, group_of)
        write_text_atomic(out / "self_calibration.json", json.dumps(
            {n: {**v, "outcomes": [o.tolist() for o in v["outcomes"]]} for n, v in self_calibration.items()},
            default=float))
    from geobfdt.reports.plots import plot_reliability

    plot_reliability({g: curves[g] for g in GROUPS if g in curves}, out / "reliability.png",
                     title="Reliability of the written scores, held-out synthetic wells")
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
    lines += ["", "Calibration of the written scores (picks at the thresholds; real: a true pick of the class "
              "within 8 cm not taken by a better-scoring pick):", "",
              "| wells | class | picks | share real | mean score | ECE | ECE raw scores | ECE noise floor |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['wells']} | {r['class']} | {r['n']} | {fmt(r['share_real'])} | {fmt(r['mean_score'])} "
              f"| {fmt(r['ece'])} | {fmt(r['ece_raw'])} | {fmt(r['ece_noise_floor'])} |" for r in results["calibration"]]
    lines += ["", "Hard cases at 8 cm (recall on the true planes of the stratum; F1 where the stratum exists "
              "among predictions too):", "", "| wells | stratum | class | true planes | recall | F1 |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['wells']} | {r['stratum']} | {r['class']} | {r['n_truth']} | {fmt(r['recall'])} "
              f"| {fmt(r.get('f1'))} |" for r in results["strata"]]
    if args.uncertainty:
        lines += ["", "80% intervals (half-widths: depth cm, dip and azimuth deg) on the real picks: share holding "
                  "the truth, median half-width:", "",
                  "| wells | picks | depth | dip | azimuth | azimuth, true dip < 10 | 10-30 | >= 30 |", "|---|---|---|---|---|---|---|---|"]
        for r in results["intervals"]:
            cells = [f"{fmt(r[q]['coverage'], 2)} ({fmt(r[q]['median_half_width'], 1)})"
                     for q in ("depth_err80_cm", "dip_err80_deg", "azimuth_err80_deg")]
            cells += [f"{fmt(r[k]['coverage'], 2)} ({fmt(r[k]['median_half_width'], 1)}, n {r[k]['n']})"
                      for k in r if k.startswith("azimuth, true dip")]
            lines.append(f"| {r['wells']} | {r['n']} | " + " | ".join(cells) + " |")
    if args.self_calibrate:
        lines += self_calibration_lines(results, args.uncertainty)
    write_text_atomic(out / "scores.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
