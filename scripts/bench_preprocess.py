"""Time the preprocessing steps on a 60 m FMI-like well (0.1 in rows, 360 columns).

    .venv/bin/python scripts/bench_preprocess.py [--length-m 60] [--repeat 3]

Prints seconds for dynamic and static normalisation, gap filling per 4 m (interp, knn),
resampling to the patch grid, the dynamic normalisation's largest error against an exact
per-row reference on sampled rows, and the comparison behind prepare_well's choices
(normalise on the patch grid after resampling rather than at the native resolution
before; average a positive image in log space).
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np

from geobfdt.geometry import trace_depth_m
from geobfdt.config import PatchGrid
from geobfdt.preprocess.image import (fill_gaps, normalise_dynamic, normalise_static, prepare_well,
                                resample_well)
from geobfdt.well import Well

STEP_M = 0.00254  # 0.1 in
RADIUS_M = 0.108  # 8.5 in hole
COLUMNS = 360
N_TRACES = 150


def best_seconds(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def synthetic_well(length_m: float, seed: int = 0):
    """Lognormal resistivity with a strong exponential drift, 8 pads at 80 % coverage, thin
    conductive sinusoids: enough structure to time the steps and score trace contrast."""
    rng = np.random.default_rng(seed)
    rows = int(round(length_m / STEP_M))
    depth = 1000.0 + np.arange(rows) * STEP_M
    azimuth = (np.arange(COLUMNS) + 0.5) * 360.0 / COLUMNS
    image = rng.lognormal(sigma=0.4, size=(rows, COLUMNS)) * np.exp(3.0 * (depth - depth[0]) / length_m)[:, None]
    traces = np.column_stack([rng.uniform(depth[0] + 0.5, depth[-1] - 0.5, N_TRACES), rng.uniform(5, 70, N_TRACES),
                              rng.uniform(0, 360, N_TRACES)])
    trace_rows = (trace_depth_m(traces[:, :1], traces[:, 1:2], traces[:, 2:3], RADIUS_M, azimuth) - depth[0]) / STEP_M
    for offset in (0, 1):  # 2 rows thick (5 mm): a conductive fracture 4x below its host
        r = np.clip(np.round(trace_rows).astype(int) + offset, 0, rows - 1)
        image[r, np.broadcast_to(np.arange(COLUMNS), r.shape)] *= 0.25
    pad_gap = (np.arange(COLUMNS) % 45) >= 36  # 8 pads, 80 % coverage
    image[:, pad_gap] = np.nan
    well = Well("BENCH", depth, azimuth, image.astype(np.float32), radius_m=RADIUS_M)
    return well, traces


def trace_separability(prepared: Well, traces: np.ndarray) -> float:
    """Probability that a pixel on a trace is darker than a background pixel (ROC AUC).

    Rank based, so it does not depend on how each pipeline maps values into [0, 1].
    """
    z = trace_depth_m(traces[:, :1], traces[:, 1:2], traces[:, 2:3], RADIUS_M, prepared.azimuth_deg)
    rows = np.round((z - prepared.depth_m[0]) / prepared.depth_step_m).astype(int)
    cols = np.broadcast_to(np.arange(prepared.width), rows.shape)
    inside = (rows >= 0) & (rows < prepared.depth_m.size)
    on = prepared.image[rows[inside], cols[inside]]
    far = np.ones(prepared.image.shape, bool)
    for offset in range(-3, 4):  # background: at least 3 grid rows from any trace
        far[np.clip(rows + offset, 0, prepared.depth_m.size - 1), cols] = False
    background = np.sort(prepared.image[far & np.isfinite(prepared.image)])
    on = on[np.isfinite(on)]
    darker = background.size - np.searchsorted(background, on, "right")
    ties = np.searchsorted(background, on, "right") - np.searchsorted(background, on, "left")
    return float(np.mean((darker + 0.5 * ties) / background.size))


def exact_row_error(image, normalised, rows, window_m):
    half = int(round(0.5 * window_m / STEP_M))
    worst = 0.0
    for i in rows:
        window = image[max(i - half, 0):i + half + 1]
        window = np.sort(window[np.isfinite(window)])
        ok = np.isfinite(image[i])
        below = np.searchsorted(window, image[i, ok], "left")
        equal = np.searchsorted(window, image[i, ok], "right") - below
        worst = max(worst, float(np.max(np.abs((below + 0.5 * equal) / window.size - normalised[i, ok]))))
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length-m", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    well, traces = synthetic_well(args.length_m)
    grid = PatchGrid()
    rows_4m = int(round(4.0 / STEP_M))
    print(f"well: {args.length_m:g} m at 0.1 in, {well.image.shape[0]} rows x {well.width} columns, "
          f"{np.isnan(well.image).mean():.0%} pad gaps; grid {grid.row_step_m} m x {grid.columns} columns")

    seconds, dynamic = best_seconds(lambda: normalise_dynamic(well.image, STEP_M, 0.6), args.repeat)
    print(f"dynamic normalisation (0.6 m window): {seconds:.2f} s")
    sampled = np.linspace(0, well.image.shape[0] - 1, 25).astype(int)
    print(f"  largest error vs exact per-row reference on {sampled.size} rows: "
          f"{exact_row_error(well.image, dynamic, sampled, 0.6):.1e}")
    seconds, _ = best_seconds(lambda: normalise_static(well.image), args.repeat)
    print(f"static normalisation: {seconds:.2f} s")
    block = well.image[:rows_4m]
    seconds, _ = best_seconds(lambda: fill_gaps(block, "interp"), args.repeat)
    print(f"fill_gaps interp per 4 m: {seconds:.3f} s")
    seconds, _ = best_seconds(lambda: fill_gaps(block, "knn", k=5), args.repeat)
    print(f"fill_gaps knn (k=5) per 4 m: {seconds:.3f} s")
    seconds, _ = best_seconds(lambda: resample_well(well, grid.row_step_m, grid.columns), args.repeat)
    print(f"resample to the grid: {seconds:.2f} s")

    def linear_average():  # resample then normalise, without the log-space averaging
        plain = copy.copy(well)
        plain.image = well.image - float(np.nanmin(well.image))  # one zero: prepare_well keeps linear averaging
        return prepare_well(plain, grid)

    def normalise_then_resample():
        native = copy.copy(well)
        native.image = normalise_dynamic(well.image, STEP_M, 0.6)
        return resample_well(native, grid.row_step_m, grid.columns)

    print("prepare_well order (dynamic, 0.6 m): seconds, trace separability P(trace pixel darker than background)")
    for label, fn in (("log, resample, normalise (prepare_well)", lambda: prepare_well(well, grid)),
                      ("resample (linear average), normalise", linear_average),
                      ("normalise at 0.1 in, then resample", normalise_then_resample)):
        seconds, prepared = best_seconds(fn, args.repeat)
        print(f"  {label}: {seconds:.2f} s, separability {trace_separability(prepared, traces):.3f}")

if __name__ == "__main__":
    main()
