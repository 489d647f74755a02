"""Scoring predicted picks against interpreted picks (definitions in docs/evaluation.md).

A prediction is a hit when it is matched one-to-one to a true pick whose centre-line
depth lies within the tolerance. Matching is optimal: first the largest number of
matched pairs, then, among those, the pairs closest in depth and orientation together. Overall detection
ignores the class; per-class detection matches predictions of a class only to truths
of the same class. Angle errors are measured on the overall matches.

Every ratio whose denominator is zero (no predictions, no truths, no matches) is None,
so an empty case never crashes and never pretends to a score. evaluate_wells sums the
counts and error sums over wells before taking ratios (micro-average).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from geobfdt.errors import PickFileError
from geobfdt.geometry import azimuth_difference_deg, plane_angle_deg
from geobfdt.io.picks import picks_to_arrays
from geobfdt.well import PICK_TYPES, Pick

AZIMUTH_MIN_DIP_DEG = 10.0  # below this the dip azimuth of a near-flat plane is poorly defined
DIP_WITHIN_DEG = (3.0, 5.0)
AZIMUTH_WITHIN_DEG = 15.0
# picks per cost matrix: runs of picks closer than the tolerance longer than this are matched window
# by window, so a 100k-pick well never builds a 100k x 100k matrix
MATCH_WINDOW = 512


def _depth_clusters(pred_depth: np.ndarray, truth_depth: np.ndarray, tolerance_m: float):
    """Split both lists into groups that no within-tolerance pair crosses (index arrays)."""
    depth = np.concatenate([pred_depth, truth_depth])
    is_pred = np.arange(depth.size) < pred_depth.size
    order = np.argsort(depth, kind="stable")
    breaks = np.flatnonzero(np.diff(depth[order]) > tolerance_m) + 1
    for group in np.split(order, breaks):
        yield group[is_pred[group]], group[~is_pred[group]] - pred_depth.size


def _assign(pred_arr: dict, truth_arr: dict, p_idx, t_idx, tolerance_m: float) -> list[tuple[int, int]]:
    """Optimal one-to-one pairs among the picks p_idx x t_idx (one dense cost matrix)."""
    if p_idx.size == 0 or t_idx.size == 0:
        return []
    dz = np.abs(pred_arr["depth_m"][p_idx, None] - truth_arr["depth_m"][None, t_idx])
    rows, cols = np.nonzero(dz <= tolerance_m)
    angle = plane_angle_deg(pred_arr["dip_deg"][p_idx[rows]], pred_arr["azimuth_deg"][p_idx[rows]],
                            truth_arr["dip_deg"][t_idx[cols]], truth_arr["azimuth_deg"][t_idx[cols]])
    closeness = dz[rows, cols] / max(tolerance_m, 1e-12) + angle / 90.0  # each pair's in [0, 2]
    # each allowed pair earns a bonus larger than any total closeness, so the assignment
    # maximises the match count first and then minimises the summed closeness
    bonus = 2.0 * min(p_idx.size, t_idx.size) + 1.0
    cost = np.zeros(dz.shape)
    cost[rows, cols] = closeness - bonus
    rows, cols = linear_sum_assignment(cost)
    keep = dz[rows, cols] <= tolerance_m
    return list(zip(p_idx[rows[keep]].tolist(), t_idx[cols[keep]].tolist()))


def _interleaved_order(pred_depth: np.ndarray, truth_depth: np.ndarray) -> np.ndarray:
    """Order of the concatenated picks by depth, ties taken alternately from each side, so that
    a cut through picks piled at one depth leaves predictions and truths on both sides."""
    own = np.concatenate([np.argsort(np.argsort(pred_depth, kind="stable")),
                          np.argsort(np.argsort(truth_depth, kind="stable"))])
    return np.lexsort((own, np.concatenate([pred_depth, truth_depth])))


def _windowed(pred_arr: dict, truth_arr: dict, p_idx, t_idx, tolerance_m: float) -> list[tuple[int, int]]:
    """Match a group too long for one cost matrix window by window, down the well.

    Each window holds the picks left open by the previous one plus the next MATCH_WINDOW picks.
    The window's cut sits 2 tolerances above its last pick (no later pick reaches across it) but
    no lower than 3/4 of the way down. Pairs above the cut and more than 2 tolerances above it
    are kept; the other picks near the cut stay open and are matched again with the next picks.
    If that would leave more than half a window open (picks piled at one depth), only the picks
    below the cut and their partners stay open. Memory is bounded by 2 x MATCH_WINDOW picks
    whatever the well's length; only near a cut can the result differ from one global
    assignment (docs/evaluation.md gives the size of that difference).
    """
    pred_depth, truth_depth = pred_arr["depth_m"], truth_arr["depth_m"]
    ids = np.concatenate([p_idx, t_idx])
    is_pred = np.arange(ids.size) < p_idx.size
    order = _interleaved_order(pred_depth[p_idx], truth_depth[t_idx])
    ids, is_pred = ids[order], is_pred[order]
    pairs = []
    open_p, open_t = np.empty(0, np.int64), np.empty(0, np.int64)
    for start in range(0, ids.size, MATCH_WINDOW):
        chunk = slice(start, start + MATCH_WINDOW)
        cur_p = np.concatenate([open_p, ids[chunk][is_pred[chunk]]])
        cur_t = np.concatenate([open_t, ids[chunk][~is_pred[chunk]]])
        found = _assign(pred_arr, truth_arr, cur_p, cur_t, tolerance_m)
        if start + MATCH_WINDOW >= ids.size:
            pairs.extend(found)
            break
        # ranks in the window's depth order: the cut is a rank, so picks piled at one depth still split
        depth = np.concatenate([pred_depth[cur_p], truth_depth[cur_t]])
        rank = np.empty(depth.size, np.int64)
        rank[_interleaved_order(pred_depth[cur_p], truth_depth[cur_t])] = np.arange(depth.size)
        rank_p, rank_t = dict(zip(cur_p.tolist(), rank[:cur_p.size])), dict(zip(cur_t.tolist(), rank[cur_p.size:]))
        sorted_depth = np.sort(depth)
        cut = max(int(np.searchsorted(sorted_depth, sorted_depth[-1] - 2.0 * tolerance_m)), (3 * depth.size) // 4)
        band = sorted_depth[cut] - 2.0 * tolerance_m
        early = [(i, j) for i, j in found if rank_p[i] < cut and rank_t[j] < cut]
        late_p = {i for i, j in found if rank_t[j] >= cut}  # matched across the cut: stay open with the partner
        late_t = {j for i, j in found if rank_p[i] >= cut}
        done = [(i, j) for i, j in early if min(pred_depth[i], truth_depth[j]) < band]
        done_p, done_t = {i for i, _ in done}, {j for _, j in done}
        open_p = [i for i in cur_p.tolist() if i not in done_p and pred_depth[i] >= band]
        open_t = [j for j in cur_t.tolist() if j not in done_t and truth_depth[j] >= band]
        if len(open_p) + len(open_t) > MATCH_WINDOW // 2:
            done = early
            done_p, done_t = {i for i, _ in done}, {j for _, j in done}
            open_p = [i for i in cur_p.tolist() if i not in done_p and (rank_p[i] >= cut or i in late_p)]
            open_t = [j for j in cur_t.tolist() if j not in done_t and (rank_t[j] >= cut or j in late_t)]
        pairs.extend(done)
        open_p, open_t = np.array(open_p, np.int64), np.array(open_t, np.int64)
    return pairs


def _match(pred_arr: dict, truth_arr: dict, tolerance_m: float) -> list[tuple[int, int]]:
    """Optimal one-to-one (pred, truth) index pairs within the depth tolerance.

    Depth alone decides which pairs may match, so the count (and F1) is that of a pure depth
    matching; when several pairings reach it (two crossing fractures at one depth), the one
    with the smallest total of |dz| / tolerance + angle between the planes / 90 deg wins, so a
    pick is scored against the plane it traces rather than a neighbour that happens to be closer.
    Groups of picks that no gap wider than the tolerance separates are solved whole up to
    MATCH_WINDOW picks, longer ones window by window (`_windowed`), so memory and time grow
    linearly with the well.
    """
    pairs = []
    for p_idx, t_idx in _depth_clusters(pred_arr["depth_m"], truth_arr["depth_m"], tolerance_m):
        solve = _assign if p_idx.size + t_idx.size <= MATCH_WINDOW else _windowed
        pairs.extend(solve(pred_arr, truth_arr, p_idx, t_idx, tolerance_m))
    return sorted(pairs)


def _subset(arrays: dict, index: np.ndarray) -> dict:
    return {key: value[index] for key, value in arrays.items()}


def match_picks(pred: list[Pick], truth: list[Pick], tolerance_m: float) -> list[tuple[int, int]]:
    """Optimal one-to-one (pred index, truth index) pairs with |depth difference| <= tolerance_m."""
    return _match(picks_to_arrays(pred), picks_to_arrays(truth), tolerance_m)


def _angle_sums(pred_arr, truth_arr, pairs) -> dict:
    """Counts and error sums on matched pairs (summable across wells)."""
    p_idx = np.array([i for i, _ in pairs], dtype=np.int64)
    t_idx = np.array([j for _, j in pairs], dtype=np.int64)
    dip_err = np.abs(pred_arr["dip_deg"][p_idx] - truth_arr["dip_deg"][t_idx])
    az_mask = truth_arr["dip_deg"][t_idx] > AZIMUTH_MIN_DIP_DEG
    az_err = azimuth_difference_deg(pred_arr["azimuth_deg"][p_idx][az_mask], truth_arr["azimuth_deg"][t_idx][az_mask])
    depth_err = np.abs(pred_arr["depth_m"][p_idx] - truth_arr["depth_m"][t_idx])
    return {
        "n_matched": int(p_idx.size),
        # error lists (concatenated across wells) give the medians
        "depth_errors_m": depth_err.tolist(), "dip_errors_deg": dip_err.tolist(), "azimuth_errors_deg": az_err.tolist(),
        "dip_abs_err_sum": float(dip_err.sum()),
        "n_dip_within_3": int(np.sum(dip_err <= DIP_WITHIN_DEG[0])),
        "n_dip_within_5": int(np.sum(dip_err <= DIP_WITHIN_DEG[1])),
        "n_azimuth": int(az_err.size),
        "azimuth_abs_err_sum": float(az_err.sum()),
        "n_azimuth_within_15": int(np.sum(az_err <= AZIMUTH_WITHIN_DEG)),
    }


def _raw_counts(pred: list[Pick], truth: list[Pick], tolerance_m: float) -> dict:
    pred_arr, truth_arr = picks_to_arrays(pred), picks_to_arrays(truth)
    pairs = _match(pred_arr, truth_arr, tolerance_m)
    raw = {"n_pred": len(pred), "n_truth": len(truth), **_angle_sums(pred_arr, truth_arr, pairs)}
    raw["n_class_correct"] = sum(pred[i].type == truth[j].type for i, j in pairs)
    for name in PICK_TYPES:
        p_sel = np.flatnonzero(pred_arr["is_fracture"] == (name == "fracture"))
        t_sel = np.flatnonzero(truth_arr["is_fracture"] == (name == "fracture"))
        sub_pairs = _match(_subset(pred_arr, p_sel), _subset(truth_arr, t_sel), tolerance_m)
        sub_pairs = [(int(p_sel[i]), int(t_sel[j])) for i, j in sub_pairs]
        raw[name] = {"n_pred": int(p_sel.size), "n_truth": int(t_sel.size),
                     **_angle_sums(pred_arr, truth_arr, sub_pairs)}
    return raw


def _sum_raw(raws: list[dict]) -> dict:
    total = {}
    for key in raws[0]:
        if isinstance(raws[0][key], dict):
            total[key] = _sum_raw([r[key] for r in raws])
        elif isinstance(raws[0][key], list):
            total[key] = [v for r in raws for v in r[key]]
        else:
            total[key] = sum(r[key] for r in raws)
    return total


def _ratio(num, den):
    return None if den == 0 else num / den


def _scores(raw: dict) -> dict:
    """Detection and angle metrics from one block of counts."""
    tp, n_pred, n_truth = raw["n_matched"], raw["n_pred"], raw["n_truth"]
    n_az = raw["n_azimuth"]
    return {
        "recall": _ratio(tp, n_truth),
        "precision": _ratio(tp, n_pred),
        "f1": _ratio(2 * tp, n_pred + n_truth),  # = 2PR/(P+R) when both exist
        "n_pred": n_pred, "n_truth": n_truth, "n_matched": tp,
        "dip_mae_deg": _ratio(raw["dip_abs_err_sum"], tp),
        "azimuth_mae_deg": _ratio(raw["azimuth_abs_err_sum"], n_az),
        "dip_within_3deg": _ratio(raw["n_dip_within_3"], tp),
        "dip_within_5deg": _ratio(raw["n_dip_within_5"], tp),
        "azimuth_within_15deg": _ratio(raw["n_azimuth_within_15"], n_az),
        "n_azimuth_matched": n_az,
        "depth_median_err_cm": None if not tp else 100.0 * float(np.median(raw["depth_errors_m"])),
        "dip_median_err_deg": None if not tp else float(np.median(raw["dip_errors_deg"])),
        "azimuth_median_err_deg": None if not n_az else float(np.median(raw["azimuth_errors_deg"])),
    }


def _report(raw: dict, tolerance_m: float) -> dict:
    out = {"tolerance_m": tolerance_m, "overall": _scores(raw)}
    class_error = _ratio(raw["n_matched"] - raw["n_class_correct"], raw["n_matched"])
    out["overall"]["class_error_pct"] = None if class_error is None else 100.0 * class_error
    for name in PICK_TYPES:
        out[name] = _scores(raw[name])
    out["raw"] = raw
    return out


def evaluate_picks(pred: list[Pick], truth: list[Pick], tolerance_m: float) -> dict:
    """Metrics for one well at one depth tolerance.

    Returns {"tolerance_m", "overall": {...}, "fracture": {...}, "bedding": {...}, "raw": {...}}
    where each block holds recall, precision, f1, counts, dip_mae_deg, azimuth_mae_deg,
    dip_within_3deg, dip_within_5deg, azimuth_within_15deg; "overall" adds
    class_error_pct (share of overall matches whose class is wrong). "raw" holds the
    summable counts.
    """
    return _report(_raw_counts(pred, truth, tolerance_m), tolerance_m)


def tolerance_key(tolerance_cm: float) -> str:
    """JSON key for a tolerance: "8" for 8 cm, "7.5" for 7.5 cm."""
    return f"{tolerance_cm:g}"


def evaluate_wells(pred_by_well: dict[str, list[Pick]], truth_by_well: dict[str, list[Pick]],
                   tolerances_cm=(3, 5, 8)) -> dict:
    """Micro-averaged metrics over wells at several tolerances, plus per-well rows.

    Returns {"tolerances_cm": [...], "wells": [names], "micro": {key: report},
    "per_well": {well: {key: report}}} with key = tolerance_key(cm). Wells must match.
    """
    if set(pred_by_well) != set(truth_by_well):
        raise PickFileError(f"wells differ between predictions and truth: {sorted(set(pred_by_well) ^ set(truth_by_well))}")
    wells = sorted(truth_by_well)
    out = {"tolerances_cm": [float(t) for t in tolerances_cm], "wells": wells, "micro": {}, "per_well": {}}
    for w in wells:
        out["per_well"][w] = {}
    for tol_cm in tolerances_cm:
        key, tol_m = tolerance_key(tol_cm), tol_cm / 100.0
        raws = []
        for w in wells:
            raw = _raw_counts(pred_by_well[w], truth_by_well[w], tol_m)
            out["per_well"][w][key] = _report(raw, tol_m)
            raws.append(raw)
        empty = _raw_counts([], [], tol_m)
        out["micro"][key] = _report(_sum_raw(raws) if raws else empty, tol_m)
    return out
