"""Output names: a well name (file content) never chooses where a file is written."""

import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import save_tiny_model
from geobfdt.cli import main
from geobfdt.errors import GeoBFDTError
from geobfdt.io import write_npz
from geobfdt.io.names import MAX_STEM_CHARS, output_path, safe_stem, unique_stems
from geobfdt.io.picks import read_picks
from geobfdt.synth import synthesize_well

SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
HOSTILE = ["21/10-A5", "6507/7-A-17", "15/9-F-11 T2", "../x", "/abs/path", "", ".", "..", ".hidden",
           "Brønn Ødegård", "井-1", "a\x00b", "C:\\wells\\W1", "W1\n../../etc"]


@pytest.mark.parametrize("name, stem", [
    ("21/10-A5", "21_10-A5"), ("6507/7-A-17", "6507_7-A-17"), ("15/9-F-11 T2", "15_9-F-11_T2"),
    ("../x", "_x"), ("/abs/path", "_abs_path"), ("", "well"), ("..", "well"), (".hidden", "hidden"),
    ("Ødegård-1", "_degard-1"), ("W01.v2", "W01.v2"),
])
def test_safe_stem_of_real_and_hostile_names(name, stem):
    assert safe_stem(name) == stem


@given(st.text(max_size=400))
def test_safe_stem_is_always_a_plain_file_name_inside_the_folder(text):
    stem = safe_stem(text)
    assert SAFE.fullmatch(stem) and len(stem) <= MAX_STEM_CHARS
    folder = Path("/tmp/geobfdt-out")
    assert output_path(folder, f"{stem}_picks.csv").parent == folder
    assert safe_stem(stem) == stem  # idempotent: a stem passed twice keeps its name


def test_long_names_are_capped_but_stay_distinct():
    a, b = "W" * 300 + "A", "W" * 300 + "B"
    assert len(safe_stem(a)) == MAX_STEM_CHARS and safe_stem(a) != safe_stem(b)


def test_colliding_stems_get_numbered_suffixes_in_input_order():
    said = []
    assert unique_stems(["21/10-A5", "21_10-A5", "21:10-A5", "w1", "W1"], said.append) == \
        ["21_10-A5", "21_10-A5-2", "21_10-A5-3", "w1", "W1-2"]
    assert len(said) == 3 and "21_10-A5-2" in said[0]


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".", ".."])
def test_output_path_refuses_names_that_leave_the_folder(tmp_path, name):
    with pytest.raises(GeoBFDTError):
        output_path(tmp_path, name)


def test_output_path_refuses_a_symlink_pointing_out(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "W1_picks.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(GeoBFDTError, match="directly inside"):
        output_path(tmp_path / "out", "W1_picks.csv")


@pytest.fixture(scope="module")
def hostile_wells(tmp_path_factory):
    """NPZ files whose well names (inside the files) are hostile; two share a file stem."""
    root = tmp_path_factory.mktemp("hostile")
    save_tiny_model(root / "tiny.safetensors")
    files = []
    for k, (name, file) in enumerate([("21/10-A5", "a/21_10-A5.npz"), ("../x", "b/21_10-A5.npz"),
                                      ("/abs/path", "c/Brønn 15_9-F-11 T2.npz")]):
        well, _ = synthesize_well(k + 1, length_m=3.0, tool="lwd", name="tmp")
        well.name = name
        (root / file).parent.mkdir(exist_ok=True)
        write_npz(well, root / file)
        files.append(root / file)
    return root, files


def test_predict_names_outputs_after_safe_input_stems_and_keeps_the_well_name_inside(hostile_wells, capsys):
    root, files = hostile_wells
    out = root / "out"
    before = {p for p in root.rglob("*") if out not in p.parents}
    assert main(["predict", *map(str, files), "--model", str(root / "tiny.safetensors"), "--out", str(out),
                 "--formats", "geobfdt", "wellcad", "--plot"]) == 0
    assert {p for p in root.rglob("*") if out not in p.parents and p != out} == before  # nothing written outside
    assert not Path("/abs/path_picks.csv").exists()
    stems = ["21_10-A5", "21_10-A5-2", "Br_nn_15_9-F-11_T2"]
    kinds = ["picks.csv", "picks_wellcad.csv", "picks.png", "tadpoles.png", "rose.png", "stereonet.png",
             "intensity.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}_{k}" for s in stems for k in kinds)
    assert "21_10-A5-2" in capsys.readouterr().err  # the renaming is said
    for stem, name in zip(stems, ["21/10-A5", "../x", "/abs/path"]):
        picks = read_picks(out / f"{stem}_picks.csv")
        assert picks and all(p.well == name for p in picks)


def test_report_figures_are_named_from_safe_stems(tmp_path):
    from geobfdt.reports.markdown import write_report

    wells, truth, pred = [], {}, {"detr": {}}
    for k, name in enumerate(["21/10-A5", "21_10-A5"]):
        well, picks = synthesize_well(k + 1, length_m=3.0, tool="lwd", name="tmp")
        well.name = name
        wells.append(well)
        truth[name], pred["detr"][name] = picks, picks
    report = write_report(tmp_path / "r", wells, truth, pred, ["test"])
    figures = {p.name for p in (tmp_path / "r" / "figures").iterdir()}
    assert {"21_10-A5_image.png", "21_10-A5-2_image.png"} <= figures
    assert {p.name for p in tmp_path.iterdir()} == {"r"}
    assert all(f"figures/{name}" in report.read_text() for name in figures)
