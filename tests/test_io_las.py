"""LAS 2.0 images: the real 16-sector LWD file, and small synthetic files for the edge cases."""

from pathlib import Path

import lasio
import numpy as np
import pytest

from conftest import external
from geobfdt.errors import GeoBFDTError
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.io import read_well

def real_las():
    return external("nlog_P11-A-02_lwd_image/*.las")


def survey_csv():
    return external("nlog_P11-A-02_lwd_image/*SURV.csv")


@pytest.fixture(scope="module")
def real_well():
    return read_well(real_las(), bit_size_in=8.5, survey_csv=survey_csv())


def test_real_sector_image_shape_depth_and_nulls(real_well):
    assert real_well.image.shape == (7361, 16)
    assert (real_well.depth_m[0], real_well.depth_m[-1]) == (1950.0, 2686.0)
    assert real_well.depth_step_m == pytest.approx(0.1)
    assert real_well.name == "P11-A-02A"
    assert np.isnan(real_well.image).any() and not (real_well.image == -999.25).any()
    assert 1.0 < np.nanmedian(real_well.image) < 3.5  # bulk density in g/cc


def test_real_sectors_in_order_sector_1_at_column_0(real_well):
    las = lasio.read(str(real_las()))
    for k in (1, 2, 9, 16):
        expected = np.where(las.curves[f"ABDC{k}M"].data == -999.25, np.nan, las.curves[f"ABDC{k}M"].data)
        np.testing.assert_array_equal(real_well.image[:, k - 1], expected.astype(np.float32))


def test_real_las_needs_hole_size_and_takes_the_survey(real_well):
    with pytest.raises(GeoBFDTError, match="--bit-size-in"):
        read_well(real_las())
    assert real_well.radius_source == "user"
    survey = np.loadtxt(survey_csv(), delimiter=",", skiprows=1)
    at = np.searchsorted(survey[:, 0], 2300.0)
    depth = survey[at, 0]
    row = np.argmin(np.abs(real_well.depth_m - depth))
    assert abs(real_well.depth_m[row] - depth) <= 0.05
    assert real_well.inclination_deg[row] == pytest.approx(survey[at, 1], abs=0.2)
    assert azimuth_difference_deg(real_well.hole_azimuth_deg[row], survey[at, 2]) < 0.5


def test_real_gamma_image_by_prefix_with_sectors_from_zero():
    well = read_well(real_las(), image_channel="GRAS", bit_size_in=8.5)
    assert well.image.shape == (7361, 8) and well.provenance["curves"][0] == "GRAS0M"
    with pytest.raises(GeoBFDTError, match=r"image curves: ABDC\{k\}M, GRAS\{k\}M"):
        read_well(real_las(), image_channel="FMI_DYN", bit_size_in=8.5)


def write_las(path, depth, curves, depth_unit="m", params=None):
    las = lasio.LASFile()
    las.well["WELL"].value = "SYN-1"
    las.append_curve("DEPT", depth, unit=depth_unit)
    for name, (values, unit) in curves.items():
        las.append_curve(name, values, unit=unit)
    for name, (value, unit) in (params or {}).items():
        las.params[name] = lasio.HeaderItem(name, unit=unit, value=value)
    las.write(str(path), version=2.0)


def test_array_curves_feet_decreasing_nulls_and_header_bit_size(tmp_path):
    depth_ft = np.arange(100.0, 90.0, -0.5)  # logged upward
    values = np.arange(depth_ft.size * 6, dtype=float).reshape(-1, 6)
    values[0, 2] = -999.25
    curves = {f"IMG[{k}]": (values[:, k], "ohm.m") for k in range(6)}
    write_las(tmp_path / "syn.las", depth_ft, curves, depth_unit="ft", params={"BS": (8.5, "in")})
    well = read_well(tmp_path / "syn.las")
    np.testing.assert_allclose(well.depth_m, np.sort(depth_ft) * 0.3048)
    assert well.width == 6 and well.provenance["depth_order"] == "decreasing"
    assert np.isnan(well.image[-1, 2]) and np.isfinite(well.image).sum() == values.size - 1
    np.testing.assert_array_equal(well.image[0], values[-1])
    assert well.radius_source == "bit_size" and well.radius_m[0] == pytest.approx(8.5 / 2 * 0.0254)


def test_caliper_curves_give_the_radius(tmp_path):
    depth = np.arange(1000.0, 1002.0, 0.1)
    curves = {f"RES{k}": (np.full(depth.size, 5.0), "ohm.m") for k in range(1, 9)}
    curves["C1"] = (np.full(depth.size, 8.0), "in")
    curves["C2"] = (np.full(depth.size, 9.0), "in")
    write_las(tmp_path / "cal.las", depth, curves)
    well = read_well(tmp_path / "cal.las")
    assert well.radius_source == "caliper"
    np.testing.assert_allclose(well.radius_m, 8.5 / 2 * 0.0254)


def test_las_without_sector_run_has_no_image(tmp_path):
    depth = np.arange(1000.0, 1001.0, 0.1)
    curves = {"GR": (np.ones(depth.size), "API"), **{f"P{k}": (np.ones(depth.size), "") for k in (1, 2, 3)}}
    write_las(tmp_path / "logs.las", depth, curves)
    with pytest.raises(GeoBFDTError, match="no image channel"):
        read_well(tmp_path / "logs.las", bit_size_in=8.5)


def test_caliper_nulls_and_zeros_are_gaps_not_holes(tmp_path):
    depth = np.arange(1000.0, 1002.0, 0.1)
    curves = {f"RES{k}": (np.full(depth.size, 5.0), "ohm.m") for k in range(1, 9)}
    caliper = np.full(depth.size, 8.5)
    caliper[3], caliper[7] = -999.0, 0.0
    curves["C1"] = (caliper, "in")
    write_las(tmp_path / "cal.las", depth, curves)
    well = read_well(tmp_path / "cal.las")
    np.testing.assert_allclose(well.radius_m, 8.5 / 2 * 0.0254)


def test_blank_index_unit_takes_the_start_depth_unit(tmp_path):
    depth_ft = np.arange(1000.0, 1002.0, 0.1)
    curves = {f"RES{k}": (np.full(depth_ft.size, 5.0), "ohm.m") for k in range(1, 9)}
    write_las(tmp_path / "ft.las", depth_ft, curves, params={"BS": (8.5, "in")})
    text = (tmp_path / "ft.las").read_text()
    for item in ("STRT", "STOP", "STEP"):
        text = text.replace(f"{item}.m ", f"{item}.FT")
    (tmp_path / "ft.las").write_text(text.replace("DEPT.m ", "DEPT.  "))
    well = read_well(tmp_path / "ft.las")
    assert well.provenance["depth_unit"] == "FT"
    assert well.depth_m[0] == pytest.approx(1000.0 * 0.3048)


def test_text_in_the_image_curves_is_a_one_line_error(tmp_path):
    depth = np.arange(1000.0, 1001.0, 0.1)
    curves = {f"RES{k}": (np.full(depth.size, 5.0), "ohm.m") for k in range(1, 9)}
    write_las(tmp_path / "t.las", depth, curves, params={"BS": (8.5, "in")})
    lines = (tmp_path / "t.las").read_text().splitlines()
    data = next(i for i, line in enumerate(lines) if line.startswith("~A")) + 1
    lines[data] = lines[data].replace("5.00000", "abc", 1)
    (tmp_path / "t.las").write_text("\n".join(lines) + "\n")
    with pytest.raises(GeoBFDTError, match="not numbers|cannot read LAS"):
        read_well(tmp_path / "t.las")

