import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from geobfdt.geometry import (apparent_to_true, azimuth_difference_deg, fit_sinusoid, trace_depth_m,
                              true_to_apparent, wrap_azimuth_deg)
from geobfdt.config import PatchGrid
from geobfdt.patches.extract import picks_to_targets, targets_to_picks
from geobfdt.well import Pick

dips = st.floats(1.0, 85.0)
azimuths = st.floats(0.0, 359.99)


@given(depth=st.floats(0, 3000), dip=st.floats(2.0, 85.0), az=azimuths, radius=st.floats(0.05, 0.2))
def test_fit_recovers_trace(depth, dip, az, radius):
    phi = np.linspace(0, 360, 37)[:-1]
    z = trace_depth_m(depth, dip, az, radius, phi)
    z0, d, a = fit_sinusoid(phi, z, radius)
    assert abs(z0 - depth) < 1e-6
    assert abs(d - dip) < 1e-6
    assert azimuth_difference_deg(a, az) < 1e-4


def test_fit_refuses_fewer_than_three_distinct_azimuths():
    import pytest
    with pytest.raises(ValueError, match="3 or more distinct azimuths"):
        fit_sinusoid([10.0, 370.0, 190.0, 190.0], [1.0, 1.0, 2.0, 2.0], 0.1)  # 370 is 10 again


def test_azimuth_just_under_360_encodes_inside_the_circle():
    grid = PatchGrid()
    pick = Pick(depth_m=1.0, dip_deg=30.0, azimuth_deg=359.99999, type="fracture")
    targets = picks_to_targets([pick], 0.0, 0.1, grid)
    assert 0.0 <= targets[0, 2] < 360.0
    assert azimuth_difference_deg(float(targets[0, 2]), 359.99999) < 1e-3


def test_deepest_point_is_dip_azimuth():
    phi = np.arange(360.0)
    z = trace_depth_m(100.0, 40.0, 123.0, 0.108, phi)
    assert phi[np.argmax(z)] == 123.0


@given(dip=dips, az=azimuths, inc=st.floats(0, 90), hazi=azimuths)
@example(dip=47.60721884607467, az=0.0, inc=47.60721884607467, hazi=0.0)  # a flat true plane: arccos lost digits
def test_apparent_true_round_trip(dip, az, inc, hazi):
    tdip, taz = apparent_to_true(dip, az, inc, hazi)
    adip, aaz = true_to_apparent(tdip, taz, inc, hazi)
    assert abs(adip - dip) < 1e-6
    # azimuth is ill-conditioned at low dip: compare the pole's horizontal displacement
    assert azimuth_difference_deg(aaz, az) * np.sin(np.radians(dip)) < 1e-6


@given(dip=dips, az=azimuths)
def test_vertical_hole_is_identity(dip, az):
    tdip, taz = apparent_to_true(dip, az, 0.0, 0.0)
    assert abs(tdip - dip) < 1e-9 and azimuth_difference_deg(taz, az) < 1e-6


def test_horizontal_bedding_in_horizontal_hole_is_vertical_apparent():
    # flat beds crossed by a horizontal hole look like planes at 90 deg to the hole axis
    adip, _ = true_to_apparent(0.0, 0.0, 90.0, 45.0)
    assert abs(adip - 90.0) < 1e-6


@settings(max_examples=50)
@given(depth=st.floats(0.0, 2.55), dip=st.floats(0, 80), az=azimuths, kind=st.sampled_from(["fracture", "bedding"]))
def test_targets_round_trip(depth, dip, az, kind):
    grid = PatchGrid()
    pick = Pick(1000.0 + depth, dip, az, kind)
    targets = picks_to_targets([pick], 1000.0, 0.108, grid)
    (back,) = targets_to_picks(targets, 1000.0, 0.108, grid)
    assert abs(back.depth_m - pick.depth_m) < 1e-4 and abs(back.dip_deg - dip) < 1e-3
    assert back.type == kind
    if dip > 0.1:
        assert azimuth_difference_deg(back.azimuth_deg, az) < 1e-2


@given(st.floats(-1e6, 1e6, allow_subnormal=True))
def test_wrapped_azimuths_stay_below_360(azimuth_deg):
    """np.mod(-1e-20, 360) is 360.0; a pick at azimuth 360 would break [0, 360) consumers."""
    wrapped = float(wrap_azimuth_deg(azimuth_deg))
    assert 0.0 <= wrapped < 360.0
    assert 0.0 <= Pick(depth_m=1.0, dip_deg=10.0, azimuth_deg=azimuth_deg, type="fracture").azimuth_deg < 360.0
    assert float(wrap_azimuth_deg(-1e-20)) == 0.0


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 89), st.floats(0, 360), st.floats(0, 89), st.floats(0, 360))
def test_plane_angle_is_a_symmetric_circular_distance(dip_a, az_a, dip_b, az_b):
    from geobfdt.geometry import plane_angle_deg
    angle = plane_angle_deg(dip_a, az_a, dip_b, az_b)
    assert 0.0 <= angle <= 90.0 + 1e-9
    assert angle == pytest.approx(plane_angle_deg(dip_b, az_b, dip_a, az_a), abs=1e-6)
    assert plane_angle_deg(dip_a, az_a, dip_a, az_a + 360.0) == pytest.approx(0.0, abs=1e-4)
    # no further apart than a walk along the dip, then along the azimuth, on the sphere of normals
    assert angle <= abs(dip_a - dip_b) + float(azimuth_difference_deg(az_a, az_b)) + 1e-6
    # same azimuth: the angle is the dip difference
    assert plane_angle_deg(dip_a, az_a, dip_b, az_a) == pytest.approx(abs(dip_a - dip_b), abs=1e-4)
