"""The Python API (geobfdt/api.py, docs/api.md): the same picks as the CLI and from every kind of input,
DataFrames that round-trip, typed errors, and a public surface that matches its documentation."""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import lasio
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import geobfdt
from conftest import external, save_tiny_model
from geobfdt.cli import main
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.io import write_dlis, write_npz
from geobfdt.io.common import INCH_M
from geobfdt.synth import synthesize_well

DOCS = Path(__file__).resolve().parents[1] / "docs" / "api.md"
COLUMNS = ["depth_m", "dip_deg", "azimuth_deg", "type"]


def write_las(well, path):
    """The well's image as LAS 2.0 sector curves IMG1..IMGn, its caliper as C1."""
    las = lasio.LASFile()
    las.well["WELL"].value = well.name
    las.append_curve("DEPT", well.depth_m, unit="m")
    las.append_curve("C1", 2 * well.radius_m / INCH_M, unit="in")
    for k in range(well.width):
        las.append_curve(f"IMG{k + 1}", np.where(np.isfinite(well.image[:, k]), well.image[:, k], -999.25),
                         unit="ohm.m")
    las.write(str(path), version=2.0, fmt="%.6g")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    save_tiny_model(root / "tiny.safetensors")
    well, truth = synthesize_well(5, length_m=6.0, tool="lwd", name="W5")
    write_npz(well, root / "W5.npz")
    write_dlis(well, root / "W5.dlis")
    write_las(well, root / "W5.las")
    geobfdt.write_picks(truth, root / "W5_truth.csv")
    return root


@pytest.fixture(scope="module")
def tiny(files):
    return geobfdt.load_model(files / "tiny.safetensors")


def assert_same_picks(a: pd.DataFrame, b: pd.DataFrame, atol=1e-4):
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    assert (a["type"].to_numpy() == b["type"].to_numpy()).all()
    numbers = [c for c in a.columns if c not in ("type", "well")]
    np.testing.assert_allclose(a[numbers].to_numpy(float), b[numbers].to_numpy(float), atol=atol)


def test_cli_and_api_give_the_same_picks(files, tmp_path):
    assert main(["predict", str(files / "W5.npz"), "--model", str(files / "tiny.safetensors"), "--out",
                 str(tmp_path)]) == 0
    cli = pd.read_csv(tmp_path / "W5_picks.csv")
    api = geobfdt.pick(files / "W5.npz", model=str(files / "tiny.safetensors"))
    assert list(api.columns) == list(cli.columns) == COLUMNS + ["score", "well"]
    assert_same_picks(api, cli)  # the CSV keeps 4 decimals
    assert set(api["well"]) == {"W5"}


def test_every_kind_of_input_gives_the_same_picks(files, tiny):
    from dlisio import dlis

    reference = tiny.pick(files / "W5.npz")
    well = geobfdt.read_well(files / "W5.npz")
    array_well = geobfdt.from_array(well.image, well.depth_m, caliper_in=2 * well.radius_m / INCH_M, name="W5")
    assert_same_picks(tiny.pick(well), reference, atol=1e-9)
    assert_same_picks(tiny.pick(array_well), reference)
    with dlis.load(str(files / "W5.dlis")) as (logical_file, *_):
        from_object = tiny.pick(geobfdt.read_well(logical_file))
    assert_same_picks(from_object, tiny.pick(files / "W5.dlis"), atol=1e-9)
    assert_same_picks(from_object, reference)
    las_file = tiny.pick(files / "W5.las")
    assert_same_picks(tiny.pick(lasio.read(str(files / "W5.las"))), las_file, atol=1e-9)
    # 6 significant digits in the LAS text: the same planes, to within a millimetre and 0.1 degree
    assert len(las_file) == len(reference)
    np.testing.assert_allclose(las_file["depth_m"], reference["depth_m"], atol=1e-3)


def test_a_real_lasio_file_reads_as_its_path_does():
    path = external("nlog_P11-A-02_lwd_image/*.las")
    survey = external("nlog_P11-A-02_lwd_image/*SURV.csv")
    from_path = geobfdt.read_well(path, bit_size_in=8.5, survey=survey)
    from_lasio = geobfdt.read_well(lasio.read(str(path)), bit_size_in=8.5, survey=survey)
    assert from_lasio.name == from_path.name == "P11-A-02A"
    for name in ("depth_m", "image", "radius_m", "inclination_deg", "hole_azimuth_deg"):
        np.testing.assert_array_equal(getattr(from_lasio, name), getattr(from_path, name), err_msg=name)


def test_model_is_loaded_once_and_picks_the_same_every_time(files, tiny):
    again = geobfdt.load_model(files / "tiny.safetensors")
    assert again._picker is tiny._picker
    assert_same_picks(geobfdt.pick(files / "W5.npz", model=tiny), tiny.pick(files / "W5.npz"), atol=1e-9)


def test_evaluate_matches_the_cli(files, tiny, tmp_path, capsys):
    picks = tiny.pick(files / "W5.npz", threshold=0.0)
    geobfdt.write_picks(picks, tmp_path / "W5_picks.csv")
    assert main(["evaluate", str(tmp_path / "W5_picks.csv"), str(files / "W5_truth.csv"), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = geobfdt.evaluate(picks, geobfdt.read_picks(files / "W5_truth.csv"))
    assert api["wells"] == cli["wells"] == ["W5"]
    for key in ("recall", "precision", "f1", "n_matched"):
        assert api["micro"]["8"]["overall"][key] == pytest.approx(cli["micro"]["8"]["overall"][key], abs=1e-6)
    table = geobfdt.metrics_table(api)
    row = table[(table["tolerance_cm"] == 8.0) & (table["class"] == "overall")].iloc[0]
    assert row["f1"] == pytest.approx(api["micro"]["8"]["overall"]["f1"])
    assert set(table["class"]) == {"overall", "fracture", "bedding"}


def test_plot_returns_a_figure_a_notebook_shows(files, tiny):
    well = geobfdt.read_well(files / "W5.npz")
    truth = geobfdt.read_picks(files / "W5_truth.csv")
    fig = geobfdt.plot(well, [truth, tiny.pick(well)], labels=["truth", "tiny"], top_m=well.depth_m[0] + 1,
                       bottom_m=well.depth_m[0] + 3)
    assert fig._repr_png_().startswith(b"\x89PNG")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("truth:") and legend[1].startswith("tiny:")


@pytest.mark.parametrize("fmt", ["geobfdt", "geolog", "wellcad", "dlis"])
def test_write_picks_in_every_exchange_format_reads_back(files, tmp_path, fmt):
    truth = geobfdt.read_picks(files / "W5_truth.csv")
    path = geobfdt.write_picks(truth, tmp_path / f"W5.{'dlis' if fmt == 'dlis' else 'csv'}", format=fmt)
    back = geobfdt.read_picks(path)
    assert len(back) == len(truth)
    np.testing.assert_allclose(back["depth_m"], truth["depth_m"], atol=1e-3)
    assert (back["type"].to_numpy() == truth["type"].to_numpy()).all()


def test_bad_input_raises_typed_errors(files, tiny):
    with pytest.raises(geobfdt.OptionError, match="cannot read a well from a builtins.int"):
        geobfdt.read_well(42)
    with pytest.raises(geobfdt.GeoBFDTError, match="no such file"):
        geobfdt.read_well(files / "missing.dlis")
    with pytest.raises(geobfdt.OptionError, match="one depth per row"):
        geobfdt.from_array(np.zeros((5, 8)), np.arange(4.0), bit_size_in=8.5)
    with pytest.raises(geobfdt.OptionError, match="missing columns dip_deg"):
        geobfdt.frame_to_picks(pd.DataFrame({"depth_m": [1.0], "azimuth_deg": [2.0], "type": ["fracture"]}))
    with pytest.raises(geobfdt.OptionError, match="row 7"):
        geobfdt.frame_to_picks(pd.DataFrame({"depth_m": [1.0], "dip_deg": [95.0], "azimuth_deg": [0.0],
                                             "type": ["fracture"]}, index=[7]))
    with pytest.raises(geobfdt.OptionError, match="format must be one of"):
        geobfdt.write_picks([], files / "x.csv", format="excel")
    with pytest.raises(geobfdt.OptionError, match="for --method detr"):
        geobfdt.pick(files / "W5.npz", method="hough", uncertainty=True)
    for threshold in (2.0, float("nan"), "high"):
        with pytest.raises(geobfdt.OptionError, match="between 0 and 1"):
            tiny.pick(files / "W5.npz", threshold=threshold)
    with pytest.raises(geobfdt.OptionError, match="batch-size"):
        tiny.pick(files / "W5.npz", batch_size=0.5)
    with pytest.raises(geobfdt.OptionError, match="outside W5's logged interval"):
        geobfdt.plot(files / "W5.npz", top_m=0.0, bottom_m=5.0)
    with pytest.raises(geobfdt.GeoBFDTError, match="no such model"):
        geobfdt.load_model(files / "missing.safetensors")
    with pytest.raises(geobfdt.OptionError, match="expected a DataFrame"):
        geobfdt.evaluate({"depth_m": 1.0}, [])


def test_cli_refuses_hough_with_uncertainty_in_one_line(files, tmp_path, capsys):
    assert main(["predict", str(files / "W5.npz"), "--method", "hough", "--uncertainty", "--out",
                 str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "for --method detr" in err
    assert not any(tmp_path.iterdir())


finite = st.floats(-1e4, 1e4, allow_nan=False)
optional = st.none() | st.floats(0.0, 90.0)
pick_strategy = st.builds(
    geobfdt.Pick, depth_m=finite, dip_deg=st.floats(0.0, 90.0), azimuth_deg=st.floats(-720.0, 720.0),
    type=st.sampled_from(["fracture", "bedding"]), score=st.none() | st.floats(0.0, 1.0), dip_true_deg=optional,
    azimuth_true_deg=st.none() | st.floats(0.0, 359.9), well=st.none() | st.text("ABCW-_ 1", min_size=1, max_size=8),
    depth_err80_cm=optional)


@given(st.lists(pick_strategy, max_size=12))
def test_picks_round_trip_through_a_dataframe(picks):
    frame = geobfdt.picks_to_frame(picks)
    assert list(frame.columns[:4]) == COLUMNS
    back = geobfdt.frame_to_picks(frame)
    assert len(back) == len(picks)
    for a, b in zip(back, picks):
        assert a.type == b.type and a.well == b.well
        for name in ("depth_m", "dip_deg", "azimuth_deg", "score", "dip_true_deg", "azimuth_true_deg",
                     "depth_err80_cm"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None) and (x is None or x == pytest.approx(y, abs=1e-9)), name
    assert_frames_equal(geobfdt.picks_to_frame(back), frame)


def assert_frames_equal(a, b):
    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-9)


@settings(max_examples=40)
@given(st.lists(pick_strategy, min_size=1, max_size=12))
def test_a_frame_written_and_read_back_keeps_its_picks(picks):
    frame = geobfdt.picks_to_frame(picks)
    with tempfile.TemporaryDirectory() as folder:
        back = geobfdt.read_picks(geobfdt.write_picks(frame, Path(folder) / "p.csv"))
    ordered = frame.sort_values("depth_m", kind="stable").reset_index(drop=True)
    assert list(back.columns) == list(ordered.columns)
    assert (back["type"].to_numpy() == ordered["type"].to_numpy()).all()
    numbers = [c for c in ordered.columns if c not in ("type", "well", "azimuth_deg", "azimuth_true_deg")]
    np.testing.assert_allclose(back[numbers].to_numpy(float), ordered[numbers].to_numpy(float), atol=1e-4)
    for name in ("azimuth_deg", "azimuth_true_deg"):  # 359.99996 is written 360.0000 and read back as 0
        if name in ordered:
            known = ordered[name].notna().to_numpy()
            assert (back[name].notna().to_numpy() == known).all()
            assert np.all(azimuth_difference_deg(back[name][known], ordered[name][known]) < 1e-4)


def test_public_names_are_the_documented_ones():
    documented = set(re.findall(r"^#+ `(?:geobfdt\.)?([A-Za-z_]+)", DOCS.read_text(), flags=re.M))
    assert documented == set(geobfdt.__all__)
    for name in geobfdt.__all__:
        assert getattr(geobfdt, name) is not None
    with pytest.raises(AttributeError):
        geobfdt.pick_well_detr


def test_import_geobfdt_stays_light():
    code = "import sys, geobfdt; print(sorted({'pandas', 'torch', 'matplotlib', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_blank_or_padded_well_name_reads_back_as_written(tmp_path):
    # found by hypothesis: a pick of well " " lost its well on the way through a pick file
    picks = [geobfdt.Pick(1000.0, 30.0, 10.0, "fracture", well=" "), geobfdt.Pick(1001.0, 30.0, 10.0, "bedding", well=" W1 ")]
    back = geobfdt.read_picks(geobfdt.write_picks(geobfdt.picks_to_frame(picks), tmp_path / "p.csv"))
    assert [p.well for p in picks] == [None, "W1"]
    assert list(back["well"].fillna("")) == ["", "W1"]
