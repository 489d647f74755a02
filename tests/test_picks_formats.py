"""read_picks on the project schema and on the real foreign samples (Geolog, WellCAD, fractoolbox)."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import external
from geobfdt.errors import GeoBFDTError
from geobfdt.io.picks import (detect_picks_format, pick_type_from_category, read_picks, write_picks_csv,
                           write_picks_geolog, write_picks_wellcad)
from geobfdt.well import Pick

def bhi(name):
    return external(f"bhi_dip_format_examples/{name}")


def fractoolbox():
    return external("fractoolbox_geothermal_picks/testdata-fractures.csv")


def test_geolog_apparent_and_true_columns_and_plane_depth():
    picks = read_picks(bhi("GLOG_format_sinusoids.csv"))
    assert [p.type for p in picks] == ["fracture", "bedding", "fracture"]
    first, _, partial = picks
    assert (first.dip_deg, first.azimuth_deg) == (67.2349, 17.0714)  # DIP_APP, AZIM_APP
    assert (first.dip_true_deg, first.azimuth_true_deg) == (66.955, 16.9672)  # DIP, AZIMUTH
    assert first.depth_m == 807.4174854
    assert partial.depth_m == 809.1844433  # DEPTH_PLANE (centre line) over DEPTH (visible part)


def test_geolog_drilling_features_are_not_planes():
    assert read_picks(bhi("GLOG_format_damage_sticks.csv")) == []


def test_wellcad_matches_geolog_true_orientation():
    wellcad = read_picks(bhi("WCL_format_sinusoids.csv"))
    geolog = read_picks(bhi("GLOG_format_sinusoids.csv"))
    assert [p.type for p in wellcad] == [p.type for p in geolog]
    for w, g in zip(wellcad, geolog):
        assert w.depth_m == pytest.approx(g.depth_m, abs=0.001)
        assert w.dip_true_deg == pytest.approx(g.dip_true_deg, abs=0.01)
        assert w.azimuth_true_deg == pytest.approx(g.azimuth_true_deg, abs=0.01)
        assert (w.dip_deg, w.azimuth_deg) == (w.dip_true_deg, w.azimuth_true_deg)


def test_fractoolbox_all_fractures_azimuths_wrapped():
    picks = read_picks(fractoolbox(), well="GEO-1")
    assert len(picks) == 1142 and {p.type for p in picks} == {"fracture"}
    depths = np.array([p.depth_m for p in picks])
    assert depths.min() == pytest.approx(1224.56, abs=0.01) and depths.max() == pytest.approx(2150.4, abs=0.1)
    assert np.all(np.diff(depths) >= 0)
    azimuths = np.array([[p.azimuth_deg, p.azimuth_true_deg] for p in picks])
    assert azimuths.min() >= 0 and azimuths.max() < 360
    raw = np.genfromtxt(fractoolbox(), delimiter=",", skip_header=1, usecols=(0, 1))
    raw = raw[np.argsort(raw[:, 0], kind="stable")]
    assert (raw[:, 1] > 360).sum() == 122
    np.testing.assert_allclose(azimuths[:, 0], raw[:, 1] % 360)
    assert picks[0].well == "GEO-1"


def test_project_schema_round_trips_through_read_picks(tmp_path):
    picks = [Pick(1000.5, 30.0, 120.0, "bedding", score=0.9), Pick(1001.25, 70.0, 359.5, "fracture")]
    write_picks_csv(tmp_path / "p.csv", picks)
    back = read_picks(tmp_path / "p.csv")
    assert [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in back] == \
        [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in picks]


PICKS_WITH_AND_WITHOUT_TRUE = [
    Pick(1000.5, 30.0, 120.0, "bedding", score=0.9, dip_true_deg=25.5, azimuth_true_deg=110.25),
    Pick(1001.25, 70.0, 359.5, "fracture", score=0.41),
    Pick(1002.0, 12.0, 0.0, "fracture")]


def test_geolog_export_reads_back_with_apparent_true_and_nulls(tmp_path):
    write_picks_geolog(tmp_path / "g.csv", PICKS_WITH_AND_WITHOUT_TRUE)
    assert detect_picks_format((tmp_path / "g.csv").read_text().splitlines()[0].split(",")) == "geolog"
    back = read_picks(tmp_path / "g.csv")
    assert [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type, p.dip_true_deg, p.azimuth_true_deg) for p in back] == [
        (1000.5, 30.0, 120.0, "bedding", 25.5, 110.25), (1001.25, 70.0, 359.5, "fracture", None, None),
        (1002.0, 12.0, 0.0, "fracture", None, None)]  # unknown true orientation stays unknown


def test_wellcad_export_carries_the_true_orientation_when_known(tmp_path):
    write_picks_wellcad(tmp_path / "w.csv", PICKS_WITH_AND_WITHOUT_TRUE)
    assert detect_picks_format((tmp_path / "w.csv").read_text().splitlines()[0].split(",")) == "wellcad"
    back = read_picks(tmp_path / "w.csv")
    assert [(p.depth_m, p.dip_true_deg, p.azimuth_true_deg, p.type) for p in back] == [
        (1000.5, 25.5, 110.25, "bedding"), (1001.25, 70.0, 359.5, "fracture"), (1002.0, 12.0, 0.0, "fracture")]
    assert "apparent score 0.410" in (tmp_path / "w.csv").read_text()


@pytest.mark.parametrize("category,expected", [
    ("Fracture", "fracture"), ("Cond_FTCC", "fracture"), ("Cond_PTT", "fracture"), ("Resistive fracture", "fracture"),
    ("Bedding", "bedding"), ("Cross-bedding", "bedding"), ("Lamination", "bedding"),
    ("DITF_Axial", None), ("Breakout", None), ("Drilling induced fracture", None)])
def test_category_mapping(category, expected):
    assert pick_type_from_category(category) == expected


def test_unknown_category_and_unknown_header_are_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("depth_mMDRF,dipazimuth_deg,dip_deg,type\n1000,10,20,Mystery\n")
    with pytest.raises(GeoBFDTError, match="bad.csv:2.*Mystery"):
        read_picks(bad)
    other = tmp_path / "other.csv"
    other.write_text("md,strike\n1,2\n")
    with pytest.raises(GeoBFDTError, match="not a known picks format"):
        read_picks(other)


@settings(max_examples=30, deadline=None)
@given(azimuth=st.floats(0, 719.99), dip=st.floats(0, 89))
def test_any_fractoolbox_azimuth_wraps_onto_0_360(azimuth, dip):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        path.write_text(f"depth_mMDRF,dipazimuth_deg,dip_deg,type\n1500.0,{azimuth!r},{dip!r},Cond_FTS\n")
        [pick] = read_picks(path)
    assert 0 <= pick.azimuth_deg < 360 and 0 <= pick.azimuth_true_deg < 360
    assert np.isclose(np.cos(np.radians(pick.azimuth_deg - azimuth)), 1.0)


@pytest.mark.parametrize("text, message", [
    ("depth_m,dip_deg,azimuth_deg,type\n100.0,30\n", "2 fields"),
    ("depth_m,dip_deg,azimuth_deg,type\nnan,30,40,fracture\n", "finite depth"),
    ("depth_m,dip_deg,azimuth_deg,type\n100.0,95,40,fracture\n", "dip in \\[0, 90\\]"),
    ("CATEGORY,DIP_APP,AZIM_APP,DEPTH\nFracture,30\n", "no depth"),
])
def test_malformed_pick_rows_are_one_line_errors(tmp_path, text, message):
    (tmp_path / "p.csv").write_text(text)
    with pytest.raises(GeoBFDTError, match=message):
        read_picks(tmp_path / "p.csv")


def test_spaces_after_commas_in_the_project_schema(tmp_path):
    (tmp_path / "p.csv").write_text("depth_m, dip_deg, azimuth_deg, type\n100.0, 30, -10, fracture\n")
    [pick] = read_picks(tmp_path / "p.csv")
    assert (pick.depth_m, pick.dip_deg, pick.azimuth_deg, pick.type) == (100.0, 30.0, 350.0, "fracture")


def test_foreign_depths_in_feet_are_converted_with_the_units_line(tmp_path):
    (tmp_path / "w.csv").write_text("Feature Depth,Depth,Azimuth,Dip,Type\nft,ft,deg,deg,\n"
                                    "3280.84,3280.84,10,20,Fracture\n")
    [pick] = read_picks(tmp_path / "w.csv")
    assert pick.depth_m == pytest.approx(1000.0, abs=1e-3)


def test_written_pick_files_have_the_usual_permissions(tmp_path):
    import os
    write_picks_csv(tmp_path / "p.csv", [Pick(1.0, 2.0, 3.0, "bedding")])
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o666 & ~umask
