"""Shared fixtures: a tiny model config and toy patches with drawn sinusoids."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings

from geobfdt.config import Config
from geobfdt.patches.extract import PatchSet

# Speed is measured by the benchmarks (scripts/bench.py), not the tests: a property must not
# fail because a busy CI machine took longer than hypothesis's default 200 ms per example.
settings.register_profile("geobfdt", deadline=None)
# CI (CI=true, .ci/run) draws the same examples on every run, so a submission's result does not depend
# on the draw; everywhere else each run draws afresh and explores (and `make fuzz` explores harder).
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "geobfdt")

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external"


def external(pattern: str) -> Path:
    """The first file of ../shared/external matching pattern; the calling test is skipped, with
    the reason, on a clone without the public data beside it."""
    found = sorted(EXTERNAL.glob(pattern))
    if not found:
        pytest.skip(f"public data {pattern} is not in {EXTERNAL}")
    return found[0]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope="session")
def _onnx_cache(tmp_path_factory):
    """ONNX exports of the tests' models go to a temporary cache, not the user's (picking/engine.py);
    the environment carries it to subprocesses and Dask workers."""
    import os

    os.environ["GEOBFDT_CACHE"] = str(tmp_path_factory.mktemp("onnx_cache"))


def tiny_config() -> Config:
    cfg = Config()
    cfg.model.backbone_width = 8
    cfg.model.d_model = 32
    cfg.model.nhead = 4
    cfg.model.enc_layers = 1
    cfg.model.dec_layers = 2
    cfg.model.dim_feedforward = 64
    cfg.model.num_queries = 8
    cfg.model.sample_azimuths = 8
    cfg.model.sample_offsets = 3
    cfg.model.dropout = 0.0
    cfg.data.rows, cfg.data.columns, cfg.data.row_step_m, cfg.data.stride_rows = 64, 32, 0.04, 32
    cfg.train.batch_size = cfg.train.micro_batch = 4
    cfg.train.epochs = 2
    return cfg


def draw_patches(count: int, rows: int, columns: int, seed: int = 0) -> PatchSet:
    """Patches with 0-3 thin dark sinusoids on a noisy background, and their targets."""
    rng = np.random.default_rng(seed)
    phi = (np.arange(columns) + 0.5) * 360.0 / columns
    images = np.empty((count, 2, rows, columns), np.float32)
    targets = []
    for i in range(count):
        image = 0.7 + 0.05 * rng.standard_normal((rows, columns))
        k = int(rng.integers(0, 4))
        t = np.stack([rng.uniform(0.2, 0.8, k), rng.uniform(0.0, 0.15, k), rng.uniform(0, 360, k),
                      rng.integers(0, 2, k)], axis=1).astype(np.float32)
        for depth, amp, az, cls in t:
            r = np.round(rows * (depth + amp * np.cos(np.radians(phi - az)))).astype(int)
            ok = (r >= 0) & (r < rows)
            image[r[ok], np.flatnonzero(ok)] = 0.05 if cls == 0 else 0.4
        images[i, 0] = np.clip(image, 0, 1)
        images[i, 1] = 1.0
        targets.append(t.reshape(-1, 4))
    return PatchSet(images=images, top_m=np.arange(count) * 10.0, radius_m=np.full(count, 0.108),
                    well=["TOY"] * count, targets=targets)


def save_tiny_model(path, seed: int = 0, threshold=0.0) -> Path:
    """A model file of tiny_config with weights drawn from seed: what the CLI and picking tests load."""
    from geobfdt.model import build_model
    from geobfdt.model.checkpoint import save_model

    cfg = tiny_config()
    torch.manual_seed(seed)
    save_model(build_model(cfg.model), cfg, path, threshold=threshold)
    return Path(path)
