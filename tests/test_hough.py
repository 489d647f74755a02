import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.geometry import azimuth_difference_deg
from geobfdt.picking.hough import hough_picks, pick_well_hough
from geobfdt.config import PatchGrid
from geobfdt.preprocess.image import normalise
from geobfdt.well import Well

RADIUS_M = 0.108  # 8.5 in hole


def _draw(planes, length_m=4.0, step_m=0.01, columns=128, noise=0.04, seed=0, pad_gaps=False, top_m=100.0,
          normalised=True):
    """Image with thin dark lines ('line') and contrast steps ('step') along plane traces."""
    rng = np.random.default_rng(seed)
    depth = top_m + np.arange(int(round(length_m / step_m))) * step_m
    azimuth = (np.arange(columns) + 0.5) * 360.0 / columns
    image = np.full((depth.size, columns), 0.5)
    for z0, dip, az, kind in planes:
        trace = z0 + RADIUS_M * np.tan(np.radians(dip)) * np.cos(np.radians(azimuth - az))
        dz = depth[:, None] - trace[None, :]
        if kind == "line":
            image -= 0.3 * np.exp(-0.5 * (dz / 0.005) ** 2)
        else:
            image += 0.15 * np.tanh(dz / 0.004)
    image += rng.normal(0.0, noise, image.shape)
    if pad_gaps:  # 8 pads covering ~80% of the wall
        image[:, (np.arange(columns) % (columns // 8)) >= int(0.8 * columns // 8)] = np.nan
    if normalised:  # hough_picks expects what prepare_well gives: dynamic histogram equalisation
        image = normalise(image, step_m, "dynamic")
    return Well("T", depth, azimuth, image.astype(np.float32), RADIUS_M)


def _assert_found(picks, planes, kinds=True):
    assert len(picks) == len(planes)
    for (z0, dip, az, kind), p in zip(sorted(planes), picks):
        assert abs(p.depth_m - z0) <= 0.03
        assert abs(p.dip_deg - dip) <= 3.0
        if dip > 10:  # as in evaluation: the azimuth of a near-flat plane is ill-defined
            assert azimuth_difference_deg(p.azimuth_deg, az) <= 10.0
        if kinds:
            assert p.type == ("fracture" if kind == "line" else "bedding")


def test_drawn_sinusoids_are_picked_and_classified():
    planes = [(100.6, 30, 45, "line"), (101.5, 70, 200, "line"), (102.4, 8, 300, "step"), (103.3, 45, 120, "step")]
    picks = hough_picks(_draw(planes, pad_gaps=True))
    # equalised white noise between pads also yields weak steep picks; the planes must be the strongest
    strongest = sorted(sorted(picks, key=lambda p: -p.score)[:len(planes)], key=lambda p: p.depth_m)
    _assert_found(strongest, planes)


def test_sinusoid_across_the_seam():
    planes = [(101.0, 60, 359.0, "line"), (102.5, 40, 2.0, "step")]
    picks = hough_picks(_draw(planes))
    _assert_found(picks, planes)


def test_pure_noise_gives_no_picks():
    assert hough_picks(_draw([], length_m=8.0, noise=0.08, seed=3)) == []
    assert hough_picks(_draw([], length_m=4.0, noise=0.08, seed=4, pad_gaps=True)) == []


def test_all_missing_gives_no_picks():
    well = _draw([(101.0, 30, 10, "line")])
    well.image[:] = np.nan
    assert hough_picks(well) == []


@settings(max_examples=8, deadline=None)
# below ~12 deg a 1 cm grid and equalised white noise leave ~3 deg of dip scatter (docs/hough.md)
@given(st.floats(101.0, 103.0), st.floats(12.0, 75.0), st.floats(0.0, 360.0, exclude_max=True))
def test_single_plane_recovered(z0, dip, az):
    picks = hough_picks(_draw([(z0, dip, az, "line")], noise=0.03))
    _assert_found(picks, [(z0, dip, az, "line")])


def test_raw_well_is_prepared_first():
    # native 0.1 in sampling, 176 columns: pick_well_hough resamples and normalises itself
    planes = [(100.8, 35, 80, "line"), (102.2, 60, 250, "line")]
    raw = _draw(planes, step_m=0.00254, columns=176, noise=0.03, normalised=False)
    picks = pick_well_hough(raw, PatchGrid())
    _assert_found(picks, planes, kinds=False)
    assert all(p.score > 0 and p.well == "T" for p in picks)


def test_threshold_controls_the_picks():
    well = _draw([(101.0, 30, 10, "line"), (102.0, 50, 100, "line")])
    scores = sorted(p.score for p in hough_picks(well))
    assert len(scores) == 2
    assert len(hough_picks(well, threshold=(scores[0] + scores[1]) / 2)) == 1
