"""geobfdt ship (training/ship.py): the shipped model is replaced only by a model that passes every check."""

import json

import pytest

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.model import build_model
from geobfdt.model.checkpoint import read_model_file, save_model
from geobfdt.synth import synthesize_well
from geobfdt.training import ship as ship_module


@pytest.fixture
def shipping(tmp_path, monkeypatch):
    """A tiny run to ship into tmp_path/weights, one short validation well."""
    cfg = tiny_config()
    run = tmp_path / "run"
    run.mkdir()
    save_model(build_model(cfg.model), cfg, run / "best.safetensors", threshold=0.5)
    into = tmp_path / "weights"
    monkeypatch.setattr(ship_module, "validation_wells", lambda per_group: [synthesize_well(5, length_m=6.0)])

    def ship(*options):
        return main(["ship", str(run), "--into", str(into), "--tune-wells", "1", "--no-calibrate", *options])
    return ship, into / "default.safetensors"


def test_ships_the_run_with_its_validation_scores(shipping):
    ship, target = shipping
    assert ship() == 0
    _, header = read_model_file(target)
    summary = json.loads((target.parent / "default_summary.json").read_text())
    assert list(header.thresholds) == header.info["well_thresholds"] == list(summary["thresholds"].values())
    assert summary["val_wells_at_thresholds"]["wells_per_group"] == 1
    assert not target.with_name("default.staged.safetensors").exists()


def test_only_if_better_leaves_a_better_shipped_model_alone(shipping, capsys):
    ship, target = shipping
    ship()
    summary_path = target.parent / "default_summary.json"
    summary = json.loads(summary_path.read_text())
    summary["val_wells_at_thresholds"]["fracture"]["f1"] = 1.01  # no model can reach it
    summary_path.write_text(json.dumps(summary))
    before = target.read_bytes(), summary_path.read_text()
    assert ship("--only-if-better") == 2
    assert "not installed" in capsys.readouterr().err
    assert (target.read_bytes(), summary_path.read_text()) == before


def test_only_if_better_installs_an_equal_model(shipping):
    ship, target = shipping
    ship()
    assert ship("--only-if-better") == 0  # the same run scores the same: at least as high
    assert target.is_file()


def test_an_oversized_model_keeps_the_shipped_one(shipping, monkeypatch, capsys):
    ship, target = shipping
    ship()
    before = target.read_bytes()
    monkeypatch.setattr(ship_module, "LIMIT_BYTES", 1000)
    assert ship() == 2
    assert "MB limit for a shipped model" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert not target.with_name("default.staged.safetensors").exists()


def test_more_interval_wells_than_calibration_wells_is_refused(shipping, capsys):
    ship, target = shipping
    assert ship("--calibration-wells", "1", "--interval-wells", "2") == 2
    assert "--interval-wells 2 is more than --calibration-wells 1" in capsys.readouterr().err
    assert not target.exists()


def test_the_evidence_fit_sees_lwd_wells_with_rows_as_long_as_a_real_logs():
    """The real LWD log at hand has 10 cm rows, the synthetic LWD wells 1-2 cm: fitted on those alone, the
    intervals and scores met long rows only on a user's well."""
    chosen = ship_module.evidence_wells(1)
    long_rows = [w for w in chosen if w[1] == "coarse-rows"]
    assert long_rows and {group for _, _, group, _ in long_rows} == {ship_module.LWD}
    steps = [ship_module.validation_well(group, k, variant, augmentation)[0].depth_step_m
             for variant, augmentation, group, k in long_rows]
    assert min(steps) >= 0.05 - 1e-9 and max(steps) <= 0.1 + 1e-9
    plain = next(w for w in chosen if w[1] == "plain" and w[2] == ship_module.LWD)
    assert ship_module.validation_well(plain[2], plain[3], plain[0], "plain")[0].depth_step_m <= 0.02 + 1e-9
