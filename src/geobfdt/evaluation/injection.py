"""Scoring an injection-recovery run (picking/injection.py): how many implants came back, how well.

`recovery_table(truth, picks)` is the same scoring for implants and for real labelled picks, so the
two can be compared where labels exist (scripts/validate_injection.py): per class and dip bin of the
true plane, the share recovered (a pick of the class within the tolerance, matched one to one as the
evaluator does) and the 50 % and 80 % quantiles of the absolute depth, dip and azimuth errors of the
recovered ones (azimuth only above AZIMUTH_MIN_DIP_DEG, where it is defined).
"""

from __future__ import annotations

import numpy as np

from geobfdt.evaluation.metrics import AZIMUTH_MIN_DIP_DEG, match_picks
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.picking.injection import DIP_BINS_DEG, implant_truth, implant_well, nearest_gap_m, plan_implants
from geobfdt.picking.quality import quality_report
from geobfdt.well import PICK_TYPES, Pick

QUANTILES = (0.5, 0.8)
CROWDING_BINS_M = (0.0, 0.05, 0.12, 0.3, np.inf)  # distance to the nearest other plane: crowded planes fare worse
TOLERANCE_M = 0.08
IMPLANTS_PER_ZONE, MAX_ZONES = 100, 10  # by depth: a zone's recovery from 100 implants is good to about +-0.1
ERRORS = ("depth_cm", "dip_deg", "azimuth_deg")


def class_matches(truth: list[Pick], picks: list[Pick], tolerance_m: float = TOLERANCE_M,
                  competing: list[Pick] = ()) -> list[tuple[int, int]]:
    """(truth index, pick index) pairs, matched one to one within each class as the evaluator does.
    `competing`: planes matched alongside the truth and left out of the pairs (an implanted copy's
    truth is its implants, and the well's own picks compete for the copy's picks: implants crowd them)."""
    pairs = []
    every = list(truth) + list(competing)
    for kind in PICK_TYPES:
        t_idx = [j for j, t in enumerate(every) if t.type == kind]
        p_idx = [i for i, p in enumerate(picks) if p.type == kind]
        pairs += [(t_idx[j], p_idx[i]) for i, j in match_picks([picks[k] for k in p_idx], [every[k] for k in t_idx],
                                                                tolerance_m) if t_idx[j] < len(truth)]
    return pairs


def plane_errors(pick: Pick, truth: Pick) -> tuple[float, float, float]:
    """A matched pick's absolute depth (cm), dip and azimuth (deg) errors; azimuth NaN at or below
    AZIMUTH_MIN_DIP_DEG of true dip, where it is not defined."""
    return (100.0 * abs(pick.depth_m - truth.depth_m), abs(pick.dip_deg - truth.dip_deg),
            float(azimuth_difference_deg(pick.azimuth_deg, truth.azimuth_deg))
            if truth.dip_deg > AZIMUTH_MIN_DIP_DEG else np.nan)


def matched_errors(truth: list[Pick], picks: list[Pick], tolerance_m: float = TOLERANCE_M, competing: list[Pick] = ()):
    """Per class-matched true pick: (true dip, class, found, depth cm, dip deg, azimuth deg errors) as
    arrays over `truth` (errors NaN where not found; azimuth NaN at or below AZIMUTH_MIN_DIP_DEG);
    `competing` as class_matches'."""
    found = np.zeros(len(truth), bool)
    errors = np.full((len(truth), 3), np.nan)
    for j, i in class_matches(truth, picks, tolerance_m, competing):
        found[j] = True
        errors[j] = plane_errors(picks[i], truth[j])
    dip = np.array([t.dip_deg for t in truth], dtype=float)
    kinds = np.array([t.type for t in truth])
    return dip, kinds, found, errors


def weighted_quantiles(values: np.ndarray, weights: np.ndarray | None = None) -> list[float | None]:
    ok = np.isfinite(values)
    if not ok.any():
        return [None] * len(QUANTILES)
    v, w = values[ok], (np.ones(ok.sum()) if weights is None else weights[ok])
    if w.sum() <= 0:  # only planes of dip bins that weigh nothing
        return [None] * len(QUANTILES)
    order = np.argsort(v)
    cumulative = np.cumsum(w[order]) / w.sum()
    return [float(v[order][np.searchsorted(cumulative, q)]) for q in QUANTILES]


def recovery_table(truth: list[Pick], picks: list[Pick], weights_by_bin=None) -> list[dict]:
    """recovery_rows of the true picks matched to the predicted ones."""
    return recovery_rows(*matched_errors(truth, picks), weights_by_bin=weights_by_bin)


def recovery_rows(dip, kinds, found, errors, dip_bins_deg=DIP_BINS_DEG, weights_by_bin=None,
                  plane_weights=None) -> list[dict]:
    """Rows per class and dip bin, then per class over all bins (each bin weighted by
    weights_by_bin[class] when given: to compare two sets of planes with different dip mixes; within a
    bin then by plane_weights when given, else evenly; the rows per bin by plane_weights too), with n,
    recovery and error quantiles. The arrays are matched_errors', possibly pooled over wells."""
    bins = list(zip(dip_bins_deg[:-1], dip_bins_deg[1:]))
    base = np.ones(dip.size) if plane_weights is None else np.asarray(plane_weights, float)
    rows = []
    for kind in PICK_TYPES:
        in_bin = [(kinds == kind) & (dip >= lo) & (dip < hi) for lo, hi in bins]
        for (lo, hi), sel in zip(bins, in_bin):
            rows.append(_row(sel, found, errors, plane_weights, **{"class": kind, "dip_bin_deg": f"{lo:g}-{hi:g}"}))
        share = np.ones(len(bins)) if weights_by_bin is None else np.asarray(weights_by_bin[kind], float)
        weight = np.zeros(dip.size)
        for s, sel in zip(share, in_bin):
            total = base[sel].sum()
            weight[sel] = s * base[sel] / total if total > 0 else 0.0
        rows.append(_row(np.any(in_bin, axis=0), found, errors, weight if weights_by_bin is not None else None,
                         **{"class": kind, "dip_bin_deg": f"{dip_bins_deg[0]:g}-{dip_bins_deg[-1]:g}"}))
    return rows


def _row(sel, found, errors, weight=None, **label) -> dict:
    w = np.ones(sel.size) if weight is None else weight
    row = {**label, "n": int(sel.sum()),
           "recovery": float((w[sel] * found[sel]).sum() / w[sel].sum()) if sel.any() and w[sel].sum() > 0 else None}
    hit = sel & found
    for q, name in enumerate(ERRORS):
        row[name] = weighted_quantiles(errors[hit, q], w[hit])
    return row


def crowding_rows(kinds, found, errors, nearest_m, bins_m=CROWDING_BINS_M, plane_weights=None) -> list[dict]:
    """Rows per class and bin of the distance to the nearest other plane (nearest_m, one per plane of
    matched_errors' arrays): n, recovery and error quantiles, as recovery_rows' (weighted by
    plane_weights when given)."""
    nearest_m = np.asarray(nearest_m, dtype=float)  # inf (no other plane) falls in the last bin
    return [_row((kinds == kind) & (nearest_m >= lo) & ((nearest_m < hi) | np.isinf(hi)), found, errors,
                 plane_weights, **{"class": kind, "nearest_m": [float(lo), None if np.isinf(hi) else float(hi)]})
            for kind in PICK_TYPES for lo, hi in zip(bins_m[:-1], bins_m[1:])]


def bin_shares(dip, kinds, dip_bins_deg=DIP_BINS_DEG) -> dict[str, list[float]]:
    """Per class, the share of its planes (matched_errors' arrays) in each dip bin."""
    out = {}
    for kind in PICK_TYPES:
        counts = np.array([np.sum((kinds == kind) & (dip >= lo) & (dip < hi))
                           for lo, hi in zip(dip_bins_deg[:-1], dip_bins_deg[1:])], float)
        out[kind] = (counts / counts.sum()).tolist() if counts.sum() else [1.0] * counts.size
    return out


def matching_weights(real, implants, dip_bins_deg=DIP_BINS_DEG) -> np.ndarray:
    """One well's implants (matched_errors' arrays), each weighted by the well's real planes of its class
    and dip bin over its implants there (recovery_rows' plane_weights): pooled over wells, the implants
    then stand for the wells as the real planes do. Implants go one every SPACING_M whatever a well
    holds; unweighted, a well with few real planes of a class would weigh among them as one with many."""
    weights = np.zeros(implants[0].size)
    for kind in PICK_TYPES:
        for lo, hi in zip(dip_bins_deg[:-1], dip_bins_deg[1:]):
            here = (implants[1] == kind) & (implants[0] >= lo) & (implants[0] < hi)
            n_real = np.sum((real[1] == kind) & (real[0] >= lo) & (real[0] < hi))
            weights[here] = n_real / max(here.sum(), 1)
    return weights


def added_and_found_again(implanted: list[Pick], before: list[Pick], after: list[Pick]) -> tuple[np.ndarray, np.ndarray]:
    """The depths of the picks of the implanted copy (`after`) that are neither an implant nor a pick of
    the original (`before`), and per pick of the original whether the copy found it again: the copy's
    picks matched one to one to the implants and the original's together, within TOLERANCE_M whatever
    their class."""
    pairs = match_picks(after, list(implanted) + list(before), TOLERANCE_M)
    found = np.zeros(len(before), dtype=bool)
    found[[j - len(implanted) for _, j in pairs if j >= len(implanted)]] = True
    matched = {i for i, _ in pairs}
    return np.array([p.depth_m for i, p in enumerate(after) if i not in matched], dtype=float), found


def depth_zone_rows(top_m: float, bottom_m: float, implant_depth_m, kinds, found, pick_depth_m, found_again,
                    added_depth_m) -> list[dict]:
    """The well cut into zones of equal length, as many as hold about IMPLANTS_PER_ZONE implants (at most
    MAX_ZONES): per zone the implants, the share recovered (and per class), the well's picks and those
    lost per copy (found_again: each pick's share of the copies that found it again), and the false picks
    added. Where in the well the picker holds up: a noisy or
    washed-out interval shows as a zone that gives its implants back less often."""
    implant_depth_m, kinds, found = np.asarray(implant_depth_m, float), np.asarray(kinds), np.asarray(found, bool)
    pick_depth_m, found_again = np.asarray(pick_depth_m, float), np.asarray(found_again, float)
    added_depth_m = np.asarray(added_depth_m, float)
    zones = int(np.clip(round(implant_depth_m.size / IMPLANTS_PER_ZONE), 1, MAX_ZONES))
    edges = np.linspace(top_m, bottom_m, zones + 1)
    zone_of = lambda depth: np.clip(np.searchsorted(edges, depth, side="right") - 1, 0, zones - 1)  # noqa: E731
    implant_zone, pick_zone, added_zone = zone_of(implant_depth_m), zone_of(pick_depth_m), zone_of(added_depth_m)
    share = lambda sel: float(found[sel].mean()) if sel.any() else None  # noqa: E731
    return [{"top_m": float(edges[z]), "bottom_m": float(edges[z + 1]), "implants": int((implant_zone == z).sum()),
             "recovery": share(implant_zone == z),
             "recovery_by_class": {kind: share((implant_zone == z) & (kinds == kind)) for kind in PICK_TYPES},
             "picks": int((pick_zone == z).sum()),
             "picks_lost_per_copy": float((1.0 - found_again[pick_zone == z]).sum()),
             "false_picks_added": int((added_zone == z).sum())}
            for z in range(zones)]


def recovery_against_truth(pooled, truth: list[Pick], picks: list[Pick]) -> dict[str, dict]:
    """Per class, what a well's injection-recovery says against what its labels say: the implants'
    recovery (pooled: run_injection's matched_errors arrays), its dip bins weighted by the true planes'
    dip mix, and the share of the true planes below the implants' steepest dip that the picks found
    (class-matched within TOLERANCE_M), each with its count."""
    real = matched_errors([t for t in truth if t.dip_deg < DIP_BINS_DEG[-1]], picks)
    every_dip = f"{DIP_BINS_DEG[0]:g}-{DIP_BINS_DEG[-1]:g}"
    implants = {r["class"]: r for r in recovery_rows(*pooled, weights_by_bin=bin_shares(real[0], real[1]))
                if r["dip_bin_deg"] == every_dip}
    found = {r["class"]: r for r in recovery_rows(*real) if r["dip_bin_deg"] == every_dip}
    return {kind: {"implants": implants[kind]["n"], "implants_recovered": implants[kind]["recovery"],
                   "true_planes": found[kind]["n"], "true_planes_found": found[kind]["recovery"]} for kind in PICK_TYPES}


def run_injection(well, pick, seed: int = 0, copies: int = 1, before: list[Pick] | None = None, progress=None,
                  picked: list | None = None):
    """pick(well) -> picks (the picker as `predict` runs it). Picks the well (unless `before` is given),
    then `copies` implanted copies of it (copy k's slots shifted by k/4 of a spacing); the report pools
    the copies. Returns (report, before, the implanted planes of every copy, the pooled matched_errors
    arrays). progress(): called after each picking, for a bar. picked: a list that, when given, gets
    each copy's (implanted planes, its picks) appended (evaluation/self_calibration.py reads them).
    Where implants were placed, each of the well's picks gets its found_again share (in place): a pick
    that a copy loses, with the image changed around it, is real less often than one of its score found
    again."""
    before = pick(well) if before is None else before
    if progress:
        progress()
    planted, outcomes, nearest, added, found_again = [], [], [], [], np.zeros(len(before))
    existing = np.sort([p.depth_m for p in before])
    for copy in range(copies):
        implants = plan_implants(well, before, seed, copy)
        planes = implant_truth(implants)
        found = pick(implant_well(well, implants))
        if progress:
            progress()
        planted += planes
        if picked is not None:
            picked.append((planes, found))
        outcomes.append(matched_errors(planes, found, competing=before))
        nearest.append(nearest_gap_m(np.array([p.depth_m for p in planes]), existing))
        more, again = added_and_found_again(planes, before, found)
        added, found_again = added + [more], found_again + again
    pooled = tuple(np.concatenate(parts) for parts in zip(*outcomes))
    added = np.concatenate(added) if added else np.zeros(0)
    report = {"well": well.name, "seed": int(seed), "copies": int(copies), "implants": len(planted),
              "length_m": float(well.depth_m[-1] - well.depth_m[0]),
              "by_class_and_dip": recovery_rows(*pooled),
              # what a user can check on the well: implants beside its own picks fare as crowded planes do
              "by_class_and_nearest_pick": crowding_rows(pooled[1], pooled[2], pooled[3], np.concatenate(nearest)),
              "false_picks_added": int(added.size),
              "false_picks_added_per_100_implants": 100.0 * added.size / max(len(planted), 1),
              "original_picks": len(before),
              "original_picks_lost_per_copy": (copies * len(before) - float(found_again.sum())) / copies,
              # the implants are painted on the image as recorded: a fault they never meet is named beside them
              "image_quality": quality_report(well),
              # implants lie at the radius the well is read with: a radius error (picking/radius.py) is not in them
              "radius_source": well.radius_source}
    if planted:  # where in the well: zones of about IMPLANTS_PER_ZONE implants
        report["by_depth"] = depth_zone_rows(
            float(well.depth_m[0]), float(well.depth_m[-1]), [p.depth_m for p in planted], pooled[1], pooled[2],
            [p.depth_m for p in before], found_again / copies, added)
        for p, share in zip(before, found_again / copies):
            p.found_again = float(share)
    return report, before, planted, pooled
