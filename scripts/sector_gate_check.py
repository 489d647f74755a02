"""Where does `predict`'s sector-noise gate fire, and what does it do there? (picking/trust.py
written_score_chooses: on a sector image of 20 m or more whose azimuthal noise share reaches the gate,
the beds chosen by the written score, and the fractures too at rows of 3 cm or less; by the Platt score
elsewhere; docs/model-card.md, "Sector-noise images".)

Three checks, each on a fresh process:
1. Which held-out wells it fires on: among the sector images of the first --wells-per-group held-out
   wells of each sector-image group (the seeds of evaluate_model.py, 30 m), per synth variant, those
   whose share reaches the gate, and of them those it gates for both classes and those for the beds only
   (their rows are longer). A
   variant's name may join several with '+' (real-texture+long-rows: the real LWD log's noise and its
   5-10 cm rows).
2. What it does on them (at most --picked wells per variant, group and case, the first ones): F1 @8 cm
   and the number of picks, chosen by the Platt score, as predict chooses them, and by the written score
   for both classes (what the row limit holds back, on the beds-only wells).
3. What it does on the real LWD log of ../shared/external (skipped where absent): its share, which classes
   the gate chooses by the written score, and how many picks each choice keeps (no truth there: a count,
   not a score).

Usage: python scripts/sector_gate_check.py [--wells-per-group 48] [--picked 8]
       [--variants default harsh long-rows real-texture real-texture+long-rows] --out DIR
Writes DIR/gate.json and DIR/gate.md.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import write_text_atomic
from geobfdt.model.checkpoint import load_model
from geobfdt.picking.picker import Picker, trusted
from geobfdt.picking.quality import azimuthal_noise_share, is_sector_image
from geobfdt.picking.trust import SECTOR_NOISE_GATE, candidate_floor, written_score_chooses
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.ship import GROUPS, MODEL_NAME, weights_dir
from geobfdt.well import PICK_TYPES

SEED_BASE = 900_000  # evaluate_model.py's held-out wells
LENGTH_M = 30.0
REAL_LOG = Path(__file__).resolve().parents[1].parent / "shared/external/nlog_P11-A-02_lwd_image"


BOTH, BEDS = "both classes", "beds only (the rows hold the fractures back)"


def choices(well, model, header):
    """(picks by the Platt score, picks by the written score for both classes) from one candidate picking, as
    evaluate_model.py --choose-by platt|written makes them, and the picks as predict chooses them."""
    cfg, thresholds, calibration = header.config, header.thresholds, header.score_calibration
    floor = candidate_floor(calibration)
    candidates = pick_well_detr(well, model, cfg, [min(f, t) for f, t in zip(floor, thresholds)], progress=False,
                                calibration=calibration, intervals=header.interval_scale)
    kept = lambda picks: [p for p in picks if p.score >= thresholds[PICK_TYPES.index(p.type)]]
    predict = Picker(model=MODEL_NAME, method="detr", engine=model, header=header).pick(well)
    return kept(candidates), predict, kept(trusted(well, [replace(p) for p in candidates], header, False))


def f1(picks, truth, name):
    return evaluate_wells({name: picks}, {name: truth}, tolerances_cm=(8,))["micro"]["8"]["overall"]["f1"] or 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells-per-group", type=int, default=48)
    parser.add_argument("--picked", type=int, default=8)
    parser.add_argument("--variants", nargs="+", default=["default", "harsh", "long-rows", "real-texture",
                                                          "real-texture+long-rows"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    for variant in args.variants:
        if not set(variant.split("+")) <= set(VARIANTS):
            parser.error(f"unknown variant in {variant!r}; choose from {', '.join(VARIANTS)}")
    model, header = load_model(str(weights_dir() / MODEL_NAME))
    results = {"gate": SECTOR_NOISE_GATE, "variants": {}, "real_log": None}
    for variant in args.variants:
        settings = {k: v for part in variant.split("+") for k, v in VARIANTS[part].items()}
        for g, (group, (config_variant, tool)) in enumerate(GROUPS.items()):
            if tool in ("fmi", "slim"):
                continue
            sector, cases = 0, {BOTH: [], BEDS: []}
            for k in range(args.wells_per_group):
                seed = SEED_BASE + 100 * g + k
                well, truth = synthesize_well(seed, length_m=LENGTH_M, config=SynthConfig.variant(config_variant)
                                              .replace(**settings), tool=tool, name=f"TEST{seed}")
                if not is_sector_image(well):
                    continue
                sector += 1
                share = azimuthal_noise_share(well)
                if share < SECTOR_NOISE_GATE:
                    continue
                case = cases[BOTH if all(written_score_chooses(well, header.quality_scores)) else BEDS]
                row = {"seed": seed, "columns": well.width, "row_cm": round(100 * well.depth_step_m, 1),
                       "share": round(share, 3), "true": len(truth)}
                if sum("platt_picks" in r for r in case) < args.picked:
                    for choice, picks in zip(("platt", "predict", "written"), choices(well, model, header)):
                        row.update({f"{choice}_picks": len(picks), f"{choice}_f1": f1(picks, truth, well.name)})
                case.append(row)
            results["variants"].setdefault(variant, {})[group] = {"sector_wells": sector, **cases}
            print(variant, group, f"of {sector} sector wells, the gate chooses both classes on {len(cases[BOTH])}, "
                  f"the beds only on {len(cases[BEDS])}", flush=True)
    if (REAL_LOG / "P11-A-02_Composite_MEM_Image_NF.las").is_file():
        from geobfdt.api import read_well

        well = read_well(REAL_LOG / "P11-A-02_Composite_MEM_Image_NF.las", bit_size_in=8.5,
                         survey=REAL_LOG / "P11-A-02_SURV.csv")
        platt, predict, written = choices(well, model, header)
        count = lambda picks: {t: sum(p.type == t for p in picks) for t in PICK_TYPES}
        results["real_log"] = {"well": "P11-A-02A", "share": round(azimuthal_noise_share(well), 3),
                               "by_written": dict(zip(PICK_TYPES, written_score_chooses(well, header.quality_scores))),
                               "row_cm": round(100 * well.depth_step_m, 1),
                               "length_m": round(float(well.depth_m[-1] - well.depth_m[0]), 1),
                               "platt": count(platt), "predict": count(predict), "written": count(written)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "gate.json", json.dumps(results, indent=1))
    write_text_atomic(out / "gate.md", report(results, args))
    print((out / "gate.md").read_text())


def report(results, args) -> str:
    lines = [f"Command: `python scripts/sector_gate_check.py --wells-per-group {args.wells_per_group} --picked "
             f"{args.picked} --variants {' '.join(args.variants)} --out DIR` (gate: share {results['gate']:g})", "",
             "| variant | group | sector wells | share at the gate or above: both classes gated / beds only | "
             "picked: true planes; picks (F1 @8 cm) by the Platt score -> as predict chooses -> by the written "
             "score |",
             "|---|---|---|---|---|"]
    for variant, groups in results["variants"].items():
        for group, r in groups.items():
            cells = []
            for case in (BOTH, BEDS):
                picked = [w for w in r[case] if "platt_picks" in w]
                if len(picked) > 2:
                    cells.append(f"{case}: {len(picked)} wells, {sum(w['true'] for w in picked)} planes; "
                                 f"{sum(w['platt_picks'] for w in picked)} picks, mean F1 "
                                 f"{np.mean([w['platt_f1'] for w in picked]):.3f} -> "
                                 f"{sum(w['predict_picks'] for w in picked)} picks, mean F1 "
                                 f"{np.mean([w['predict_f1'] for w in picked]):.3f} -> "
                                 f"{sum(w['written_picks'] for w in picked)} picks, mean F1 "
                                 f"{np.mean([w['written_f1'] for w in picked]):.3f}; most picks / true "
                                 f"{max(w['predict_picks'] / max(w['true'], 1) for w in picked):.1f} as predict "
                                 f"chooses, {max(w['written_picks'] / max(w['true'], 1) for w in picked):.1f} "
                                 f"by the written score")
                else:
                    cells += [f"{case}: {w['columns']} sectors, {w['row_cm']:g} cm rows, share {w['share']:.2f}: "
                              f"{w['true']}; {w['platt_picks']} ({w['platt_f1']:.2f}) -> {w['predict_picks']} "
                              f"({w['predict_f1']:.2f}) -> {w['written_picks']} ({w['written_f1']:.2f})"
                              for w in picked]
            lines.append(f"| {variant} | {group} | {r['sector_wells']} | {len(r[BOTH])} / {len(r[BEDS])} | "
                         f"{'; '.join(cells) or '-'} |")
    real = results["real_log"]
    if real:
        gated = [kind for kind, on in real["by_written"].items() if on]
        lines += ["", f"Real LWD log {real['well']} ({real['length_m']:g} m at {real['row_cm']:g} cm rows, share "
                  f"{real['share']:.2f}; chosen by the written score: {', '.join(gated) or 'no class'}): by the Platt "
                  f"score {real['platt']}, as predict chooses {real['predict']}, by the written score for both "
                  f"classes {real['written']}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
