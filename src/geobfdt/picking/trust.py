"""Error bars and scores from evidence: what `predict --uncertainty` writes with a model file that
holds EvidenceIntervals and QualityScores (model/calibration.py; issue 30).

The picks are chosen first, on the model's own thresholds (picking/whole_well.py), with the raw
test-time spreads in their *_err80_* fields (IDENTITY_SCALE); then, per well: the image's blur once
(picking/blur.py), each pick's evidence (picking/evidence.py), and from them the 80 % half-widths
and the quality-aware score. So the set of picks and their depth, dip, azimuth and type are those
of the model's thresholds; only the score and interval columns change.
"""

from __future__ import annotations

import numpy as np

from geobfdt.model.calibration import QUANTITIES, EvidenceIntervals, QualityScores, ScoreCalibration, evidence_inputs
from geobfdt.picking.blur import BLUR, image_blur
from geobfdt.picking.evidence import pick_evidence
from geobfdt.well import PICK_TYPES, Pick, Well


def apply_evidence(well: Well, picks: list[Pick], intervals: EvidenceIntervals, scores: QualityScores | None,
                   calibration: ScoreCalibration | None) -> None:
    """In place: picks (scores on the calibration's scale, raw spreads in the *_err80_* fields) get
    their evidence-based half-widths and, with scores, their quality-aware scores."""
    if not picks:
        return
    blur = image_blur(well)
    class_id = np.array([PICK_TYPES.index(p.type) for p in picks])
    score = np.array([p.score for p in picks], dtype=np.float64)
    d = evidence_inputs(np.array([[getattr(p, q) for q in QUANTITIES] for p in picks], dtype=np.float64),
                        pick_evidence(well, picks), np.array([blur[k] for k in BLUR]), score, class_id,
                        np.array([p.dip_deg for p in picks]), well.width,
                        np.array([well.radius_at(p.depth_m) for p in picks], dtype=np.float64).reshape(-1))
    widths = intervals.half_widths(d)
    new_score = None
    if scores is not None:
        raw = score if calibration is None else calibration.raw_scores(score, class_id)
        new_score = scores.probability(raw, d)
    for k, p in enumerate(picks):
        p.depth_err80_cm, p.dip_err80_deg, p.azimuth_err80_deg = (float(w) for w in widths[k])
        if new_score is not None:
            p.score = float(new_score[k])
