"""Tune the Hough baseline on synthetic training wells; score it on held-out wells; time it.

Coordinate descent over a small grid per parameter, objective = mean of the fracture
and bedding F1 at 8 cm on the training wells (so classification counts too). The best
values go into geobfdt.picking.hough.DEFAULTS by hand; docs/hough.md records the run.

    .venv/bin/python scripts/tune_hough.py --train-seeds 1-6 --test-seeds 101-104 --length-m 30
"""

from __future__ import annotations

import argparse
import json
import time

from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import write_text_atomic
from geobfdt.picking.hough import DEFAULTS, hough_picks, pick_well_hough
from geobfdt.config import PatchGrid
from geobfdt.preprocess.image import prepare_well
from geobfdt.synth import synthesize_well

GRID = {
    "threshold": [0.4, 0.6, 0.8, 1.0, 1.3, 1.7],
    "smooth_m": [0.01, 0.015, 0.025],
    "suppress_m": [0.03, 0.05, 0.08],
    "suppress_share": [0.1, 0.2, 0.35],
    "min_coverage": [0.25, 0.4, 0.6],
    "line_ratio": [0.5, 1.0, 2.0, 4.0],
}


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def _corpus(seeds, length_m):
    wells, truth = {}, {}
    for seed in seeds:
        well, picks = synthesize_well(seed, length_m=length_m)
        wells[well.name] = prepare_well(well, PatchGrid(), "dynamic")
        truth[well.name] = picks
    return wells, truth


def _score(wells, truth, params, tolerances=(8,)):
    pred = {name: hough_picks(w, **params) for name, w in wells.items()}
    return evaluate_wells(pred, truth, tolerances)


def _objective(result) -> float:
    micro = result["micro"]["8"]
    return sum(micro[c]["f1"] or 0.0 for c in ("fracture", "bedding")) / 2


def tune(wells, truth, rounds: int) -> dict:
    params = dict(DEFAULTS)
    best = _objective(_score(wells, truth, params))
    print(f"start {best:.3f} {params}", flush=True)
    for _ in range(rounds):
        improved = False
        for name, values in GRID.items():
            for value in values:
                if value == params[name]:
                    continue
                trial = {**params, name: value}
                obj = _objective(_score(wells, truth, trial))
                print(f"  {name}={value}: {obj:.3f}", flush=True)
                if obj > best + 1e-4:
                    best, params, improved = obj, trial, True
        print(f"round best {best:.3f} {params}", flush=True)
        if not improved:
            break
    return params


def _summary(result) -> dict:
    out = {}
    for tol, report in result["micro"].items():
        out[tol] = {c: {k: report[c][k] for k in ("f1", "precision", "recall", "dip_mae_deg", "azimuth_mae_deg")}
                    for c in ("overall", "fracture", "bedding")}
        out[tol]["class_error_pct"] = report["overall"]["class_error_pct"]
    return out


def speed_m_per_s(length_m: float) -> float:
    """Log metres picked per second for an FMI-like well (0.1 in, 360 columns), preparation included."""
    well, _ = synthesize_well(7, length_m=length_m, tool="fmi")
    assert well.width == 360
    start = time.perf_counter()
    pick_well_hough(well, PatchGrid())
    return (well.depth_m[-1] - well.depth_m[0]) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-seeds", default="1-6")
    parser.add_argument("--test-seeds", default="101-104")
    parser.add_argument("--length-m", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-tune", action="store_true", help="score the current defaults only")
    parser.add_argument("--out", help="write the result as JSON")
    args = parser.parse_args()
    params = dict(DEFAULTS)
    if not args.no_tune:
        params = tune(*_corpus(_seeds(args.train_seeds), args.length_m), args.rounds)
    test = _score(*_corpus(_seeds(args.test_seeds), args.length_m), params, (3, 5, 8))
    result = {"params": params, "held_out": _summary(test), "speed_m_per_s": speed_m_per_s(args.length_m),
              "train_seeds": args.train_seeds, "test_seeds": args.test_seeds, "length_m": args.length_m}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        write_text_atomic(args.out, text + "\n")


if __name__ == "__main__":
    main()
