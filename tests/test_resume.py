"""train --resume: the same run or a refusal naming the difference; SIGKILL mid-epoch loses at
most that epoch and ends as an uninterrupted run; training on CPU repeats exactly for a seed.
Damaged run folders: tests/test_run_folder.py."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from safetensors import safe_open
from safetensors.torch import load_file

import geobfdt
from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.io import write_npz
from geobfdt.io.picks import write_picks_csv
from geobfdt.synth import synthesize_well


@pytest.fixture(scope="module")
def wells(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    for seed in (1, 2):
        well, picks = synthesize_well(seed, length_m=5.0, tool="lwd", name=f"W{seed}")
        write_npz(well, root / f"W{seed}.npz")
        write_picks_csv(root / f"W{seed}_picks.csv", picks)
    cfg = tiny_config()
    cfg.train.num_threads = 1  # the subprocess and this process compute alike
    (root / "tiny.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    return root


def _train(wells, out, *extra):
    return ["train", str(wells / "W1.npz"), str(wells / "W2.npz"), "--out", str(out), "--config",
            str(wells / "tiny.yaml"), "--from-scratch", "--epochs", "3", "--val-wells", "W2", "--seed", "3", *extra]


def _metrics(run):
    """metrics.csv without its wall-clock column."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(open(run / "metrics.csv"))]


def _state_epoch(run) -> int:
    with safe_open(str(run / "state.safetensors"), framework="pt") as f:
        return json.loads(f.metadata()["progress"])["epoch"]


def _same_weights(a, b):
    a, b = load_file(a), load_file(b)
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


@pytest.fixture(scope="module")
def straight(wells):
    assert main(_train(wells, wells / "straight")) == 0
    return wells / "straight"


def test_cpu_training_repeats_exactly_for_a_seed(wells, straight):
    assert main(_train(wells, wells / "again")) == 0
    assert _metrics(wells / "again") == _metrics(straight)
    for name in ("best.safetensors", "last.safetensors"):
        _same_weights(wells / "again" / name, straight / name)


def test_sigkill_mid_epoch_loses_at_most_that_epoch_and_resume_ends_as_an_uninterrupted_run(wells, straight):
    run = wells / "killed"
    env = dict(os.environ, PYTHONPATH=str(Path(geobfdt.__file__).parents[1]))
    child = subprocess.Popen([sys.executable, "-m", "geobfdt.cli", *_train(wells, run)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (run / "state.safetensors").exists() and child.poll() is None:
            time.sleep(0.02)  # killed as soon as epoch 1 is saved: in epoch 2, or while saving it
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    done = _state_epoch(run)
    # the state is written first: the files after it may lag it by that epoch, never lead it
    assert 1 <= done < 3 and len(_metrics(run) if (run / "metrics.csv").exists() else []) in (done - 1, done)
    if (run / "last.safetensors").exists():
        with safe_open(str(run / "last.safetensors"), framework="pt") as f:
            assert json.loads(f.metadata()["geobfdt_info"])["epoch"] in (done - 1, done)
    assert main(_train(wells, run, "--resume")) == 0
    assert _metrics(run) == _metrics(straight)
    _same_weights(run / "best.safetensors", straight / "best.safetensors")
    summary, reference = (json.loads((r / "summary.json").read_text()) for r in (run, straight))
    assert summary["thresholds"] == reference["thresholds"] and summary["epoch"] == reference["epoch"] == 3


@pytest.mark.parametrize("change, named", [
    (["--seed", "4"], "train.seed: now 4, the run had 3"),
    (["--epochs", "4"], "train.epochs"),
    (["--set", "model.d_model=64"], "model.d_model"),
    (["--val-wells", "W1"], "settings val_wells"),
])
def test_resume_refuses_a_different_command_naming_the_difference(wells, straight, capsys, change, named):
    before = (straight / "state.safetensors").read_bytes()
    argv = _train(wells, straight, "--resume")
    for option, value in zip(change[::2], change[1::2]):
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0] and "max_minutes" in err[0]
    assert (straight / "state.safetensors").read_bytes() == before


def test_resume_refuses_changed_data_and_accepts_a_new_budget(wells, straight, tmp_path, capsys):
    import shutil

    for name in ("W1.npz", "W1_picks.csv", "W2.npz", "W2_picks.csv", "tiny.yaml"):
        shutil.copyfile(wells / name, tmp_path / name)
    assert main(_train(tmp_path, straight, "--resume", "--max-minutes", "5")) == 0  # same data elsewhere, new budget
    with open(tmp_path / "W2_picks.csv", "a") as f:
        f.write("1000.5,10,20,fracture\n")
    assert main(_train(tmp_path, straight, "--resume")) == 2
    err = capsys.readouterr().err
    assert "data W2_picks.csv: its content changed since the run (SHA-256 differs)" in err
    assert err.strip().endswith("other data makes a new run: give the run's files back, or train anew "
                                "(--overwrite, or another --out)")


def test_data_differences_say_which_file_changed_which_is_new_and_which_is_gone():
    """It said "not in the run, or its content changed" of every file, leaving the user to guess."""
    from geobfdt.training.resume import differences

    saved = {"data": [{"file": "A.dlis", "sha256": "1"}, {"file": "B.dlis", "sha256": "2"},
                      {"file": "C.dlis", "sha256": "3"}]}
    current = {"data": [{"file": "A.dlis", "sha256": "1"}, {"file": "B.dlis", "sha256": "9"},
                        {"file": "D.dlis", "sha256": "4"}]}
    assert differences(saved, current) == ["data B.dlis: its content changed since the run (SHA-256 differs)",
                                           "data D.dlis: not in the run", "data C.dlis: in the run, missing now"]
    assert differences(saved, saved) == []


def test_a_starting_model_is_its_weights_so_a_header_refit_still_resumes(tmp_path):
    """A fine-tune from the shipped model was refused on resume after a release that refitted only the
    model file's header (its scores and intervals): the file's SHA-256 had changed, the weights not."""
    import numpy as np
    from safetensors.numpy import save_file

    from geobfdt.training.resume import differences, weights_sha256

    tensors = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3, dtype=np.float32)}
    save_file(tensors, str(tmp_path / "a.safetensors"), metadata={"calibration": "old"})
    save_file(tensors, str(tmp_path / "b.safetensors"), metadata={"calibration": "refitted"})
    save_file({**tensors, "b": np.zeros(3, dtype=np.float32)}, str(tmp_path / "c.safetensors"))
    same = weights_sha256(tmp_path / "a.safetensors")
    assert weights_sha256(tmp_path / "b.safetensors") == same != weights_sha256(tmp_path / "c.safetensors")

    def run(file_hash, weights=None):
        init = {"spec": "default", "sha256": file_hash}
        return {"init": init if weights is None else {**init, "weights_sha256": weights}}

    assert differences(run("1", same), run("2", same)) == []  # a header refit
    assert differences(run("1", same), run("2", "other")) == \
        [f"init weights_sha256: now 'other', the run had {same!r}"]
    # a run.json written before the weights were recorded is still judged by the file, as then
    assert differences(run("1"), run("1", same)) == []
    assert differences(run("1"), run("2", same)) == ["init sha256: now '2', the run had '1'"]
    # a starting model cut short is the file's fault, in one line, not a traceback
    from geobfdt.errors import ModelFileError

    (tmp_path / "cut.safetensors").write_bytes((tmp_path / "a.safetensors").read_bytes()[:-8])
    with pytest.raises(ModelFileError, match="cannot read its weights"):
        weights_sha256(tmp_path / "cut.safetensors")


def test_a_run_folder_is_not_reused_without_resume_or_overwrite(wells, straight, capsys, tmp_path):
    assert main(_train(wells, straight)) == 2
    assert "--overwrite" in capsys.readouterr().err
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "state.safetensors").write_text("old state")
    assert main(_train(wells, tmp_path, "--overwrite", "--epochs", "1")) == 0
    assert _state_epoch(tmp_path) == 1
