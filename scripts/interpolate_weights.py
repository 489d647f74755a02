"""A model whose weights lie on the straight line between two runs of the same detector: the shipped
model and one fine-tuned from it (weight-space ensembling, as in WiSE-FT). Fine-tuning off home
ground gives up some of the home wells; a point between the two may keep more of both than either.

Usage: python scripts/interpolate_weights.py BASE TUNED --alpha A --out FILE
Weights (1 - A) x BASE + A x TUNED; the header (config, thresholds, score calibration, interval fits)
is BASE's, so A = 0 writes BASE again and A = 1 TUNED's weights under BASE's calibration. Evaluate
the file with scripts/evaluate_model.py --model FILE (docs/experiments.md, "Retraining on a mix of generator variants").
"""

from __future__ import annotations

import argparse
import sys

from safetensors import safe_open
from safetensors.torch import save

from geobfdt.files import atomic_path
from geobfdt.model.checkpoint import read_model_file


def interpolate(base: dict, tuned: dict, alpha: float) -> dict:
    if base.keys() != tuned.keys() or any(base[k].shape != tuned[k].shape for k in base):
        raise SystemExit("interpolate_weights: the two models are not the same detector (tensors differ)")
    return {k: ((1 - alpha) * v + alpha * tuned[k]).to(v.dtype) if v.is_floating_point() else v
            for k, v in base.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("base")
    p.add_argument("tuned")
    p.add_argument("--alpha", type=float, required=True, help="share of TUNED's weights, 0-1")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if not 0.0 <= args.alpha <= 1.0:
        p.error("--alpha must be within 0-1")
    base, header = read_model_file(args.base)
    tuned, _ = read_model_file(args.tuned)
    with safe_open(str(header.path), "pt") as f:
        metadata = f.metadata()
    data = save(interpolate(base, tuned, args.alpha), metadata=metadata)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        f.write(data)
    print(f"{args.out}: {1 - args.alpha:g} x {args.base} + {args.alpha:g} x {args.tuned}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
