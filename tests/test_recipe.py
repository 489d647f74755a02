"""`geobfdt pretrain --recipe`: phases run in order from each other's weights, and a rerun continues."""

import json

import yaml

from conftest import tiny_config
from geobfdt.cli import main


def write_recipe(tmp_path, phases):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_config().to_dict()))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"defaults": {"steps_per_epoch": 1, "val_patches": 4, "config": "tiny.yaml"},
                                      "phases": phases}))
    return recipe


def test_phases_chain_and_a_rerun_skips_finished_ones(tmp_path, capsys):
    recipe = write_recipe(tmp_path, [{"name": "a", "max_samples": 4, "seed": 1},
                                     {"name": "b", "init": "a/last", "max_samples": 8, "seed": 2}])
    out = tmp_path / "runs"
    assert main(["pretrain", "--recipe", str(recipe), "--out", str(out), "--workers", "0"]) == 0
    printed = capsys.readouterr().out
    assert f"initialised from {out / 'a' / 'last.safetensors'}" in printed
    for name, samples, seed in (("a", 4, 1), ("b", 8, 2)):
        saved = json.loads((out / name / "config.json").read_text())["train"]
        assert (saved["max_samples"], saved["seed"]) == (samples, seed)
        assert json.loads((out / name / "summary.json").read_text())["samples"] == samples
    assert main(["pretrain", "--recipe", str(recipe), "--out", str(out), "--workers", "0"]) == 0
    assert capsys.readouterr().out.count("done, skipped") == 2


def test_a_phase_that_starts_from_a_later_or_unknown_phase_is_refused(tmp_path, capsys):
    recipe = write_recipe(tmp_path, [{"name": "a", "init": "b", "max_samples": 4}, {"name": "b", "max_samples": 4}])
    assert main(["pretrain", "--recipe", str(recipe), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert "not an earlier phase" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_the_shipped_recipe_names_existing_configs_and_earlier_phases():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "configs" / "shipped_model.yaml"
    recipe = yaml.safe_load(path.read_text())
    seen = []
    for phase in recipe["phases"]:
        if "config" in phase:
            assert (path.parent / phase["config"]).is_file()
        if "init" in phase:
            assert phase["init"].split("/")[0] in seen
        seen.append(phase["name"])
    assert seen[-1] == "phase10"


def test_pretraining_on_a_generator_variant_is_recorded_and_a_bad_name_refused(tmp_path, capsys):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_config().to_dict()))
    out = tmp_path / "run"
    assert main(["pretrain", "--out", str(out), "--config", str(tmp_path / "tiny.yaml"), "--max-samples", "4",
                 "--steps-per-epoch", "1", "--val-patches", "4", "--workers", "0",
                 "--synth-variant", "real-texture"]) == 0
    assert json.loads((out / "run.json").read_text())["settings"]["synth_variant"] == "real-texture"
    capsys.readouterr()
    assert main(["pretrain", "--out", str(tmp_path / "other"), "--synth-variant", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown synth config variant 'nope'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "other").exists()
    recipe = write_recipe(tmp_path, [{"name": "a", "max_samples": 4, "synth_variant": "nope"}])
    assert main(["pretrain", "--recipe", str(recipe), "--out", str(tmp_path / "runs")]) == 2
    assert "phase a: unknown synth config variant" in capsys.readouterr().err
