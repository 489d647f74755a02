"""The hard cases as strata of the true picks: faint, partial, crossing, near-axial.

A stratum is a set of true picks; its figure is recall at the depth tolerance with each
class matched separately, as per-class F1 is (geobfdt.evaluation.metrics). Apparent dip also
exists on the prediction side (the picked dip), so that stratum has a precision and an F1 as
well; the others are properties of the true plane only (how plainly it shows, whether another
plane crosses it), so an unmatched prediction belongs to none of them and only recall is
defined. Strata that need truth attributes (contrast_sd, coverage_frac: written by
`geobfdt synth`) are skipped when the truth file lacks them.
"""

from __future__ import annotations

import numpy as np

from geobfdt.evaluation.metrics import match_picks
from geobfdt.well import PICK_TYPES, Pick

CROSSING_M = 0.08
STEEP_DIP_DEG = 80.0
FAINT_SD = 3.0
PARTIAL_FRAC = (0.3, 0.5)

STRATA = {  # name: (truth-side membership, prediction-side membership or None)
    "faint: contrast < 3 sd": (lambda t, near: t.contrast_sd is not None and t.contrast_sd < FAINT_SD, None),
    "partial: coverage 30-50 %": (
        lambda t, near: t.coverage_frac is not None and PARTIAL_FRAC[0] <= t.coverage_frac < PARTIAL_FRAC[1], None),
    "crossing: another true plane within 8 cm": (lambda t, near: near, None),
    "apparent dip > 80 deg": (lambda t, near: t.dip_deg > STEEP_DIP_DEG, lambda p: p.dip_deg > STEEP_DIP_DEG),
}
NEEDS = {"faint: contrast < 3 sd": "contrast_sd", "partial: coverage 30-50 %": "coverage_frac"}


def _has_neighbour(truth: list[Pick], within_m: float) -> np.ndarray:
    depth = np.array([t.depth_m for t in truth], dtype=np.float64)
    if depth.size < 2:
        return np.zeros(depth.size, dtype=bool)
    gap = np.abs(depth[:, None] - depth[None, :]) + np.diag(np.full(depth.size, np.inf))
    return gap.min(axis=1) <= within_m


def strata_counts(pred: list[Pick], truth: list[Pick], tolerance_m: float = 0.08) -> dict:
    """Summable counts per stratum and class (n_truth, n_hit; n_pred, n_pred_hit where defined)."""
    near = _has_neighbour(truth, CROSSING_M)
    out = {}
    for kind in PICK_TYPES:
        tk = [(t, n) for t, n in zip(truth, near) if t.type == kind]
        pk = [p for p in pred if p.type == kind]
        pairs = match_picks(pk, [t for t, _ in tk], tolerance_m)
        hit_truth, hit_pred = {j for _, j in pairs}, {i for i, _ in pairs}
        for name, (in_truth, in_pred) in STRATA.items():
            member = [j for j, (t, n) in enumerate(tk) if in_truth(t, n)]
            row = {"n_truth": len(member), "n_hit": sum(j in hit_truth for j in member)}
            if in_pred is not None:
                mine = [i for i, p in enumerate(pk) if in_pred(p)]
                row.update(n_pred=len(mine), n_pred_hit=sum(i in hit_pred for i in mine))
            out[(name, kind)] = row
    return out


def strata_report(pred_by_well: dict, truth_by_well: dict, tolerance_m: float = 0.08) -> list[dict]:
    """One row per stratum and class (and both classes): n_truth, recall, and where the stratum
    exists on the prediction side, precision and F1. Micro-averaged over wells."""
    totals: dict = {}
    for name in truth_by_well:
        for key, row in strata_counts(pred_by_well.get(name, []), truth_by_well[name], tolerance_m).items():
            acc = totals.setdefault(key, dict.fromkeys(row, 0))
            for k, v in row.items():
                acc[k] += v
    every_truth = [t for picks in truth_by_well.values() for t in picks]
    rows = []
    for name in STRATA:
        attribute = NEEDS.get(name)
        if attribute and not any(getattr(t, attribute, None) is not None for t in every_truth):
            continue
        for kind in (*PICK_TYPES, "both"):
            parts = [totals[(name, k)] for k in PICK_TYPES if kind in (k, "both") and (name, k) in totals]
            acc = {k: sum(p.get(k, 0) for p in parts) for k in ("n_truth", "n_hit", "n_pred", "n_pred_hit")}
            row = {"stratum": name, "class": kind, "n_truth": acc["n_truth"],
                   "recall": acc["n_hit"] / acc["n_truth"] if acc["n_truth"] else None}
            if STRATA[name][1] is not None:
                row["n_pred"] = acc["n_pred"]
                row["precision"] = acc["n_pred_hit"] / acc["n_pred"] if acc["n_pred"] else None
                row["f1"] = (2 * acc["n_hit"] / (acc["n_truth"] + acc["n_pred"])
                             if acc["n_truth"] + acc["n_pred"] else None)
            rows.append(row)
    return rows
