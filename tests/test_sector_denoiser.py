"""scripts/sector_denoiser.py (an experiment's network: its negative result is only worth reading if
the network runs as it says): blocks leave no seams, NaN stays NaN, the image's level is followed,
its training pairs differ by the sector noise alone, the fracture traces it may weigh more lie on the
fractures, and a trained file loads and runs the same."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
denoiser = pytest.importorskip("sector_denoiser")


def random_log_image(seed: int, rows: int, columns: int = 32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = (2.0 + rng.standard_normal((rows, columns))).astype(np.float32)
    image[rng.random((rows, columns)) < 0.05] = np.nan
    return image


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), rows=st.integers(5, 120), block_rows=st.integers(1, 50),
       offset=st.floats(-5.0, 5.0))
def test_blocks_leave_no_seams_nan_stays_and_the_level_is_followed(seed, rows, block_rows, offset):
    torch.manual_seed(seed % 7)
    model = denoiser.SectorDenoiser(4).eval()
    image = random_log_image(seed, rows)
    whole = denoiser.denoise_image(model, image, block_rows=10_000)
    np.testing.assert_allclose(denoiser.denoise_image(model, image, block_rows=block_rows), whole, atol=1e-4,
                               equal_nan=True)
    assert np.array_equal(np.isnan(whole), np.isnan(image))
    np.testing.assert_allclose(denoiser.denoise_image(model, image + np.float32(offset)), whole + np.float32(offset),
                               atol=1e-3, equal_nan=True)


@pytest.fixture(scope="module")
def grid():
    from geobfdt.model.checkpoint import read_model_header

    return read_model_header("default").config.data


def test_a_training_pair_differs_by_the_sector_noise_alone(grid):
    recipe = denoiser.Recipe(length_m=6.0)
    noisy, clean, traces = denoiser.well_pair(990_000, recipe, grid, (0.2, 0.3))
    again_noisy, again_clean, again_traces = denoiser.well_pair(990_000, recipe, grid, (0.0, 0.0))
    assert np.array_equal(traces, again_traces) and 0 < traces.mean() < 0.2  # the fractures' pixels, a few
    np.testing.assert_allclose(again_noisy, again_clean, atol=1e-6, equal_nan=True)  # no noise: the same image
    np.testing.assert_allclose(clean, again_clean, atol=1e-6, equal_nan=True)  # the geology does not move
    difference = noisy - clean
    # sector noise: one value across a sector's columns, different between sectors (sd 0.2-0.3 decades, in ln)
    assert 0.3 < np.nanstd(difference) < 1.0


def test_training_writes_a_file_that_loads_and_runs_the_same(tmp_path, grid):
    recipe = denoiser.Recipe(wells=2, validation_wells=1, length_m=6.0, steps=3, batch=2, width=4, fracture_weight=5.0)
    model, metrics = denoiser.train(recipe, grid, progress=False)
    assert metrics["recipe"]["steps"] == 3 and len(metrics["validation"]["squared_error_denoised"]) == 1
    denoiser.save(model, tmp_path / "d.safetensors", metrics["recipe"])
    image = random_log_image(0, 40)
    np.testing.assert_allclose(denoiser.denoise_image(denoiser.load(tmp_path / "d.safetensors"), image),
                               denoiser.denoise_image(model, image), atol=1e-6, equal_nan=True)


def test_fracture_trace_pixels_lie_on_the_trace(grid):
    from geobfdt.well import Pick, Well

    rows, columns = 400, grid.columns
    on_grid = Well(name="G", depth_m=100.0 + 0.01 * np.arange(rows), azimuth_deg=(np.arange(columns) + 0.5) * 360 / columns,
                   image=np.zeros((rows, columns), np.float32), radius_m=np.full(rows, 0.1))
    pick = Pick(depth_m=102.0, dip_deg=45.0, azimuth_deg=90.0, type="fracture")
    mask = denoiser.fracture_traces(on_grid, [pick, Pick(depth_m=101.0, dip_deg=10.0, azimuth_deg=0.0, type="bedding")])
    # tan 45 x 0.1 m: 10 rows either side of 200, deepest at the azimuth 90 deg
    assert mask.sum(axis=0).tolist() == [3] * columns
    at_90, at_270 = (int(np.argmin(np.abs(on_grid.azimuth_deg - a))) for a in (90.0, 270.0))
    assert mask[209:212, at_90].all() and mask[189:192, at_270].all()
    assert mask[189:212].sum() == mask.sum()
