"""Per-well self-calibration: the well's own injection-recovery (evaluation/injection.py) sets how
far its intervals and scores are to be trusted (issue 30, items 2 and 3, off home ground).

The model file's interval scale and score calibration were fitted on synthetic wells; on a well
unlike them (coarse, blurred, noisy images) its intervals are too narrow and its scores too sure, or
not sure enough. Planes implanted into copies of the well and picked as the well was are labels
made on this well's own texture, noise and tool:

- intervals: per quantity (depth, dip, azimuth) the recovered implants' errors over their predicted
  80 % half-widths; the factor is the 80 % quantile of those ratios over the same quantile on home
  ground (REFERENCE_RATIOS): implants are not real planes, so only how much worse they fare on this
  well than on the validation wells says how much wider its intervals must be. It is shrunk toward
  1 in log by n / (n + PRIOR_IMPLANTS) with n implants, and never narrows (MIN_FACTOR): the
  implants take their profiles from the picks the detector already found, the stronger part of the
  well's planes, so they can say "wider" credibly, "narrower" not;
- scores: the picks added on a copy are labelled (an implant of its class found: 1; any other pick
  within NEAR_IMPLANT_M of an implant and not a pick of the well: 0) and one logit shift for the
  well is fitted to them by maximum a posteriori with a normal prior of sd SHIFT_PRIOR_SD around
  no shift. A shift keeps every score in [0, 1] and the order of the picks; the picks kept are
  predict's (thresholds apply before it).

Both compose with whatever half-widths and scores the model file gives: they multiply and shift
those. The constants were chosen on the validation wells (training/ship.py seeds, default and
`real-texture`), never on `harsh` (docs/model-card.md, "Self-calibration on your well").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from geobfdt.evaluation.injection import TOLERANCE_M, class_matches, run_injection
from geobfdt.evaluation.metrics import AZIMUTH_MIN_DIP_DEG, match_picks
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.model.calibration import QUANTITIES, logit, sigmoid
from geobfdt.well import Pick

COVERAGE = 0.8  # what the half-widths claim
# On home ground the implants' ratios are not the real picks' (their depth errors run larger, their angle
# errors smaller than the shipped intervals claim for real picks): REFERENCE_RATIOS are, per quantity
# (depth, dip, azimuth), the 80 % quantile of a well's implant ratios on the validation wells of
# training/ship.py (default and `real-texture`, 4 per group; the 75th percentile over the wells), where
# the shipped intervals hold. A well's factor is its own 80 % quantile over that reference: how much
# worse than on home ground the implants fare here. They belong to the shipped model's intervals: a
# model shipped anew needs them measured again (`scripts/evaluate_model.py --refit` prints them). The
# percentile, the shrinkage and the shift's prior were chosen there too, never on `harsh`
# (docs/model-card.md, "Self-calibration on your well").
REFERENCE_RATIOS = (1.26, 0.81, 0.81)
PRIOR_IMPLANTS = 10.0  # implants' worth of belief in the model file's own intervals
MIN_FACTOR = 1.0  # intervals are widened, never narrowed (module docstring)
SHIFT_PRIOR_SD = 0.25  # logit units
NEWTON_STEPS = 30
# A false pick is labelled only near an implant, where the implant made it (a duplicate, a near miss, the
# other class). Farther off a copy's new pick is mostly a plane of the well whose score the copy's
# changed windows lifted over the threshold: a real plane, not a false one (3 of 4 on the validation
# wells looked at).
NEAR_IMPLANT_M = 0.3


@dataclass(frozen=True)
class SelfCalibration:
    """Per quantity (QUANTITIES order) the interval factor and the implants it rests on; the score's
    logit shift and the labelled picks it rests on (found implants, picks added)."""
    factors: tuple[float, float, float] = (1.0, 1.0, 1.0)
    implants: tuple[int, int, int] = (0, 0, 0)
    logit_shift: float = 0.0
    labelled: tuple[int, int] = (0, 0)

    def to_dict(self) -> dict:
        return {"interval_factors": dict(zip(QUANTITIES, self.factors)),
                "implants_per_factor": dict(zip(QUANTITIES, self.implants)),
                "logit_shift": self.logit_shift,
                "labelled_picks": {"implants_found": self.labelled[0], "picks_added": self.labelled[1]}}


def implant_outcomes(planes: list[Pick], found: list[Pick], before: list[Pick]):
    """One implanted copy: (ratios, scores, labels). ratios (recovered implants, 3): |error| over the
    pick's 80 % half-width per quantity (NaN where the pick has none, and for the azimuth of planes at
    or below AZIMUTH_MIN_DIP_DEG); scores and labels of the copy's picks that are not picks of the
    well (none of them within TOLERANCE_M of a well pick, whatever its class): 1 for an implant of its
    class found, 0 for any other within NEAR_IMPLANT_M of an implant (a duplicate, a near miss, the
    other class: false as pick_outcomes counts them)."""
    pairs = class_matches(planes, found)
    ratios = np.full((len(pairs), 3), np.nan)
    for row, (j, i) in enumerate(pairs):
        p, t = found[i], planes[j]
        error = (100.0 * abs(p.depth_m - t.depth_m), abs(p.dip_deg - t.dip_deg),
                 float(azimuth_difference_deg(p.azimuth_deg, t.azimuth_deg)) if t.dip_deg > AZIMUTH_MIN_DIP_DEG
                 else np.nan)
        width = [getattr(p, q) for q in QUANTITIES]
        ratios[row] = [e / w if w is not None and w > 0 else np.nan for e, w in zip(error, width)]
    real = {i for _, i in pairs}
    rest = [i for i in range(len(found)) if i not in real]  # a duplicate, or the other class, near an implant is false
    of_well = {rest[k] for k, _ in match_picks([found[i] for i in rest], before, TOLERANCE_M)}
    implant_depth_m = np.array([t.depth_m for t in planes])
    added = [i for i in rest if i not in of_well and implant_depth_m.size
             and np.min(np.abs(implant_depth_m - found[i].depth_m)) <= NEAR_IMPLANT_M]
    scores = np.array([found[i].score for i in [*sorted(real), *added]], dtype=float)
    labels = np.r_[np.ones(len(real)), np.zeros(len(added))]
    return ratios, scores, labels


def fit_factor(ratios: np.ndarray, prior_implants: float = PRIOR_IMPLANTS, min_factor: float = MIN_FACTOR,
               reference: float = 1.0) -> float:
    """The factor putting COVERAGE of the finite ratios inside, over the reference (the same on home
    ground), shrunk toward 1 (1 with none)."""
    ratios = np.asarray(ratios, dtype=float)
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return max(1.0, min_factor)
    raw = max(float(np.quantile(ratios, COVERAGE)) / reference, 1e-3)
    weight = ratios.size / (ratios.size + prior_implants)
    return float(max(np.exp(weight * np.log(raw)), min_factor))


def fit_shift(scores: np.ndarray, labels: np.ndarray, prior_sd: float = SHIFT_PRIOR_SD) -> float:
    """The logit shift d maximising sum log-likelihood of labels under sigmoid(logit(score) + d) less
    d^2 / (2 prior_sd^2): Newton's method on a strictly concave function of one variable."""
    x, y = logit(np.asarray(scores, dtype=float)), np.asarray(labels, dtype=float)
    d = 0.0
    for _ in range(NEWTON_STEPS):
        p = sigmoid(x + d)
        gradient = float(np.sum(y - p)) - d / prior_sd ** 2
        curvature = float(np.sum(p * (1.0 - p))) + 1.0 / prior_sd ** 2
        d += gradient / curvature
    return float(d)


def fit_self_calibration(outcomes, prior_implants: float = PRIOR_IMPLANTS, min_factor: float = MIN_FACTOR,
                         prior_sd: float = SHIFT_PRIOR_SD, references=REFERENCE_RATIOS) -> SelfCalibration:
    """From implant_outcomes of every copy (a list of (ratios, scores, labels)), the well's calibration."""
    if not outcomes:
        return SelfCalibration()
    ratios = np.concatenate([o[0] for o in outcomes]).reshape(-1, 3)
    scores = np.concatenate([o[1] for o in outcomes])
    labels = np.concatenate([o[2] for o in outcomes])
    known = np.isfinite(scores)
    factors = tuple(fit_factor(ratios[:, q], prior_implants, min_factor, references[q]) for q in range(3))
    return SelfCalibration(factors=factors, implants=tuple(int(np.isfinite(ratios[:, q]).sum()) for q in range(3)),
                           logit_shift=fit_shift(scores[known], labels[known], prior_sd),
                           labelled=(int(labels[known].sum()), int((labels[known] == 0).sum())))


def apply_self_calibration(picks: list[Pick], calibration: SelfCalibration) -> list[Pick]:
    """Copies of the picks with their half-widths multiplied by the factors (the azimuth's at most
    180 deg) and their scores' logit shifted."""
    out = []
    for p in picks:
        changes = {q: (None if getattr(p, q) is None else
                       min(getattr(p, q) * f, 180.0) if q == "azimuth_err80_deg" else getattr(p, q) * f)
                   for q, f in zip(QUANTITIES, calibration.factors)}
        if p.score is not None:
            changes["score"] = float(sigmoid(logit(p.score) + calibration.logit_shift))
        out.append(replace(p, **changes))
    return out


def self_calibrate(well, pick, seed: int = 0, copies: int = 1, before: list[Pick] | None = None, progress=None):
    """pick(well) -> picks, as predict picks (with its intervals when they are wanted). Runs the
    well's injection-recovery (1 + copies pickings; `before`: the well's picks when already made)
    and returns (the well's picks self-calibrated, the injection report with a `self_calibration`
    entry)."""
    picked = []
    report, before, _, _ = run_injection(well, pick, seed=seed, copies=copies, before=before, progress=progress,
                                         picked=picked)
    calibration = fit_self_calibration([implant_outcomes(planes, found, before) for planes, found in picked])
    report["self_calibration"] = calibration.to_dict()
    return apply_self_calibration(before, calibration), report
