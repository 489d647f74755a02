"""ablate: the study table is the mean and spread over seeds of what each run measured."""

import copy
import json
import math
import shlex
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from geobfdt.commands.ablate import STUDIES, study_settings, training_seeds, write_study
from geobfdt.errors import OptionError
from geobfdt.config import apply_overrides
from geobfdt.config import Config


def test_table_holds_mean_and_spread_over_seeds(tmp_path):
    rows = [{"setting": s, "seed": k, "hungarian_loss": h, "param_loss": 0.1, "class_error": 10.0 * (k + 1),
             "f1_8cm": f, "dip_mae_deg": 5.0, "azimuth_mae_deg": 20.0, "epochs": 7}
            for s, h, f in (("a", 1.0, 0.5), ("b", 2.0, None)) for k in range(2)]
    args = SimpleNamespace(study="backbone", seeds=2, out=str(tmp_path), corpus=None, length_m=40.0, seed=None,
                           config=None, set=[])
    write_study(tmp_path, args, budgeted(max_minutes=3.0), rows, plt)
    table = [line for line in (tmp_path / "backbone.md").read_text().splitlines() if line.startswith("| a |")]
    assert table == ["| a | 1 ± 0 | 0.1 ± 0 | 15 ± 5 | 0.5 ± 0 | 5 ± 0 | 20 ± 0 | 7 ± 0 |"]
    stats = json.loads((tmp_path / "backbone.json").read_text())["stats"]
    assert math.isnan(stats["b"]["f1_8cm"][0])  # runs without a value are left out, not counted as 0
    assert (tmp_path / "backbone.png").stat().st_size > 0


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_each_setting_changes_only_its_knob(study):
    base = Config()
    for _, overrides in STUDIES[study]:
        cfg = apply_overrides(copy.deepcopy(base), {k: v for k, v in overrides.items() if k != "wells"})
        changed = {f"{section}.{name}" for section in ("model", "data", "train", "loss")
                   for name, value in vars(getattr(cfg, section)).items()
                   if value != getattr(getattr(base, section), name)}
        assert changed <= {k for k in overrides if k != "wells"}


def test_a_sample_budget_is_written_into_the_command_and_the_plot_title(tmp_path):
    rows = [{"setting": "a", "seed": 0, "hungarian_loss": 1.0, "param_loss": 0.1, "class_error": 10.0,
             "f1_8cm": 0.5, "dip_mae_deg": 5.0, "azimuth_mae_deg": 20.0, "epochs": 3}]
    args = SimpleNamespace(study="wells", seeds=1, out=str(tmp_path), corpus="c", length_m=40.0, seed=None,
                           config=None, set=[])
    write_study(tmp_path, args, budgeted(max_samples=4000), rows, plt)
    command = json.loads((tmp_path / "wells.json").read_text())["command"]
    assert command == f"geobfdt ablate wells --seeds 1 --max-samples 4000 --out {tmp_path} --corpus c"
    assert "--max-minutes" not in (tmp_path / "wells.md").read_text()


def budgeted(max_minutes=None, max_samples=None) -> Config:
    cfg = Config()
    cfg.train.max_minutes, cfg.train.max_samples = max_minutes, max_samples
    return cfg


def test_the_command_names_every_option_that_shaped_the_study(tmp_path):
    """It once named only the study, seeds, budget, --out and --corpus: not --length-m of the corpus it
    made, nor --seed, --set or the learning-rate drop, so it did not make the same study again."""
    from geobfdt.cli import build_parser
    from geobfdt.commands import training_overrides
    from geobfdt.commands.ablate import DEFAULT_MINUTES, ablate_command
    from geobfdt.training.run import resolve_config

    argv = ["ablate", "augmentation", "--out", "o u t", "--seeds", "2", "--length-m", "12", "--seed", "5",
            "--set", "train.lr=1e-4", "--lr-drop-samples", "300"]
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = resolve_config(args.config, training_overrides(args, DEFAULT_MINUTES))
    again = parser.parse_args(shlex.split(ablate_command(args, cfg))[1:])
    assert resolve_config(again.config, training_overrides(again, DEFAULT_MINUTES)) == cfg
    assert (again.study, again.out, again.seeds, again.length_m, again.corpus, list(training_seeds(again))) == (
        "augmentation", "o u t", 2, 12.0, None, [5, 6])


def test_the_seed_option_chooses_the_training_seeds():
    """--seed was taken and then ignored: the runs always had seeds 0 .. --seeds - 1."""
    assert list(training_seeds(SimpleNamespace(seed=None, seeds=3))) == [0, 1, 2]
    assert list(training_seeds(SimpleNamespace(seed=7, seeds=2))) == [7, 8]


def test_the_wells_study_refuses_a_corpus_too_small_for_its_settings():
    """With 3 wells besides the test wells, the '6/10/14 wells' runs all trained on the same 3 and the table
    said otherwise."""
    with pytest.raises(OptionError, match="corpus has 3 besides the 4 test wells"):
        study_settings("wells", 3)
    assert study_settings("wells", 14) == STUDIES["wells"]
    assert study_settings("backbone", 3) == STUDIES["backbone"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from geobfdt.synth import synthesize_corpus

    root = tmp_path_factory.mktemp("ablate_corpus")
    synthesize_corpus(root, wells=7, length_m=3.0, seed=2, workers=1)  # 3 to train from, 4 to test on
    return root


def _ablate_without_training(monkeypatch, tmp_path, corpus, extra):
    """`geobfdt ablate normalisation --seeds 2` (2 settings x 2 seeds) with the training and the test
    wells' picking replaced by stand-ins that record how they were asked, so what the command shows
    of its progress is checked in seconds."""
    from types import SimpleNamespace

    from geobfdt.cli import main

    asked = []

    def fake_training(cfg, data, run_dir, **kwargs):
        asked.append(kwargs)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "metrics.csv").write_text("epoch,val_hungarian_loss,val_loss_params,val_class_error\n1,1.5,0.2,30\n")
        return {"epoch": 1}

    monkeypatch.setattr("geobfdt.training.run.run_training", fake_training)
    monkeypatch.setattr("geobfdt.model.checkpoint.load_model",
                        lambda run_dir, device: (None, SimpleNamespace(thresholds=(0.5, 0.5), score_calibration=None)))
    monkeypatch.setattr("geobfdt.picking.whole_well.pick_well_detr", lambda *a, **k: [])
    code = main(["ablate", "normalisation", "--seeds", "2", "--max-samples", "8", "--corpus", str(corpus),
                 "--out", str(tmp_path / "out"), *extra])
    return code, asked


def test_ablate_counts_its_runs_on_a_progress_bar(monkeypatch, tmp_path, corpus, capsys):
    """It ran for hours showing nothing but each run's first line."""
    code, asked = _ablate_without_training(monkeypatch, tmp_path, corpus, [])
    out, err = capsys.readouterr()
    assert code == 0 and len(asked) == 4
    assert "ablate normalisation" in err and "4/4" in err and "run" in err
    assert "normalisation: dynamic, seed 1" in out  # the per-run lines stay, above the bar
    assert all(kwargs["progress_bar"] for kwargs in asked)  # the epochs' bars too
    assert (tmp_path / "out" / "normalisation.md").is_file()


def test_no_progress_draws_no_bar(monkeypatch, tmp_path, corpus, capsys):
    code, asked = _ablate_without_training(monkeypatch, tmp_path, corpus, ["--no-progress"])
    out, err = capsys.readouterr()
    assert code == 0 and len(asked) == 4
    assert "ablate normalisation" not in err and "%|" not in err
    assert not any(kwargs["progress_bar"] for kwargs in asked)
    assert "normalisation: static, seed 0" in out
