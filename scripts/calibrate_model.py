"""Calibrate the shipped model's scores on the synthetic validation wells (those its thresholds
were tuned on: scripts/ship_model.py) and rewrite it with the calibration in its header.

Usage: python scripts/calibrate_model.py [--wells-per-group 4] [--interval-wells-per-group 1] [--method auto]
       [--model default] [--out FILE]

The same as `geobfdt calibrate` on labelled wells of your own, but on synthetic wells drawn
here from seeds neither pretraining nor the held-out test wells (scripts/evaluate_model.py)
use. The interval scale of `predict --uncertainty` is fitted on the first
--interval-wells-per-group of them (picking with the test-time transforms costs six forwards
per window). The tensors are unchanged; the thresholds are re-expressed on the calibrated scale, so
`geobfdt predict` writes the same picks with probabilities as scores. Without --out it
replaces src/geobfdt/weights/default.safetensors and records the calibration in
default_summary.json.
"""

import argparse
import json

import numpy as np

from ship_model import TARGET, VALIDATION_LENGTH_M, VALIDATION_SEED_BASE, validation_wells

from geobfdt.files import write_text_atomic
from geobfdt.model.checkpoint import load_model, save_model
from geobfdt.training.calibrate import calibrate_on_wells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells-per-group", type=int, default=4)
    parser.add_argument("--interval-wells-per-group", type=int, default=1)
    parser.add_argument("--method", choices=["auto", "platt", "isotonic"], default="auto")
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", help="model file to write (default: replace the shipped model)")
    args = parser.parse_args()
    model, header = load_model(args.model)
    cfg, thresholds = header.config, header.raw_thresholds
    wells = [(well, picks) for well, picks in validation_wells(args.wells_per_group)]
    calibration, new_thresholds, _, report = calibrate_on_wells(model, cfg, thresholds, wells, args.method,
                                                                intervals=False)
    first = [wells[g * args.wells_per_group + k] for g in range(len(wells) // args.wells_per_group)
             for k in range(args.interval_wells_per_group)]
    _, _, intervals, interval_report = calibrate_on_wells(model, cfg, thresholds, first, calibration.method)
    report["intervals"] = interval_report["intervals"]
    report["interval_wells"] = interval_report["wells"]
    target = args.out or TARGET
    # the header stays no larger than before: thresholds floored to 6 decimals (a floor never drops a
    # pick the exact threshold keeps) and the training record left to default_summary.json, which holds it
    floored = [float(np.floor(t * 1e6) / 1e6) for t in new_thresholds]
    save_model(model, cfg, target, threshold=floored, calibration=calibration, intervals=intervals)
    summary = {k: v for k, v in report.items() if k not in ("raw_scores", "class_id", "real")}
    summary["thresholds"] = floored
    summary.update(wells_per_group=args.wells_per_group, length_m=VALIDATION_LENGTH_M,
                   seed_base=VALIDATION_SEED_BASE, calibration=calibration.to_dict())
    print(json.dumps(summary, indent=1, default=float))
    if not args.out:
        path = TARGET.parent / "default_summary.json"
        shipped = json.loads(path.read_text()) if path.is_file() else {}
        shipped["score_calibration"] = summary
        write_text_atomic(path, json.dumps(shipped, indent=2, default=float) + "\n")


if __name__ == "__main__":
    main()
