"""Training loop: run folder contents, resume = uninterrupted run, model files, --init checks, DDP."""

import csv
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import draw_patches, tiny_config
from geobfdt.config import apply_overrides
from geobfdt.model.checkpoint import load_compatible_weights, load_model, read_model_file, save_model
from geobfdt.errors import GeoBFDTError
from geobfdt.model import build_model
from geobfdt.training.resume import RECORD, run_record, start_run
from geobfdt.training.run_folder import read_run_folder
from geobfdt.training.trainer import Trainer, patchset_batches


def _fit(cfg, run_dir, epochs, resume=False):
    """resume: continue the run in run_dir for more epochs (the CLI refuses that; the trainer may)."""
    cfg.train.epochs = epochs
    train, val = draw_patches(8, cfg.data.rows, cfg.data.columns, 1), draw_patches(4, cfg.data.rows, cfg.data.columns, 2)
    resumed = None
    if resume:
        resumed = read_run_folder(run_dir, json.loads((Path(run_dir) / RECORD).read_text()), {})
    else:
        start_run(run_dir, run_record(cfg), overwrite=True)
    trainer = Trainer(cfg, run_dir, device="cpu", resume=resumed, log=lambda *_: None)
    trainer.fit(patchset_batches(train, cfg, trainer.device, trainer.dist), val, 2)
    return trainer


def test_only_the_trainable_parameters_move(tmp_path):
    """train.trainable: the class heads learn, everything else stays as it was."""
    cfg = tiny_config()
    cfg.train.trainable = "decoder.class_heads"
    torch.manual_seed(cfg.train.seed)
    before = {k: v.clone() for k, v in build_model(cfg.model).state_dict().items()}
    after = _fit(cfg, tmp_path, 1).module.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(k.startswith("decoder.class_heads") for k in moved)
    resumed = _fit(cfg, tmp_path, 2, resume=True).module.state_dict()  # its state lists the class heads alone
    assert all(torch.equal(before[k], resumed[k]) for k in before if not k.startswith("decoder.class_heads"))


def test_a_trainable_prefix_that_names_nothing_is_refused(tmp_path):
    cfg = tiny_config()
    cfg.train.trainable = "decoder.class_head_typo"
    with pytest.raises(GeoBFDTError, match="names no parameter of the model"):
        _fit(cfg, tmp_path, 1)


def test_run_folder_and_metrics(tmp_path):
    _fit(tiny_config(), tmp_path, 2)
    for name in ("best.safetensors", "last.safetensors", "config.json", "metrics.csv", "state.safetensors"):
        assert (tmp_path / name).is_file(), name
    rows = list(csv.DictReader(open(tmp_path / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    for column in ("train_hungarian_loss", "val_hungarian_loss", "val_loss_params", "val_class_error"):
        assert float(rows[-1][column]) >= 0.0
    _fit(tiny_config(), tmp_path, 1)  # a new run into the same folder does not inherit the old table
    assert [r["epoch"] for r in csv.DictReader(open(tmp_path / "metrics.csv"))] == ["1"]


def test_resume_matches_uninterrupted_run(tmp_path):
    _fit(tiny_config(), tmp_path / "straight", 3)
    _fit(tiny_config(), tmp_path / "interrupted", 2)
    _fit(tiny_config(), tmp_path / "interrupted", 3, resume=True)
    a = load_file(tmp_path / "straight" / "last.safetensors")
    b = load_file(tmp_path / "interrupted" / "last.safetensors")
    assert [r["epoch"] for r in csv.DictReader(open(tmp_path / "interrupted" / "metrics.csv"))] == ["1", "2", "3"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key


def test_moving_average_is_what_is_validated_and_written_and_resume_continues_it(tmp_path):
    """train.ema_decay: best and last hold the weights' moving average, not the last step's weights, and
    a resumed run carries the average on as an uninterrupted one does."""
    def cfg():
        c = tiny_config()
        c.train.ema_decay = 0.5
        return c
    straight = _fit(cfg(), tmp_path / "straight", 3)
    last = load_file(tmp_path / "straight" / "last.safetensors")
    averaged, trained = straight.averaged.module.state_dict(), straight.module.state_dict()
    assert all(torch.allclose(last[k], averaged[k]) for k in last)
    assert any(not torch.allclose(last[k], trained[k]) for k in last if trained[k].is_floating_point())
    _fit(cfg(), tmp_path / "interrupted", 2)
    _fit(cfg(), tmp_path / "interrupted", 3, resume=True)
    resumed = load_file(tmp_path / "interrupted" / "last.safetensors")
    for key in last:
        assert torch.allclose(last[key], resumed[key], atol=1e-6), key


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5])
def test_a_moving_average_decay_outside_0_1_is_refused_before_any_run(decay):
    with pytest.raises(GeoBFDTError, match="ema_decay: must lie between 0 and 1, got"):
        apply_overrides(tiny_config(), {"train.ema_decay": decay})


def test_model_file_round_trip_and_refusals(tmp_path):
    cfg = tiny_config()
    model = build_model(cfg.model)
    save_model(model, cfg, tmp_path / "m.safetensors", threshold=0.37)
    loaded, header = load_model(tmp_path / "m.safetensors")
    cfg2, threshold = header.config, header.thresholds
    assert cfg2 == cfg and threshold == pytest.approx((0.37, 0.37))
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])

    save_file({"w": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(GeoBFDTError, match="not a GeoBFDT model"):
        read_model_file(tmp_path / "other.safetensors")
    (tmp_path / "model.pt").write_bytes(pickle.dumps({"w": [1, 2]}))
    with pytest.raises(GeoBFDTError, match="pickles are refused"):
        read_model_file(tmp_path / "model.pt")
    with pytest.raises(GeoBFDTError, match="no such model"):
        read_model_file(tmp_path / "missing.safetensors")

    wider = tiny_config()
    wider.model.backbone_width = 16
    with pytest.raises(GeoBFDTError, match="do not fit"):
        load_compatible_weights(build_model(wider.model), tmp_path / "m.safetensors")


def test_ddp_two_cpu_ranks_hold_identical_weights(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).parent))
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(Path(__file__).parent / "ddp_worker.py"), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    a, b = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    assert any(not torch.equal(a[k], load_file(tmp_path / "initial.safetensors")[k]) for k in a)  # it trained
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_ddp_two_cpu_ranks_follow_the_loss_curve_of_one_process_with_the_combined_batch(tmp_path):
    import json

    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).parent))
    worker = str(Path(__file__).parent / "ddp_worker.py")
    runs = {"ddp": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", worker],
            "one": [sys.executable, worker]}
    curves = {}
    for name, argv in runs.items():
        result = subprocess.run([*argv, str(tmp_path / name), "curve"], env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        curves[name] = json.loads((tmp_path / name / "curve.json").read_text())
    assert len(curves["ddp"]) == len(curves["one"]) == 12  # 3 epochs of 4 batches
    assert curves["one"][-1] < curves["one"][0]  # it learns
    # same shares, same arithmetic up to the order of float sums (gradients all-reduced vs accumulated)
    np.testing.assert_allclose(curves["ddp"], curves["one"], rtol=1e-4)


def test_learning_rate_drops_once_after_its_time(tmp_path):
    cfg = tiny_config()
    cfg.train.lr_drop_minutes = 0.0
    trainer = _fit(cfg, tmp_path, 2)
    assert trainer.progress["lr_dropped"]
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(cfg.train.lr * 0.1)


def test_sample_budget_stops_training_after_that_many_samples(tmp_path):
    cfg = tiny_config()
    cfg.train.max_samples = 3 * cfg.train.batch_size  # 1.5 epochs of 2 batches
    trainer = _fit(cfg, tmp_path, 100)
    assert trainer.progress["stop_reason"] == "sample budget"
    assert trainer.progress["samples"] == 3 * cfg.train.batch_size
    assert trainer.progress["epoch"] == 2  # the cut-short epoch is still validated and logged


@pytest.mark.parametrize("drop_after_batches, dropped", [(2, True), (5, False)])
def test_learning_rate_drops_after_its_sample_count(tmp_path, drop_after_batches, dropped):
    cfg = tiny_config()
    cfg.train.lr_drop_samples = drop_after_batches * cfg.train.batch_size
    trainer = _fit(cfg, tmp_path, 2)  # 4 batches: checked before each one, so batch 3 sees 2 batches' samples
    assert trainer.progress.get("lr_dropped", False) is dropped
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(cfg.train.lr * (0.1 if dropped else 1.0))


class _Oracle:
    """Predicts every patch's true sinusoids at one score (all classes alike)."""

    def __init__(self, patches, score):
        self.patches, self.score, self.seen = patches, score, 0

    def predict(self, images):
        rows = []
        for targets in self.patches.targets[self.seen:self.seen + len(images)]:
            rows.append(np.hstack([targets, np.full((len(targets), 1), self.score, np.float32)]))
        self.seen += len(images)
        return rows


def test_a_fine_tuned_model_keeps_its_starting_thresholds_unless_validation_clearly_beats_them():
    from geobfdt.training.thresholds import tune_thresholds
    cfg = tiny_config()
    patches = draw_patches(24, cfg.data.rows, cfg.data.columns, seed=3)

    def tuned(prior):
        return tune_thresholds(_Oracle(patches, 0.6), cfg, patches, "cpu", prior=prior)[0]

    assert tuned(None) == (0.05, 0.05)  # every threshold up to 0.6 is perfect: the lowest wins
    assert tuned((0.5, 0.35)) == (0.5, 0.35)  # no gain over the starting thresholds: kept
    assert tuned((0.5, 0.7)) == (0.5, 0.05)  # 0.7 drops every bedding pick: replaced
