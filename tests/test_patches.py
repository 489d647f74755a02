"""Picks survive write -> read -> prepare -> patch -> unpatch unchanged (within rounding)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from geobfdt.geometry import azimuth_difference_deg
from geobfdt.io import read_well, write_dlis
from geobfdt.config import PatchGrid
from geobfdt.patches.extract import extract_patches, patch_tops, targets_to_picks
from geobfdt.io.picks import read_picks_csv, write_picks_csv
from geobfdt.preprocess.image import prepare_well
from geobfdt.well import Pick, Well

RADIUS_M = 0.108


def unpatch(patches, grid):
    """Every patch's targets decoded back to well picks, with the patch index."""
    return [(k, p) for k in range(len(patches))
            for p in targets_to_picks(patches.targets[k], patches.top_m[k], patches.radius_m[k], grid)]


def assert_each_pick_recovered(picks, patches, grid, depth_tol_m=1e-5):
    decoded = unpatch(patches, grid)
    for pick in picks:
        # two random picks may share a depth to within the tolerance, so each must find its own twin
        found = [p for _, p in decoded if abs(p.depth_m - pick.depth_m) < depth_tol_m and p.type == pick.type
                 and abs(p.dip_deg - pick.dip_deg) < 1e-3
                 and azimuth_difference_deg(p.azimuth_deg, pick.azimuth_deg) < 1e-3]
        assert found, f"pick at {pick.depth_m} m in no patch"
    # and nothing else comes out: each decoded pick is one of the originals
    assert all(any(abs(p.depth_m - q.depth_m) < depth_tol_m for q in picks) for _, p in decoded)


def random_picks(rng, top_m, bottom_m, n):
    return [Pick(depth_m=float(d), dip_deg=float(dip), azimuth_deg=float(az), type=str(t))
            for d, dip, az, t in zip(rng.uniform(top_m, bottom_m, n), rng.uniform(0.5, 85, n),
                                     rng.uniform(0, 360, n), rng.choice(["fracture", "bedding"], n))]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), rows=st.integers(20, 900), grid_rows=st.sampled_from([16, 64, 256]),
       stride_frac=st.sampled_from([0.25, 0.5, 1.0]))
def test_in_memory_round_trip(seed, rows, grid_rows, stride_frac):
    grid = PatchGrid(rows=grid_rows, row_step_m=0.01, columns=16, stride_rows=max(1, int(grid_rows * stride_frac)))
    rng = np.random.default_rng(seed)
    depth = 2000.0 + np.arange(rows) * grid.row_step_m
    well = Well("W", depth, (np.arange(16) + 0.5) * 22.5, np.zeros((rows, 16)), radius_m=RADIUS_M)
    covered_bottom = depth[0] + max(rows, grid.rows) * grid.row_step_m
    picks = random_picks(rng, depth[0], covered_bottom - 1e-4, 12)
    patches = extract_patches(well, picks, grid)
    assert_each_pick_recovered(picks, patches, grid)


def test_patch_tops_cover_every_row():
    grid = PatchGrid(rows=100, stride_rows=37)
    for n_rows in (1, 99, 100, 101, 1000, 1037):
        tops = patch_tops(n_rows, grid)
        covered = np.zeros(max(n_rows, grid.rows), bool)
        for t in tops:
            covered[t:t + grid.rows] = True
        assert covered.all() and tops[-1] + grid.rows == max(n_rows, grid.rows)


@pytest.mark.parametrize("depth_unit,decreasing", [("m", False), ("ft", True)])
def test_dlis_round_trip(tmp_path, depth_unit, decreasing):
    rng = np.random.default_rng(7)
    rows = 1600  # about 4 m at 0.1 in
    depth = 1500.0 + np.arange(rows) * 0.00254
    image = rng.lognormal(size=(rows, 180)).astype(np.float32)
    image[:, 150:170] = np.nan  # a pad gap
    well = Well("RT-1", depth, (np.arange(180) + 0.5) * 2.0, image, radius_m=RADIUS_M, radius_source="bit_size")
    picks = random_picks(rng, depth[0], depth[-1] - 0.01, 25)
    write_dlis(well, tmp_path / "rt.dlis", depth_unit=depth_unit, decreasing=decreasing)
    write_picks_csv(tmp_path / "rt_picks.csv", picks)

    read = read_well(tmp_path / "rt.dlis")
    read_picks = read_picks_csv(tmp_path / "rt_picks.csv")
    assert abs(read.depth_m[0] - depth[0]) < 1e-3 and abs(read.depth_m[-1] - depth[-1]) < 1e-3
    grid = PatchGrid(rows=128, row_step_m=0.01, columns=64, stride_rows=64)
    prepared = prepare_well(read, grid)
    patches = extract_patches(prepared, read_picks, grid)
    assert patches.images.shape[1:] == (2, 128, 64)
    assert np.allclose(patches.radius_m, RADIUS_M, atol=1e-4)
    # the CSV keeps 4 decimals: compare with what was written, at that rounding
    assert_each_pick_recovered(read_picks, patches, grid)
    for p, q in zip(sorted(picks, key=lambda p: p.depth_m), read_picks):
        assert abs(p.depth_m - q.depth_m) <= 5e-5 and abs(p.dip_deg - q.dip_deg) <= 5e-5
        assert azimuth_difference_deg(p.azimuth_deg, q.azimuth_deg) <= 5e-5 and p.type == q.type
