import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from geobfdt.errors import GeoBFDTError
from geobfdt.config import PatchGrid
from geobfdt.preprocess.image import (fill_gaps, normalise_dynamic, normalise_static, prepare_well,
                                resample_well)
from geobfdt.well import Well

STEP_M = 0.01

images = arrays(np.float32, st.tuples(st.integers(2, 40), st.integers(1, 12)),
                elements=st.one_of(st.floats(-1e3, 1e3, width=32), st.just(np.nan)))


def exact_dynamic(image, depth_step_m, window_m):
    """Per-row reference: mid-rank among the finite values of rows within +-window/2."""
    half = int(round(0.5 * window_m / depth_step_m))
    out = np.full(image.shape, np.nan)
    for i in range(image.shape[0]):
        window = image[max(i - half, 0):i + half + 1]
        window = np.sort(window[np.isfinite(window)])
        row = image[i]
        ok = np.isfinite(row)
        below = np.searchsorted(window, row[ok], "left")
        equal = np.searchsorted(window, row[ok], "right") - below
        out[i, ok] = (below + 0.5 * equal) / window.size
    return out


@settings(max_examples=60, deadline=None)
@given(image=images, window_rows=st.integers(1, 30))
def test_dynamic_matches_exact_reference(image, window_rows):
    got = normalise_dynamic(image, STEP_M, window_rows * STEP_M)
    want = exact_dynamic(image, STEP_M, window_rows * STEP_M)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    # small images: every value has its own rank level, so the result is exact up to float32
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], atol=1e-5)


def test_dynamic_near_exact_on_a_large_drifting_image():
    rng = np.random.default_rng(1)
    rows = 3000
    image = (rng.lognormal(size=(rows, 90)) * np.exp(np.linspace(0, 4, rows))[:, None]).astype(np.float32)
    image[:, 60:75] = np.nan
    got = normalise_dynamic(image, STEP_M, 0.6)
    picked = np.arange(0, rows, 97)
    want = exact_dynamic(image, STEP_M, 0.6)[picked]
    assert np.nanmax(np.abs(got[picked] - want)) < 2e-3


@settings(max_examples=60, deadline=None)
@given(image=images, window_rows=st.integers(1, 30))
def test_normalisations_in_unit_interval_and_keep_nan(image, window_rows):
    for out in (normalise_static(image), normalise_dynamic(image, STEP_M, window_rows * STEP_M)):
        assert out.dtype == np.float32
        assert np.array_equal(np.isnan(out), ~np.isfinite(image))
        finite = out[np.isfinite(out)]
        assert np.all((finite > 0) & (finite < 1))


@settings(max_examples=60, deadline=None)
@given(image=images, window_rows=st.integers(1, 30))
def test_dynamic_is_monotone_within_a_row(image, window_rows):
    out = normalise_dynamic(image, STEP_M, window_rows * STEP_M)
    for row_in, row_out in zip(image, out):
        ok = np.isfinite(row_in)
        order = np.argsort(row_in[ok], kind="stable")
        assert np.all(np.diff(row_out[ok][order]) >= -1e-7)


@settings(max_examples=60, deadline=None)
@given(image=images, window_rows=st.integers(1, 30))
def test_invariant_to_increasing_transform(image, window_rows):
    # exp(x / 200) is strictly increasing on the float32 values drawn here, and keeps ties
    transformed = np.exp(image.astype(np.float64) / 200.0).astype(np.float32)
    distinct = np.unique(image[np.isfinite(image)]).size == np.unique(transformed[np.isfinite(transformed)]).size
    if not distinct:  # float32 rounding merged two inputs: not a strictly increasing map any more
        return
    np.testing.assert_array_equal(normalise_static(image), normalise_static(transformed))
    window_m = window_rows * STEP_M
    np.testing.assert_array_equal(normalise_dynamic(image, STEP_M, window_m),
                                  normalise_dynamic(transformed, STEP_M, window_m))


def test_dynamic_removes_drift_static_does_not():
    rng = np.random.default_rng(2)
    rows = 4000  # 40 m at 1 cm
    drift = np.exp(np.linspace(0.0, 5.0, rows))[:, None]
    image = (rng.lognormal(sigma=0.3, size=(rows, 64)) * drift).astype(np.float32)
    metre_means_dynamic = normalise_dynamic(image, STEP_M, 0.6).reshape(40, -1).mean(axis=1)
    metre_means_static = normalise_static(image).reshape(40, -1).mean(axis=1)
    # drift removed: every metre sits in the middle; static follows the drift from 0 to 1
    assert np.all(np.abs(metre_means_dynamic - 0.5) < 0.02)
    assert metre_means_static[0] < 0.05 and metre_means_static[-1] > 0.95


def test_all_nan_image_stays_nan():
    image = np.full((5, 4), np.nan, np.float32)
    assert np.isnan(normalise_dynamic(image, STEP_M)).all()
    assert np.isnan(normalise_static(image)).all()


def test_bad_window_is_a_user_error():
    with pytest.raises(GeoBFDTError):
        normalise_dynamic(np.zeros((3, 3)), STEP_M, window_m=0.0)


def test_interp_fill_is_circular_linear():
    row = np.full(12, np.nan, np.float32)
    row[2], row[8] = 1.0, 7.0  # fill 2..8 ramps up, 8..14 (wrapping) ramps back down
    image = np.vstack([row, np.full(12, np.nan, np.float32)])
    filled, valid = fill_gaps(image)
    np.testing.assert_allclose(filled[0, 2:9], np.arange(1.0, 8.0))
    np.testing.assert_allclose(filled[0, [9, 10, 11, 0, 1]], [6.0, 5.0, 4.0, 3.0, 2.0])
    assert np.isnan(filled[1]).all()  # a row with no data stays empty
    np.testing.assert_array_equal(valid, np.isfinite(image))


@settings(max_examples=40, deadline=None)
@given(image=images, method=st.sampled_from(["interp", "knn"]))
def test_fill_keeps_data_and_stays_in_range(image, method):
    filled, valid = fill_gaps(image, method=method)
    np.testing.assert_array_equal(filled[valid], image[valid])
    if valid.any():
        lo, hi = image[valid].min(), image[valid].max()
        fill = filled[~valid & np.isfinite(filled)]
        assert np.all((fill >= lo - 1e-3) & (fill <= hi + 1e-3))
    if method == "knn" and valid.any():
        assert np.isfinite(filled).all()
    else:
        assert np.array_equal(np.isfinite(filled).all(axis=1), valid.any(axis=1))


def test_knn_fill_bridges_a_pad_gap():
    # a horizontal conductive line broken by a gap: KNN continues it, neighbours stay resistive
    image = np.ones((40, 36), np.float32)
    image[20] = 0.0
    image[:, 10:14] = np.nan
    filled, _ = fill_gaps(image, method="knn", k=3)
    assert np.all(filled[20, 10:14] < 0.8) and np.all(filled[10, 10:14] == 1.0)


def make_well(rows=400, columns=360, step_m=0.00254, image=None, **extra):
    depth = 1000.0 + np.arange(rows) * step_m
    azimuth = (np.arange(columns) + 0.5) * 360.0 / columns
    if image is None:
        image = np.ones((rows, columns), np.float32)
    return Well("W", depth, azimuth, image, radius_m=0.108, **extra)


@pytest.mark.parametrize("step_m", [0.001, 0.01, 0.0254])
def test_resample_keeps_depth_ramp_and_constant_azimuth(step_m):
    well = make_well()
    well.image[:] = (well.depth_m[:, None] - 1000.0).astype(np.float32)
    out = resample_well(well, step_m, 128)
    assert out.image.shape == (out.depth_m.size, 128)
    np.testing.assert_allclose(np.diff(out.depth_m), step_m)
    np.testing.assert_allclose(out.azimuth_deg, (np.arange(128) + 0.5) * 360 / 128)
    inner = (out.depth_m > well.depth_m[0] + step_m) & (out.depth_m < well.depth_m[-1] - step_m)
    want = np.broadcast_to(out.depth_m[inner, None] - 1000.0, out.image[inner].shape)
    np.testing.assert_allclose(out.image[inner], want, atol=2e-5)


@pytest.mark.parametrize("columns", [64, 360, 720])
def test_resample_azimuth_is_circular(columns):
    # source columns centred on whole degrees, so cells straddle 0/360
    source_az = np.arange(360.0)
    image = np.tile(np.cos(np.radians(source_az)), (50, 1)).astype(np.float32)
    well = Well("W", 1000 + np.arange(50) * 0.01, source_az, image, radius_m=0.1)
    out = resample_well(well, 0.01, columns)
    width_rad = np.radians(max(360.0 / columns, 1.0))
    smoothing = np.sinc(width_rad / 2 / np.pi)  # box average of a cosine over one cell
    np.testing.assert_allclose(out.image[0], smoothing * np.cos(np.radians(out.azimuth_deg)), atol=2e-3)


def test_resample_nan_only_where_support_is_mostly_missing():
    well = make_well()
    well.image[:, 100] = np.nan  # one dead button: 1 of ~2.8 source columns per target
    well.image[:, 200:260] = np.nan  # a pad gap
    out = resample_well(well, 0.01, 128)
    gap_cols = (out.azimuth_deg > 201) & (out.azimuth_deg < 259)
    assert np.isnan(out.image[:, gap_cols]).all()
    assert np.isfinite(out.image[:, ~gap_cols]).sum() >= out.image[:, ~gap_cols].size - 2 * out.image.shape[0]
    assert np.allclose(out.image[np.isfinite(out.image)], 1.0)


def test_resample_carries_curves_and_circular_hole_azimuth():
    rows = 400
    hole_az = np.where(np.arange(rows) < rows // 2, 359.0, 1.0)
    well = make_well(inclination_deg=np.linspace(10, 20, rows), hole_azimuth_deg=hole_az)
    well.radius_m[:] = np.linspace(0.1, 0.12, rows)
    out = resample_well(well, 0.01, 32)
    assert np.all(np.minimum(out.hole_azimuth_deg, 360 - out.hole_azimuth_deg) <= 1.0 + 1e-9)
    np.testing.assert_allclose(out.inclination_deg, np.interp(out.depth_m, well.depth_m, well.inclination_deg),
                               atol=1e-6)
    np.testing.assert_allclose(out.radius_m, np.interp(out.depth_m, well.depth_m, well.radius_m), atol=1e-6)


def test_prepare_well_feeds_the_grid():
    grid = PatchGrid(rows=64, row_step_m=0.01, columns=32, stride_rows=32)
    rng = np.random.default_rng(3)
    well = make_well(rows=1000, image=rng.lognormal(size=(1000, 360)).astype(np.float32))
    out = prepare_well(well, grid)
    assert out.width == grid.columns and abs(out.depth_step_m - grid.row_step_m) < 1e-9
    assert np.nanmin(out.image) > 0 and np.nanmax(out.image) < 1
    with pytest.raises(GeoBFDTError):
        prepare_well(well, grid, normalisation="fancy")


def test_extreme_pooling_keeps_a_thin_trace_that_averaging_dilutes():
    from geobfdt.config import PatchGrid
    from geobfdt.preprocess.image import prepare_well

    rng = np.random.default_rng(0)
    rows, step = 2000, 0.00254
    from scipy import ndimage
    texture = ndimage.gaussian_filter(rng.standard_normal((rows, 360)), (20, 10), mode="wrap")
    image = (20.0 * np.exp(0.3 * texture / texture.std())).astype(np.float32)  # blobs larger than a grid cell
    image[1001, :] = 5.0  # one 2.5 mm conductive line
    well = Well("LINE", 1000.0 + step * np.arange(rows), (np.arange(360) + 0.5), image, 0.108)
    grid = PatchGrid(rows=128, row_step_m=0.02, columns=64, stride_rows=64)
    line_row = int(round(1001 * step / 0.02))
    for pooling, expect_dark in (("mean", False), ("extreme", True)):
        out = prepare_well(well, grid, "static", pooling=pooling).image
        darkest = np.median(out[line_row - 1:line_row + 2].min(axis=0))  # normalised rank, 0 = darkest
        assert (darkest < 0.05) == expect_dark, (pooling, darkest)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 6), columns=st.integers(1, 5), block_rows=st.integers(1, 50), seed=st.integers(0, 10**6))
def test_extreme_pool_matches_scipy_window_filters(rows, columns, block_rows, seed):
    """The blocked shifted-array reductions place and size every window exactly as
    scipy.ndimage does (edge rows replicated, azimuth wrapped), with no seams between blocks."""
    from scipy import ndimage

    from geobfdt.preprocess.image import extreme_pool

    rng = np.random.default_rng(seed)
    image = rng.integers(0, 50, size=(40, 24)).astype(np.float32)  # integers: sums are exact
    image[rng.random(image.shape) < 0.1] = np.nan
    out = extreme_pool(image, rows, columns, block_rows)
    valid = np.isfinite(image)
    counts = valid.sum(axis=1)
    row_mean = np.where(valid, image, 0.0).sum(axis=1) / np.maximum(counts, 1)
    filled = np.where(valid, image, row_mean[:, None]).astype(np.float32)
    size, mode = (rows, columns), ("nearest", "wrap")
    mean = ndimage.uniform_filter(filled.astype(np.float64), size, mode=mode)
    low = ndimage.minimum_filter(filled, size, mode=mode)
    high = ndimage.maximum_filter(filled, size, mode=mode)
    expected = np.where(valid, np.where(mean - low > high - mean, low, high), np.nan)
    if rows == columns == 1:
        expected = image
    tie = np.abs(2 * mean - low - high) < 1e-3  # equidistant extremes: either is right
    np.testing.assert_array_equal(np.where(tie, 0, out), np.where(tie, 0, expected).astype(np.float32))


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 5), columns=st.integers(1, 4), block_rows=st.integers(1, 30), seed=st.integers(0, 10**6))
def test_extreme_pool_in_log_space_equals_pooling_the_log_image(rows, columns, block_rows, seed):
    """log=True takes the log block by block (no whole-image copy) with the same result."""
    from geobfdt.preprocess.image import extreme_pool

    rng = np.random.default_rng(seed)
    image = rng.lognormal(2.0, 1.5, size=(37, 20)).astype(np.float32)
    image[rng.random(image.shape) < 0.1] = np.nan
    before = image.copy()
    np.testing.assert_allclose(extreme_pool(image, rows, columns, block_rows, log=True),
                               extreme_pool(np.log(image), rows, columns, block_rows), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(image, before)  # the caller's image is left alone


@pytest.mark.parametrize("row_step_m", [0.01, 0.001])  # coarsening (box) and refining (linear)
def test_a_depth_gap_in_the_data_stays_a_gap(row_step_m):
    from geobfdt.preprocess.image import resample_well

    depth = np.concatenate([np.arange(0.0, 1.0, 0.00254), np.arange(11.0, 12.0, 0.00254)])
    image = np.ones((depth.size, 8), np.float32)
    well = Well("GAP", depth, (np.arange(8) + 0.5) * 45.0, image, 0.1)
    out = resample_well(well, row_step_m, 8)
    in_gap = (out.depth_m > 1.01) & (out.depth_m < 10.99)
    assert np.isnan(out.image[in_gap]).all()
    logged = (out.depth_m < 0.99) | (out.depth_m > 11.01) & (out.depth_m < 11.99)
    np.testing.assert_allclose(out.image[logged], 1.0)
