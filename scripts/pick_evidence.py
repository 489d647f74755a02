"""Picks of the shipped model on synthetic wells, with per-pick evidence, cached for offline fits
(issue 30, items 2 and 3: scripts/evidence_calibration.py reads them).

One file per (split, variant): DIR/<split>_<variant>.npz, where split is "validation" (the
synthetic validation wells of training/ship.py, seeds 800_000+), "validation-blurred" (the same
wells with the tool's blur scaled 1-3x: an augmentation with a known kernel), "validation-coarse"
(the LWD ones again, blurred so, with 16 or 56 sectors) or "test" (the
held-out wells of scripts/evaluate_model.py, seeds 900_000+). The picks are the shipped model's at its thresholds
(calibrated scale), with the test-time views; the spreads are stored raw (an interval scale of
factor 1, floor 0), so any scale can be applied offline. Per pick:

- what predict knows: class, calibrated and raw score, depth, dip, azimuth, trace amplitude (cm),
  the raw spreads of depth (cm), dip and azimuth (deg), the image's columns, the hole radius, the
  pixel width at the hole wall (cm), the well's noise share (log of pixel-to-pixel sd over sd, on
  the log10 image), the trace's contrast over the well's background sd and the local standard
  errors that contrast implies (evidence.py-style: the profile's steepest slope across the trace,
  over the noise, averaged over the columns);
- the well's effective blur (picking/blur.py: sd in pixels and cm along depth and azimuth), one
  value per well repeated on its picks (`blur`, columns as BLUR);
- the truth: real (docs/evaluation.md), and for real picks the signed errors.

A cache made before the blur was stored gets it added in place (the wells drawn again by name).

Usage: python scripts/pick_evidence.py --cache DIR [--validation-per-group 4] [--test-per-group 3]
       [--variants default real-texture harsh]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluate_model import SEED_BASE
from geobfdt.evaluation.calibration import pick_matches
from geobfdt.files import atomic_path
from geobfdt.geometry import amplitude_m, azimuth_difference_deg
from geobfdt.model.calibration import QUANTITIES, IntervalScale
from geobfdt.picking.blur import BLUR, image_blur
from geobfdt.picking.engine import load_engine
from geobfdt.picking.evidence import pick_evidence
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.ship import GROUPS, VALIDATION_LENGTH_M, VALIDATION_SEED_BASE
from geobfdt.well import PICK_TYPES

RAW_SPREAD = IntervalScale({name: [1.0, 0.0] for name in QUANTITIES})
# split: (seed base, length, settings over the variant's). "validation-blurred" is the validation wells
# again with the tool's blur scaled by a factor drawn in EXTRA_BLUR (synth/faults.py's knob, its own
# random stream: the same geology and noise, only blurrier): a known augmentation to fit the blur terms on.
# "validation-coarse" does the same to the LWD validation wells drawn with the coarsest sectors
# (16 or 56; the validation LWD wells happen to have 32-128), where a blurred trace loses most.
EXTRA_BLUR = (1.0, 3.0)
LWD = "LWD sectors, vertical"
SPLITS = {"validation": (VALIDATION_SEED_BASE, VALIDATION_LENGTH_M, {}, tuple(GROUPS)),
          "validation-blurred": (VALIDATION_SEED_BASE, VALIDATION_LENGTH_M, {"fault_blur_scale": EXTRA_BLUR},
                                 tuple(GROUPS)),
          "validation-coarse": (VALIDATION_SEED_BASE, VALIDATION_LENGTH_M,
                                {"fault_blur_scale": EXTRA_BLUR, "lwd_sectors": (16, 56)}, (LWD,)),
          "test": (SEED_BASE, 30.0, {}, tuple(GROUPS))}


def draw_well(split: str, variant: str, group: str, seed: int):
    """(well, truth) of a cached split's well, as collect drew it."""
    tool_variant, tool = GROUPS[group]
    _, length_m, settings, _ = SPLITS[split]
    config = SynthConfig.variant(tool_variant).replace(**{**VARIANTS[variant], **settings})
    return synthesize_well(seed, length_m=length_m, config=config, tool=tool, name=f"W{seed}")


def well_blur(well) -> np.ndarray:
    blur = image_blur(well)
    return np.array([blur[k] for k in BLUR])


def add_blur(path: Path, split: str, variant: str) -> None:
    """The per-pick `blur` columns added to a cache file made without them."""
    with np.load(path) as data:
        out = {k: data[k] for k in data.files}
    if "blur" in out and out["blur"].shape[1] == len(BLUR):
        return
    blur = np.zeros((out["score"].size, len(BLUR)))
    for name in tqdm(np.unique(out["well"]), desc=f"blur {split} {variant}", unit="well"):
        sel = out["well"] == name
        well, _ = draw_well(split, variant, str(out["group"][sel][0]), int(str(name)[1:]))
        blur[sel] = well_blur(well)
    out["blur"] = blur
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **out)


def collect(split: str, variant: str, per_group: int, engine, header) -> dict:
    seed_base = SPLITS[split][0]
    columns = {k: [] for k in ("well", "group", "class_id", "score", "raw_score", "depth_m", "dip_deg", "azimuth_deg",
                               "amplitude_cm", "spread", "columns", "radius_m", "pixel_cm", "real", "error",
                               "evidence", "blur")}
    wells = [(group, seed_base + 100 * g + k) for g, group in enumerate(GROUPS) for k in range(per_group)
             if group in SPLITS[split][3]]
    for group, seed in tqdm(wells, desc=f"{split} {variant}", unit="well"):
        well, truth = draw_well(split, variant, group, seed)
        picks = pick_well_detr(well, engine, header.config, header.thresholds, uncertainty=True, progress=False,
                               intervals=RAW_SPREAD, calibration=header.score_calibration)
        if not picks:
            continue
        taken = pick_matches(picks, truth)
        class_id = np.array([PICK_TYPES.index(p.type) for p in picks])
        score = np.array([p.score for p in picks])
        radius = np.array([well.radius_at(p.depth_m) for p in picks], dtype=float)
        dip = np.array([p.dip_deg for p in picks])
        error = np.full((len(picks), 3), np.nan)
        for i in np.flatnonzero(taken >= 0):
            t = truth[taken[i]]
            error[i] = [100.0 * (picks[i].depth_m - t.depth_m), picks[i].dip_deg - t.dip_deg,
                        float(azimuth_difference_deg(picks[i].azimuth_deg, t.azimuth_deg))]
        columns["well"] += [well.name] * len(picks)
        columns["group"] += [group] * len(picks)
        columns["class_id"].append(class_id)
        columns["score"].append(score)
        columns["raw_score"].append(np.array([header.score_calibration.raw(s, k) for s, k in zip(score, class_id)]))
        columns["depth_m"].append(np.array([p.depth_m for p in picks]))
        columns["dip_deg"].append(dip)
        columns["azimuth_deg"].append(np.array([p.azimuth_deg for p in picks]))
        columns["amplitude_cm"].append(100.0 * amplitude_m(dip, radius))
        columns["spread"].append(np.array([[getattr(p, q) for q in QUANTITIES] for p in picks]))
        columns["columns"].append(np.full(len(picks), well.width))
        columns["radius_m"].append(radius)
        columns["pixel_cm"].append(100.0 * 2 * np.pi * radius / well.width)
        columns["real"].append(taken >= 0)
        columns["error"].append(error)
        columns["evidence"].append(pick_evidence(well, picks))
        columns["blur"].append(np.tile(well_blur(well), (len(picks), 1)))
    return {k: np.concatenate(v) if k not in ("well", "group") else np.array(v) for k, v in columns.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True, help="folder of the cached picks (made if missing)")
    parser.add_argument("--validation-per-group", type=int, default=4)
    parser.add_argument("--test-per-group", type=int, default=3)
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    parser.add_argument("--variants", nargs="+", default=["default", "real-texture", "harsh"], choices=list(VARIANTS))
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    for split in args.splits:
        for variant in args.variants:
            if split.startswith("validation") and variant == "harsh":
                continue  # harsh is never fitted on
            target = cache / f"{split}_{variant}.npz"
            if target.exists():
                add_blur(target, split, variant)
                continue
            per_group = args.validation_per_group if split.startswith("validation") else args.test_per_group
            data = collect(split, variant, per_group, engine, header)
            with atomic_path(target) as tmp:
                with open(tmp, "wb") as handle:
                    np.savez(handle, **data)


if __name__ == "__main__":
    main()
