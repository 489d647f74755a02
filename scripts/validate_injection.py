"""Does injection-recovery (geobfdt inject-test) tell the truth? Checked where the truth is known: on the
held-out synthetic wells of scripts/evaluate_model.py (same groups and seeds), per synth variant, the
implants' recovery and error quantiles against the real picks' (the generator's labels).

Per variant and class: recovery and the 50 % / 80 % quantiles of the depth, dip and azimuth errors,
of the implants (pooled over wells and copies) and of the real planes (dip below 80 deg, the implants'
range), the implants weighted by the real planes' mix of wells and dips (matching_weights: implants go
one every 0.7 m whatever a well holds, so unweighted a well with few real planes of a class would weigh
among the implants as much as one with many). The issue's target: error
quantiles within 25 % and recovery within 0.05 of the real picks'. Then, per class and dip bin, the
recovery of each and the median contrast of the planes (their profile's height over the image's noise,
the `contrast_sd` of picking/evidence.py, read on the image each plane is in): where the implants
come back less often than the real planes of their dips, this says whether they are fainter. Last, per
tool group and class, the recovery of each, and per class by the distance to the nearest other plane
the recovery and 80 % error quantiles (crowded planes are found less often and less well). And the
well's own picks (scored as `predict` scores them) by their found_again share (the copies that found
each again): how often those found again by every copy and those lost by one are real, against their
mean score, overall and per score band; and per well, each class's recovery and median errors.

Usage: python scripts/validate_injection.py [--variants default real-texture] [--wells-per-group 3]
       [--length-m 30] [--copies 2] [--seed 0] [--split test|test-coarse-rows] --out DIR
Writes DIR/validation.json and DIR/validation.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluate_model import SEED_BASE, SPLITS
from geobfdt.evaluation.calibration import pick_matches
from geobfdt.evaluation.injection import (ERRORS, bin_shares, crowding_rows, matched_errors, matching_weights,
                                          recovery_rows, run_injection, weighted_quantiles)
from geobfdt.files import write_text_atomic
from geobfdt.picking.engine import load_engine
from geobfdt.picking.evidence import EVIDENCE, pick_evidence
from geobfdt.picking.injection import DIP_BINS_DEG, implant_truth, implant_well, plan_implants
from geobfdt.picking.picker import Picker
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.ship import EVIDENCE_AUGMENTATIONS, GROUPS
from geobfdt.well import PICK_TYPES

ERROR_TOLERANCE = 0.25  # relative, on each error quantile
SCORE_BANDS = ((0.0, 1.01), (0.0, 0.7), (0.7, 0.9), (0.9, 1.01))  # the first: every pick
RECOVERY_TOLERANCE = 0.05


def _pool(parts):
    return tuple(np.concatenate(p) for p in zip(*parts))


def nearest_other_m(depth_m: np.ndarray, every_depth_m: np.ndarray) -> np.ndarray:
    """Each plane's distance to the nearest other plane among every_depth_m (which holds it too)."""
    gaps = np.abs(np.asarray(depth_m)[:, None] - np.asarray(every_depth_m)[None, :])
    return np.partition(gaps, 1, axis=1)[:, 1] if gaps.shape[1] > 1 else np.full(len(depth_m), np.inf)


def well_row(seed: int, real, implants) -> dict:
    """One well, per class: planes, recovery and median depth / dip / azimuth errors, real and implanted."""
    row = {"seed": seed}
    for kind in PICK_TYPES:
        for name, (dip, kinds, found, errors) in (("real", real), ("implants", implants)):
            sel = kinds == kind
            hit = errors[sel & found]
            row[f"{kind}_{name}"] = [int(sel.sum()), float(found[sel].mean()) if sel.any() else None] + \
                [float(np.nanmedian(hit[:, q])) if np.isfinite(hit[:, q]).any() else None for q in range(3)]
    return row


def contrast_by_bin(dip, kinds, contrast, plane_weights=None) -> list[dict]:
    """Per class and dip bin (recovery_rows' order, less the all-dips rows): the median contrast (weighted
    by plane_weights when given)."""
    weights = np.ones(dip.size) if plane_weights is None else np.asarray(plane_weights, float)
    rows = []
    for kind in PICK_TYPES:
        for lo, hi in zip(DIP_BINS_DEG[:-1], DIP_BINS_DEG[1:]):
            sel = (kinds == kind) & (dip >= lo) & (dip < hi)
            rows.append({"class": kind, "dip_bin_deg": f"{lo:g}-{hi:g}",
                         "median_contrast_sd": weighted_quantiles(contrast[sel], weights[sel])[0]})
    return rows


def validate_variant(variant: str, picker: Picker, args) -> dict:
    real, injected, seconds, well_picks = [], [], {"predict": 0.0, "inject": 0.0}, []
    contrast = {"real": [], "implants": []}
    crowding = {"real": [], "implants": []}
    column = EVIDENCE.index("contrast_sd")
    overrides, groups = EVIDENCE_AUGMENTATIONS[SPLITS[args.split][1]]  # the split's tool groups and settings
    jobs = [(g, k, tool, group_variant) for g, (name, (group_variant, tool)) in enumerate(GROUPS.items())
            if name in groups for k in range(args.wells_per_group)]
    for g, k, tool, group_variant in tqdm(jobs, desc=f"validate {variant}", unit="well"):
        seed = SEED_BASE + 100 * g + k
        config = SynthConfig.variant(group_variant).replace(**{**VARIANTS[variant], **overrides})
        well, truth = synthesize_well(seed, length_m=args.length_m, config=config, tool=tool, name=f"TEST{seed}")
        pick = picker.positions  # as inject-test picks (as predict chooses)
        start = time.perf_counter()
        before = picker.pick(well)  # the same picks, scored as predict scores them
        seconds["predict"] += time.perf_counter() - start
        start = time.perf_counter()
        _, _, _, outcomes = run_injection(well, pick, seed=args.seed, copies=args.copies, before=before)
        seconds["inject"] += time.perf_counter() - start
        well_picks += [{"real": bool(r), "score": p.score, "found_again": p.found_again}
                       for p, r in zip(before, pick_matches(before, truth) >= 0)]
        kept = [t for t in truth if t.dip_deg < DIP_BINS_DEG[-1]]
        real.append(matched_errors(kept, before))
        injected.append(outcomes)
        contrast["real"].append(pick_evidence(well, kept)[:, column])
        true_depth = np.array([t.depth_m for t in truth])
        crowding["real"].append(nearest_other_m([t.depth_m for t in kept], true_depth))
        for copy in range(args.copies):  # the copies run_injection picked (a seed is a plan)
            implants = plan_implants(well, before, args.seed, copy)
            planes = implant_truth(implants)
            contrast["implants"].append(pick_evidence(implant_well(well, implants), planes)[:, column])
            depth = np.array([p.depth_m for p in planes])
            crowding["implants"].append(nearest_other_m(depth, np.concatenate([depth, true_depth])))
    well_weights = [matching_weights(r, i) for r, i in zip(real, injected)]
    by_group = []
    for g, name in enumerate(GROUPS):
        wells = [w for w, job in enumerate(jobs) if job[0] == g]
        if not wells:
            continue
        group_real, group_injected = _pool([real[w] for w in wells]), _pool([injected[w] for w in wells])
        group_weights = np.concatenate([well_weights[w] for w in wells])
        for kind in PICK_TYPES:
            r, i = group_real[1] == kind, group_injected[1] == kind
            by_group.append({"group": name, "class": kind, "real_n": int(r.sum()), "implants_n": int(i.sum()),
                             "real_recovery": float(group_real[2][r].mean()) if r.any() else None,
                             "implants_recovery": float(np.average(group_injected[2][i], weights=group_weights[i]))
                             if group_weights[i].sum() > 0 else None})
    weights = np.concatenate(well_weights)
    real_parts, injected_parts = real, injected
    real, injected = _pool(real), _pool(injected)
    shares = bin_shares(real[0], real[1])
    real_rows = recovery_rows(*real, weights_by_bin=shares)
    injected_rows = recovery_rows(*injected, weights_by_bin=shares, plane_weights=weights)
    summary = []
    for r, i in zip(real_rows, injected_rows):
        if r["dip_bin_deg"] != f"{DIP_BINS_DEG[0]:g}-{DIP_BINS_DEG[-1]:g}":
            continue
        row = {"class": r["class"], "real_n": r["n"], "implants_n": i["n"], "real_recovery": r["recovery"],
               "implants_recovery": i["recovery"],
               "recovery_ok": None if None in (r["recovery"], i["recovery"])
               else abs(r["recovery"] - i["recovery"]) <= RECOVERY_TOLERANCE}
        for name in ERRORS:
            row[f"real_{name}"], row[f"implants_{name}"] = r[name], i[name]
            row[f"{name}_ratio"] = [None if None in (a, b) or a == 0 else b / a for a, b in zip(r[name], i[name])]
            row[f"{name}_ok"] = [None if q is None else abs(q - 1.0) <= ERROR_TOLERANCE for q in row[f"{name}_ratio"]]
        summary.append(row)
    return {"variant": variant, "real_dip_shares": shares, "summary": summary,
            "real_by_dip": real_rows, "implants_by_dip": injected_rows,
            "real_contrast_by_dip": contrast_by_bin(real[0], real[1], np.concatenate(contrast["real"])),
            "implants_contrast_by_dip": contrast_by_bin(injected[0], injected[1], np.concatenate(contrast["implants"]),
                                                        weights),
            "by_group": by_group,
            "real_by_crowding": crowding_rows(real[1], real[2], real[3], np.concatenate(crowding["real"])),
            "implants_by_crowding": crowding_rows(injected[1], injected[2], injected[3],
                                                  np.concatenate(crowding["implants"]), plane_weights=weights),
            "found_again": found_again_rows(well_picks), "seconds": seconds,
            "by_well": [well_row(SEED_BASE + 100 * g + k, r, i)
                        for (g, k, _, _), r, i in zip(jobs, real_parts, injected_parts)]}


def found_again_rows(picks: list[dict]) -> list[dict]:
    """Per score band (and all scores): the well's picks found again by every copy and those lost by one
    or more, each with its count, share real and mean score."""
    rows = []
    for lo, hi in SCORE_BANDS:
        band = [p for p in picks if lo <= p["score"] < hi]
        row = {"scores": [lo, hi]}
        for name, part in (("found", [p for p in band if p["found_again"] == 1.0]),
                           ("lost", [p for p in band if p["found_again"] is not None and p["found_again"] < 1.0])):
            row[name] = {"n": len(part), "real": float(np.mean([p["real"] for p in part])) if part else None,
                         "mean_score": float(np.mean([p["score"] for p in part])) if part else None}
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--variants", nargs="+", default=["default", "real-texture"], choices=list(VARIANTS))
    parser.add_argument("--wells-per-group", type=int, default=3)
    parser.add_argument("--length-m", type=float, default=30.0)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=["test", "test-coarse-rows"], default="test",
                        help="the held-out wells (default), or their LWD wells at a real LWD log's 5-10 cm rows")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    engine, header = load_engine(args.model, log=lambda *a: None)
    picker = Picker(model=args.model, method="detr", engine=engine, header=header)
    command = (f"python scripts/validate_injection.py --model {args.model} --variants {' '.join(args.variants)} "
               f"--wells-per-group {args.wells_per_group} --length-m {args.length_m:g} --copies {args.copies} "
               f"--seed {args.seed} --split {args.split} --out {args.out}")
    results = {"command": command, "variants": [validate_variant(v, picker, args) for v in args.variants]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "validation.json", json.dumps(results, indent=2, default=float))
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    mark = lambda ok: "" if ok is None else (" ok" if ok else " **off**")
    lines = [f"Command: `{command}`", "",
             "Real picks against implants (real / implants; errors: median and 80 % quantile), held-out synthetic "
             f"wells, dip below {DIP_BINS_DEG[-1]:g} deg, implants weighted by the real planes' mix of wells and dips:",
             "",
             "| variant | class | planes real / implants | recovery | depth error (cm) | dip error (deg) | azimuth error (deg) |",
             "|---|---|---|---|---|---|---|"]
    for v in results["variants"]:
        for r in v["summary"]:
            cells = [f"{fmt(r['real_recovery'])} / {fmt(r['implants_recovery'])}{mark(r['recovery_ok'])}"]
            for name in ERRORS:
                cells.append(", ".join(f"{fmt(a)} / {fmt(b)}{mark(ok)}" for a, b, ok in
                                       zip(r[f"real_{name}"], r[f"implants_{name}"], r[f"{name}_ok"])))
            lines.append(f"| {v['variant']} | {r['class']} | {r['real_n']} / {r['implants_n']} | " + " | ".join(cells) + " |")
    lines += ["", "Per dip bin: recovery and median contrast (profile height over the image's noise, `contrast_sd`) "
              "of the real planes and the implants (weighted as above):", "",
              "| variant | class | dip (deg) | real: planes, recovery, contrast | implants: planes, recovery, contrast |",
              "|---|---|---|---|---|"]
    for v in results["variants"]:
        bins = [r for r in v["real_by_dip"] if r["dip_bin_deg"] != f"{DIP_BINS_DEG[0]:g}-{DIP_BINS_DEG[-1]:g}"]
        implanted = [r for r in v["implants_by_dip"] if r["dip_bin_deg"] != f"{DIP_BINS_DEG[0]:g}-{DIP_BINS_DEG[-1]:g}"]
        for r, i, rc, ic in zip(bins, implanted, v["real_contrast_by_dip"], v["implants_contrast_by_dip"]):
            lines.append(f"| {v['variant']} | {r['class']} | {r['dip_bin_deg']} | {r['n']}, {fmt(r['recovery'])}, "
                         f"{fmt(rc['median_contrast_sd'])} | {i['n']}, {fmt(i['recovery'])}, {fmt(ic['median_contrast_sd'])} |")
    lines += ["", "Per tool group (dip below 80 deg, all dips pooled; the implants weighted to the group's real "
              "planes' wells and dips):", "",
              "| variant | tool group | class | real: planes, recovery | implants: planes, recovery |",
              "|---|---|---|---|---|"]
    for v in results["variants"]:
        for r in v["by_group"]:
            lines.append(f"| {v['variant']} | {r['group']} | {r['class']} | {r['real_n']}, {fmt(r['real_recovery'])} | "
                         f"{r['implants_n']}, {fmt(r['implants_recovery'])} |")
    lines += ["", "By the distance to the nearest other plane (the well's true planes and the copy's implants): "
              "planes, recovery, and the 80 % quantiles of the depth (cm), dip and azimuth (deg) errors of those "
              "recovered (the implants weighted as above):", "",
              "| variant | class | nearest other plane (m) | real | implants |", "|---|---|---|---|---|"]
    cell = lambda r: f"{r['n']}, {fmt(r['recovery'])}; " + " / ".join(fmt(r[name][1]) for name in ERRORS)
    for v in results["variants"]:
        for r, i in zip(v["real_by_crowding"], v["implants_by_crowding"]):
            lo, hi = r["nearest_m"]
            span = f">= {lo:g}" if hi is None else f"{lo:g}-{hi:g}"
            lines.append(f"| {v['variant']} | {r['class']} | {span} | {cell(r)} | {cell(i)} |")
    lines += ["", "Per well and class: planes, recovery and median depth (cm) / dip / azimuth (deg) error, real and "
              "implanted:", "", "| variant | well seed | fracture: real | implants | bedding: real | implants |",
              "|---|---|---|---|---|---|"]
    per_well = lambda c: f"{c[0]}, {fmt(c[1])}; " + " / ".join(fmt(x) for x in c[2:])
    for v in results["variants"]:
        for r in v["by_well"]:
            lines.append(f"| {v['variant']} | {r['seed']} | " + " | ".join(
                per_well(r[f"{kind}_{side}"]) for kind in PICK_TYPES for side in ("real", "implants")) + " |")
    lines += ["", "The well's picks (scored as predict scores them) by their found_again: found again by every copy, "
              "or lost by one or more: picks, share real, mean score:", "",
              "| variant | scores | found again | lost |", "|---|---|---|---|"]
    band = lambda r: "all" if r["scores"] == list(SCORE_BANDS[0]) else f"{r['scores'][0]:g}-{min(r['scores'][1], 1.0):g}"
    side = lambda r: f"{r['n']}, {fmt(r['real'])}, {fmt(r['mean_score'])}"
    for v in results["variants"]:
        for r in v["found_again"]:
            lines.append(f"| {v['variant']} | {band(r)} | {side(r['found'])} | {side(r['lost'])} |")
    lines += ["", "Seconds (this machine, busy): " + "; ".join(
        f"{v['variant']}: predict {v['seconds']['predict']:.0f}, inject-test {v['seconds']['inject']:.0f} "
        f"({args.copies} copies)" for v in results["variants"])]
    write_text_atomic(out / "validation.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
