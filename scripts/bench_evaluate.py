"""Time and peak memory of `geobfdt evaluate` on two large pick files (default 100k against 100k).

Picks are drawn 1 cm apart on average over 1 km, so at the 8 cm tolerance they form one unbroken
run that only windowed matching can handle (docs/reliability.md). The command runs in a child
process; its peak resident memory is the child's ru_maxrss.

    python scripts/bench_evaluate.py [--picks 100000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from geobfdt.io.picks import write_picks_csv
from geobfdt.well import Pick


def random_picks(n: int, seed: int) -> list[Pick]:
    rng = np.random.default_rng(seed)
    depth = rng.uniform(1000.0, 2000.0, n)
    dip, azimuth = rng.uniform(0, 90, n), rng.uniform(0, 360, n)
    kind = np.where(rng.random(n) < 0.5, "fracture", "bedding")
    return [Pick(depth_m=float(z), dip_deg=float(d), azimuth_deg=float(a), type=str(k), well="W")
            for z, d, a, k in zip(depth, dip, azimuth, kind)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--picks", type=int, default=100_000, help="picks in each file (default 100000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pred, truth = Path(tmp) / "pred.csv", Path(tmp) / "truth.csv"
        write_picks_csv(pred, random_picks(args.picks, 0))
        write_picks_csv(truth, random_picks(args.picks, 1))
        command = [sys.executable, "-m", "geobfdt.cli", "evaluate", str(pred), str(truth)]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"evaluate {args.picks} x {args.picks} picks (4 tolerances, overall + 2 classes): "
          f"{seconds:.1f} s, peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
