"""Issue 30, item 3, fourth pass: does a pick's crowd of same-class neighbours make the quality-aware
scores (model/calibration.py QualityScores) mean the same on every image?

Over all picks, one with a pick of the same class within 15 cm in the same well (a near-miss
duplicate or a split pick, one would think) is real less often than one without. This measures
whether that survives the raw score: each candidate term is added to the shipped map's features
(quality_design: contrast, pixel width, coarse flag, blur) and fitted by training/calibrate.py
fit_quality_map per class, on the picks `geobfdt ship` fits on (validation wells, default and
real-texture, plain, blurred and coarse copies), so the map stays monotone in the raw score.
Candidate terms, per pick, among the same well's picks of its class at the thresholds (the picks
`predict --uncertainty` scores together):

- flag: a neighbour within --within-cm (15 cm);
- count: log(1 + the number of neighbours within it);
- log distance: log of the distance to the nearest neighbour in cm, clipped to 1-100;
- weaker: a neighbour within it has a higher raw score (this pick is the lesser duplicate).

Chosen on validation only: each term is scored by 5-fold cross-validation over wells (a well and
its augmented copies in one fold), by log loss (with a 90 % paired bootstrap interval of the change,
over wells) and by the worst tool group's ECE; a term would ship only if that interval lies below zero
and the worst group's ECE does not rise. The held-out
wells (default, real-texture, harsh) are reported beside it, not used to choose.

Reads the cache of scripts/pick_evidence.py. Usage:
python scripts/neighbour_scores.py --cache DIR --out DIR [--within-cm 15]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from evidence_calibration import joined, load
from geobfdt.evaluation.calibration import ece_noise_floor, expected_calibration_error
from geobfdt.files import write_text_atomic
from geobfdt.model.calibration import logit, quality_design, sigmoid
from geobfdt.training.calibrate import fit_quality_map
from geobfdt.training.ship import GROUPS
from geobfdt.well import PICK_TYPES

WITHIN_M = 0.15
FOLDS = 5
FIT_SPLITS = ("validation", "validation-blurred", "validation-coarse")  # what `geobfdt ship` fits the map on


def neighbours(source, class_id, depth_m, raw_score, within_m: float = WITHIN_M) -> dict:
    """Per pick, among the picks of its class from its source (one picked well): "count" within within_m
    (itself left out), "nearest_m" the distance to the nearest one (inf if alone), "stronger" whether one
    within within_m has a higher raw score."""
    key = np.char.add(np.asarray(source).astype(str), np.char.add("|", np.asarray(class_id).astype(str)))
    group = np.unique(key, return_inverse=True)[1]
    z = group * 1e6 + np.asarray(depth_m, dtype=np.float64)  # one well and class per 1000 km: never within reach
    order = np.argsort(z, kind="stable")
    zs, rs = z[order], np.asarray(raw_score, dtype=np.float64)[order]
    first, stop = np.searchsorted(zs, zs - within_m, "left"), np.searchsorted(zs, zs + within_m, "right")
    gap = np.where(np.diff(group[order]) == 0, np.diff(zs), np.inf)
    nearest = np.minimum(np.r_[np.inf, gap], np.r_[gap, np.inf])
    best = np.full(zs.size, -np.inf)
    index = np.arange(zs.size)
    for offset in range(1, int((stop - first).max(initial=1))):  # the widest crowd, a handful of picks
        for j in (index - offset, index + offset):
            inside = (j >= first) & (j < stop)
            best = np.where(inside, np.maximum(best, rs[np.clip(j, 0, zs.size - 1)]), best)
    out = {"count": stop - first - 1, "nearest_m": nearest, "stronger": best > rs}
    return {k: _unsort(v, order) for k, v in out.items()}


def _unsort(sorted_values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(sorted_values)
    out[order] = sorted_values
    return out


TERMS = {  # name -> the extra feature column from with_neighbours' columns
    "flag": lambda d: (d["neighbour_count"] > 0).astype(float),
    "count": lambda d: np.log1p(d["neighbour_count"]),
    "log distance": lambda d: np.log(np.clip(100.0 * d["neighbour_nearest_m"], 1.0, 100.0)),
    "weaker": lambda d: d["neighbour_stronger"].astype(float),
}
MAPS = ("shipped terms", *TERMS)


def with_neighbours(d: dict, source: str, within_m: float) -> dict:
    d["source"] = np.char.add(source + "/", d["well"].astype(str))
    d.update({f"neighbour_{k}": v for k, v in neighbours(d["source"], d["class_id"], d["depth_m"],
                                                          d["raw_score"], within_m).items()})
    return d


def features(d: dict, name: str) -> np.ndarray:
    base = quality_design(d)
    return base if name == "shipped terms" else np.c_[base, TERMS[name](d)]


def fit_map(d: dict, name: str, sel=None) -> list[np.ndarray]:
    sel = np.ones(d["raw_score"].size, bool) if sel is None else sel
    x, f = logit(d["raw_score"]), features(d, name)
    return [np.asarray(fit_quality_map(x[sel & (d["class_id"] == k)], f[sel & (d["class_id"] == k)],
                                       d["real"][sel & (d["class_id"] == k)].astype(float)))
            for k in range(len(PICK_TYPES))]


def probability(d: dict, name: str, theta: list[np.ndarray]) -> np.ndarray:
    x, f = logit(d["raw_score"]), features(d, name)
    out = np.empty(x.size)
    for k, t in enumerate(theta):
        sel = d["class_id"] == k
        out[sel] = sigmoid(t[0] * x[sel] + t[1] + f[sel] @ t[2:])
    return out


def fold_of(d: dict) -> np.ndarray:
    """A fold per pick by well name, so a well and its blurred and coarse copies fall in one fold."""
    return np.unique(d["well"], return_inverse=True)[1] % FOLDS


def cross_validated(d: dict, name: str) -> np.ndarray:
    fold, out = fold_of(d), np.empty(d["raw_score"].size)
    for f in range(FOLDS):
        out[fold == f] = probability(d, name, fit_map(d, name, fold != f))[fold == f]
    return out


def log_loss(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def group_ece(p: np.ndarray, t: np.ndarray, group: np.ndarray) -> dict:
    return {g: expected_calibration_error(p[group == g], t[group == g]) for g in GROUPS if np.any(group == g)}


def paired_well_bootstrap(d: dict, p: np.ndarray, base: np.ndarray, draws: int = 500, seed: int = 0) -> dict:
    """90 % intervals, over wells drawn with replacement, of the change in mean log loss and in the worst
    group's ECE from base to p."""
    rng = np.random.default_rng(seed)
    wells = np.unique(d["well"])
    rows = {w: np.flatnonzero(d["well"] == w) for w in wells}
    t = d["real"].astype(float)
    loss, worst = [], []
    for _ in range(draws):
        i = np.concatenate([rows[w] for w in rng.choice(wells, wells.size)])
        loss.append(log_loss(p[i], t[i]).mean() - log_loss(base[i], t[i]).mean())
        worst.append(max(group_ece(p[i], t[i], d["group"][i]).values())
                     - max(group_ece(base[i], t[i], d["group"][i]).values()))
    return {"log_loss_change_90": np.quantile(loss, [0.05, 0.95]).tolist(),
            "worst_group_ece_change_90": np.quantile(worst, [0.05, 0.95]).tolist()}


def shares(d: dict, sel: np.ndarray) -> dict:
    """Share real of the picks sel with and without a neighbour, and how many each."""
    crowded = d["neighbour_count"] > 0
    out = {}
    for side, chosen in (("with", sel & crowded), ("without", sel & ~crowded)):
        out[f"picks_{side}"] = int(np.sum(chosen))
        out[f"real_{side}"] = float(np.mean(d["real"][chosen])) if np.any(chosen) else None
    return out


def share_cell(r: dict, digits: int) -> str:
    return " / ".join(("-" if r[f"real_{side}"] is None else f"{r[f'real_{side}']:.{digits}f}")
                      + f" ({r[f'picks_{side}']})" for side in ("with", "without"))


def conditional_shares(d: dict) -> list[dict]:
    """Share real with and without a neighbour (with_neighbours), per raw-score quintile."""
    edges = np.quantile(d["raw_score"], np.linspace(0, 1, 6))
    return [{"raw": [float(lo), float(hi)], **shares(d, (d["raw_score"] >= lo) & (d["raw_score"] <= hi))}
            for lo, hi in zip(edges[:-1], edges[1:])]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True, help="folder of scripts/pick_evidence.py's cached picks")
    parser.add_argument("--out", required=True, help="folder for neighbour_scores.json and .md")
    parser.add_argument("--within-cm", type=float, default=100 * WITHIN_M,
                        help="how near a same-class pick counts as a neighbour (default: %(default)s)")
    args = parser.parse_args()
    cache, within_m = Path(args.cache), args.within_cm / 100.0
    fit = joined([with_neighbours(load(cache, s, v), f"{s}/{v}", within_m)
                  for s in FIT_SPLITS for v in ("default", "real-texture")])
    test = {v: with_neighbours(load(cache, "test", v), f"test/{v}", within_m)
            for v in ("default", "real-texture", "harsh")}
    t = fit["real"].astype(float)
    crowded = fit["neighbour_count"] > 0
    results = {"command": f"python scripts/neighbour_scores.py --cache {args.cache} --out {args.out} "
                          f"--within-cm {args.within_cm:g}",
               "fit_picks": int(t.size), "within_m": within_m,
               "share_real": {"with": float(t[crowded].mean()), "without": float(t[~crowded].mean()),
                              "share_with": float(crowded.mean())},
               "conditional": conditional_shares(fit), "maps": {},
               "held_out_share_real": {v: {g: shares(d, d["group"] == g) for g in GROUPS} for v, d in test.items()}}
    cv = {name: cross_validated(fit, name) for name in MAPS}
    for name in MAPS:
        theta = fit_map(fit, name)
        row = {"coefficients": {c: t_.tolist() for c, t_ in zip(PICK_TYPES, theta)},
               "cv_log_loss": float(log_loss(cv[name], t).mean()), "cv_ece": group_ece(cv[name], t, fit["group"])}
        if name != "shipped terms":
            row.update(paired_well_bootstrap(fit, cv[name], cv["shipped terms"]))
        row["held_out"] = {}
        for v, d in test.items():
            p, tt = probability(d, name, theta), d["real"].astype(float)
            row["held_out"][v] = {"log_loss": float(log_loss(p, tt).mean()), "ece": group_ece(p, tt, d["group"]),
                                  "noise_floor": {g: ece_noise_floor(p[d["group"] == g]) for g in GROUPS}}
        results["maps"][name] = row
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "neighbour_scores.json", json.dumps(results, indent=2, default=float))
    short = ("FMI", "slim", "LWD", "deviated")
    share = results["share_real"]
    lines = [f"Command: `{results['command']}`", "",
             f"{results['fit_picks']} fitting picks; with a same-class pick within {args.within_cm:g} cm: "
             f"{share['share_with']:.2f} of them, real {share['with']:.2f} (without: {share['without']:.2f}).", "",
             "Share real with / without a neighbour, per raw-score quintile of the fitting picks:", "",
             "| raw score | with (picks) | without (picks) |", "|---|---|---|"]
    lines += [f"| {r['raw'][0]:.2f}-{r['raw'][1]:.2f} | " + share_cell(r, 3).replace(" / ", " | ") + " |"
              for r in results["conditional"]]
    lines += ["", "Held out, share real with / without a neighbour (picks), per group " + " / ".join(short) + ":", "",
              "| variant | " + " | ".join(short) + " |", "|---|" + "---|" * len(short)]
    lines += [f"| {v} | " + " | ".join(share_cell(r, 2) for r in rows.values()) + " |"
              for v, rows in results["held_out_share_real"].items()]
    lines += ["", "Validation, 5-fold by well: log loss (90 % paired bootstrap of the change over wells), ECE per group "
              + " / ".join(short) + "; held out: ECE per group and log loss:", "",
              "| map | CV log loss | change | worst-group ECE change | CV ECE | default | real-texture | harsh |",
              "|---|---|---|---|---|---|---|---|"]
    for name, row in results["maps"].items():
        change = (" to ".join(f"{v:+.4f}" for v in row["log_loss_change_90"]) if "log_loss_change_90" in row else "")
        worst = (" to ".join(f"{v:+.3f}" for v in row["worst_group_ece_change_90"])
                 if "worst_group_ece_change_90" in row else "")
        held = [" / ".join(f"{row['held_out'][v]['ece'][g]:.3f}" for g in GROUPS)
                + f" ({row['held_out'][v]['log_loss']:.4f})" for v in test]
        lines.append(f"| {name} | {row['cv_log_loss']:.4f} | {change} | {worst} | "
                     + " / ".join(f"{row['cv_ece'][g]:.3f}" for g in GROUPS) + " | " + " | ".join(held) + " |")
    write_text_atomic(out / "neighbour_scores.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
