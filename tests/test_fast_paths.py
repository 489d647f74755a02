"""The fast paths of predict give exactly what their plain formulations give (docs/benchmarks.md):
extreme pooling with reused buffers and a branch-free select, the dynamic normalisation read from
a 2-D prefix, the sinusoid refit over a whole chunk at once, duplicate merging near in depth only."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.picking.refine import refine_rows
from geobfdt.picking.whole_well import MERGE_CURVE_M, merge_duplicates
from geobfdt.preprocess.image import _rank_levels, _window_half_rows, extreme_pool, normalise_dynamic
from geobfdt.well import Pick


def plain_extreme_pool(image, rows, columns, block_rows, log=False):
    """Each block's windows gathered whole (np.ix_), gaps filled with the row mean (rows with no
    data: the block's mean), min or max by np.where."""
    above, left = rows // 2, columns // 2
    n_rows, width = image.shape
    out = np.empty(image.shape, dtype=np.float32)
    for start in range(0, n_rows, block_rows):
        height = min(start + block_rows, n_rows) - start
        halo = np.clip(np.arange(start - above, start + height + rows - 1 - above), 0, n_rows - 1)
        padded = image[np.ix_(halo, np.arange(-left, width + columns - 1 - left) % width)]
        if log:
            padded = np.log(padded)
        valid = np.isfinite(padded)
        counts = valid[:, left:left + width].sum(axis=1)
        row_mean = np.where(valid, padded, 0.0)[:, left:left + width].sum(axis=1) / np.maximum(counts, 1)
        row_mean[counts == 0] = row_mean[counts > 0].mean() if counts.any() else 0.0
        filled = np.where(valid, padded, row_mean[:, None].astype(padded.dtype))

        def reduce(op):
            along = filled[:height]
            for k in range(1, rows):
                along = op(along, filled[k:k + height])
            result = along[:, :width]
            for k in range(1, columns):
                result = op(result, along[:, k:k + width])
            return result

        total, low, high = reduce(np.add), reduce(np.minimum), reduce(np.maximum)
        low_is_further = 2.0 * total > (low + high) * (rows * columns)
        centre = valid[above:above + height, left:left + width]
        out[start:start + height] = np.where(centre, np.where(low_is_further, low, high), np.nan)
    return out


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 6), columns=st.integers(1, 5), block_rows=st.integers(1, 40), n_rows=st.integers(1, 60),
       gaps=st.sampled_from([0.0, 0.1, 0.6, 0.97]), log=st.booleans(), seed=st.integers(0, 10**6))
def test_extreme_pool_equals_its_plain_formulation(rows, columns, block_rows, n_rows, gaps, log, seed):
    rng = np.random.default_rng(seed)
    image = rng.lognormal(1.0, 1.5, size=(n_rows, 24)).astype(np.float32)
    image[rng.random(image.shape) < gaps] = np.nan
    image[rng.integers(0, n_rows)] = np.nan  # a row with no data
    got = extreme_pool(image, rows, columns, block_rows, log=log)
    want = np.log(image) if rows == columns == 1 and log else (
        image if rows == columns == 1 else plain_extreme_pool(image, rows, columns, block_rows, log))
    np.testing.assert_array_equal(got, want)


def plain_normalise_dynamic(image, depth_step_m, window_m, levels):
    """The window histogram of every row built whole (rows x levels), then its CDF."""
    half = _window_half_rows(depth_step_m, window_m)
    finite = np.isfinite(image)
    level = np.zeros(image.shape, dtype=np.int64)
    frac = np.zeros(image.shape, dtype=np.float32)
    level[finite], frac[finite], n_levels = _rank_levels(image[finite], levels)
    n_rows = image.shape[0]
    hist = np.zeros((n_rows + 1, n_levels), dtype=np.int64)
    np.add.at(hist, (np.nonzero(finite)[0] + 1, level[finite]), 1)
    prefix = np.cumsum(hist, axis=0)
    rows = np.arange(n_rows)
    window = prefix[np.minimum(rows + half + 1, n_rows)] - prefix[np.maximum(rows - half, 0)]
    cdf = np.cumsum(window, axis=1)
    in_level = window[rows[:, None], level]
    u = (cdf[rows[:, None], level] - (1.0 - frac) * in_level) / np.maximum(cdf[:, -1:], 1)
    return np.where(finite, u, np.nan).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(1, 2500), window_rows=st.integers(1, 80), distinct=st.sampled_from([3, 50, 10**6]),
       levels=st.sampled_from([16, 512, 2048]), gaps=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 10**6))
def test_dynamic_normalisation_equals_the_whole_window_histograms(n_rows, window_rows, distinct, levels, gaps, seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, distinct, size=(n_rows, 8)).astype(np.float32)  # ties when few distinct values
    image[rng.random(image.shape) < gaps] = np.nan
    got = normalise_dynamic(image, 0.01, window_rows * 0.01, levels)
    if np.isfinite(image).any():
        np.testing.assert_array_equal(got, plain_normalise_dynamic(image, 0.01, window_rows * 0.01, levels))
    else:
        assert np.isnan(got).all()


def test_refit_of_a_whole_chunk_equals_window_by_window():
    rng = np.random.default_rng(5)
    height, width, windows = 256, 128, 6
    phi = np.radians((np.arange(width) + 0.5) * 360.0 / width)
    images = np.empty((windows, 2, height, width), np.float32)
    rows = []
    for k in range(windows):
        truth = rng.uniform(0.2, 0.8, 3), rng.uniform(0.0, 0.1, 3), rng.uniform(0, 360, 3)
        image = rng.normal(0.5, 0.05, (height, width))
        for depth, amplitude, azimuth in zip(*truth):
            centre = height * (depth + amplitude * np.cos(phi - np.radians(azimuth)))
            image -= 0.4 * np.exp(-0.5 * (np.arange(height)[:, None] - centre) ** 2)
        images[k] = np.clip(image, 0, 1), rng.random((height, width)) > 0.1
        guess = np.stack([truth[0], truth[1] * rng.uniform(0.8, 1.2, 3), truth[2] + rng.normal(0, 10, 3),
                          np.zeros(3), np.full(3, 0.9)], 1).astype(np.float32)
        rows.append(guess[: k % 4])  # 0 to 3 picks a window
    counts = [len(r) for r in rows]
    together = refine_rows(np.concatenate(rows), images[:, 0], images[:, 1], np.repeat(np.arange(windows), counts))
    alone = np.concatenate([refine_rows(r, images[k, 0], images[k, 1]) for k, r in enumerate(rows)])
    np.testing.assert_array_equal(together, alone)


def plain_merge(picks, radius_m):
    """Every pick compared with every kept pick."""
    from geobfdt.geometry import trace_depth_m

    key = lambda p: (p.depth_m, p.dip_deg, p.azimuth_deg, p.type)
    picks = sorted(picks, key=key)
    order = sorted(range(len(picks)), key=lambda i: (-(picks[i].score or 0.0), key(picks[i])))
    phi = np.arange(0.0, 360.0, 10.0)
    curves = np.stack([trace_depth_m(p.depth_m, p.dip_deg, p.azimuth_deg, radius_m, phi) for p in picks])
    kept = []
    for i in order:
        if kept and np.abs(curves[kept] - curves[i]).mean(axis=1).min() < MERGE_CURVE_M:
            continue
        kept.append(i)
    return [picks[i] for i in sorted(kept)]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 120), spread_m=st.sampled_from([0.05, 1.0, 20.0]), seed=st.integers(0, 10**6))
def test_merging_near_in_depth_equals_comparing_all(n, spread_m, seed):
    rng = np.random.default_rng(seed)
    picks = [Pick(depth_m=float(1000 + rng.uniform(0, spread_m)), dip_deg=float(rng.choice([0.0, rng.uniform(0, 88)])),
                  azimuth_deg=float(rng.uniform(0, 360)), type=str(rng.choice(["fracture", "bedding"])),
                  score=float(rng.choice([0.5, rng.random()])), well="W") for _ in range(n)]
    assert merge_duplicates(list(picks), 0.1) == plain_merge(picks, 0.1)
