"""`geobfdt info` on DLIS files made with dliswriter, the real LAS, and every kind of bad file."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import EXTERNAL, external
from geobfdt.cli import main
from geobfdt.io import write_dlis, write_npz
from geobfdt.io.common import column_azimuths_deg
from geobfdt.well import Well

def real_las():
    return external("nlog_P11-A-02_lwd_image/*.las")


def make_well(width=56, rows=80, top_m=2000.0, step_m=0.00254):
    rng = np.random.default_rng(width)
    image = rng.uniform(1.0, 50.0, (rows, width)).astype(np.float32)
    image[3:6, : width // 2] = np.nan
    return Well("INFO-1", top_m + np.arange(rows) * step_m, column_azimuths_deg(width), image, 0.108,
                radius_source="caliper")


def info_json(capsys, *argv):
    code = main(["info", "--json", *map(str, argv)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("depth_unit", ["m", "ft", "0.1 in"])
@pytest.mark.parametrize("decreasing", [False, True])
@pytest.mark.parametrize("width", [56, 180, 360])
@pytest.mark.parametrize("null_value", [None, -999.25])
def test_depth_range_width_and_nulls(tmp_path, capsys, depth_unit, decreasing, width, null_value):
    well = make_well(width)
    path = tmp_path / "w.dlis"
    write_dlis(well, path, depth_unit=depth_unit, decreasing=decreasing, null_value=null_value)
    [s] = info_json(capsys, path)
    assert abs(s["top_m"] - 2000.0) < 0.01 and abs(s["bottom_m"] - well.depth_m[-1]) < 0.01
    assert s["width"] == width and s["rows"] == 80
    assert s["step_in"] == pytest.approx(0.1, abs=1e-6)
    assert s["null_fraction"] == pytest.approx(3 * (width // 2) / (80 * width))
    assert (s["format"], s["image_channel"], s["radius_source"]) == ("DLIS", "FMI_DYN", "caliper")
    assert s["depth_order"] == ("decreasing" if decreasing else "increasing")
    assert s["hole_diameter_in"] == pytest.approx(2 * 0.108 / 0.0254)
    assert s["deviation"] is False


def test_text_report_names_the_essentials(tmp_path, capsys):
    well = make_well()
    well.inclination_deg = np.linspace(20, 25, 80)
    write_dlis(well, tmp_path / "w.dlis", depth_unit="ft")
    assert main(["info", str(tmp_path / "w.dlis")]) == 0
    out = capsys.readouterr().out
    for text in ("DLIS", "FMI_DYN", "2000.000 - 2000.201 m", "0.100 in", "56 columns", "caliper",
                 "inclination 20.0-25.0 deg"):
        assert text in out


def test_a_folder_is_read_as_its_well_files(tmp_path, capsys):
    """`info corpus/` said "is a directory", where predict, features and calibrate take folders."""
    write_dlis(make_well(), tmp_path / "a.dlis")
    write_npz(make_well(180), tmp_path / "b.npz")
    (tmp_path / "a_picks.csv").write_text("depth_m,dip_deg,azimuth_deg,type\n")
    assert [(s["format"], s["width"]) for s in info_json(capsys, tmp_path)] == [("DLIS", 56), ("NPZ", 180)]


def test_real_las_sector_image(capsys):
    [s] = info_json(capsys, real_las(), "--bit-size-in", "8.5")
    assert (s["format"], s["image_channel"], s["width"]) == ("LAS", "ABDC{k}M", 16)
    assert (s["top_m"], s["bottom_m"]) == (1950.0, 2686.0) and s["step_m"] == pytest.approx(0.1)
    assert s["radius_source"] == "user" and "GRAS{k}M" in s["image_channels"]


def _dlis_without_image(path):
    """A valid DLIS holding only 1-D curves (depth, gamma ray)."""
    from dliswriter import DLISFile

    from geobfdt.io.dlis import quiet_dliswriter

    dlis = DLISFile()
    lf = dlis.add_logical_file()
    lf.add_origin("ORIGIN", well_name="LOGS-1")
    depth = lf.add_channel("TDEP", data=np.arange(20) * 0.1 + 100.0, units="m")
    gamma = lf.add_channel("GR", data=np.full(20, 60.0), units="gAPI")
    lf.add_frame("MAIN", channels=(depth, gamma), index_type="BOREHOLE-DEPTH")
    with quiet_dliswriter():
        dlis.write(str(path), output_chunk_size=2**20)
    return path


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bad")
    good = tmp_path / "good.dlis"
    write_dlis(make_well(), good)
    data = good.read_bytes()
    files = {
        "truncated": data[: len(data) // 2], "truncated_at_end": data[:-1000], "label_only": data[:80],
        "empty": b"", "text": b"depth,value\n1,2\n", "random": bytes(range(256)) * 8,
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.dlis"
        paths[name].write_bytes(content)
    nan_well = make_well()
    nan_well.image[:] = np.nan
    write_dlis(nan_well, tmp_path / "all_null.dlis", null_value=-9999.0)
    paths["all_null"] = tmp_path / "all_null.dlis"
    write_npz(nan_well, tmp_path / "all_null.npz")
    paths["all_null_npz"] = tmp_path / "all_null.npz"
    paths["missing"] = tmp_path / "missing.dlis"
    paths["no_radius"] = tmp_path / "no_radius.dlis"
    write_dlis(make_well(), paths["no_radius"], radius_as=None)
    las = next(EXTERNAL.glob("nlog_P11-A-02_lwd_image/*.las"), None)
    if las is not None:  # the real LAS cases join where the public data is beside the clone
        paths["las_without_hole_size"] = las
        paths["truncated_las"] = tmp_path / "truncated.las"
        paths["truncated_las"].write_bytes(las.read_bytes()[:200_000])
        paths["las_header_only"] = tmp_path / "header.las"
        paths["las_header_only"].write_bytes(las.read_bytes()[:3000])
    paths["dlis_without_image"] = _dlis_without_image(tmp_path / "logs.dlis")
    paths["directory"] = tmp_path / "a_directory"
    paths["directory"].mkdir()
    return good, paths


def test_every_bad_file_gives_exit_2_and_one_stderr_line(bad_files, capsys):
    good, paths = bad_files
    for name, path in paths.items():
        code = main(["info", str(path)])
        out, err = capsys.readouterr()
        assert code == 2, name
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (name, err)
        assert err.startswith("geobfdt info: error: ") and out == "", name
    code = main(["info", str(good), "--image-channel", "FMI_STAT"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "image channels: FMI_DYN" in err


def test_several_files_report_good_ones_and_fail(bad_files, capsys):
    good, paths = bad_files
    code = main(["info", "--json", str(good), str(paths["truncated"]), str(paths["missing"])])
    out, err = capsys.readouterr()
    assert code == 2
    assert [s["file"] for s in json.loads(out)] == [str(good)]
    assert len(err.strip().splitlines()) == 2


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    """`geobfdt info ... | head` with head gone: no traceback, exit 141 as for SIGPIPE."""
    write_dlis(make_well(), tmp_path / "w.dlis")
    proc = subprocess.Popen([sys.executable, "-m", "geobfdt.cli", "info", "--json", str(tmp_path / "w.dlis")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the child has imported anything, let alone written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert err == ""
