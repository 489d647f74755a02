"""Errors a caller can tell apart: each kind of bad input is its own GeoBFDTError subclass and a
one-line exit 2 on the command line; anything else is a bug, exit 70 with its traceback in a log."""

import errno
import tempfile
from pathlib import Path

import pytest

from geobfdt import errors
from geobfdt.cli import main
from geobfdt.commands import info
from geobfdt.errors import (EX_SOFTWARE, GeoBFDTError, ModelFileError, OptionError, PickFileError, RunFolderError,
                            WellFileError)

KINDS = [WellFileError, PickFileError, ModelFileError, RunFolderError, OptionError, GeoBFDTError]


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """The system temp folder, here and in any process started from here, redirected to a fresh folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # tempfile caches the folder it found first
    return folder


def crash_logs(folder: Path) -> list[Path]:
    return sorted(folder.glob("geobfdt-crash-*.log"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_bad_input_is_one_line_and_exit_2(kind, monkeypatch, capsys, temp_folder):
    def run(args):
        raise kind("damaged.dlis: cannot read DLIS\n  Problem: a reason spread over\n  several lines")

    monkeypatch.setattr(info, "run", run)
    assert main(["info", "damaged.dlis"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err == "geobfdt info: error: damaged.dlis: cannot read DLIS Problem: a reason spread over several lines\n"
    assert crash_logs(temp_folder) == [], "bad input is not a bug"


def test_the_library_raises_the_kind_that_names_the_input(tmp_path):
    from geobfdt.commands import output_folder
    from geobfdt.config import read_config_json
    from geobfdt.io import read_well
    from geobfdt.io.picks import read_picks
    from geobfdt.model.checkpoint import read_model_header

    (tmp_path / "w.dlis").write_bytes(b"not a well")
    (tmp_path / "p.csv").write_text("nothing,useful\n1,2\n")
    (tmp_path / "m.safetensors").write_bytes(b"\x00" * 64)
    (tmp_path / "config.json").write_text("{\"model\": {\"d_model\": \"wide\"}}")
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(WellFileError):
        read_well(tmp_path / "w.dlis")
    with pytest.raises(PickFileError):
        read_picks(tmp_path / "p.csv")
    with pytest.raises(ModelFileError):
        read_model_header(tmp_path / "m.safetensors")
    with pytest.raises(RunFolderError):
        read_config_json(tmp_path / "config.json")
    with pytest.raises(OptionError):
        output_folder(tmp_path / "blocker" / "out")


def test_an_unexpected_exception_is_a_bug_with_its_traceback_in_a_log(monkeypatch, capsys, temp_folder, tmp_path):
    def run(args):
        return {}["a key no input can explain"] + args  # a bug, whatever the input

    monkeypatch.setattr(info, "run", run)
    monkeypatch.chdir(tmp_path)
    assert main(["info", "w.dlis"]) == EX_SOFTWARE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("geobfdt info: internal error (a bug in GeoBFDT, not a problem "
                                                   "with your input): KeyError: ")
    (log,) = crash_logs(temp_folder)
    assert f"traceback written to {log}; please report it" in err
    text = log.read_text()
    assert "geobfdt info w.dlis" in text and "Traceback (most recent call last)" in text and "KeyError" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"], "nothing written where the command ran"


def test_a_bug_is_reported_even_when_its_log_cannot_be_written(monkeypatch, capsys, temp_folder):
    def run(args):
        raise TypeError("unsupported operand")

    def disk_full(**kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(info, "run", run)
    monkeypatch.setattr(tempfile, "mkstemp", disk_full)
    assert main(["info", "w.dlis"]) == EX_SOFTWARE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TypeError: unsupported operand; no traceback log (No space left" in err


def test_interrupt_and_argparse_keep_their_exit_codes(monkeypatch, capsys):
    def run(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(info, "run", run)
    assert main(["info", "w.dlis"]) == 130
    assert main(["info", "--no-such-option"]) == 2
    assert errors.EX_SOFTWARE == 70
