"""Issue 30, item 4, a lever without retraining: the quality-aware score map fitted on candidates.

The shipped map (model/calibration.py QualityScores: the raw score, the trace's contrast over the
noise, the pixel width, the coarse flag and the well's blur) was fitted on the picks at the
thresholds only, and picks are chosen by the Platt score before it is applied. Here the same form,
with the well's noise (picking/injection.py background_sd) as one more term unless --no-noise-term,
is fitted on every candidate down to the raw score --floor of the wells the shipped map is fitted on
(training/ship.py evidence_wells: the validation wells, default and `real-texture`, plain, blurred
and coarse; never `harsh`); one threshold per class is tuned on them (best F1 @8 cm of the class);
then the held-out wells of scripts/evaluate_model.py (seeds 900,000+, --test-per-group per tool
group) are picked by it, against the shipped choice (Platt score at the shipped thresholds), for
the default, `real-texture` and `harsh` variants. Picking without the test-time views or intervals:
the same picks as `predict`.

With --sector-terms the map's terms are the shipped map's instead (model/calibration.py QUALITY_TERMS: on
sector images only, with the well's azimuthal noise share; no noise term).

Usage: python scripts/candidate_score_map.py [--floor 0.1] [--test-per-group 6] [--no-noise-term | --sector-terms] --out DIR
Writes DIR/candidate_map.json and DIR/candidate_map.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import write_text_atomic
from geobfdt.model.calibration import ALL_IMAGES_QUALITY_TERMS, QUALITY_TERMS, SECTOR_QUALITY_TERMS, logit, quality_design, sigmoid
from geobfdt.picking.engine import load_engine
from geobfdt.picking.injection import background_sd, working_scale
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.training.calibrate import evidence_rows, evidence_table, fit_quality_map
from geobfdt.training.ship import GROUPS, evidence_wells, validation_well
from geobfdt.well import PICK_TYPES
from pick_evidence import draw_well

THRESHOLD_GRID = np.round(np.arange(0.2, 0.801, 0.025), 3)
CLASSES = ("overall",) + PICK_TYPES


def candidates(wells, engine, header, floor: float, desc: str) -> list[dict]:
    """Per well: its group, truth, candidates (raw scores >= floor), their evidence table and the well's noise."""
    out = []
    for group, (well, truth) in tqdm(wells, desc=desc, unit="well"):
        picks = pick_well_detr(well, engine, header.config, (floor, floor), progress=False)
        table = evidence_table([evidence_rows(well, picks, truth)], header.score_calibration) if picks else None
        noise = background_sd(working_scale(np.asarray(well.image), np.float32)[0])
        out.append({"group": group, "truth": truth, "picks": picks, "table": table, "noise": noise})
    return out


SECTOR_COLUMNS = [QUALITY_TERMS.index(term) - 2 for term in SECTOR_QUALITY_TERMS]


def design(table: dict, noise: float, noise_term: bool | None) -> np.ndarray:
    """noise_term None: the shipped map's terms (sector images only); else the terms on every image (the
    shipped map before 2026-12-07), with the well's noise where noise_term."""
    if noise_term is None:
        return quality_design(table)[:, SECTOR_COLUMNS]
    features = quality_design(table)[:, :len(ALL_IMAGES_QUALITY_TERMS)]
    return np.c_[features, np.full(len(features), np.log(noise))] if noise_term else features


def fit_map(wells: list[dict], noise_term: bool) -> dict:
    """Per class, (a, b, c...) of sigmoid(a logit(raw) + b + c . features) fitted on every candidate."""
    used = [w for w in wells if w["table"] is not None]
    raw = np.concatenate([w["table"]["raw_score"] for w in used])
    class_id = np.concatenate([w["table"]["class_id"] for w in used])
    real = np.concatenate([w["table"]["real"] for w in used]).astype(float)
    features = np.concatenate([design(w["table"], w["noise"], noise_term) for w in used])
    return {name: fit_quality_map(logit(raw[class_id == k]), features[class_id == k], real[class_id == k])
            for k, name in enumerate(PICK_TYPES)}


def score(wells: list[dict], params: dict, noise_term: bool) -> None:
    """Each well's candidates get `new` (the fitted map) and `platt` (the shipped choice's score)."""
    for w in wells:
        if w["table"] is None:
            w["new"] = w["platt"] = np.zeros(0)
            continue
        t = w["table"]
        theta = np.array([params[name] for name in PICK_TYPES])[t["class_id"].astype(int)]
        z = theta[:, 0] * logit(t["raw_score"]) + theta[:, 1] + np.sum(design(t, w["noise"], noise_term) * theta[:, 2:], 1)
        w["new"], w["platt"] = sigmoid(z), t["score"]


def f1(wells: list[dict], key: str, thresholds: dict) -> dict:
    """F1 @8 cm overall and per class of the candidates whose `key` score passes their class threshold."""
    # keyed by position: a validation well's variants and augmentations share its name
    pred = {i: [p for p, s in zip(w["picks"], w[key]) if s >= thresholds[p.type]] for i, w in enumerate(wells)}
    micro = evaluate_wells(pred, {i: w["truth"] for i, w in enumerate(wells)}, tolerances_cm=(8,))["micro"]["8"]
    return {c: micro[c]["f1"] for c in CLASSES}


def tune(wells: list[dict]) -> dict:
    """Per class, the THRESHOLD_GRID value with the best F1 @8 cm of the class on `wells`."""
    best = {}
    for kind in PICK_TYPES:
        scores = [f1(wells, "new", {k: (t if k == kind else 2.0) for k in PICK_TYPES})[kind] or 0.0
                  for t in THRESHOLD_GRID]
        best[kind] = float(THRESHOLD_GRID[int(np.argmax(scores))])
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--floor", type=float, default=0.1, help="the lowest raw score of a candidate")
    parser.add_argument("--test-per-group", type=int, default=6)
    terms = parser.add_mutually_exclusive_group()
    terms.add_argument("--no-noise-term", action="store_true")
    terms.add_argument("--sector-terms", action="store_true", help="the shipped map's terms, not those on every image")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
    noise_term = None if args.sector_terms else not args.no_noise_term
    shipped = dict(zip(PICK_TYPES, header.thresholds))
    validation = candidates([(g, validation_well(g, k, v, a)) for v, a, g, k in evidence_wells(4)], engine, header,
                            args.floor, "validation")
    params = fit_map(validation, noise_term)
    score(validation, params, noise_term)
    thresholds = tune(validation)
    results = {"floor": args.floor, "noise_term": noise_term, "params": params, "thresholds": thresholds,
               "validation": {"shipped": f1(validation, "platt", shipped), "candidate map": f1(validation, "new", thresholds)},
               "test": {}}
    for variant in ("default", "real-texture", "harsh"):
        wells = candidates([(g, draw_well("test", variant, g, k)) for g in GROUPS for k in range(args.test_per_group)],
                           engine, header, args.floor, variant)
        score(wells, params, noise_term)
        results["test"][variant] = {
            group: {"shipped": f1(part, "platt", shipped), "candidate map": f1(part, "new", thresholds)}
            for group in list(GROUPS) + ["all"]
            for part in [[w for w in wells if group in ("all", w["group"])]]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "candidate_map.json", json.dumps(results, indent=2, default=float))
    cell = lambda r: f"{r['overall']:.3f} ({r['fracture']:.3f}, {r['bedding']:.3f})"
    command = (f"python scripts/candidate_score_map.py --floor {args.floor:g} --test-per-group {args.test_per_group}"
               f"{' --no-noise-term' if args.no_noise_term else ''}{' --sector-terms' if args.sector_terms else ''} --out {args.out}")
    lines = [f"Command: `{command}`", "",
             f"Thresholds tuned on the validation wells: fracture {thresholds['fracture']:g}, bedding "
             f"{thresholds['bedding']:g} (shipped, Platt scale: {shipped['fracture']:g}, {shipped['bedding']:g}). "
             f"Validation F1 @8 cm (fracture, bedding): shipped {cell(results['validation']['shipped'])}, "
             f"candidate map {cell(results['validation']['candidate map'])}.", "",
             "| held-out wells | tool group | shipped | candidate map |", "|---|---|---|---|"]
    for variant, groups in results["test"].items():
        for group, r in groups.items():
            lines.append(f"| {variant} | {group} | {cell(r['shipped'])} | {cell(r['candidate map'])} |")
    write_text_atomic(out / "candidate_map.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
