"""Self-training on the real LWD log (issue 30, item 4: "use the real unlabelled images at hand"): the
data for it. The log of ../shared/external (P11-A-02A, 16 sectors at 10 cm) is cut at --split-m; the
top is the student's, the bottom is held out. The shipped model (the teacher) picks the top as `predict`
would choose by the written score; its picks scoring --confident or more become labels (`accepted`), those
from --doubtful up to that are left unreviewed (`auto`), so `geobfdt train` leaves out every patch that
holds one (patches/dataset.py trusted_patches), and what lies below --doubtful is taken for background.

Writes DIR/p11/P11TOP.npz with P11TOP_reviewed.csv (the student's well), DIR/heldout/P11BOTTOM.npz, and
prints the commands of the measurement (docs/experiments.md, "Self-training on the real log").

Usage: python scripts/real_log_self_training.py [--split-m 2320] [--confident 0.7] [--doubtful 0.2] --out DIR
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from geobfdt.api import read_well
from geobfdt.io.npz import write_npz
from geobfdt.io.review_file import Review, ReviewPick, review_paths, write_review
from geobfdt.model.checkpoint import load_model
from geobfdt.picking.picker import trusted
from geobfdt.picking.trust import candidate_floor
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.training.ship import MODEL_NAME, weights_dir

REAL_LAS = Path(__file__).resolve().parents[1] / "../shared/external/nlog_P11-A-02_lwd_image/P11-A-02_Composite_MEM_Image_NF.las"
REVIEWED_AT = "2026-12-07T00:00:00Z"  # a fixed time: the same data on every run


def interval(well, top_m: float, bottom_m: float, name: str):
    keep = (well.depth_m >= top_m) & (well.depth_m < bottom_m)
    fields = {key: getattr(well, key)[keep] for key in ("inclination_deg", "hole_azimuth_deg")
              if getattr(well, key) is not None}
    return replace(well, name=name, depth_m=well.depth_m[keep], image=np.asarray(well.image)[keep],
                   radius_m=np.asarray(well.radius_m)[keep], **fields)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split-m", type=float, default=2320.0)
    parser.add_argument("--confident", type=float, default=0.7)
    parser.add_argument("--doubtful", type=float, default=0.2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not REAL_LAS.is_file():
        parser.error(f"{REAL_LAS} is absent (../shared/external)")
    out = Path(args.out)
    (out / "p11").mkdir(parents=True, exist_ok=True)
    (out / "heldout").mkdir(parents=True, exist_ok=True)
    well = read_well(REAL_LAS, bit_size_in=8.5)  # no survey: labels in the borehole's frame, as training reads them
    top, bottom = interval(well, -np.inf, args.split_m, "P11TOP"), interval(well, args.split_m, np.inf, "P11BOTTOM")
    write_npz(top, out / "p11" / "P11TOP.npz")
    write_npz(bottom, out / "heldout" / "P11BOTTOM.npz")
    model, header = load_model(str(weights_dir() / MODEL_NAME))
    floor = candidate_floor(header.score_calibration)
    candidates = pick_well_detr(top, model, header.config, [min(f, t) for f, t in zip(floor, header.thresholds)],
                                progress=False, calibration=header.score_calibration, intervals=header.interval_scale)
    scored = [p for p in trusted(top, candidates, header, False) if p.score >= args.doubtful]
    review = Review([ReviewPick(f"p{i + 1}", p, "accepted" if p.score >= args.confident else "auto",
                                REVIEWED_AT if p.score >= args.confident else "") for i, p in enumerate(scored)], [])
    write_review(review, *review_paths(out / "p11", "P11TOP"))
    labels = sum(p.score >= args.confident for p in scored)
    print(f"P11TOP {top.depth_m[0]:.1f}-{top.depth_m[-1]:.1f} m: {labels} labels, {len(scored) - labels} unreviewed; "
          f"P11BOTTOM {bottom.depth_m[0]:.1f}-{bottom.depth_m[-1]:.1f} m held out")
    print("next: geobfdt synth SYN --wells 24 --length-m 40 --seed 4242 --synth-variant real-texture --config LWD_ONLY_JSON\n"
          f"      geobfdt train SYN --out CONTROL --val-wells SYN23 SYN24 --max-minutes 15 --seed 5\n"
          f"      geobfdt train SYN {out / 'p11'} --out SELF --val-wells SYN23 SYN24 --max-samples SAMPLES_OF_CONTROL --seed 5")


if __name__ == "__main__":
    main()
