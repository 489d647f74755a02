"""Whether a score is a probability: pick outcomes, reliability bins, expected calibration error.

A pick is *real* when a true pick of its class lies within the depth tolerance and no
higher-scoring pick of that class took it first: picks are visited best score first, each
taking the unclaimed true pick nearest in depth. Unlike the evaluator's optimal matching
(geobfdt.evaluation.metrics), a pick's outcome then never depends on lower-scoring picks, so
it is the same whatever score threshold a user applies: the event "this pick is real" that a
calibrated score gives the probability of.
"""

from __future__ import annotations

import numpy as np

from geobfdt.well import PICK_TYPES, Pick

ECE_BINS = 10


def pick_matches(pred: list[Pick], truth: list[Pick], tolerance_m: float = 0.08) -> np.ndarray:
    """Index of the true pick each prediction takes (in pred order), -1 for none."""
    taken = np.full(len(pred), -1, dtype=np.int64)
    for kind in PICK_TYPES:
        index = np.array([j for j, t in enumerate(truth) if t.type == kind], dtype=np.int64)
        true_depth = np.array([truth[j].depth_m for j in index], dtype=np.float64)
        free = np.ones(index.size, dtype=bool)
        mine = [i for i, p in enumerate(pred) if p.type == kind]
        for i in sorted(mine, key=lambda i: -(pred[i].score or 0.0)):
            gap = np.where(free, np.abs(true_depth - pred[i].depth_m), np.inf)
            if gap.size and gap.min() <= tolerance_m:
                free[int(gap.argmin())] = False
                taken[i] = index[int(gap.argmin())]
    return taken


def pick_outcomes(pred: list[Pick], truth: list[Pick], tolerance_m: float = 0.08) -> np.ndarray:
    """1 for each real prediction (in pred order), 0 otherwise."""
    return (pick_matches(pred, truth, tolerance_m) >= 0).astype(np.int8)


def reliability_bins(score: np.ndarray, real: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per equal-width score bin: n, mean score, share real."""
    score, real = np.asarray(score, dtype=np.float64), np.asarray(real, dtype=np.float64)
    index = np.clip((score * bins).astype(int), 0, bins - 1)
    rows = []
    for b in range(bins):
        sel = index == b
        rows.append({"low": b / bins, "high": (b + 1) / bins, "n": int(sel.sum()),
                     "mean_score": float(score[sel].mean()) if sel.any() else None,
                     "share_real": float(real[sel].mean()) if sel.any() else None})
    return rows


def expected_calibration_error(score: np.ndarray, real: np.ndarray, bins: int = ECE_BINS) -> float | None:
    """Sum over equal-width score bins of (bin share of picks) x |mean score - share real|."""
    score = np.asarray(score, dtype=np.float64)
    if score.size == 0:
        return None
    return float(sum(r["n"] * abs(r["mean_score"] - r["share_real"])
                     for r in reliability_bins(score, real, bins) if r["n"]) / score.size)


def ece_noise_floor(score: np.ndarray, bins: int = ECE_BINS, draws: int = 200, seed: int = 0) -> float | None:
    """Median ECE of a perfectly calibrated scorer with these scores (outcomes drawn at the scores'
    probabilities): the ECE a finite sample shows even when nothing is wrong."""
    score = np.asarray(score, dtype=np.float64)
    if score.size == 0:
        return None
    rng = np.random.default_rng(seed)
    return float(np.median([expected_calibration_error(score, rng.random(score.size) < score, bins)
                            for _ in range(draws)]))
