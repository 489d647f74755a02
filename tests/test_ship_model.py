"""scripts/ship_model.py: the shipped model is replaced only by a model that passes every check."""

import json
import sys
from pathlib import Path

import pytest

from conftest import tiny_config
from geobfdt.model.checkpoint import read_model_file, save_model
from geobfdt.model import build_model
from geobfdt.synth import synthesize_well

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import ship_model  # noqa: E402


@pytest.fixture
def shipping(tmp_path, monkeypatch):
    """A tiny run to ship, the package's model folder redirected to tmp_path, one short validation well."""
    cfg = tiny_config()
    run = tmp_path / "run"
    run.mkdir()
    save_model(build_model(cfg.model), cfg, run / "best.safetensors", threshold=0.5)
    target = tmp_path / "weights" / "default.safetensors"
    monkeypatch.setattr(ship_model, "TARGET", target)
    monkeypatch.setattr(ship_model, "validation_wells", lambda per_group: [synthesize_well(5, length_m=6.0)])

    def ship(*options):
        monkeypatch.setattr(sys, "argv", ["ship_model.py", str(run), "--tune-wells", "1", *options])
        ship_model.main()
    return ship, target


def test_ships_the_run_with_its_validation_scores(shipping):
    ship, target = shipping
    ship()
    _, header = read_model_file(target)
    thresholds, info = header.thresholds, header.info
    summary = json.loads((target.parent / "default_summary.json").read_text())
    assert list(thresholds) == info["well_thresholds"] == list(summary["thresholds"].values())
    assert summary["val_wells_at_thresholds"]["wells_per_group"] == 1
    assert not target.with_name("default.staged.safetensors").exists()


def test_only_if_better_leaves_a_better_shipped_model_alone(shipping):
    ship, target = shipping
    ship()
    summary_path = target.parent / "default_summary.json"
    summary = json.loads(summary_path.read_text())
    summary["val_wells_at_thresholds"]["fracture"]["f1"] = 1.01  # no model can reach it
    summary_path.write_text(json.dumps(summary))
    before = target.read_bytes(), summary_path.read_text()
    with pytest.raises(SystemExit, match="not installed"):
        ship("--only-if-better")
    assert (target.read_bytes(), summary_path.read_text()) == before


def test_only_if_better_installs_an_equal_model(shipping):
    ship, target = shipping
    ship()
    ship("--only-if-better")  # the same run scores the same: at least as high
    assert target.is_file()


def test_an_oversized_model_keeps_the_shipped_one(shipping, monkeypatch):
    ship, target = shipping
    ship()
    before = target.read_bytes()
    monkeypatch.setattr(ship_model, "LIMIT_BYTES", 1000)
    with pytest.raises(SystemExit, match="over the 20 MB limit"):
        ship()
    assert target.read_bytes() == before
    assert not target.with_name("default.staged.safetensors").exists()
