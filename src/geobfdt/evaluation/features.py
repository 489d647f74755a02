"""Scoring feature products against the synthetic truth (docs/evaluation.md, "Vugs, breakouts").

Vugs: one-to-one matching of centres within half the true vug's equivalent diameter (at
least MIN_TOLERANCE_M) in depth and arc length; recall over the visible conductive true
vugs of at least `min_diameter_mm`, precision over the reported vugs of that size (a
reported vug matched to a smaller true vug is not a false alarm); recall also over the visible,
resolvable true vugs alone (synth/truth.py: blurred contrast >= 3 background sd, two pixels
each way), with the same precision; the vug-fraction curve
against the truth averaged over the same sliding window. Intervals (breakouts): a reported
interval is a hit when it overlaps a true one; azimuth errors are axial (mod 180).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from geobfdt.errors import PickFileError
from geobfdt.features.curves import window_mean
from geobfdt.features.stress import axial_difference_deg
from geobfdt.geometry import azimuth_difference_deg, trace_depth_m
from geobfdt.io.tables import read_table_csv
from geobfdt.synth.truth import VISIBLE_SD

MIN_TOLERANCE_M = 0.004


def _ratio(num, den):
    return None if den == 0 else float(num) / float(den)


def f1(recall, precision):
    if recall is None or precision is None or recall + precision == 0:
        return None
    return 2 * recall * precision / (recall + precision)


def match_vugs(pred: dict, truth: dict, radius_m: float) -> list[tuple[int, int]]:
    """Optimal one-to-one (pred, truth) pairs of vug centres within tolerance."""
    if not len(pred["depth_m"]) or not len(truth["depth_m"]):
        return []
    dz = pred["depth_m"][:, None] - truth["depth_m"][None, :]
    close = np.abs(dz) < 0.05  # vugs are at most a few cm: only nearby pairs can match
    p, t = np.nonzero(close)
    arc = radius_m * np.radians(np.abs(azimuth_difference_deg(pred["azimuth_deg"][p], truth["azimuth_deg"][t])))
    distance = np.hypot(dz[p, t], arc)
    tolerance = np.maximum(0.5e-3 * truth["equivalent_diameter_mm"][t], MIN_TOLERANCE_M)
    ok = distance <= tolerance
    p, t, distance = p[ok], t[ok], distance[ok] / tolerance[ok]
    if not p.size:
        return []
    up, pi = np.unique(p, return_inverse=True)
    ut, ti = np.unique(t, return_inverse=True)
    cost = np.full((up.size, ut.size), 1e6)
    cost[pi, ti] = distance - 10.0
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] < 0
    return list(zip(up[rows[keep]].tolist(), ut[cols[keep]].tolist()))


def vug_counts(pred: dict, truth: dict, radius_m: float, min_diameter_mm: float = 5.0,
               min_visible: float = 0.5) -> dict:
    """Raw counts for recall / precision at `min_diameter_mm` (summed over wells before ratios)."""
    conductive = truth["conductive"] > 0
    truth = {k: v[conductive] for k, v in truth.items()}
    pairs = match_vugs(pred, truth, radius_m)
    matched_t = np.zeros(len(truth["depth_m"]), bool)
    matched_p = np.zeros(len(pred["depth_m"]), bool)
    if pairs:
        p, t = np.array(pairs).T
        matched_p[p], matched_t[t] = True, True
    big_t = (truth["equivalent_diameter_mm"] >= min_diameter_mm) & (truth["visible_fraction"] >= min_visible)
    big_p = pred["equivalent_diameter_mm"] >= min_diameter_mm
    n = len(truth["depth_m"])
    # truth files written before the visibility columns count every vug as visible
    plain = ~(np.asarray(truth.get("contrast_sd", np.full(n, np.nan)), float) < VISIBLE_SD) \
        & (np.asarray(truth.get("resolvable", np.ones(n)), float) > 0)
    return {"truth": int(big_t.sum()), "found": int((big_t & matched_t).sum()),
            "reported": int(big_p.sum()), "correct": int((big_p & matched_p).sum()),
            "visible_truth": int((big_t & plain).sum()), "visible_found": int((big_t & plain & matched_t).sum())}


def vug_scores(counts: dict) -> dict:
    """Recall, precision and F1 over all true vugs, and recall and F1 over the visible ones
    (precision is the same: a reported vug on a faint true vug is no false alarm)."""
    recall = _ratio(counts["found"], counts["truth"])
    precision = _ratio(counts["correct"], counts["reported"])
    visible_recall = _ratio(counts["visible_found"], counts["visible_truth"])
    return {**counts, "recall": recall, "precision": precision, "f1": f1(recall, precision),
            "visible_recall": visible_recall, "visible_f1": f1(visible_recall, precision)}


def fraction_errors(depth_m: np.ndarray, pct: np.ndarray, truth_depth_m: np.ndarray, truth_pct: np.ndarray,
                    window_m: float) -> np.ndarray:
    """|reported - true| vug fraction (percentage points) at the reported curve's depths, the truth
    averaged over the same window."""
    true_at = window_mean(truth_depth_m, truth_pct, np.ones_like(truth_pct), depth_m, window_m)
    ok = np.isfinite(true_at) & np.isfinite(pct)
    return np.abs(pct[ok] - true_at[ok])


def interval_counts(pred: dict, truth: dict, max_axis_deg: float | None = None) -> dict:
    """Breakout-style intervals (top_m, bottom_m, azimuth_deg): overlap hits, and the axial azimuth
    error of each true interval against the reported one overlapping it most. With max_axis_deg
    (induced segments, many at one depth), a hit must also lie within that angle of the true axis."""
    pt, pb = np.asarray(pred["top_m"]), np.asarray(pred["bottom_m"])
    tt, tb = np.asarray(truth["top_m"]), np.asarray(truth["bottom_m"])
    overlap = np.maximum(0.0, np.minimum(pb[:, None], tb[None, :]) - np.maximum(pt[:, None], tt[None, :]))
    if max_axis_deg is not None and pt.size and tt.size:
        axis = axial_difference_deg(np.asarray(pred["azimuth_deg"])[:, None], np.asarray(truth["azimuth_deg"])[None, :])
        overlap = np.where(axis <= max_axis_deg, overlap, 0.0)
    hit_t = overlap.max(0) > 0 if pt.size else np.zeros(tt.size, bool)
    hit_p = overlap.max(1) > 0 if tt.size else np.zeros(pt.size, bool)
    errors = np.zeros(0)
    if pt.size and tt.size and hit_t.any():
        best = overlap.argmax(0)[hit_t]
        errors = axial_difference_deg(np.asarray(pred["azimuth_deg"])[best], np.asarray(truth["azimuth_deg"])[hit_t])
    return {"truth": int(tt.size), "found": int(hit_t.sum()), "reported": int(pt.size), "correct": int(hit_p.sum()),
            "azimuth_errors_deg": errors.tolist()}


def interval_scores(counts: dict) -> dict:
    recall = _ratio(counts["found"], counts["truth"])
    precision = _ratio(counts["correct"], counts["reported"])
    errors = np.asarray(counts["azimuth_errors_deg"], float)
    return {"truth": counts["truth"], "found": counts["found"], "reported": counts["reported"],
            "correct": counts["correct"], "recall": recall, "precision": precision, "f1": f1(recall, precision),
            "azimuth_error_median_deg": float(np.median(errors)) if errors.size else None,
            "azimuth_error_p90_deg": float(np.percentile(errors, 90)) if errors.size else None}


ON_TRACE_M = 0.01
SHMAX_WITHIN_DEG = 10.0
INDUCED_AXIS_DEG = 20.0


def _on_true_traces(pred: dict, truth_picks) -> np.ndarray:
    """Reported vugs centred within ON_TRACE_M of a true plane's trace."""
    if not truth_picks or not len(pred["depth_m"]):
        return np.zeros(len(pred["depth_m"]), bool)
    p = np.array([[q.depth_m, q.dip_deg, q.azimuth_deg] for q in truth_picks])
    z = trace_depth_m(p[None, :, 0], p[None, :, 1], p[None, :, 2], pred["radius_m"][:, None], pred["azimuth_deg"][:, None])
    return (np.abs(z - pred["depth_m"][:, None]) < ON_TRACE_M).any(1)


def _table(folder, well: str, suffix: str, required=()):
    path = folder / f"{well}{suffix}"
    if not path.is_file():
        raise PickFileError(f"{path}: missing (needed to score this feature)")
    return read_table_csv(path, required)


def evaluate_feature_files(pred_dir, truth_dir, wells: list[str], features, truth_picks: dict | None = None,
                           window_m: float = 0.5) -> dict:
    """Micro-averaged scores of each feature over the wells, from the files `geobfdt features` (or
    predict --features) wrote in pred_dir and those `geobfdt synth` wrote in truth_dir."""
    pred_dir, truth_dir = Path(pred_dir), Path(truth_dir)
    out = {}
    if "vugs" in features:
        counts = dict.fromkeys(("truth", "found", "reported", "correct", "visible_truth", "visible_found"), 0)
        errors, vuggy, on_trace = [], [], 0
        for well in wells:
            pred = _table(pred_dir, well, "_vugs.csv", ("depth_m", "azimuth_deg", "equivalent_diameter_mm"))
            truth = _table(truth_dir, well, "_vugs.csv", ("depth_m", "azimuth_deg", "equivalent_diameter_mm"))
            radius = float(np.median(truth["radius_m"])) if len(truth["depth_m"]) else 0.1
            c = vug_counts(pred, truth, radius)
            counts = {k: counts[k] + c[k] for k in counts}
            curve = _table(pred_dir, well, "_vugs_curves.csv", ("depth_m", "vug_fraction_pct"))
            true_curve = _table(truth_dir, well, "_vug_fraction.csv", ("depth_m", "vug_fraction_pct"))
            e = fraction_errors(curve["depth_m"], curve["vug_fraction_pct"], true_curve["depth_m"],
                                true_curve["vug_fraction_pct"], window_m)
            true_at = window_mean(true_curve["depth_m"], true_curve["vug_fraction_pct"],
                                  np.ones(true_curve["depth_m"].size), curve["depth_m"], window_m)
            errors.append(e)
            vuggy.append(e[(true_at[np.isfinite(true_at) & np.isfinite(curve["vug_fraction_pct"])] > 0)])
            matched = np.zeros(len(pred["depth_m"]), bool)
            pairs = match_vugs(pred, {k: v[truth["conductive"] > 0] for k, v in truth.items()}, radius)
            if pairs:
                matched[np.array(pairs)[:, 0]] = True
            on_trace += int((_on_true_traces(pred, (truth_picks or {}).get(well, [])) & ~matched).sum())
        e, v = np.concatenate(errors), np.concatenate(vuggy)
        out["vugs"] = {**vug_scores(counts), "fraction_mae_pct_points": float(e.mean()) if e.size else None,
                       "fraction_mae_in_vuggy_windows_pct_points": float(v.mean()) if v.size else None,
                       "unmatched_on_true_traces": on_trace, "window_m": window_m}
    if "breakouts" in features:
        tot = {"breakouts": None, "induced": None}
        shmax = []
        for well in wells:
            for table, axis in (("breakouts", None), ("induced", INDUCED_AXIS_DEG)):
                c = interval_counts(_table(pred_dir, well, f"_{table}.csv", ("top_m", "bottom_m", "azimuth_deg")),
                                    _table(truth_dir, well, f"_{table}.csv", ("top_m", "bottom_m", "azimuth_deg")), axis)
                tot[table] = c if tot[table] is None else {k: tot[table][k] + c[k] for k in c}
            truth_b = _table(truth_dir, well, "_breakouts.csv")
            summary_path = pred_dir / f"{well}_breakouts_summary.json"
            if len(truth_b["top_m"]) and summary_path.is_file():
                reported = json.loads(summary_path.read_text()).get("shmax_from_breakouts_deg")
                if reported is not None:
                    shmax.append(float(axial_difference_deg(reported, truth_b["azimuth_deg"][0] + 90.0)))
        shmax = np.asarray(shmax)
        out["breakouts"] = interval_scores(tot["breakouts"])
        out["breakouts"]["shmax_wells"] = int(shmax.size)
        out["breakouts"]["shmax_error_median_deg"] = float(np.median(shmax)) if shmax.size else None
        out["breakouts"]["shmax_within_10deg"] = float(np.mean(shmax <= SHMAX_WITHIN_DEG)) if shmax.size else None
        out["induced"] = interval_scores(tot["induced"])
    return out
