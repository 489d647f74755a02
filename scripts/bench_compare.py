"""`geobfdt predict` of two checkouts in the same minutes, interleaved: the honest before/after on
a shared machine whose speed moves from hour to hour.

Usage: python scripts/bench_compare.py OLD_SRC [NEW_SRC]
  e.g. git worktree add /tmp/old a4893dd && python scripts/bench_compare.py /tmp/old/src
Runs each checkout's `geobfdt predict` (ONNX Runtime) on the 120 m (best of 3) and 600 m (best of 2)
bench wells of scripts/bench.py, then the Hough picker once on 120 m, and prints the best wall
times, m/s and their ratio with the load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import well_file


def run(src: str, well: Path, *options) -> float:
    """Wall seconds of one fresh `geobfdt predict` with `src` first on the import path."""
    env = dict(os.environ, PYTHONPATH=src)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "geobfdt.cli", "predict", str(well), "--out", out, *options], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    codes = {"before": sys.argv[1], "after": sys.argv[2] if len(sys.argv) == 3 else str(Path(__file__).parents[1] / "src")}
    for src in codes.values():
        run(src, well_file(120.0))  # each checkout's ONNX export, made once and cached
    for length_m, repeats, options in ((120.0, 3, ()), (600.0, 2, ()), (120.0, 1, ("--method", "hough"))):
        best = dict.fromkeys(codes, float("inf"))
        for _ in range(repeats):
            for name, src in codes.items():
                best[name] = min(best[name], run(src, well_file(length_m), *options))
        method = "hough" if options else "detr onnx"
        print(f"{length_m:5.0f} m {method:9s} " + "  ".join(f"{k} {v:.2f} s ({length_m / v:.1f} m/s)" for k, v in best.items())
              + f"  after/before speed {best['before'] / best['after']:.2f}x  load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
