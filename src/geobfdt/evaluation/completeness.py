"""What share of a well's planes the picker finds, from its implants: completeness against contrast.

The implants of injection-recovery (picking/injection.py) span contrasts over the well's noise, from
those of the picks the picker found down to FAINTEST_SD (the faint ones, drawn between the others). Per
class, the chance that an implant is recovered as a function of its contrast (the completeness) is a
logistic curve in log contrast, fitted on them. Each pick of the well then stands for 1 / completeness
(its contrast) planes of that contrast (a Horvitz-Thompson count), so the share of the well's planes
that the picker finds is n / sum(1 / completeness). Implants copied from the picks found say how often
planes like those are found; they cannot say how many fainter planes the well holds, which is what
makes a noisy well's recovery low. Planes so faint that no pick is found among them cannot be counted
at all: each pick stands for at most 1 / MIN_COMPLETENESS planes.
"""

from __future__ import annotations

import numpy as np

from geobfdt.well import PICK_TYPES

MIN_COMPLETENESS = 0.05
MIN_IMPLANTS = 10  # per class, to fit a curve
CONTRAST_BINS_SD = (0.0, 2.0, 4.0, 8.0, 16.0, np.inf)
_RIDGE = 1e-3  # keeps the fit finite where recovery is all or nothing


def fit_completeness(contrast_sd: np.ndarray, found: np.ndarray) -> tuple[float, float] | None:
    """(a, b) of P(recovered) = sigmoid(a + b log contrast), by maximum likelihood (Newton steps, a small
    ridge); None with fewer than MIN_IMPLANTS implants."""
    contrast_sd, found = np.asarray(contrast_sd, float), np.asarray(found, float)
    ok = np.isfinite(contrast_sd) & (contrast_sd > 0)
    if ok.sum() < MIN_IMPLANTS:
        return None
    x = np.stack([np.ones(ok.sum()), np.log(contrast_sd[ok])], axis=1)
    y, w = found[ok], np.zeros(2)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (y - p) - _RIDGE * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + _RIDGE * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), float(w[1])


def completeness(fit: tuple[float, float], contrast_sd: np.ndarray) -> np.ndarray:
    """The fitted chance that a plane of each contrast is recovered."""
    a, b = fit
    return 1.0 / (1.0 + np.exp(-(a + b * np.log(np.maximum(np.asarray(contrast_sd, float), 1e-12)))))


def share_found(fit: tuple[float, float] | None, pick_contrast_sd: np.ndarray) -> float | None:
    """n / sum(1 / completeness) over the picks' contrasts (each counted for at most 1 / MIN_COMPLETENESS
    planes); None without a fit or picks."""
    pick_contrast_sd = np.asarray(pick_contrast_sd, float)
    pick_contrast_sd = pick_contrast_sd[np.isfinite(pick_contrast_sd)]
    if fit is None or pick_contrast_sd.size == 0:
        return None
    return float(pick_contrast_sd.size / np.sum(1.0 / np.maximum(completeness(fit, pick_contrast_sd), MIN_COMPLETENESS)))


def completeness_report(kinds: np.ndarray, contrast_sd: np.ndarray, found: np.ndarray, pick_kinds: np.ndarray,
                        pick_contrast_sd: np.ndarray) -> dict:
    """Per class: the fit, the estimated share of the well's planes found, and per contrast bin the
    implants, their recovery and the picks of the well (kinds, contrast_sd, found: over every implanted
    plane, faint or not; the picks' classes and contrasts: picking/injection.py plane_contrasts)."""
    report = {}
    for kind in PICK_TYPES:
        mine = kinds == kind
        fit = fit_completeness(contrast_sd[mine], found[mine])
        picks = np.asarray(pick_contrast_sd, float)[np.asarray(pick_kinds) == kind]
        picks = picks[np.isfinite(picks)]
        bins = []
        for lo, hi in zip(CONTRAST_BINS_SD[:-1], CONTRAST_BINS_SD[1:]):
            sel = mine & (contrast_sd >= lo) & (contrast_sd < hi)
            bins.append({"contrast_sd": [lo, None if np.isinf(hi) else hi], "implants": int(sel.sum()),
                         "recovery": float(found[sel].mean()) if sel.any() else None,
                         "picks": int(np.sum((picks >= lo) & (picks < hi)))})
        report[kind] = {"fit": None if fit is None else list(fit), "picks_with_profile": int(picks.size),
                        "estimated_share_found": share_found(fit, picks), "by_contrast": bins}
    return report
