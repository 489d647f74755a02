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
import pickle
from pathlib import Path

import numpy as np
from tqdm import tqdm

from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import write_text_atomic
from geobfdt.model.calibration import ALL_IMAGES_QUALITY_TERMS, QUALITY_TERMS, SECTOR_QUALITY_TERMS, logit, quality_design, sigmoid
from geobfdt.picking.engine import load_engine
from geobfdt.picking.injection import _trace_rows, background_sd, profile_offsets_m, working_scale
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.training.calibrate import evidence_rows, evidence_table, fit_quality_map
from geobfdt.training.ship import GROUPS, evidence_wells, validation_well
from geobfdt.well import PICK_TYPES
from pick_evidence import draw_well

THRESHOLD_GRID = np.round(np.arange(0.2, 0.801, 0.025), 3)
CLASSES = ("overall",) + PICK_TYPES


def trace_consistency(well, work: np.ndarray, picks, at_once: int = 64) -> np.ndarray:
    """(picks, 2): how consistently the image shows each candidate's line (fracture) or step (bed) in every
    column with data, not only the strongest ones: log(1 + |sign-test z|) and log(1 + |t|) of the
    per-column contrasts (the centre less the line between the profile's ends; the mean below less the
    mean above). Both are dimensionless; under noise alone they stay near 0 whatever its level."""
    out = np.zeros((len(picks), 2))
    offsets = profile_offsets_m(well.depth_step_m) / well.depth_step_m
    mid = offsets.size // 2
    cols = np.arange(work.shape[1])[None, :, None]
    for start in range(0, len(picks), at_once):
        part = picks[start:start + at_once]
        depth, dip, az = (np.array([getattr(p, k) for p in part], float) for k in ("depth_m", "dip_deg", "azimuth_deg"))
        rows = _trace_rows(well, depth, dip, az)[:, :, None] + offsets[None, None, :]
        low = np.floor(rows)
        frac = rows - low
        inside = (low >= 0) & (low + 1 < work.shape[0])
        low = np.clip(low, 0, work.shape[0] - 2).astype(np.int64)
        v = np.where(inside, work[low, cols] * (1 - frac) + work[low + 1, cols] * frac, np.nan)
        ramp = np.linspace(0.0, 1.0, v.shape[-1])
        line = (v - v[..., :1] - ramp * (v[..., -1:] - v[..., :1]))[..., mid - 1:mid + 2].mean(-1)
        step = v[..., mid + 2:].mean(-1) - v[..., :mid - 1].mean(-1)
        is_fracture = np.array([p.type == "fracture" for p in part])[:, None]
        d = np.where(is_fracture, line, step)
        ok = np.isfinite(d)
        n = np.maximum(ok.sum(1), 1)
        dz = np.where(ok, d, 0.0)
        z_sign = np.abs((np.sign(dz) * ok).sum(1)) / np.sqrt(n)
        mean = dz.sum(1) / n
        sd = np.sqrt(np.maximum((np.where(ok, d - mean[:, None], 0.0) ** 2).sum(1) / np.maximum(n - 1, 1), 1e-12))
        t = np.abs(mean) / (sd / np.sqrt(n))
        out[start:start + len(part)] = np.c_[np.log1p(z_sign), np.log1p(t)]
    return out


def candidates(wells, engine, header, floor: float, desc: str) -> list[dict]:
    """Per well: its group, truth, candidates (raw scores >= floor), their evidence table, the well's noise
    and the candidates' trace consistency."""
    out = []
    for group, (well, truth) in tqdm(wells, desc=desc, unit="well"):
        picks = pick_well_detr(well, engine, header.config, (floor, floor), progress=False)
        table = evidence_table([evidence_rows(well, picks, truth)], header.score_calibration) if picks else None
        work = working_scale(np.asarray(well.image), np.float32)[0]
        noise = background_sd(work)
        if table is not None:
            table["consistency"] = trace_consistency(well, work, picks)
        out.append({"group": group, "truth": truth, "picks": picks, "table": table, "noise": noise})
    return out


SECTOR_COLUMNS = [QUALITY_TERMS.index(term) - 2 for term in SECTOR_QUALITY_TERMS]


CONSISTENCY = {"none": [], "sign": [0], "t": [1], "both": [0, 1]}


def design(table: dict, noise: float, noise_term: bool | None, consistency: str = "none") -> np.ndarray:
    """noise_term None: the shipped map's terms (sector images only); else the terms on every image (the
    shipped map before 2026-12-07), with the well's noise where noise_term. consistency: which of
    trace_consistency's columns join them."""
    if noise_term is None:
        features = quality_design(table)[:, SECTOR_COLUMNS]
    else:
        features = quality_design(table)[:, :len(ALL_IMAGES_QUALITY_TERMS)]
        features = np.c_[features, np.full(len(features), np.log(noise))] if noise_term else features
    return np.c_[features, table["consistency"][:, CONSISTENCY[consistency]]]


def fit_map(wells: list[dict], noise_term: bool, consistency: str) -> dict:
    """Per class, (a, b, c...) of sigmoid(a logit(raw) + b + c . features) fitted on every candidate."""
    used = [w for w in wells if w["table"] is not None]
    raw = np.concatenate([w["table"]["raw_score"] for w in used])
    class_id = np.concatenate([w["table"]["class_id"] for w in used])
    real = np.concatenate([w["table"]["real"] for w in used]).astype(float)
    features = np.concatenate([design(w["table"], w["noise"], noise_term, consistency) for w in used])
    return {name: fit_quality_map(logit(raw[class_id == k]), features[class_id == k], real[class_id == k])
            for k, name in enumerate(PICK_TYPES)}


def score(wells: list[dict], params: dict, noise_term: bool, consistency: str) -> None:
    """Each well's candidates get `new` (the fitted map) and `platt` (the shipped choice's score)."""
    for w in wells:
        if w["table"] is None:
            w["new"] = w["platt"] = np.zeros(0)
            continue
        t = w["table"]
        theta = np.array([params[name] for name in PICK_TYPES])[t["class_id"].astype(int)]
        z = theta[:, 0] * logit(t["raw_score"]) + theta[:, 1] + np.sum(design(t, w["noise"], noise_term, consistency) * theta[:, 2:], 1)
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
    parser.add_argument("--consistency", nargs="+", choices=sorted(CONSISTENCY), default=["none"],
                        help="maps to fit, each with these trace_consistency terms (none: without)")
    parser.add_argument("--cache", help="pickle of the candidates: read if it exists, else written")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
    noise_term = None if args.sector_terms else not args.no_noise_term
    shipped = dict(zip(PICK_TYPES, header.thresholds))
    cache = Path(args.cache) if args.cache else None
    if cache is not None and cache.exists():
        validation, tests = pickle.loads(cache.read_bytes())
    else:
        validation = candidates([(g, validation_well(g, k, v, a)) for v, a, g, k in evidence_wells(4)], engine, header,
                                args.floor, "validation")
        tests = {variant: candidates([(g, draw_well("test", variant, g, k)) for g in GROUPS
                                      for k in range(args.test_per_group)], engine, header, args.floor, variant)
                 for variant in ("default", "real-texture", "harsh")}
        if cache is not None:
            cache.write_bytes(pickle.dumps((validation, tests)))
    results = {"floor": args.floor, "noise_term": noise_term, "maps": {}}
    for consistency in args.consistency:
        params = fit_map(validation, noise_term, consistency)
        score(validation, params, noise_term, consistency)
        thresholds = tune(validation)
        entry = {"params": params, "thresholds": thresholds,
                 "validation": {"shipped": f1(validation, "platt", shipped), "candidate map": f1(validation, "new", thresholds)},
                 "test": {}}
        for variant, wells in tests.items():
            score(wells, params, noise_term, consistency)
            entry["test"][variant] = {
                group: {"shipped": f1(part, "platt", shipped), "candidate map": f1(part, "new", thresholds)}
                for group in list(GROUPS) + ["all"]
                for part in [[w for w in wells if group in ("all", w["group"])]]}
        results["maps"][consistency] = entry
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "candidate_map.json", json.dumps(results, indent=2, default=float))
    cell = lambda r: f"{r['overall']:.3f} ({r['fracture']:.3f}, {r['bedding']:.3f})"
    command = (f"python scripts/candidate_score_map.py --floor {args.floor:g} --test-per-group {args.test_per_group}"
               f"{' --no-noise-term' if args.no_noise_term else ''}{' --sector-terms' if args.sector_terms else ''}"
               f" --consistency {' '.join(args.consistency)} --out {args.out}")
    maps = results["maps"]
    lines = [f"Command: `{command}`", ""]
    for consistency, entry in maps.items():
        lines.append(f"Map with consistency terms `{consistency}`: thresholds tuned on the validation wells fracture "
                     f"{entry['thresholds']['fracture']:g}, bedding {entry['thresholds']['bedding']:g}; validation F1 @8 cm "
                     f"(fracture, bedding) {cell(entry['validation']['candidate map'])}.")
    first = next(iter(maps.values()))
    lines += ["", f"Shipped (Platt scale {shipped['fracture']:g}, {shipped['bedding']:g}): validation "
              f"{cell(first['validation']['shipped'])}.", "",
              "| held-out wells | tool group | shipped | " + " | ".join(f"candidate map, {c}" for c in maps) + " |",
              "|---|---|---|" + "---|" * len(maps)]
    for variant, groups in first["test"].items():
        for group, r in groups.items():
            lines.append(f"| {variant} | {group} | {cell(r['shipped'])} | "
                         + " | ".join(cell(e["test"][variant][group]["candidate map"]) for e in maps.values()) + " |")
    write_text_atomic(out / "candidate_map.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
