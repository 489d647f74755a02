"""Two models' held-out scores side by side, against issue 30's goals for a detector robust to
real textures (docs/experiments.md, "Retraining on a mix of generator variants").

Usage: python scripts/compare_scores.py --default BASE NEW --real-texture BASE NEW --harsh BASE NEW
Each BASE / NEW is an output folder of scripts/evaluate_model.py --detector-only (its scores.json),
run with no --variant, --variant real-texture and --variant harsh on the same wells: BASE the
shipped model, NEW the candidate. Prints, in markdown, F1 at 8 cm (both classes, fracture,
bedding) and F1 @3 cm / F1 @8 cm per tool group, every stratum where NEW is below BASE, and
each goal with the figure it is judged on. Exits 0 whether or not the goals hold.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

LWD_GROUP = "LWD sectors, vertical"
GOALS = (  # (what, evaluation, group, class, minimum)
    ("real-texture LWD F1 @8 cm", "real-texture", LWD_GROUP, "overall", 0.85),
    ("real-texture LWD fracture F1 @8 cm", "real-texture", LWD_GROUP, "fracture", 0.75),
    ("harsh wells F1 @8 cm", "harsh", "all", "overall", 0.80),
    ("default wells F1 @8 cm", "default", "all", "overall", 0.866),
)
RATIO_GOAL = 0.80  # F1 @3 cm / F1 @8 cm on the LWD groups


def f1(scores: dict, group: str, kind: str = "overall", tolerance: str = "8") -> float:
    return scores["groups"][group]["detector"][tolerance][kind]["f1"] or 0.0


def stratum_measure(row: dict) -> tuple[str, float | None]:
    """F1 where the stratum exists among predictions too, else recall."""
    return ("F1", row["f1"]) if row.get("f1") is not None else ("recall", row["recall"])


def worse_strata(base: dict, new: dict) -> list[str]:
    new_rows = {(r["wells"], r["stratum"], r["class"]): r for r in new["strata"]}
    lines = []
    for row in base["strata"]:
        other = new_rows.get((row["wells"], row["stratum"], row["class"]))
        measure, old = stratum_measure(row)
        if other is None or old is None or stratum_measure(other)[1] is None:
            continue
        if stratum_measure(other)[1] < old:
            lines.append(f"| {row['wells']} | {row['stratum']} | {row['class']} | {row['n_truth']} | {measure} "
                         f"| {old:.3f} | {stratum_measure(other)[1]:.3f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("default", "real-texture", "harsh"):
        parser.add_argument(f"--{name}", nargs=2, required=True, metavar=("BASE", "NEW"),
                            help=f"evaluate_model.py output folders of the {name} wells")
    args = parser.parse_args()
    runs = {name: [json.loads((Path(d) / "scores.json").read_text()) for d in getattr(args, name.replace("-", "_"))]
            for name in ("default", "real-texture", "harsh")}
    print("| wells | group | F1 @8 cm | fracture F1 | bedding F1 | F1 @3 / F1 @8 |", "|---|---|---|---|---|---|", sep="\n")
    for name, (base, new) in runs.items():
        for group in base["groups"]:
            cells = [" -> ".join(f"{f1(s, group, kind):.3f}" for s in (base, new))
                     for kind in ("overall", "fracture", "bedding")]
            ratio = " -> ".join(f"{f1(s, group, 'overall', '3') / max(f1(s, group), 1e-9):.3f}" for s in (base, new))
            print(f"| {name} | {group} | {' | '.join(cells)} | {ratio} |")
    print("\nGoals (shipped -> candidate; the candidate is judged):\n\n| goal | shipped | candidate | met |\n|---|---|---|---|")
    met_all = True
    for what, name, group, kind, minimum in GOALS:
        base, new = (f1(s, group, kind) for s in runs[name])
        met_all &= new >= minimum
        print(f"| {what} >= {minimum:g} | {base:.3f} | {new:.3f} | {'yes' if new >= minimum else 'no'} |")
    for name, (base, new) in runs.items():
        ratios = [f1(s, LWD_GROUP, "overall", "3") / max(f1(s, LWD_GROUP), 1e-9) for s in (base, new)]
        met_all &= ratios[1] >= RATIO_GOAL
        print(f"| {name} LWD F1 @3 / F1 @8 >= {RATIO_GOAL:g} | {ratios[0]:.3f} | {ratios[1]:.3f} "
              f"| {'yes' if ratios[1] >= RATIO_GOAL else 'no'} |")
    for name, (base, new) in runs.items():
        lines = worse_strata(base, new)
        met_all &= not lines
        print(f"\nStrata where the candidate is below the shipped model, {name} wells: {len(lines) or 'none'}")
        if lines:
            print("\n| wells | stratum | class | true planes | measure | shipped | candidate |\n|---|---|---|---|---|---|---|")
            print("\n".join(lines))
    print(f"\nEvery goal met: {'yes' if met_all else 'no'}")


if __name__ == "__main__":
    main()
