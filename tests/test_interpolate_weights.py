"""scripts/interpolate_weights.py: a model file on the line between two runs of one detector."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from interpolate_weights import interpolate, main  # noqa: E402

from geobfdt.model.checkpoint import read_model_file, read_model_header


def test_interpolation_is_the_weighted_mean_of_the_weights():
    base = {"w": torch.zeros(3), "steps": torch.tensor([4])}
    tuned = {"w": torch.ones(3), "steps": torch.tensor([9])}
    mixed = interpolate(base, tuned, 0.25)
    assert torch.allclose(mixed["w"], torch.full((3,), 0.25))
    assert mixed["steps"].item() == 4  # integer tensors are not averaged
    with pytest.raises(SystemExit, match="not the same detector"):
        interpolate(base, {"w": torch.ones(4), "steps": torch.tensor([9])}, 0.5)


def test_the_written_file_keeps_the_base_header(tmp_path):
    out = tmp_path / "mixed.safetensors"
    assert main(["default", "default", "--alpha", "0.5", "--out", str(out)]) == 0
    state, header = read_model_file(out)
    shipped_state, shipped = read_model_file("default")
    assert header.thresholds == shipped.thresholds and header.info == shipped.info
    assert all(torch.allclose(state[k], v) for k, v in shipped_state.items())
    assert read_model_header(out).evidence_intervals is not None


def test_alpha_outside_zero_to_one_is_refused(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["default", "default", "--alpha", "1.5", "--out", str(tmp_path / "x.safetensors")])
    assert exit_info.value.code == 2
    assert not (tmp_path / "x.safetensors").exists()
