"""The NPZ reader refuses malformed arrays with one-line errors."""

import numpy as np
import pytest

from geobfdt.errors import GeoBFDTError
from geobfdt.io import read_well


@pytest.mark.parametrize("change, message", [
    ({"radius_m": np.ones(3)}, "radius_m has 3 values"),
    ({"depth_m": np.array([1.0, np.nan, 3.0, 4.0])}, "finite and strictly increasing"),
    ({"image": np.float32(1.0)}, "dimensions"),
    ({"depth_m": np.array(["a", "b", "c", "d"])}, "depth_m must be a 1-D array of numbers"),
])
def test_malformed_npz_arrays_are_one_line_errors(tmp_path, change, message):
    arrays = {"name": np.array("W"), "depth_m": np.arange(4.0), "azimuth_deg": np.arange(2.0) * 180 + 90,
              "image": np.ones((4, 2), np.float32), "radius_m": np.full(4, 0.1)}
    np.savez(tmp_path / "w.npz", **{**arrays, **change})
    with pytest.raises(GeoBFDTError, match=message):
        read_well(tmp_path / "w.npz")
