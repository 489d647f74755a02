"""Scores and error bars from evidence: what a model file that holds QualityScores and
EvidenceIntervals (model/calibration.py; issue 30) makes of the picks it has chosen.

The picks are chosen first, on the model's own thresholds (picking/whole_well.py); then, per well:
the image's blur once (picking/blur.py) and each pick's evidence (picking/evidence.py). From them
every mode writes the quality-aware score, so a pick's score is the same with or without
`--uncertainty`; `--uncertainty` also turns the raw test-time spreads (in the *_err80_* fields,
IDENTITY_SCALE) into 80 % half-widths. The set of picks and their depth, dip, azimuth and type are
those of the model's thresholds; only the score and interval columns change.
"""

from __future__ import annotations

import numpy as np

from geobfdt.model.calibration import QUANTITIES, EvidenceIntervals, QualityScores, ScoreCalibration, evidence_inputs
from geobfdt.picking.blur import BLUR, image_blur
from geobfdt.picking.evidence import pick_evidence
from geobfdt.picking.quality import azimuthal_noise_share, is_sector_image
from geobfdt.well import PICK_TYPES, Pick, Well


def apply_evidence(well: Well, picks: list[Pick], intervals: EvidenceIntervals | None, scores: QualityScores | None,
                   calibration: ScoreCalibration | None) -> None:
    """In place: with scores, the picks (scores on the calibration's scale) get their quality-aware
    scores; with intervals, their evidence-based half-widths (the picks carry raw spreads in their
    *_err80_* fields)."""
    if not picks or (intervals is None and scores is None):
        return
    blur = image_blur(well)
    class_id = np.array([PICK_TYPES.index(p.type) for p in picks])
    score = np.array([p.score for p in picks], dtype=np.float64)
    # without intervals the spreads are not read (the quality map does not use them)
    spread = (np.array([[getattr(p, q) for q in QUANTITIES] for p in picks], dtype=np.float64)
              if intervals is not None else np.zeros((len(picks), len(QUANTITIES))))
    sector = is_sector_image(well)
    d = evidence_inputs(spread, pick_evidence(well, picks), np.array([blur[k] for k in BLUR]), score, class_id,
                        np.array([p.dip_deg for p in picks]), well.width,
                        np.array([well.radius_at(p.depth_m) for p in picks], dtype=np.float64).reshape(-1),
                        sector, azimuthal_noise_share(well) if sector and scores is not None else np.nan)
    if intervals is not None:
        for p, widths in zip(picks, intervals.half_widths(d)):
            p.depth_err80_cm, p.dip_err80_deg, p.azimuth_err80_deg = (float(w) for w in widths)
    if scores is not None:
        raw = score if calibration is None else calibration.raw_scores(score, class_id)
        for p, value in zip(picks, scores.probability(raw, d)):
            p.score = float(value)
