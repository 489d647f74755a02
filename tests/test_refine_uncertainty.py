"""Sinusoid refit on the image (picking/refine.py) and test-time-transform error bars (picking/uncertainty.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.geometry import fit_sinusoid
from geobfdt.picking.refine import refine_rows
from geobfdt.model.calibration import QUANTITIES, IntervalScale
from geobfdt.training.calibrate import fit_interval_scale
from geobfdt.picking.uncertainty import transformed_predictions, window_spread

H, W = 256, 128


def drawn_trace(depth_frac, amplitude_frac, azimuth_deg, seed=0, noise=0.05):
    """A patch (2, H, W) with a dark 2-row line along the sinusoid on a noisy bright background."""
    rng = np.random.default_rng(seed)
    phi = (np.arange(W) + 0.5) * 360.0 / W
    centre = H * (depth_frac + amplitude_frac * np.cos(np.radians(phi - azimuth_deg)))
    rows = np.arange(H)[:, None]
    image = 0.7 - 0.5 * np.exp(-0.5 * ((rows - centre[None, :]) / 1.0) ** 2) + noise * rng.standard_normal((H, W))
    return np.stack([np.clip(image, 0, 1), np.ones((H, W))]).astype(np.float32)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.3, 0.7), st.floats(0.02, 0.15), st.floats(0, 360), st.floats(-1.5, 1.5), st.floats(-30, 30))
def test_refit_pulls_a_misshapen_prediction_onto_the_trace(depth, amplitude, azimuth, amp_error_rows, az_error_deg):
    patch = drawn_trace(depth, amplitude, azimuth)
    az_error_deg *= min(1.0, 1.5 / (amplitude * H * np.radians(30)))  # at most ~1.5 rows off along the curve
    guess = np.array([[depth, amplitude + amp_error_rows / H, azimuth + az_error_deg, 0, 0.9]], dtype=np.float32)
    refined = refine_rows(guess, patch[0], patch[1])
    assert abs(refined[0, 1] - amplitude) * H < 0.3
    assert min(abs(refined[0, 2] - azimuth) % 360, 360 - abs(refined[0, 2] - azimuth) % 360) * amplitude * H < 30
    assert refined[0, [0, 3, 4]].tolist() == guess[0, [0, 3, 4]].tolist()  # depth, class and score kept


def test_refit_leaves_a_prediction_alone_where_the_image_shows_nothing():
    rng = np.random.default_rng(1)
    blank = np.stack([rng.uniform(0.4, 0.6, (H, W)), np.ones((H, W))]).astype(np.float32)
    guess = np.array([[0.5, 0.1, 30.0, 1, 0.5]], dtype=np.float32)
    assert np.array_equal(refine_rows(guess, blank[0], blank[1]), guess)
    assert refine_rows(np.zeros((0, 5), np.float32), blank[0], blank[1]).shape == (0, 5)


def sinusoid_picker(images):
    """A model stand-in: per column the darkest row, a sinusoid fitted through them."""
    out = []
    for image in images:
        rows = image[0].argmin(0).astype(float)
        phi = (np.arange(image.shape[2]) + 0.5) * 360.0 / image.shape[2]
        z0, dip, azimuth = fit_sinusoid(phi, rows, 1.0)  # radius 1: amplitude = tan(dip)
        out.append(np.array([[z0 / image.shape[1], np.tan(np.radians(dip)) / image.shape[1], azimuth, 0, 0.9]],
                            dtype=np.float32))
    return out


def test_every_transformed_view_maps_back_to_the_same_plane():
    images = np.stack([drawn_trace(0.45, 0.1, 70.0, noise=0.0), drawn_trace(0.6, 0.04, 300.0, noise=0.0)])
    base = sinusoid_picker(images)
    views = transformed_predictions(sinusoid_picker, images)
    assert len(views) == 5
    for view in views:
        for k in range(2):
            assert abs(view[k][0, 0] - base[k][0, 0]) * H < 0.6
            assert abs(view[k][0, 1] - base[k][0, 1]) * H < 0.3
            assert min(abs(view[k][0, 2] - base[k][0, 2]) % 360, 360 - abs(view[k][0, 2] - base[k][0, 2]) % 360) < 2


def test_spread_is_zero_when_views_agree_and_grows_with_disagreement():
    rows = np.array([[0.5, 0.05, 90.0, 0, 0.9]])
    same = window_spread(rows, [rows.copy()] * 5, radius_m=0.1, height_m=2.56, height=H, width=W)
    assert np.allclose(same, 0.0)
    moved = rows.copy()
    moved[0, 0] += 2 / H  # 2 cm deeper in two of five views
    spread = window_spread(rows, [moved, moved, rows, rows, rows], radius_m=0.1, height_m=2.56, height=H, width=W)
    assert spread[0, 0] == pytest.approx(np.std([0, 2, 2, 0, 0, 0]), rel=1e-3)
    far = rows.copy()
    far[0, 0] += 0.3  # no view reproduces the second pick: it takes the window's largest spread
    both = window_spread(np.vstack([rows, far]), [moved, moved, rows, rows, rows], 0.1, 2.56, H, W)
    assert np.allclose(both[1], both[0])


def test_interval_scale_reaches_the_asked_coverage_on_new_data():
    rng = np.random.default_rng(4)
    spread = rng.uniform(0.2, 3.0, (4000, 3))
    amplitude_cm = rng.uniform(0.5, 60.0, 4000)
    error = np.abs(rng.standard_normal((4000, 3)) * (0.5 + spread))
    error[:, 2] = np.minimum(np.degrees(np.abs(rng.normal(0, 1.0, 4000)) / amplitude_cm), 180)  # 1 cm along the trace
    scale = fit_interval_scale(spread[:2000], error[:2000], amplitude_cm[:2000])
    widths = scale.half_widths(spread[2000:], amplitude_cm[2000:])
    held_out = np.mean(error[2000:] <= widths, axis=0)
    assert np.all(np.abs(held_out - 0.8) < 0.04)
    flat, steep = amplitude_cm[2000:] < 2.0, amplitude_cm[2000:] > 30.0
    assert np.median(widths[flat, 2]) > 10 * np.median(widths[steep, 2])  # a near-flat plane's azimuth is wide
    assert widths[:, 2].max() <= 180.0
    assert IntervalScale.from_dict(scale.to_dict()) == scale and set(scale.params) == set(QUANTITIES)
