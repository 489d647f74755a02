"""scripts/real_texture_levers.py's trace-following smoothing (an experiment's filter: the negative result it
gave is only worth reading if the filter does what it says)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
levers = pytest.importorskip("real_texture_levers")


def _sinusoid_in_sector_noise(seed: int, sectors: int = 32, amplitude_rows: float = 20.0):
    rows, columns = 160, 128
    phi = np.radians((np.arange(columns) + 0.5) * 360.0 / columns)
    trace = 80.0 + amplitude_rows * np.cos(phi - 1.0)
    z = np.arange(rows)[:, None]
    line = np.exp(-0.5 * ((z - trace[None, :]) / 1.2) ** 2)
    rng = np.random.default_rng(seed)
    noise = np.repeat(rng.normal(0.0, 0.3, (rows, sectors)), columns // sectors, axis=1)  # independent per sector
    return (line + noise).astype(np.float32), line, trace


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smoothing_along_traces_keeps_the_trace_and_averages_the_sectors(seed):
    image, line, trace = _sinusoid_in_sector_noise(seed)
    along = levers.along_traces(8)(image)
    around = levers.gaussian(0.0, 4.0)(image)
    on_trace = np.round(trace).astype(int), np.arange(image.shape[1])
    background = line < 1e-3
    # the sector noise is averaged down
    assert along[background].std() < 0.8 * image[background].std()
    # and the trace's line keeps more of its height than a fixed smoothing of the same reach around the hole
    height = lambda smoothed: np.median(smoothed[on_trace] - np.median(smoothed[background]))
    assert height(along) > height(around)
    # the trace stays where it was: the brightest row near it in most columns
    window = np.arange(-6, 7)
    near = np.clip(on_trace[0][None, :] + window[:, None], 0, image.shape[0] - 1)
    peak = window[np.argmax(along[near, on_trace[1][None, :]], axis=0)]
    assert np.mean(np.abs(peak) <= 1) > 0.8
