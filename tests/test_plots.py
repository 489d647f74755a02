import numpy as np
import pytest

from geobfdt.reports import plots
from geobfdt.cli import main
from geobfdt.io import write_dlis, write_npz
from geobfdt.io.picks import write_picks_csv
from geobfdt.well import Pick, Well

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_png(path):
    data = path.read_bytes()
    return data.startswith(PNG_MAGIC) and len(data) > 2000


@pytest.fixture(scope="module")
def well():
    rng = np.random.default_rng(0)
    rows = 800  # about 2 m at 0.1 in
    depth = 500.0 + np.arange(rows) * 0.00254
    image = rng.lognormal(size=(rows, 120)).astype(np.float32) * np.exp(np.linspace(0, 2, rows))[:, None]
    image[:, 100:112] = np.nan
    return Well("PLOT-1", depth, (np.arange(120) + 0.5) * 3.0, image, radius_m=0.108, tool="fmi",
                inclination_deg=30.0, hole_azimuth_deg=120.0)


@pytest.fixture(scope="module")
def picks():
    rng = np.random.default_rng(1)
    return [Pick(float(d), float(dip), float(az), kind, score=float(s), dip_true_deg=float(dip) + 5,
                 azimuth_true_deg=float(az))
            for d, dip, az, kind, s in zip(rng.uniform(500.1, 501.9, 12), rng.uniform(5, 80, 12),
                                           rng.uniform(0, 360, 12), ["fracture", "bedding"] * 6,
                                           rng.uniform(0.3, 1, 12))]


@pytest.mark.parametrize("image", ["dynamic", "static", "raw"])
def test_plot_well_writes_png(tmp_path, well, picks, image):
    out = plots.plot_well(well, [("truth", picks), ("pred", picks[::2])], 500.2, 501.5, tmp_path / "w.png",
                          image=image)
    assert is_png(out)
    assert not list(tmp_path.glob(".*.png"))  # no temp file left behind


def test_summary_plots_write_pngs_with_and_without_picks(tmp_path, picks):
    for name, picks_ in (("some", picks), ("none", [])):
        assert is_png(plots.plot_tadpoles(picks_, tmp_path / f"tad_{name}.png"))
        assert is_png(plots.plot_rose(picks_, tmp_path / f"rose_{name}.png"))
        assert is_png(plots.plot_stereonet(picks_, tmp_path / f"st_{name}.png"))
        assert is_png(plots.plot_intensity(picks_, 500.0, 502.0, tmp_path / f"p10_{name}.png"))


def test_summary_figures_use_true_orientation_where_a_pick_has_it():
    surveyed = Pick(10.0, 40.0, 350.0, "fracture", dip_true_deg=55.0, azimuth_true_deg=370.0)
    unsurveyed = Pick(11.0, 30.0, 20.0, "bedding")
    dip, azimuth, frame = plots.orientation_deg([surveyed, unsurveyed])
    assert dip.tolist() == [55.0, 30.0] and azimuth.tolist() == [10.0, 20.0]
    assert frame == "true where surveyed, else apparent"
    assert plots.orientation_deg([surveyed])[2] == "true (geographic)"
    assert plots.orientation_deg([unsurveyed])[2] == plots.orientation_deg([])[2] == "apparent (image frame)"


def test_intensity_counts_per_metre(picks):
    depth = np.array([501.0])
    p10 = plots.intensity_per_m(picks, depth, window_m=4.0)  # the window holds every pick
    assert p10["fracture"][0] == 6 / 4.0 and p10["bedding"][0] == 6 / 4.0


def test_dynamic_display_removes_drift(well):
    _, values = plots.display_image(well, 500.1, 501.9, "dynamic")
    halves = np.array_split(values, 2)
    assert abs(np.nanmean(halves[0]) - np.nanmean(halves[1])) < 0.05
    _, values = plots.display_image(well, 500.1, 501.9, "static")
    halves = np.array_split(values, 2)
    assert np.nanmean(halves[1]) - np.nanmean(halves[0]) > 0.15


@pytest.fixture(scope="module")
def files(tmp_path_factory, well, picks):
    folder = tmp_path_factory.mktemp("plot_cli")
    write_npz(well, folder / "w.npz")
    write_dlis(well, folder / "w.dlis")
    write_picks_csv(folder / "truth.csv", picks)
    write_picks_csv(folder / "pred.csv", picks[::3])
    (folder / "bad.csv").write_text("what,is,this\n1,2,3\n")
    return folder


@pytest.mark.parametrize("well_file", ["w.npz", "w.dlis"])
def test_cli_plots_a_well(files, well_file):
    out = files / f"{well_file}.png"
    code = main(["plot", str(files / well_file), "--picks", str(files / "truth.csv"), str(files / "pred.csv"),
                 "--labels", "truth", "detr", "--top-m", "500.3", "--bottom-m", "501.3", "--out", str(out)])
    assert code == 0 and is_png(out)


def test_cli_plots_a_well_without_picks(files, capsys):
    # `plot WELL` with no --picks once failed with "0 labels for 1 pick sets"
    out = files / "bare.png"
    assert main(["plot", str(files / "w.npz"), "--top-m", "500.3", "--bottom-m", "501.3", "--out", str(out)]) == 0
    assert is_png(out) and "0 picks" in capsys.readouterr().out


@pytest.mark.parametrize("extra", [
    ["--top-m", "600", "--bottom-m", "601"],  # outside the well
    ["--top-m", "501", "--bottom-m", "500.5"],  # upside down
    ["--top-m", "500.3", "--bottom-m", "501", "--picks", "{d}/bad.csv"],  # not a picks file
    ["--top-m", "500.3", "--bottom-m", "501", "--picks", "{d}/missing.csv"],
    ["--top-m", "500.3", "--bottom-m", "501", "--picks", "{d}/truth.csv", "--labels", "a", "b"],
    ["--top-m", "500.3", "--bottom-m", "501", "--image-channel", "NOPE"],
])
def test_cli_bad_input_exits_2(files, extra, capsys):
    args = ["plot", str(files / "w.dlis"), "--out", str(files / "x.png")] + [a.format(d=files) for a in extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("geobfdt plot: error:") and "\n" not in err


def test_cli_unreadable_well_exits_2(files, capsys):
    assert main(["plot", str(files / "bad.csv"), "--top-m", "0", "--bottom-m", "1", "--out",
                 str(files / "y.png")]) == 2
    assert "geobfdt plot: error:" in capsys.readouterr().err
