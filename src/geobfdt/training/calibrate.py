"""Fitting what a model file stores about its scores and intervals (geobfdt.model.calibration).

The score calibration and the interval scale are fitted on labelled wells, picked end to end
as `geobfdt predict` does, with the raw scores, down to the lowest score of the threshold
grid; each pick's outcome (real or not) comes from geobfdt.evaluation.calibration.pick_matches.
The model's thresholds are re-expressed on the calibrated scale, so the same picks pass them.
With intervals, the wells are picked with the test-time transforms too, and the factors that
turn their spreads into 80% intervals are fitted on the real picks at the thresholds
(geobfdt.picking.uncertainty gives the spreads).

The evidence-based intervals and quality-aware scores (issue 30; model/calibration.py
EvidenceIntervals, QualityScores) are fitted on an evidence table: per pick at the thresholds,
what `predict --uncertainty` knows (model/calibration.py evidence_inputs: raw spreads, per-pick
evidence of picking/evidence.py, the well's blur of picking/blur.py, score, class, resolution),
its raw score, whether it is real, and its signed errors. pick_evidence_table picks wells into one
(evidence_rows per well, joined by evidence_table);
scripts/pick_evidence.py caches one, scripts/evidence_calibration.py measures the fits on it.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import isotonic_regression, minimize

from geobfdt.errors import GeoBFDTError, OptionError
from geobfdt.evaluation.calibration import expected_calibration_error, pick_matches
from geobfdt.geometry import amplitude_m, azimuth_difference_deg
from geobfdt.model.calibration import (BASE_INTERVAL_TERMS, ERROR_FLOOR, INTERVAL_TERMS, METHODS, QUALITY_TERMS,
                                       QUANTITIES, SECTOR_QUALITY_TERMS, EvidenceIntervals, IntervalScale,
                                       QualityScores, ScoreCalibration, azimuth_floor_deg, evidence_inputs,
                                       interval_design, is_coarse, logit, quality_design, sigmoid)
from geobfdt.model.checkpoint import ModelHeader
from geobfdt.training.thresholds import raw_picks
from geobfdt.well import PICK_TYPES

COVERAGE = 0.8  # of the interval scale
MIN_OWN_COEFFICIENTS = 200  # real picks of each resolution for coarse images to get their own interval coefficients
_ISOTONIC_RAMP = 1e-3  # added over [0, 1] so the isotonic map is strictly increasing (invertible)


def fit_platt(raw: np.ndarray, real: np.ndarray) -> list[float]:
    """(a, b) minimising the log loss of sigmoid(a logit(raw) + b) against the 0/1 outcomes."""
    x, t = logit(raw), np.asarray(real, dtype=np.float64)

    def loss(theta):
        z = theta[0] * x + theta[1]
        p = sigmoid(z)
        grad_z = p - t
        value = np.sum(np.logaddexp(0.0, z) - t * z)
        return value, np.array([np.sum(grad_z * x), np.sum(grad_z)])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(1e-3, None), (None, None)])
    return [round(float(v), 5) for v in result.x]


def fit_isotonic(raw: np.ndarray, real: np.ndarray) -> list[list[float]]:
    """Knots of the isotonic fit: each block of equal fitted value at its mean raw score, the
    ends 0 and 1 flat beyond the outer blocks, then a tiny ramp so the map is strictly increasing."""
    order = np.argsort(raw, kind="stable")
    x, t = np.asarray(raw, dtype=np.float64)[order], np.asarray(real, dtype=np.float64)[order]
    fitted = isotonic_regression(t).x
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) > 1e-12])
    knots_x = np.add.reduceat(x, starts) / np.diff(np.r_[starts, x.size])
    knots_x, first = np.unique(np.round(knots_x, 3), return_index=True)
    knots_y = fitted[starts][first]
    inner = (knots_x > 0) & (knots_x < 1)
    knots_x = np.r_[0.0, knots_x[inner], 1.0]
    knots_y = np.r_[knots_y[inner][0] if inner.any() else knots_y[0], knots_y[inner],
                    knots_y[inner][-1] if inner.any() else knots_y[-1]]
    knots_y = knots_y * (1.0 - _ISOTONIC_RAMP) + _ISOTONIC_RAMP * knots_x
    return [knots_x.tolist(), np.round(knots_y, 7).tolist()]


def fit_calibration(raw: np.ndarray, class_id: np.ndarray, real: np.ndarray, method: str) -> ScoreCalibration:
    """Per-class calibration of raw scores against outcomes (1: the pick is real)."""
    if method not in METHODS:
        raise OptionError(f"calibration method must be one of {METHODS}, got {method!r}")
    raw, class_id, real = (np.asarray(v) for v in (raw, class_id, real))
    params = {}
    for k, name in enumerate(PICK_TYPES):
        sel = class_id == k
        if sel.sum() < 10 or len(np.unique(real[sel])) < 2:
            raise GeoBFDTError(f"too few {name} picks to calibrate on ({int(sel.sum())}, "
                               f"{int(real[sel].sum())} real); label more wells")
        params[name] = (fit_platt if method == "platt" else fit_isotonic)(raw[sel], real[sel])
    return ScoreCalibration(method, params)


def choose_calibration(raw: np.ndarray, class_id: np.ndarray, real: np.ndarray, fold: np.ndarray,
                       raw_thresholds, method: str = "auto") -> tuple[ScoreCalibration, dict]:
    """Fit a calibration; with method "auto", the method with the lower cross-validated ECE (each
    fold's picks scored by a calibration fitted on the other folds) over the picks at or above
    the model's raw thresholds, the ones `geobfdt predict` writes. fold: a group id per pick
    (its well), so a fold is scored on wells it was not fitted on. Returns the calibration fitted
    on every pick and {method: cross-validated ECE}."""
    raw, class_id, real, fold = (np.asarray(v) for v in (raw, class_id, real, fold))
    shipped = raw >= np.asarray(raw_thresholds, dtype=np.float64)[class_id.astype(int)]
    candidates = METHODS if method == "auto" else (method,)
    fitted = {name: fit_calibration(raw, class_id, real, name) for name in candidates}  # refuses too few picks first
    cv = {}
    if len(np.unique(fold)) >= 2:
        for name in candidates:
            calibrated = np.empty(raw.size)
            for f in np.unique(fold):
                fit = fit_calibration(raw[fold != f], class_id[fold != f], real[fold != f], name)
                calibrated[fold == f] = fit.probability(raw[fold == f], class_id[fold == f])
            cv[name] = expected_calibration_error(calibrated[shipped], real[shipped])
    elif method == "auto":
        raise OptionError("choosing the calibration method needs picks from 2 or more wells (or give --method)")
    return fitted[min(cv, key=cv.get) if method == "auto" else method], cv


def fit_interval_scale(spread: np.ndarray, error: np.ndarray, amplitude_cm: np.ndarray,
                       coverage: float = COVERAGE) -> IntervalScale:
    """Per quantity, among floors on a grid, the (factor, floor) giving the narrowest mean
    half-width whose interval holds `coverage` of the absolute errors (spread, error: (n, 3);
    amplitude_cm: (n,) the picks' trace amplitudes, for the azimuth floor)."""
    params = {}
    for q, name in enumerate(QUANTITIES):
        s, e, amp = spread[:, q], np.abs(error[:, q]), np.asarray(amplitude_cm, dtype=np.float64)
        ok = np.isfinite(s) & np.isfinite(e)
        s, e, amp = s[ok], e[ok], amp[ok]
        along = np.radians(e) * amp if name == "azimuth_err80_deg" else e  # the floor's own unit
        best = None
        for floor in np.quantile(along, np.linspace(0.0, 0.9, 19)):
            floor_here = azimuth_floor_deg(floor, amp) if name == "azimuth_err80_deg" else floor
            # the smallest factor with coverage: a quantile of the factor each pick needs
            need = np.where(e <= floor_here, 0.0, np.sqrt(np.maximum(e ** 2 - floor_here ** 2, 0.0)) / np.maximum(s, 1e-6))
            factor = float(np.quantile(need, coverage))
            width = np.minimum(np.hypot(factor * s, floor_here), 180.0).mean()
            if best is None or width < best[0]:
                best = (width, factor, float(floor))
        params[name] = [round(best[1], 4), round(best[2], 4)]
    return IntervalScale(params)


def evidence_rows(well, picks, truth) -> dict:
    """One well's evidence-table columns (without the calibrated score) for picks made with the raw
    spreads in their *_err80_* fields and raw scores (training/thresholds.py raw_picks)."""
    from geobfdt.picking.blur import BLUR, image_blur
    from geobfdt.picking.evidence import pick_evidence
    from geobfdt.picking.quality import azimuthal_noise_share, is_sector_image

    taken = pick_matches(picks, truth)
    error = np.full((len(picks), 3), np.nan)
    real = taken >= 0
    for i in np.flatnonzero(real):
        p, t = picks[i], truth[taken[i]]
        error[i] = [100.0 * (p.depth_m - t.depth_m), p.dip_deg - t.dip_deg,
                    float(azimuth_difference_deg(p.azimuth_deg, t.azimuth_deg))]
    blur = image_blur(well) if picks else {k: 1.0 for k in BLUR}
    sector = bool(picks) and is_sector_image(well)
    return {"well": np.full(len(picks), well.name, dtype=object), "raw_score": np.array([p.score for p in picks], float),
            "class_id": np.array([PICK_TYPES.index(p.type) for p in picks], dtype=int),
            "dip_deg": np.array([p.dip_deg for p in picks], float),
            "spread": np.array([[getattr(p, q) for q in QUANTITIES] for p in picks], float).reshape(-1, 3),
            "evidence": pick_evidence(well, picks), "blur": np.tile([blur[k] for k in BLUR], (len(picks), 1)),
            "columns": np.full(len(picks), well.width, dtype=float),
            "sector_image": np.full(len(picks), sector),
            # read on sector images only: the score map weighs it there alone (model/calibration.py)
            "noise_share": np.full(len(picks), azimuthal_noise_share(well) if sector else np.nan),
            "radius_m": np.array([well.radius_at(p.depth_m) for p in picks], float).reshape(-1),
            "real": real, "error": error}


def evidence_table(parts: list[dict], calibration: ScoreCalibration | None) -> dict:
    """The wells' evidence_rows joined, with their evidence_inputs (score: the raw score calibrated)."""
    d = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    score = d["raw_score"] if calibration is None else calibration.probability(d["raw_score"], d["class_id"])
    d.update(evidence_inputs(d["spread"], d["evidence"], d["blur"], score, d["class_id"], d["dip_deg"], d["columns"],
                             d["radius_m"], d["sector_image"], d["noise_share"]))
    return d


def pick_evidence_table(model, cfg, raw_limit, wells_and_truth, calibration: ScoreCalibration | None,
                        device="cpu", progress=lambda: None) -> dict:
    """The evidence table of the picks at the raw thresholds raw_limit of labelled wells, picked as
    `predict --uncertainty` picks them."""
    from geobfdt.training.thresholds import raw_picks

    parts = []
    for well, truth in wells_and_truth:
        picks = [p for p in raw_picks(model, cfg, well, device, uncertainty=True)
                 if p.score >= raw_limit[PICK_TYPES.index(p.type)]]
        parts.append(evidence_rows(well, picks, truth))
        progress()
    return evidence_table(parts, calibration)


def fit_evidence_intervals(d: dict, coverage: float = COVERAGE) -> EvidenceIntervals:
    """Per quantity, least squares of log|error| on interval_design over the real picks of evidence
    table d, then the split-conformal factors: the `coverage` quantile of |error| / exp(fit) in each
    resolution group (fine, coarse; a group without real picks takes the pooled one). Where either
    resolution has fewer than MIN_OWN_COEFFICIENTS real picks (a user's few labelled wells), coarse
    images share the fine ones' coefficients (their own terms at 0): nine more coefficients on a few
    picks would fit their noise."""
    real = np.asarray(d["real"], dtype=bool)
    if real.sum() < 20:
        raise GeoBFDTError(f"too few real picks to fit evidence intervals on ({int(real.sum())}); label more wells")
    error = np.abs(d["error"][real])
    coarse = is_coarse(d)[real]
    terms = len(INTERVAL_TERMS) if min(coarse.sum(), (~coarse).sum()) >= MIN_OWN_COEFFICIENTS else len(BASE_INTERVAL_TERMS)
    coef, factor = {}, {}
    for q, name in enumerate(QUANTITIES):
        x = interval_design(d, q)[real][:, :terms]
        beta, *_ = np.linalg.lstsq(x, np.log(np.maximum(error[:, q], ERROR_FLOOR[q])), rcond=None)
        ratio = error[:, q] / np.exp(x @ beta)
        pooled = float(np.quantile(ratio, coverage))
        factor[name] = [float(np.quantile(ratio[coarse == flag], coverage)) if (coarse == flag).sum() >= 10 else pooled
                        for flag in (False, True)]
        factor[name] = [max(f, 1e-6) for f in factor[name]]
        coef[name] = [float(v) for v in beta] + [0.0] * (len(INTERVAL_TERMS) - terms)
    return EvidenceIntervals(coef, factor)


def fit_evidence(d: dict) -> dict:
    """{"evidence_intervals", "quality_scores", "evidence_note"} fitted on evidence table d; both None,
    with the reason, where it holds too few picks."""
    try:
        return {"evidence_intervals": fit_evidence_intervals(d), "quality_scores": fit_quality_scores(d),
                "evidence_note": f"fitted on {d['raw_score'].size} picks ({int(np.sum(d['real']))} real)"}
    except GeoBFDTError as exc:
        return {"evidence_intervals": None, "quality_scores": None, "evidence_note": f"not fitted: {exc}"}


def fit_quality_map(x: np.ndarray, features: np.ndarray, t: np.ndarray, ridge: float = 1e-2,
                    offset=0.0) -> list[float]:
    """(a > 0, b, c...) of sigmoid(a x + b + c . features + offset) by log loss, with a small ridge on c."""
    design = np.c_[x, np.ones(x.size), features]

    def loss(theta):
        z = design @ theta + offset
        return (np.sum(np.logaddexp(0.0, z) - t * z) + ridge * np.sum(theta[2:] ** 2),
                design.T @ (sigmoid(z) - t) + np.r_[0.0, 0.0, 2 * ridge * theta[2:]])

    bounds = [(1e-3, None)] + [(None, None)] * (design.shape[1] - 1)
    start = np.r_[1.0, np.zeros(design.shape[1] - 1)]
    return [float(v) for v in minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x]


def fit_quality_scores(d: dict, start: QualityScores | None = None) -> QualityScores:
    """Per class, the quality-aware score map fitted on evidence table d (raw scores against outcomes): the
    raw score's slope, the intercept and the SECTOR_QUALITY_TERMS (the terms on every image stay 0).
    start: keep its quality terms c and refit the raw score's slope and the intercept only (two
    parameters per class, as Platt: what a fine-tuning run's few validation wells support)."""
    params = {}
    features = quality_design(d)
    fitted = [QUALITY_TERMS.index(term) - 2 for term in SECTOR_QUALITY_TERMS]
    for k, name in enumerate(PICK_TYPES):
        sel = np.asarray(d["class_id"]) == k
        real = np.asarray(d["real"], dtype=float)[sel]
        if sel.sum() < 10 or len(np.unique(real)) < 2:
            raise GeoBFDTError(f"too few {name} picks to fit the quality-aware scores on ({int(sel.sum())}, "
                               f"{int(real.sum())} real); label more wells")
        if start is None:
            theta = fit_quality_map(logit(d["raw_score"][sel]), features[sel][:, fitted], real)
            params[name] = theta[:2] + [0.0] * features.shape[1]
            for j, column in enumerate(fitted):
                params[name][2 + column] = theta[2 + j]
        else:
            c = np.asarray(start.params[name][2:])
            params[name] = fit_quality_map(logit(d["raw_score"][sel]), features[sel, :0], real,
                                           offset=features[sel] @ c) + [float(v) for v in c]
    return QualityScores(params)


def pick_errors(pred, truth, taken) -> np.ndarray:
    """(n, 3) absolute errors of depth (cm), dip and azimuth (deg) against the taken true picks."""
    return np.array([[100.0 * abs(p.depth_m - truth[j].depth_m), abs(p.dip_deg - truth[j].dip_deg),
                      float(azimuth_difference_deg(p.azimuth_deg, truth[j].azimuth_deg))]
                     for p, j in zip(pred, taken)]).reshape(-1, 3)


def calibrate_on_wells(model, cfg, raw_limit, wells_and_truth, method: str = "auto", device="cpu",
                       intervals: bool = True, progress=lambda: None, picked: dict | None = None):
    """(calibration, thresholds on the calibrated scale, interval scale or None, report).
    raw_limit: the model's thresholds on the raw scale (ModelHeader.raw_thresholds: a calibration
    the model file already has is replaced, not stacked). picked: the wells' raw_picks by well
    name when already made (without intervals), so the wells are not picked twice. With
    intervals, the report's "evidence_intervals" and "quality_scores" hold the evidence-based
    fits on the same picks (None, with the reason in "evidence_note", where too few picks)."""
    if picked is not None and intervals:
        raise ValueError("intervals need the wells picked with the test-time transforms, not `picked`")
    raw_limit = tuple(raw_limit)
    raw, class_id, real, fold, wells, spread, error, amplitude, parts = [], [], [], [], [], [], [], [], []
    for k, (well, truth) in enumerate(wells_and_truth):
        picks = picked[well.name] if picked is not None else raw_picks(model, cfg, well, device, uncertainty=intervals)
        taken = pick_matches(picks, truth)
        raw.append([p.score for p in picks])
        class_id.append([PICK_TYPES.index(p.type) for p in picks])
        real.append(taken >= 0)
        fold.append(np.full(len(picks), k))
        wells.append(well.name)
        if intervals:
            shown = [i for i, p in enumerate(picks) if taken[i] >= 0 and p.score >= raw_limit[PICK_TYPES.index(p.type)]]
            spread.append([[getattr(picks[i], q) for q in QUANTITIES] for i in shown])
            error.append(pick_errors([picks[i] for i in shown], truth, taken[shown]))
            amplitude += [100.0 * float(amplitude_m(picks[i].dip_deg, well.radius_at(picks[i].depth_m))) for i in shown]
            parts.append(evidence_rows(well, [p for p in picks if p.score >= raw_limit[PICK_TYPES.index(p.type)]],
                                       truth))
        progress()
    raw, class_id, real, fold = (np.concatenate(v).astype(float) for v in (raw, class_id, real, fold))
    class_id = class_id.astype(int)
    calibration, cv = choose_calibration(raw, class_id, real, fold, raw_limit, method)
    new_thresholds = tuple(float(calibration.probability(np.array([t]), np.array([k]))[0])
                           for k, t in enumerate(raw_limit))
    shipped = raw >= np.asarray(raw_limit)[class_id]
    calibrated = calibration.probability(raw, class_id)
    scale = None
    if intervals:
        spread = np.concatenate([np.asarray(s, dtype=float).reshape(-1, 3) for s in spread])
        scale = fit_interval_scale(spread, np.concatenate(error), np.array(amplitude))
    report = {"wells": wells, "method": calibration.method, "cv_ece": cv, "n_picks": int(shipped.sum()),
              "ece_raw": expected_calibration_error(raw[shipped], real[shipped]),
              "ece_calibrated_in_sample": expected_calibration_error(calibrated[shipped], real[shipped]),
              "thresholds_raw": list(raw_limit), "thresholds": list(new_thresholds),
              "intervals": None if scale is None else scale.to_dict(),
              "raw_scores": raw, "class_id": class_id, "real": real}  # every candidate, for figures
    if intervals:
        report.update(fit_evidence(evidence_table(parts, calibration)))
    return calibration, new_thresholds, scale, report


def calibrate_run(model, cfg, raw_limit, val_wells, picked, init: ModelHeader | None):
    """A trained run's score calibration (Platt per class: two parameters, as much as a validation
    well or two supports), fitted on its validation wells' picks, with the thresholds re-expressed
    on that scale. Returns (calibration or None, thresholds, carried, notes for summary.json);
    carried: save_model's intervals, evidence_intervals and quality_scores. Too few validation
    picks to fit: the starting model's calibration is kept, and said to be; with none either, the
    scores stay raw. The interval scale and evidence-based intervals of `predict --uncertainty` are
    the starting model's (fitting them picks every well six times over: `geobfdt calibrate` does
    it); its quality-aware score map keeps its quality terms, its raw-score slope and intercept
    refitted on the validation picks (carry_quality_scores)."""
    carried = {"intervals": None if init is None else init.interval_scale,
               "evidence_intervals": None if init is None else init.evidence_intervals, "quality_scores": None}
    notes = {"interval_scale": "carried over from the starting model (refit: geobfdt calibrate)"
             if carried["intervals"] else "none (fit one with geobfdt calibrate)"}
    try:
        calibration, thresholds, _, report = calibrate_on_wells(model, cfg, raw_limit, val_wells, "platt",
                                                                intervals=False, picked=picked)
        notes["score_calibration"] = (f"platt, fitted on the validation wells ({', '.join(report['wells'])}): "
                                      f"{report['n_picks']} picks at the thresholds, ECE in sample "
                                      f"{report['ece_raw']:.3f} raw -> {report['ece_calibrated_in_sample']:.3f}")
    except GeoBFDTError as exc:
        reason = str(exc)
        calibration = init.score_calibration if init is not None else None
        if calibration is None:
            notes["score_calibration"] = f"none, scores are raw: {reason}"
            return None, tuple(raw_limit), carried, notes
        notes["score_calibration"] = f"carried over from the starting model, not refitted: {reason}"
        thresholds = tuple(float(calibration.probability(np.array([t]), np.array([k]))[0])
                           for k, t in enumerate(raw_limit))
    if init is not None and init.quality_scores is not None:
        carried["quality_scores"], notes["quality_scores"] = carry_quality_scores(
            init.quality_scores, val_wells, picked, calibration)
    if carried["evidence_intervals"] is not None:
        notes["evidence_intervals"] = "carried over from the starting model (refit: geobfdt calibrate)"
    return calibration, thresholds, carried, notes


def carry_quality_scores(start: QualityScores, val_wells, picked, calibration) -> tuple:
    """(quality-aware score map, note): start's, its raw-score slope and intercept refitted on the
    validation wells' candidate picks, as the Platt map is (the fine-tuned model's raw scores are its
    own; what the image's quality says about a pick is not), or start's as it is where those are too few."""
    parts = [evidence_rows(well, picked[well.name], truth) for well, truth in val_wells]
    try:
        scores = fit_quality_scores(evidence_table(parts, calibration), start)
    except GeoBFDTError as exc:
        return start, f"carried over from the starting model, not refitted: {exc}"
    n = sum(len(part["raw_score"]) for part in parts)
    return scores, (f"the starting model's quality terms, the raw score's slope and intercept refitted on the "
                    f"validation wells' {n} candidate picks")
