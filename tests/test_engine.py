"""Engines: the ONNX export gives torch's predictions; it is made once per model file; the
ONNX path never loads torch; batches side by side give the same picks as one after the other."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import tiny_config, save_tiny_model
from geobfdt.io import write_npz
from geobfdt.model import build_model
from geobfdt.model.checkpoint import save_model
from geobfdt.picking.engine import OnnxEngine, TorchEngine, cache_dir, load_engine
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import synthesize_well


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine")
    save_tiny_model(root / "tiny.safetensors")
    return root


def matched_rows(a: np.ndarray, b: np.ndarray):
    """Each row of a with the row of b nearest in depth and score (sort order may differ on ties)."""
    gap = np.abs(a[:, None, [0, 4]] - b[None, :, [0, 4]]).sum(-1)
    return a, b[gap.argmin(axis=1)]


def test_onnx_export_predicts_what_torch_predicts(tiny, tmp_path, monkeypatch):
    # a cache of its own: another test may already have exported an identical tiny model file
    monkeypatch.setenv("GEOBFDT_CACHE", str(tmp_path / "cache"))
    logged = []
    onnx_engine, header = load_engine(tiny / "tiny.safetensors", "onnx", log=logged.append)
    cfg = header.config
    torch_engine, _ = load_engine(tiny / "tiny.safetensors", "torch")
    assert isinstance(onnx_engine, OnnxEngine) and isinstance(torch_engine, TorchEngine)
    assert len(logged) == 1 and list(cache_dir().glob("tiny.*.onnx")), "exported into the cache"
    assert sorted(p.name for p in tiny.iterdir()) == ["tiny.safetensors"], "nothing written beside the model"
    rng = np.random.default_rng(0)
    images = rng.random((5, 2, cfg.data.rows, cfg.data.columns), dtype=np.float32)
    images[:, 1] = rng.random((5, cfg.data.rows, cfg.data.columns)) > 0.2
    for ours, theirs in zip(onnx_engine.predict(images), torch_engine.predict(images)):
        assert ours.shape == theirs.shape == (cfg.model.num_queries, 5)
        a, b = matched_rows(ours, theirs)
        assert np.abs(a[:, [0, 1, 4]] - b[:, [0, 1, 4]]).max() < 1e-4  # depth, amplitude fractions, score
        assert np.abs((a[:, 2] - b[:, 2] + 180) % 360 - 180).max() < 0.05  # azimuth, degrees
        assert np.array_equal(a[:, 3], b[:, 3])
    again = []
    load_engine(tiny / "tiny.safetensors", "onnx", log=again.append)
    assert again == [], "the export is reused"


def test_a_changed_model_file_gets_its_own_export(tiny, tmp_path):
    before = set(cache_dir().glob("tiny.*.onnx"))
    cfg = tiny_config()
    torch.manual_seed(1)
    save_model(build_model(cfg.model), cfg, tmp_path / "tiny.safetensors", threshold=0.0)
    load_engine(tmp_path / "tiny.safetensors", "onnx", log=lambda _: None)
    torch.manual_seed(2)
    save_model(build_model(cfg.model), cfg, tmp_path / "tiny.safetensors", threshold=0.0)
    load_engine(tmp_path / "tiny.safetensors", "onnx", log=lambda _: None)
    assert len(set(cache_dir().glob("tiny.*.onnx")) - before) == 2


@pytest.mark.parametrize("shipped", [False, True])
def test_predicting_on_onnx_runtime_never_loads_torch(tiny, tmp_path, shipped):
    """The shipped model also scores each pick from the image's evidence and blur (picking/trust.py)."""
    well, _ = synthesize_well(1, length_m=4.0, tool="lwd", name="W1")
    write_npz(well, tmp_path / "W1.npz")
    model = "default" if shipped else str(tiny / "tiny.safetensors")
    load_engine(model, "onnx", log=lambda _: None)  # the export exists
    code = ("import sys; from geobfdt.cli import main; "
            f"assert main(['predict', {str(tmp_path / 'W1.npz')!r}, '--model', {model!r}, "
            f"'--out', {str(tmp_path / 'out')!r}]) == 0; print(sorted(m for m in ('torch', 'matplotlib', 'scipy.optimize') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / "W1_picks.csv").is_file()


def test_help_loads_neither_torch_nor_matplotlib():
    code = ("import sys; from geobfdt.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'matplotlib', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


def test_batches_side_by_side_give_the_same_picks_as_one_after_the_other(tiny):
    well, _ = synthesize_well(3, length_m=10.0, tool="lwd", name="W3")
    found = {}
    for streams in (1, 2):
        engine, header = load_engine(tiny / "tiny.safetensors", "torch", streams=streams)
        cfg = header.config
        found[streams] = [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type)
                          for p in pick_well_detr(well, engine, cfg, 0.0, batch_size=2, chunk_m=4.0, progress=False)]
    assert found[1] and found[1] == found[2]


def test_onnx_picks_do_not_depend_on_the_batch_size(tiny):
    well, _ = synthesize_well(3, length_m=10.0, tool="lwd", name="W3")
    engine, header = load_engine(tiny / "tiny.safetensors", "onnx", log=lambda _: None)
    cfg = header.config
    found = [[(p.depth_m, p.dip_deg, p.azimuth_deg, p.type, p.score)
              for p in pick_well_detr(well, engine, cfg, 0.0, batch_size=size, chunk_m=4.0, progress=False)]
             for size in (1, 3, 8)]
    assert found[0] and found[0] == found[1] == found[2]
