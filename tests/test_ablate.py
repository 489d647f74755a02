"""ablate: the study table is the mean and spread over seeds of what each run measured."""

import copy
import json
import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from geobfdt.commands.ablate import STUDIES, write_study
from geobfdt.config import apply_overrides
from geobfdt.config import Config


def test_table_holds_mean_and_spread_over_seeds(tmp_path):
    rows = [{"setting": s, "seed": k, "hungarian_loss": h, "param_loss": 0.1, "class_error": 10.0 * (k + 1),
             "f1_8cm": f, "dip_mae_deg": 5.0, "azimuth_mae_deg": 20.0, "epochs": 7}
            for s, h, f in (("a", 1.0, 0.5), ("b", 2.0, None)) for k in range(2)]
    args = SimpleNamespace(study="backbone", seeds=2, max_minutes=3.0, out=str(tmp_path), corpus=None)
    write_study(tmp_path, args, rows, plt)
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
    args = SimpleNamespace(study="wells", seeds=1, max_minutes=None, max_samples=4000, out=str(tmp_path),
                           corpus="c")
    write_study(tmp_path, args, rows, plt)
    command = json.loads((tmp_path / "wells.json").read_text())["command"]
    assert command == f"geobfdt ablate wells --seeds 1 --max-samples 4000 --out {tmp_path} --corpus c"
    assert "--max-minutes" not in (tmp_path / "wells.md").read_text()
