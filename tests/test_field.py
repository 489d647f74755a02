"""Many wells on Dask: a local cluster of 2 worker processes gives the serial picks, and a bad
well is reported with its reason while the others finish."""

from pathlib import Path

import pytest

from conftest import save_tiny_model
from geobfdt.cli import main
from geobfdt.io import write_npz
from geobfdt.io.picks import read_picks
from geobfdt.picking.field import PredictSettings, lost_task_status, run_wells, summary_table
from geobfdt.synth import synthesize_well


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    root = tmp_path_factory.mktemp("field")
    save_tiny_model(root / "tiny.safetensors")
    for seed in (1, 2, 3):
        well, _ = synthesize_well(seed, length_m=4.0, tool="lwd", name=f"W{seed}")
        write_npz(well, root / f"W{seed}.npz")
    (root / "BAD.npz").write_bytes(b"PK\x03\x04 not really a zip")
    return root


def picks_of(folder, name):
    return [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type, p.score) for p in read_picks(folder / f"{name}_picks.csv")]


def assert_same_picks(a, b):
    """The same picks, to the last digit or two a CSV prints: numpy's summations may take another order in
    another process (memory alignment decides its vector loops), and a last-bit change can move a rounding."""
    assert len(a) == len(b) and [p[3] for p in a] == [p[3] for p in b]
    for x, y in zip(a, b):
        assert x[0] == pytest.approx(y[0], abs=2e-4) and x[4] == pytest.approx(y[4], abs=2e-4)
        assert x[1] == pytest.approx(y[1], abs=2e-3) and abs((x[2] - y[2] + 180) % 360 - 180) <= 2e-3


def test_a_local_cluster_gives_the_serial_picks_and_reports_the_bad_well(field):
    wells = [str(field / f"{name}.npz") for name in ("W1", "BAD", "W2", "W3")]
    stems = [Path(w).stem for w in wells]
    serial = run_wells(wells, stems, PredictSettings(out=str(field / "serial"), model=str(field / "tiny.safetensors")),
                       progress=False, report=lambda _: None)
    spread = run_wells(wells, stems, PredictSettings(out=str(field / "dask"), model=str(field / "tiny.safetensors")),
                       workers=2, progress=False, report=lambda _: None)
    for results in (serial, spread):
        assert [r.ok for r in results] == [True, False, True, True]
        assert "BAD.npz" in results[1].status and results[1].status.startswith("failed: ")
    for name in ("W1", "W2", "W3"):
        assert picks_of(field / "serial", name) != []
        assert_same_picks(picks_of(field / "serial", name), picks_of(field / "dask", name))
    assert [r.picks for r in serial] == [r.picks for r in spread]
    table = summary_table(spread).splitlines()
    assert table[0].split() == ["well", "length_m", "picks", "seconds", "status"] and len(table) == 5


def test_predict_over_a_folder_reports_each_well_and_exits_2_when_one_failed(field, tmp_path, capsys):
    code = main(["predict", str(field), "--model", str(field / "tiny.safetensors"), "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    # the progress bar shares stderr; the error is its one last line
    assert code == 2 and err.strip().splitlines()[-1] == "geobfdt predict: error: 1 of 4 wells failed (see the table)"
    assert "BAD" in out and "W3" in out and "status" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["W1_picks.csv", "W2_picks.csv", "W3_picks.csv"]


def test_an_unreachable_scheduler_is_a_one_line_error(field, tmp_path, capsys):
    code = main(["predict", str(field / "W1.npz"), "--model", str(field / "tiny.safetensors"), "--out", str(tmp_path),
                 "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2 and "cannot reach a Dask scheduler" in capsys.readouterr().err


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """The system temp folder of this process and of the Dask workers it starts, redirected."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def test_a_bug_in_one_well_is_reported_as_a_bug_and_the_others_finish(field, tmp_path, monkeypatch, capsys,
                                                                        temp_folder):
    from geobfdt.picking import field as field_module

    real = field_module._predict

    def buggy(path, stem, settings, result):
        if stem == "W2":
            raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'float'")
        real(path, stem, settings, result)

    monkeypatch.setattr(field_module, "_predict", buggy)
    code = main(["predict", str(field), "--method", "hough", "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 70  # a bug outranks the bad well (exit 2)
    assert err.strip().splitlines()[-1] == ("geobfdt predict: internal error (a bug in GeoBFDT, not a problem with "
                                            "your input) in 1 of 4 wells; each traceback log is named in the table; "
                                            "please report it")
    (log,) = temp_folder.glob("geobfdt-crash-*.log")
    assert str(log) in out and "BAD" in out and "failed: " in out  # the bad well is still bad input
    assert "TypeError: unsupported operand" in log.read_text() and "W2" in log.read_text()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["W1_picks.csv", "W3_picks.csv"]


def test_features_reports_a_bug_in_a_well_as_a_bug_not_as_bad_input(field, tmp_path, monkeypatch, capsys,
                                                                      temp_folder):
    """features exited 2, "wells failed", for a well that met a bug, where predict exits 70."""
    from geobfdt.picking import field as field_module

    def buggy(*args):
        raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'float'")

    monkeypatch.setattr(field_module, "_features", buggy)
    assert main(["features", str(field / "W1.npz"), "--out", str(tmp_path / "out"), "--no-progress"]) == 70
    err = capsys.readouterr().err.strip().splitlines()[-1]
    (log,) = temp_folder.glob("geobfdt-crash-*.log")
    assert err.startswith("geobfdt features: internal error") and str(log) in err
    assert main(["features", str(field / "BAD.npz"), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1].startswith("geobfdt features: error: ")
    # features picks nothing: its table had a picks column of zeros
    assert out.splitlines()[-2].split() == ["well", "length_m", "seconds", "status"]


def test_a_bug_on_a_dask_worker_comes_back_as_a_bug_with_its_log(field, temp_folder):
    """An unknown pick format reaches the writer only from a library caller (the command line refuses
    it): a KeyError in the task on the worker process, not bad input."""
    wells = [str(field / f"{name}.npz") for name in ("W1", "BAD")]
    settings = PredictSettings(out=str(temp_folder.parent / "dask"), method="hough", formats=("bogus",))
    results = run_wells(wells, ["W1", "BAD"], settings, workers=1, progress=False, report=lambda _: None)
    assert results[0].bug and results[0].status.startswith("internal error (a bug in GeoBFDT")
    assert not results[1].bug and results[1].status.startswith("failed: ")
    log = Path(results[0].status.split("traceback written to ")[1].split(";")[0])
    assert log.parent == temp_folder and "KeyError: 'bogus'" in log.read_text()


def test_a_well_whose_worker_died_says_so_and_what_to_do():
    """Dask's KilledWorker (the worker process died under the task, e.g. out of memory) is reported in
    words a user can act on, not as the exception's name."""
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker

    status = lost_task_status(KilledWorker("predict_well-1", SimpleNamespace(address="tcp://10.0.0.5:1"), 3))
    assert status.startswith("failed: the Dask worker picking it died (4 tries") and "memory" in status
    assert "KilledWorker" not in status
    other = lost_task_status(OSError("connection lost"))
    assert other.startswith("failed: the Dask cluster lost it") and "connection lost" in other
