"""Scores and error bars from evidence: what a model file that holds QualityScores and
EvidenceIntervals (model/calibration.py; issue 30) makes of the picks it has chosen.

The picks are chosen on the model's own thresholds (picking/whole_well.py): by their Platt score, or on
a sector image with sector noise (written_score_chooses) by the score written here. Then, per well: the
image's blur once (picking/blur.py) and each pick's evidence (picking/evidence.py). From them every mode
writes the quality-aware score, so a pick's score is the same with or without `--uncertainty`;
`--uncertainty` also turns the raw test-time spreads (in the *_err80_* fields, IDENTITY_SCALE) into 80 %
half-widths. Only the score and interval columns change; a pick's depth, dip, azimuth and type are the
model's.
"""

from __future__ import annotations

import numpy as np

from geobfdt.model.calibration import QUANTITIES, EvidenceIntervals, QualityScores, ScoreCalibration, evidence_inputs
from geobfdt.picking.blur import BLUR, image_blur
from geobfdt.picking.evidence import pick_evidence
from geobfdt.picking.quality import azimuthal_noise_share, is_sector_image
from geobfdt.well import PICK_TYPES, Pick, Well

# Under an LWD image's sector noise few traces show, and those that do are strong: at one raw score a pick
# there is more often real than on a clean image, so the Platt score leaves real planes below the
# thresholds that the written score (which weighs the noise) keeps. On such images the picks are chosen by
# the written score (docs/model-card.md, "Sector-noise images"). The gate lies between the validation LWD
# wells of the two settings the score map is fitted on (default 0.075-0.33 under every augmentation,
# `real-texture` 0.41-0.82). A share read on less hole than GATE_MIN_HOLE_M rests on one 10 m stretch
# and can read high on a clean coarse image (0.43 over 10 m, 0.22 over 30 m of the same well). On rows
# longer than GATE_MAX_ROW_M (a real LWD log's 5-10 cm) only the beds are: there the map, fitted on picks
# at the thresholds, lifts fracture candidates below them that are mostly false (on the `real-texture`
# validation wells at 5-10 cm rows, chosen by the written score, 0.39 of 108 fracture picks were real
# against a mean score of 0.57), while the beds it keeps are real more often than it says (0.88 of 189,
# mean 0.83).
SECTOR_NOISE_GATE = 0.37
GATE_MIN_HOLE_M = 20.0
GATE_MAX_ROW_M = 0.03
CANDIDATE_RAW_SCORE = 0.05  # the lowest raw score the written score is read for: the threshold grid's floor


def gated_classes(well: Well) -> tuple[bool, ...]:
    """Per class (PICK_TYPES' order), whether the image alone sends its picks to the written score: on a sector
    image of GATE_MIN_HOLE_M or more whose azimuthal noise share reaches SECTOR_NOISE_GATE, the beds; the
    fractures too at rows of GATE_MAX_ROW_M or less."""
    gated = (well.depth_m.size > 0 and well.depth_m[-1] - well.depth_m[0] >= GATE_MIN_HOLE_M
             and is_sector_image(well) and azimuthal_noise_share(well) >= SECTOR_NOISE_GATE)
    if not gated:
        return (False,) * len(PICK_TYPES)
    fine_rows = well.depth_step_m <= GATE_MAX_ROW_M
    return tuple(kind == "bedding" or fine_rows for kind in PICK_TYPES)


def written_score_chooses(well: Well, scores: QualityScores | None) -> tuple[bool, ...]:
    """Per class, whether its picks are chosen by the written score rather than the Platt score: gated_classes,
    with a model file holding a quality-aware score map (without one, never)."""
    return gated_classes(well) if scores is not None else (False,) * len(PICK_TYPES)


def candidate_thresholds(thresholds, calibration: ScoreCalibration | None, by_written) -> list[float]:
    """Per class, the score the candidates are picked down to: the floor (candidate_floor) for a class chosen by
    the written score, its threshold for one chosen by the Platt score."""
    return [min(f, t) if w else t for f, t, w in zip(candidate_floor(calibration), thresholds, by_written)]


def written_choice(picks: list[Pick], thresholds, by_written) -> list[Pick]:
    """Of picks carrying their written scores, those of a class chosen by the written score that reach its
    threshold, and every pick of a class chosen by the Platt score (picked at its threshold already)."""
    return [p for p in picks if not by_written[k := PICK_TYPES.index(p.type)] or p.score >= thresholds[k]]


def candidate_floor(calibration: ScoreCalibration | None) -> list[float]:
    """Per class, CANDIDATE_RAW_SCORE on the scale of the picks' scores (the calibration's, if any)."""
    if calibration is None:
        return [CANDIDATE_RAW_SCORE] * len(PICK_TYPES)
    return [float(calibration.probability(np.array([CANDIDATE_RAW_SCORE]), np.array([k]))[0])
            for k in range(len(PICK_TYPES))]


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
