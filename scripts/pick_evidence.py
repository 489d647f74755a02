"""Picks of the shipped model on synthetic wells, with per-pick evidence, cached for offline fits
(issue 30, items 2 and 3: scripts/evidence_calibration.py reads them).

One file per (split, variant): DIR/<split>_<variant>.npz, where split is "validation" (the
synthetic validation wells of training/ship.py, seeds 800_000+), "validation-blurred" (the same
wells with the tool's blur scaled 1-3x: an augmentation with a known kernel), "validation-coarse"
(the LWD ones again, blurred so, with 16 or 56 sectors), "validation-coarse-rows" (the LWD ones
again at 5 or 10 cm rows), the wells training/ship.py's evidence fit is made on
(EVIDENCE_AUGMENTATIONS), or "test" (the held-out wells of scripts/evaluate_model.py, seeds
900_000+) and "test-coarse-rows" (their LWD wells at 5 or 10 cm rows, as a real LWD log's). The picks are the shipped model's at its thresholds, with the test-time views;
the spreads are stored raw (an interval scale of factor 1, floor 0), so any scale can be applied
offline. The columns are training/calibrate.py's evidence table (evidence_rows, evidence_table:
what `geobfdt ship` fits on), plus each pick's tool group, depth and azimuth. Per pick:

- what predict knows: class, calibrated and raw score, depth, dip, azimuth, trace amplitude (cm),
  the raw spreads of depth (cm), dip and azimuth (deg), the image's columns, the hole radius, the
  pixel width at the hole wall (cm), the trace's contrast over the well's background sd and the local standard
  errors that contrast implies (evidence.py-style: the profile's steepest slope across the trace,
  over the noise, averaged over the columns);
- the well's effective blur (picking/blur.py: sd in pixels and cm along depth and azimuth), one
  value per well repeated on its picks (`blur`, columns as BLUR);
- the well's noise (`noise_sd`: picking/quality.py image_quality, decades on a resistivity image: a term
  the score maps of scripts/evidence_calibration.py try) and its index k within its tool group
  (`well_index`), also repeated on its picks;
- the truth: real (docs/evaluation.md), and for real picks the signed errors.

Usage: python scripts/pick_evidence.py --cache DIR [--validation-per-group 4] [--validation-lwd-per-group N]
       [--test-per-group 3] [--test-lwd-per-group N]
       [--variants default real-texture harsh]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluate_model import SEED_BASE, SPLITS
from geobfdt.files import atomic_path
from geobfdt.model.calibration import IDENTITY_SCALE
from geobfdt.picking.engine import load_engine
from geobfdt.picking.quality import image_quality
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.calibrate import evidence_rows, evidence_table
from geobfdt.training.ship import EVIDENCE_AUGMENTATIONS, EVIDENCE_LWD_FACTOR, GROUPS, LWD, validation_well



def draw_well(split: str, variant: str, group: str, k: int):
    """(well, truth) of a cached split's k-th well of a tool group."""
    wells, augmentation = SPLITS[split]
    if wells == "validation":
        return validation_well(group, k, variant, augmentation)
    tool_variant, tool = GROUPS[group]
    seed = SEED_BASE + 100 * list(GROUPS).index(group) + k
    config = SynthConfig.variant(tool_variant).replace(**{**VARIANTS[variant], **EVIDENCE_AUGMENTATIONS[augmentation][0]})
    return synthesize_well(seed, length_m=30.0, config=config, tool=tool, name=f"W{seed}")


def collect(split: str, variant: str, per_group: int, engine, header, lwd_per_group: int | None = None) -> dict:
    """The split's evidence table (training/calibrate.py evidence_rows), with each pick's tool group, depth and
    azimuth beside it. lwd_per_group: wells of the LWD group, if not per_group."""
    groups = EVIDENCE_AUGMENTATIONS[SPLITS[split][1]][1]
    count = {g: lwd_per_group if g == LWD and lwd_per_group is not None else per_group for g in groups}
    parts = []
    for group, k in tqdm([(g, k) for g in groups for k in range(count[g])], desc=f"{split} {variant}", unit="well"):
        well, truth = draw_well(split, variant, group, k)
        picks = pick_well_detr(well, engine, header.config, header.raw_thresholds, uncertainty=True, progress=False,
                               intervals=IDENTITY_SCALE)  # raw scores: evidence_table calibrates them
        rows = evidence_rows(well, picks, truth)
        rows.update(group=np.full(len(picks), group, dtype=object), depth_m=np.array([p.depth_m for p in picks]),
                    azimuth_deg=np.array([p.azimuth_deg for p in picks]), well_index=np.full(len(picks), k),
                    noise_sd=np.full(len(picks), image_quality(well).noise_sd))
        parts.append(rows)
    table = evidence_table(parts, header.score_calibration)
    return {k: np.asarray(v, dtype=str) if v.dtype == object else v for k, v in table.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True, help="folder of the cached picks (made if missing)")
    parser.add_argument("--validation-per-group", type=int, default=4)
    parser.add_argument("--validation-lwd-per-group", type=int, default=None,
                        help="validation wells of the LWD group (default: as the shipped fit takes them, "
                        "EVIDENCE_LWD_FACTOR times --validation-per-group)")
    parser.add_argument("--test-per-group", type=int, default=3)
    parser.add_argument("--test-lwd-per-group", type=int, default=None,
                        help="held-out wells of the LWD group (default: --test-per-group): the LWD wells differ "
                        "most from one another, so their figures need more wells")
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
                continue
            per_group = args.validation_per_group if split.startswith("validation") else args.test_per_group
            lwd = (args.validation_lwd_per_group or EVIDENCE_LWD_FACTOR * args.validation_per_group
                   if split.startswith("validation") else args.test_lwd_per_group)
            data = collect(split, variant, per_group, engine, header, lwd)
            with atomic_path(target) as tmp:
                with open(tmp, "wb") as handle:
                    np.savez(handle, **data)


if __name__ == "__main__":
    main()
