"""DLIS write/read round trips (dliswriter -> dlisio), NPZ, and format detection by content."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from geobfdt.errors import GeoBFDTError
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.io import detect_format, read_well, write_dlis, write_npz
from geobfdt.io.common import column_azimuths_deg, depth_unit_to_m, resample_azimuth_curve
from geobfdt.well import Well

INCH_M = 0.0254


def make_well(rows=120, width=56, top_m=1500.0, step_m=0.00254, radius_m=0.108, seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    depth = top_m + np.arange(rows) * step_m
    image = rng.uniform(0.5, 20.0, (rows, width)).astype(np.float32)
    image[10:14, 5:9] = np.nan
    kwargs.setdefault("radius_source", "caliper")
    return Well("TEST-1", depth, column_azimuths_deg(width), image, radius_m, **kwargs)


@pytest.mark.parametrize("depth_unit", ["m", "ft", "0.1 in"])
@pytest.mark.parametrize("decreasing", [False, True])
def test_round_trip_depth_image_radius_tool(tmp_path, depth_unit, decreasing):
    well = make_well(tool="fmi")
    path = tmp_path / "w.dlis"
    write_dlis(well, path, depth_unit=depth_unit, decreasing=decreasing)
    back = read_well(path)
    np.testing.assert_allclose(back.depth_m, well.depth_m, atol=1e-6)
    np.testing.assert_array_equal(back.image, well.image)  # NaN in the same places
    np.testing.assert_allclose(back.radius_m, well.radius_m, atol=1e-9)
    np.testing.assert_allclose(back.azimuth_deg, well.azimuth_deg)
    assert (back.name, back.tool, back.radius_source) == ("TEST-1", "fmi", "caliper")
    assert back.provenance["depth_unit"] == depth_unit
    assert back.provenance["depth_order"] == ("decreasing" if decreasing else "increasing")
    assert back.provenance["channel"] == "FMI_DYN" and back.provenance["frame"] == "IMAGE"


@pytest.mark.parametrize("null_value", [-999.25, -9999.0, -500.0])
def test_null_sentinels_become_nan(tmp_path, null_value):
    well = make_well()
    write_dlis(well, tmp_path / "w.dlis", null_value=null_value)
    back = read_well(tmp_path / "w.dlis")
    np.testing.assert_array_equal(np.isnan(back.image), np.isnan(well.image))


def test_negative_resistivity_is_null_but_other_images_keep_negatives(tmp_path):
    well = make_well()
    well.image[50, :3] = -4.0
    write_dlis(well, tmp_path / "res.dlis", image_units="ohm.m")
    write_dlis(well, tmp_path / "other.dlis", image_units="g/cm3")
    assert np.isnan(read_well(tmp_path / "res.dlis").image[50, :3]).all()
    assert (read_well(tmp_path / "other.dlis").image[50, :3] == -4.0).all()


def test_caliper_in_coarse_frame_is_interpolated_onto_image_rows(tmp_path):
    well = make_well(rows=200)
    well.radius_m = 0.1 + 0.01 * np.sin(np.linspace(0, 3, 200))  # a hole that swells and shrinks
    write_dlis(well, tmp_path / "w.dlis", radius_as="caliper", coarse_step=20)
    back = read_well(tmp_path / "w.dlis")
    coarse = np.append(np.arange(0, 200, 20), 199)
    expected = np.interp(well.depth_m, well.depth_m[coarse], well.radius_m[coarse])
    np.testing.assert_allclose(back.radius_m, expected, atol=1e-9)
    assert not np.allclose(back.radius_m, well.radius_m, atol=1e-6)  # really coarser, really interpolated
    assert back.radius_source == "caliper"


def test_deviation_round_trips_and_hole_azimuth_interpolates_through_north(tmp_path):
    well = make_well(rows=200, inclination_deg=np.linspace(30, 40, 200),
                     hole_azimuth_deg=np.mod(np.linspace(340, 380, 200), 360))
    write_dlis(well, tmp_path / "w.dlis", coarse_step=50, depth_unit="ft", decreasing=True)
    back = read_well(tmp_path / "w.dlis")
    np.testing.assert_allclose(back.inclination_deg, well.inclination_deg, atol=1e-6)
    assert azimuth_difference_deg(back.hole_azimuth_deg, well.hole_azimuth_deg).max() < 0.1


def test_radius_from_bit_size_then_user_value_then_error(tmp_path):
    well = make_well(radius_m=8.5 / 2 * INCH_M, radius_source="bit_size")
    write_dlis(well, tmp_path / "bs.dlis")
    back = read_well(tmp_path / "bs.dlis")
    assert back.radius_source == "bit_size"
    np.testing.assert_allclose(back.radius_m, 8.5 / 2 * INCH_M)

    write_dlis(well, tmp_path / "none.dlis", radius_as=None)
    with pytest.raises(GeoBFDTError, match="--bit-size-in"):
        read_well(tmp_path / "none.dlis")
    back = read_well(tmp_path / "none.dlis", bit_size_in=6.0)
    assert back.radius_source == "user"
    np.testing.assert_allclose(back.radius_m, 3.0 * INCH_M)


def test_known_image_names_are_preferred_and_image_channel_overrides(tmp_path):
    well = make_well()
    static = np.full(well.image.shape, 7.0, np.float32)
    write_dlis(well, tmp_path / "w.dlis", image_channel_name="MY_IMAGE", extra_curves={"FMI_STAT": static})
    assert read_well(tmp_path / "w.dlis").provenance["channel"] == "FMI_STAT"
    chosen = read_well(tmp_path / "w.dlis", image_channel="my_image")
    np.testing.assert_array_equal(chosen.image, well.image)
    with pytest.raises(GeoBFDTError, match="image channels: MY_IMAGE, FMI_STAT"):
        read_well(tmp_path / "w.dlis", image_channel="FMI_DYN")


def test_latin1_well_name_is_read(tmp_path):
    path = tmp_path / "w.dlis"
    write_dlis(make_well(), path)
    data = path.read_bytes()
    assert data.count(b"TEST-1") == 1
    path.write_bytes(data.replace(b"TEST-1", b"TEST-\xc9"))  # same length: structure intact
    assert read_well(path).name == "TEST-\u00c9"


def test_failed_write_leaves_no_file(tmp_path):
    well = make_well()
    with pytest.raises(Exception):
        write_dlis(well, tmp_path / "w.dlis", extra_curves={"BAD": np.zeros(3)})  # wrong length
    assert list(tmp_path.iterdir()) == []


def test_npz_round_trip_keeps_every_field(tmp_path):
    well = make_well(inclination_deg=np.linspace(1, 5, 120), hole_azimuth_deg=np.full(120, 45.0),
                     tool="cmi", provenance={"file": "x.dlis", "channel": "CMI_DYN"})
    write_npz(well, tmp_path / "w.npz")
    back = read_well(tmp_path / "w.npz")
    for field in ("depth_m", "azimuth_deg", "image", "radius_m", "inclination_deg", "hole_azimuth_deg"):
        np.testing.assert_array_equal(getattr(back, field), getattr(well, field))
    assert (back.name, back.tool, back.radius_source, back.provenance) == \
        (well.name, well.tool, well.radius_source, well.provenance)


def test_format_is_detected_by_content_not_extension(tmp_path):
    write_dlis(make_well(), tmp_path / "image.las")
    write_npz(make_well(), tmp_path / "image.dlis")
    (tmp_path / "notes.npz").write_text("~Version\n VERS. 2.0 :\n")
    (tmp_path / "other.dlis").write_text("hello")
    assert detect_format(tmp_path / "image.las") == "DLIS"
    assert detect_format(tmp_path / "image.dlis") == "NPZ"
    assert detect_format(tmp_path / "notes.npz") == "LAS"
    with pytest.raises(GeoBFDTError, match="not a DLIS, LAS or NPZ file"):
        detect_format(tmp_path / "other.dlis")


@pytest.mark.parametrize("spelling", ["0.1 in", ".1 in", "0.1in", "0.1 IN", "0.1_in", ".1IN"])
def test_tenth_inch_spellings(spelling):
    assert depth_unit_to_m(spelling) == pytest.approx(0.00254)


def test_time_indexed_frame_is_rejected():
    with pytest.raises(GeoBFDTError, match="unsupported depth unit"):
        depth_unit_to_m("ms")


@given(a=st.floats(0, 360), b=st.floats(0, 360), t=st.floats(0, 1))
def test_azimuth_interpolation_stays_on_the_short_arc(a, b, t):
    mid = resample_azimuth_curve([t], [0.0, 1.0], [a, b])[0]
    gap = azimuth_difference_deg(a, b)
    assert azimuth_difference_deg(mid, a) <= gap + 1e-6
    assert azimuth_difference_deg(mid, b) <= gap + 1e-6


@given(width=st.integers(4, 720))
def test_column_centres(width):
    az = column_azimuths_deg(width)
    assert az[0] == pytest.approx(180.0 / width) and np.all(np.diff(az) > 0) and az[-1] < 360.0


def test_source_date_epoch_makes_exports_repeat_byte_for_byte(tmp_path, monkeypatch):
    """An exported file stamped the clock, so the same picks exported twice differed (the reproducible-builds
    convention, SOURCE_DATE_EPOCH, now fixes the stamp); a malformed value is refused, not ignored."""
    import dlisio

    from geobfdt.errors import OptionError
    from geobfdt.io.dip_dlis import write_picks_dlis
    from geobfdt.well import Pick

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    picks = [Pick(1500.2, 30.0, 120.0, "bedding", score=0.9), Pick(1501.0, 60.0, 10.0, "fracture", score=0.7)]
    for name in ("a", "b"):
        write_dlis(make_well(), tmp_path / f"{name}.dlis")
        write_picks_dlis(tmp_path / f"{name}_picks.dlis", picks, "TEST-1")
    assert (tmp_path / "a.dlis").read_bytes() == (tmp_path / "b.dlis").read_bytes()
    assert (tmp_path / "a_picks.dlis").read_bytes() == (tmp_path / "b_picks.dlis").read_bytes()
    with dlisio.dlis.load(str(tmp_path / "a_picks.dlis")) as (lf, *_):
        assert lf.origins[0].creation_time.year == 2023  # 1,700,000,000 s is November 2023
    for bad in ("soon", "-5", "1.5e9"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        with pytest.raises(OptionError, match="SOURCE_DATE_EPOCH"):
            write_picks_dlis(tmp_path / "c_picks.dlis", picks)
    assert not (tmp_path / "c_picks.dlis").exists()
