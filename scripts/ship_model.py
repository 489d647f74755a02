"""Install a run's best model as the package's default model (src/geobfdt/models/default.safetensors).

Usage: python scripts/ship_model.py RUN_DIR. Refuses files over 20 MB (the size the
repository accepts for a shipped model) and anything that is not a GeoBFDT model.
"""

import shutil
import sys
from pathlib import Path

from geobfdt.checkpoint import read_model_file

LIMIT_BYTES = 20 * 2**20
TARGET = Path(__file__).resolve().parents[1] / "src" / "geobfdt" / "models" / "default.safetensors"


def main(run_dir: str) -> None:
    source = Path(run_dir) / "best.safetensors"
    _, cfg, threshold, info = read_model_file(source)
    size = source.stat().st_size
    if size > LIMIT_BYTES:
        sys.exit(f"{source}: {size / 2**20:.1f} MB is over the 20 MB limit for a shipped model")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, TARGET)
    for extra in ("config.json", "metrics.csv", "summary.json"):
        if (Path(run_dir) / extra).is_file():
            shutil.copyfile(Path(run_dir) / extra, TARGET.parent / f"default_{extra}")
    print(f"shipped {source} ({size / 2**20:.1f} MB, {cfg.model.backbone}, thresholds {threshold}, {info}) -> {TARGET}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
