"""Matching stays linear in the well's length: picks closer than the tolerance all the way down
are matched window by window (evaluation.metrics._windowed), never in one n x m matrix."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.evaluation import metrics
from geobfdt.evaluation.metrics import _match


def _arrays(depth_m, rng):
    return {"depth_m": depth_m, "dip_deg": rng.uniform(0, 90, depth_m.size),
            "azimuth_deg": rng.uniform(0, 360, depth_m.size)}


def _most_pairs(pred_depth, truth_depth, tol) -> int:
    """The largest one-to-one count within tolerance: for equal-width intervals on sorted depths,
    matching each prediction to the shallowest free truth in reach is optimal."""
    p, t = np.sort(pred_depth), np.sort(truth_depth)
    i = j = count = 0
    while i < p.size and j < t.size:
        if t[j] < p[i] - tol:
            j += 1
        elif t[j] > p[i] + tol:
            i += 1
        else:
            count, i, j = count + 1, i + 1, j + 1
    return count


def _check_pairs(pairs, pred, truth, tol):
    p_idx = np.array([i for i, _ in pairs], dtype=np.int64)
    t_idx = np.array([j for _, j in pairs], dtype=np.int64)
    assert np.unique(p_idx).size == p_idx.size and np.unique(t_idx).size == t_idx.size
    assert np.all(np.abs(pred["depth_m"][p_idx] - truth["depth_m"][t_idx]) <= tol)


def test_100k_against_100k_picks_in_one_dense_run():
    # 1 cm apart on average over 1 km with an 8 cm tolerance: one unbroken group of 200k picks,
    # which a single assignment would hold as a 100k x 100k matrix (80 GB)
    rng = np.random.default_rng(0)
    pred = _arrays(np.sort(rng.uniform(0.0, 1000.0, 100_000)), rng)
    truth = _arrays(rng.uniform(0.0, 1000.0, 100_000), rng)  # unsorted on purpose
    pairs = _match(pred, truth, 0.08)
    _check_pairs(pairs, pred, truth, 0.08)
    best = _most_pairs(pred["depth_m"], truth["depth_m"], 0.08)
    assert best * 0.995 <= len(pairs) <= best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 3.0), max_size=60), st.lists(st.floats(0.0, 3.0), max_size=60),
       st.floats(0.01, 0.5), st.integers(4, 16))
def test_windows_give_valid_pairs_and_near_optimal_counts(pred_d, truth_d, tol, window):
    rng = np.random.default_rng(1)
    pred, truth = _arrays(np.array(pred_d, float), rng), _arrays(np.array(truth_d, float), rng)
    whole = _match(pred, truth, tol)
    saved = metrics.MATCH_WINDOW
    metrics.MATCH_WINDOW = window
    try:
        windowed = _match(pred, truth, tol)
    finally:
        metrics.MATCH_WINDOW = saved
    _check_pairs(windowed, pred, truth, tol)
    assert len(whole) == _most_pairs(pred["depth_m"], truth["depth_m"], tol)
    # each cut can cost at most a pair or two
    cuts = (len(pred_d) + len(truth_d)) // window
    assert len(windowed) >= len(whole) - 2 * cuts
