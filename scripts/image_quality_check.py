"""Does the log-quality check (picking/quality.py) tell the wells the shipped scores and error bars
were fitted on from those they were not? (issue 30: error bars that know when they are off home ground.)

Reads, without picking: the wells the shipped evidence fit was made on (training/ship.py
evidence_wells: validation wells, default and `real-texture`, plain, blurred and coarse), the held-out
wells of scripts/evaluate_model.py under the default, `real-texture` and `harsh` settings, and, where
../shared is beside the project, the real LWD log P11-A-02A. Prints per set: wells, wells off home
ground, and the median (largest) clipped share, stuck share and noise sd.

Usage: python scripts/image_quality_check.py [--wells-per-group 6] [--length-m 30]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluate_model import SEED_BASE
from geobfdt.io import read_well
from geobfdt.picking.quality import image_quality, off_home_ground
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.ship import EVIDENCE_LWD_FACTOR, GROUPS, evidence_wells, validation_well

P11 = Path(__file__).resolve().parents[2] / "shared/external/nlog_P11-A-02_lwd_image"


def held_out(variant: str, per_group: int, length_m: float):
    for g, (group_variant, tool) in enumerate(GROUPS.values()):
        for k in range(per_group):
            seed = SEED_BASE + 100 * g + k
            config = SynthConfig.variant(group_variant).replace(**VARIANTS[variant])
            yield synthesize_well(seed, length_m=length_m, config=config, tool=tool, name=f"W{seed}")[0]


def row(name: str, wells) -> str:
    qualities = [image_quality(w) for w in tqdm(wells, desc=name, unit="well", leave=False)]
    flagged = sum(bool(off_home_ground(q)) for q in qualities)
    clipped = np.array([q.saturated_low_share + q.saturated_high_share for q in qualities])
    stuck = np.array([q.stuck_share for q in qualities])
    noise = np.array([q.noise_sd for q in qualities])
    pct = lambda a: f"{100 * np.median(a):.2f} ({100 * a.max():.2f})"
    return f"| {name} | {len(qualities)} | {flagged} | {pct(clipped)} | {pct(stuck)} | {np.median(noise):.3f} ({noise.max():.3f}) |"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells-per-group", type=int, default=6)
    parser.add_argument("--length-m", type=float, default=30.0)
    args = parser.parse_args()
    lines = ["| wells | n | off home ground | clipped % median (largest) | stuck % median (largest) | "
             "noise sd median (largest) |", "|---|---|---|---|---|---|",
             row(f"the evidence fit's (validation, 4 per group, {4 * EVIDENCE_LWD_FACTOR} LWD)",
                 (validation_well(g, k, v, a)[0] for v, a, g, k in evidence_wells(4)))]
    for variant in ("default", "real-texture", "harsh"):
        lines.append(row(f"held-out, {variant}", held_out(variant, args.wells_per_group, args.length_m)))
    las = P11 / "P11-A-02_Composite_MEM_Image_NF.las"
    if las.is_file():
        lines.append(row("real LWD log P11-A-02A", [read_well(str(las), survey_csv=str(P11 / "P11-A-02_SURV.csv"),
                                                              bit_size_in=8.5)]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
