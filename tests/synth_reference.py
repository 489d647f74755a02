"""Small stored fingerprints of five 3 m synthetic wells, so tests can check that default wells do not
change without comparing float images bit for bit (numpy's SIMD paths for sin, exp and sums differ in
the last bits from one CPU to the next).

A fingerprint is the picks (depth, apparent dip, azimuth, fracture or not) and three views of the
log10 image: its mean per row, its mean per column and a 48 x 24 grid of sampled pixels (NaN where a
pad gap or dead button falls).

    python tests/synth_reference.py     # rewrites tests/data/synth_reference.npz (about 40 kB)

Rewrite it only when a change to the generator is meant to change default wells: the frozen
held-out and validation wells are default wells (docs/synthetic.md). The stored file was written
with numpy's AVX-512 paths off, on the wells whose sha256 digests the previous version of the test
held (computed on main before the LWD artefacts existed); the arrays match those digests.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from geobfdt.synth import SynthConfig, synthesize_well

REFERENCE = Path(__file__).parent / "data" / "synth_reference.npz"
# (seed, tool, variant) of the 3 m wells; None: the tool drawn from the seed
WELLS = ((11, "fmi", "default"), (12, "slim", "default"), (13, "lwd", "default"), (14, "lwd", "deviated"),
         (15, None, "default"))
LENGTH_M = 3.0
SAMPLE_GRID = (48, 24)


def well_key(seed, tool, variant) -> str:
    return f"{seed}-{tool or 'drawn'}-{variant}"


def fingerprint(well, picks) -> dict[str, np.ndarray]:
    log_image = np.log10(well.image.astype(np.float64))
    rows = np.linspace(0, log_image.shape[0] - 1, SAMPLE_GRID[0]).round().astype(np.int64)
    cols = np.linspace(0, log_image.shape[1] - 1, SAMPLE_GRID[1]).round().astype(np.int64)
    with warnings.catch_warnings():  # a dead button's column is all NaN: its mean is NaN, as stored
        warnings.simplefilter("ignore", RuntimeWarning)
        row_mean, column_mean = np.nanmean(log_image, axis=1), np.nanmean(log_image, axis=0)
    return {"row_mean": row_mean, "column_mean": column_mean, "samples": log_image[np.ix_(rows, cols)],
            "picks": np.array([(p.depth_m, p.dip_deg, p.azimuth_deg, p.type == "fracture") for p in picks],
                              float).reshape(-1, 4)}


def synthesize_fingerprint(seed, tool, variant, config: SynthConfig | None = None) -> dict[str, np.ndarray]:
    return fingerprint(*synthesize_well(seed, LENGTH_M, config or SynthConfig.variant(variant), tool=tool))


def load_reference() -> dict[str, dict[str, np.ndarray]]:
    with np.load(REFERENCE) as stored:
        return {key: {part: stored[f"{key}/{part}"] for part in ("row_mean", "column_mean", "samples", "picks")}
                for key in (well_key(*w) for w in WELLS)}


def main() -> None:
    arrays = {f"{well_key(*w)}/{part}": value.astype(np.float64 if part == "picks" else np.float32)
              for w in WELLS for part, value in synthesize_fingerprint(*w).items()}
    np.savez_compressed(REFERENCE, **arrays)
    print(f"wrote {REFERENCE} ({REFERENCE.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
