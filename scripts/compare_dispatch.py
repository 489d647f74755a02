"""Do the frozen synthetic wells depend on the CPU? Makes the validation wells (scripts/ship_model.py,
4 per group) and the held-out test wells (scripts/evaluate_model.py, 3 per group; LWD ones also in the
real-texture variant) twice, once with numpy's full SIMD dispatch and once on its baseline code only
(NPY_DISABLE_CPU_FEATURES from scripts/numpy_dispatch.py), and compares picks and images.

Usage: python scripts/compare_dispatch.py [--validation-wells 4] [--test-wells 3]

Prints the number of wells and picks, whether every pick (depth, dip, azimuth, type, true dip and
azimuth, contrast, coverage) agrees within 1e-9, whether NaN falls on the same pixels, and the largest
log10 pixel difference (docs/reliability.md records a run).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluate_model import GROUPS, SEED_BASE as TEST_SEED_BASE
from numpy_dispatch import dispatched_features
from ship_model import VALIDATION_LENGTH_M, VALIDATION_SEED_BASE

from geobfdt.synth import SynthConfig, synthesize_well

PICK_ATOL = 1e-9
PIXEL_ATOL_DECADES = 1e-5


def frozen_wells(validation_wells: int, test_wells: int):
    """(seed, variant, tool) of every frozen well, as the two scripts draw them (both 30 m)."""
    for base, per_group in ((VALIDATION_SEED_BASE, validation_wells), (TEST_SEED_BASE, test_wells)):
        for g, (variant, tool) in enumerate(GROUPS.values()):
            for k in range(per_group):
                for v in (variant, "real-texture") if tool == "lwd" else (variant,):
                    yield base + 100 * g + k, v, tool


def write_fingerprints(out: Path, validation_wells: int, test_wells: int) -> None:
    wells = list(frozen_wells(validation_wells, test_wells))
    for seed, variant, tool in tqdm(wells, desc=f"wells ({os.environ.get('NPY_DISABLE_CPU_FEATURES') or 'full'})"):
        well, picks = synthesize_well(seed, VALIDATION_LENGTH_M, SynthConfig.variant(variant), tool=tool)
        table = np.array([(p.depth_m, p.dip_deg, p.azimuth_deg, p.type == "fracture", p.dip_true_deg or 0.0,
                           p.azimuth_true_deg or 0.0, p.contrast_sd, p.coverage_frac) for p in picks], float)
        np.savez(out / f"{seed}-{variant}.npz", log_image=np.log10(well.image), picks=table.reshape(-1, 8))


def compare(full: Path, narrowed: Path) -> None:
    names = sorted(p.name for p in full.glob("*.npz"))
    picks = same_picks = same_nan = moved = pixels = 0
    largest = 0.0
    for name in names:
        a, b = np.load(full / name), np.load(narrowed / name)
        picks += len(a["picks"])
        same_picks += a["picks"].shape == b["picks"].shape and np.allclose(a["picks"], b["picks"], rtol=0,
                                                                           atol=PICK_ATOL)
        nan = np.isnan(a["log_image"])
        same_nan += np.array_equal(nan, np.isnan(b["log_image"]))
        diff = np.abs(a["log_image"] - b["log_image"])[~nan]
        largest, moved, pixels = max(largest, float(diff.max())), moved + int((diff > PIXEL_ATOL_DECADES).sum()), \
            pixels + diff.size
    print(f"{len(names)} wells, {picks} picks; picks equal within {PICK_ATOL:g}: {same_picks}/{len(names)} wells; "
          f"NaN on the same pixels: {same_nan}/{len(names)}; log10 pixels differing by more than "
          f"{PIXEL_ATOL_DECADES:g}: {moved} of {pixels} ({moved / pixels:.1e}), largest {largest:.4f} decades")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--validation-wells", type=int, default=4, help="per group (default 4, as `make model`)")
    parser.add_argument("--test-wells", type=int, default=3, help="per group (default 3, as evaluate_model.py)")
    parser.add_argument("--fingerprint", type=Path, help=argparse.SUPPRESS)  # the child process's folder
    args = parser.parse_args()
    if args.fingerprint:
        write_fingerprints(args.fingerprint, args.validation_wells, args.test_wells)
        return
    features = " ".join(dispatched_features())
    if not features:
        sys.exit("numpy dispatches nothing beyond its baseline on this CPU: there is no narrower run to compare")
    print(f"narrowed run: NPY_DISABLE_CPU_FEATURES={features!r}")
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp, "full"), Path(tmp, "narrowed")]
        for folder, disabled in zip(folders, ("", features)):
            folder.mkdir()
            env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
            subprocess.run([sys.executable, __file__, "--fingerprint", str(folder),
                            "--validation-wells", str(args.validation_wells), "--test-wells", str(args.test_wells)],
                           env=env, check=True)
        compare(*folders)


if __name__ == "__main__":
    main()
