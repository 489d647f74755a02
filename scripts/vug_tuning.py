"""Score the vug detector on the tuning wells (docs/vugs.md, "Alternatives tried"): seeds 100-102,
20 m each, every well vuggy (configs/features/<tool>.json), in memory; never the held-out seed.

Prints per tool F1 and recall over all and over the visible vugs >= 5 mm, precision, and the
vug-fraction MAE (percentage points, 0.5 m window), for the detector as it is in
features/vugs.py; a variant is tried by changing that module's constants, e.g.
`--set MIN_ROUNDNESS=0.55`.

Usage: python scripts/vug_tuning.py [--tools fmi slim] [--seeds 100 101 102] [--set NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

import geobfdt.features.vugs as vugs
from geobfdt.evaluation.features import fraction_errors, vug_counts, vug_scores
from geobfdt.synth import SynthConfig, synthesize_well
from geobfdt.synth.truth import truth_tables

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "features"


def score_tool(tool: str, seeds: list[int], length_m: float) -> dict:
    config = SynthConfig.from_dict(json.loads((CONFIGS / f"{tool}.json").read_text()))
    counts, errors = None, []
    for seed in tqdm(seeds, desc=tool, unit="well"):
        well, _ = synthesize_well(seed, length_m=length_m, config=config, tool=tool)
        truth = truth_tables(well)
        result = vugs.detect_vugs(well)
        c = vug_counts(result.tables["vugs"], truth["_vugs.csv"], float(np.median(well.radius_m)))
        counts = c if counts is None else {k: counts[k] + c[k] for k in counts}
        fraction = truth["_vug_fraction.csv"]
        errors.append(fraction_errors(result.depth_m, result.curves["vug_fraction_pct"][0], fraction["depth_m"],
                                      fraction["vug_fraction_pct"], vugs.WINDOW_M))
    return {**vug_scores(counts), "fraction_mae_pct_points": float(np.concatenate(errors).mean())}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tools", nargs="+", default=["fmi", "slim"], help="tool types (default fmi slim)")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102], help="well seeds (default 100 101 102)")
    p.add_argument("--length-m", type=float, default=20.0, help="length of each well (default 20)")
    p.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                   help="override a constant of features/vugs.py for this run (a number)")
    args = p.parse_args()
    for item in args.set:
        name, value = item.split("=", 1)
        if not hasattr(vugs, name):
            raise SystemExit(f"features/vugs.py has no constant {name}")
        setattr(vugs, name, float(value))
    for tool in args.tools:
        s = score_tool(tool, args.seeds, args.length_m)
        pct = {k: (100 * s[k] if s[k] is not None else float("nan"))
               for k in ("f1", "visible_f1", "recall", "visible_recall", "precision")}
        print(f"{tool}: F1 {pct['f1']:.1f} % (visible {pct['visible_f1']:.1f} %), recall {pct['recall']:.1f} % "
              f"(visible {pct['visible_recall']:.1f} %), precision {pct['precision']:.1f} %, "
              f"{s['reported']} reported, fraction MAE {s['fraction_mae_pct_points']:.2f} pp")


if __name__ == "__main__":
    main()
