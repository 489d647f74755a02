"""picking/blur.py: a well's effective blur measured from its image."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

from geobfdt.picking.blur import BLUR, blur_px, image_blur, lag_correlations
from geobfdt.well import Well

ROWS, COLUMNS = 1500, 64


def blurred_field(sigma_px: tuple[float, float], noise: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    field = gaussian_filter(rng.standard_normal((ROWS, COLUMNS)), sigma_px, mode=("nearest", "wrap"))
    field /= field.std()
    return field + noise * rng.standard_normal(field.shape)


def well_of(work: np.ndarray, radius_m: float = 0.1) -> Well:
    return Well(name="B", depth_m=1000.0 + 0.01 * np.arange(work.shape[0]),
                azimuth_deg=(np.arange(work.shape[1]) + 0.5) * 360.0 / work.shape[1],
                image=np.power(10.0, work).astype(np.float32), radius_m=np.full(work.shape[0], radius_m))


def test_blur_px_inverts_a_gaussian_autocorrelation():
    for sigma in (1.0, 2.5, 6.0):
        rho = np.exp(-np.array([1.0, 4.0]) / (4 * sigma ** 2))
        assert abs(blur_px(*rho) - sigma) < 1e-6 * sigma
    assert blur_px(0.5, 0.6) == blur_px(0.0, -0.1)  # no decay, or no correlation: the cap


def test_a_known_gaussian_blur_is_measured_along_each_axis():
    for sigma in ((2.0, 1.0), (4.0, 2.0)):
        blur = image_blur(well_of(blurred_field(sigma)))
        assert abs(blur["blur_depth_px"] - sigma[0]) < 0.2 * sigma[0]
        assert abs(blur["blur_azimuth_px"] - sigma[1]) < 0.2 * sigma[1]
        assert set(blur) == set(BLUR)
        assert np.isclose(blur["blur_depth_cm"], blur["blur_depth_px"], rtol=1e-6)  # 1 cm rows
        column_cm = 100 * 2 * np.pi * 0.1 / COLUMNS
        assert np.isclose(blur["blur_azimuth_cm"], blur["blur_azimuth_px"] * column_cm, rtol=1e-6)


@settings(max_examples=8, deadline=None)
@given(noise=st.floats(0.0, 1.0), shift=st.integers(0, COLUMNS - 1))
def test_white_noise_and_the_azimuth_origin_do_not_move_the_measure(noise, shift):
    """Noise adds to lag 0 only; a plane's image rolled around the hole is the same image."""
    clean = image_blur(well_of(blurred_field((3.0, 1.5))))
    noisy = blurred_field((3.0, 1.5), noise=noise)
    seen = image_blur(well_of(np.roll(noisy, shift, axis=1)))
    for key in ("blur_depth_px", "blur_azimuth_px"):
        assert abs(seen[key] - clean[key]) < 0.2 * clean[key]


def test_more_blur_reads_higher_and_gaps_are_left_out():
    work = blurred_field((2.0, 1.0))
    more = gaussian_filter(work, (2.0, 1.0), mode=("nearest", "wrap"))
    base, blurred = image_blur(well_of(work)), image_blur(well_of(more))
    assert blurred["blur_depth_px"] > 1.3 * base["blur_depth_px"]
    assert blurred["blur_azimuth_px"] > 1.3 * base["blur_azimuth_px"]
    gapped = work.copy()
    gapped[:, 10:14] = np.nan  # a pad gap
    gapped[700:760] = np.nan  # missing rows
    assert np.isfinite(lag_correlations(gapped, axis=1, wrap=True)).all()
    seen = image_blur(well_of(gapped))
    assert abs(seen["blur_depth_px"] - base["blur_depth_px"]) < 0.15 * base["blur_depth_px"]
    assert abs(seen["blur_azimuth_px"] - base["blur_azimuth_px"]) < 0.15 * base["blur_azimuth_px"]


def test_an_image_without_detail_around_the_hole_reads_the_cap_not_a_wider_blur():
    work = np.repeat(blurred_field((2.0, 1.0))[:, :1], 16, axis=1)  # every sector the same: no decay in azimuth
    blur = image_blur(well_of(work))
    assert blur["blur_azimuth_px"] == 16 / 4.0
    assert abs(blur["blur_depth_px"] - 2.0) < 0.4


@settings(max_examples=10, deadline=None)
@given(chunk_rows=st.integers(60, 2000), seed=st.integers(0, 1000))
def test_the_measure_does_not_depend_on_the_rows_worked_at_once(chunk_rows, seed):
    """The image is summed a block of rows at a time (memory flat on long wells): any block size
    gives the sums of the whole image, gaps and the running mean's edges included."""
    import pytest

    import geobfdt.picking.blur as blur

    work = blurred_field((2.5, 1.2), noise=0.3, seed=seed)[:700]
    work[:, 5:9] = np.nan
    work[200:230] = np.nan
    whole = [lag_correlations(work, axis=0, wrap=False), lag_correlations(work, axis=1, wrap=True)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blur, "_CHUNK_ROWS", chunk_rows)
        for axis, wrap, expected in ((0, False, whole[0]), (1, True, whole[1])):
            assert np.allclose(lag_correlations(work, axis=axis, wrap=wrap), expected, rtol=1e-9, atol=1e-12)


def test_a_long_well_is_read_in_blocks_spread_along_it():
    """Past _MAX_BLOCKS blocks the measure reads that many, spread over the whole well: the cost stops
    growing, a uniform well reads as before, and a well blurred more in its lower half reads between
    its halves, not as its top alone."""
    import pytest

    import geobfdt.picking.blur as blur

    upper = blurred_field((1.5, 1.0), noise=0.1, seed=3)
    lower = blurred_field((3.0, 1.0), noise=0.1, seed=4)
    mixed = np.vstack([upper, lower])
    expected = blur_px(*lag_correlations(upper, axis=0, wrap=False))
    halves = [blur_px(*lag_correlations(w, axis=0, wrap=False)) for w in (upper, lower)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blur, "_CHUNK_ROWS", 50)
        patch.setattr(blur, "_MAX_BLOCKS", 8)  # 8 of 30 blocks on the uniform field, 8 of 60 on the mixed one
        sampled = blur_px(*lag_correlations(upper, axis=0, wrap=False))
        spread = blur_px(*lag_correlations(mixed, axis=0, wrap=False))
    assert sampled == pytest.approx(expected, rel=0.1)
    assert halves[0] + 0.3 < spread < halves[1] - 0.3
