"""After training: fit the score calibration and the interval scale on labelled wells.

The wells are picked end to end as `geobfdt predict` does, with the raw scores, down to the
lowest score of the threshold grid; each pick's outcome (real or not) comes from
geobfdt.evaluation.calibration.pick_matches. The model's thresholds are re-expressed on the
calibrated scale, so the same picks pass them. With intervals, the wells are picked with the
test-time transforms too, and the factors that turn their spreads into 80% intervals are
fitted on the real picks at the thresholds (geobfdt.picking.uncertainty).
"""

from __future__ import annotations

import numpy as np

from geobfdt.evaluation.calibration import expected_calibration_error, pick_matches
from geobfdt.geometry import amplitude_m, azimuth_difference_deg
from geobfdt.model.calibration import ScoreCalibration, choose_calibration
from geobfdt.model.checkpoint import raw_thresholds
from geobfdt.picking.uncertainty import QUANTITIES, IntervalScale, fit_interval_scale
from geobfdt.training.thresholds import THRESHOLDS
from geobfdt.well import PICK_TYPES


IDENTITY = IntervalScale({name: [1.0, 0.0] for name in QUANTITIES})  # half-widths = the raw spreads


def raw_picks(model, cfg, well, device="cpu", uncertainty: bool = False):
    """The well's picks at the lowest threshold of the grid with raw (uncalibrated) scores and,
    with uncertainty, the raw spreads in the *_err80_* fields."""
    from geobfdt.picking.whole_well import pick_well_detr

    saved = getattr(model, "score_calibration", None), getattr(model, "interval_scale", None)
    model.score_calibration, model.interval_scale = None, IDENTITY
    try:
        return pick_well_detr(well, model, cfg, min(THRESHOLDS), device=device, progress=False,
                              uncertainty=uncertainty)
    finally:
        model.score_calibration, model.interval_scale = saved


def pick_errors(pred, truth, taken) -> np.ndarray:
    """(n, 3) absolute errors of depth (cm), dip and azimuth (deg) against the taken true picks."""
    return np.array([[100.0 * abs(p.depth_m - truth[j].depth_m), abs(p.dip_deg - truth[j].dip_deg),
                      float(azimuth_difference_deg(p.azimuth_deg, truth[j].azimuth_deg))]
                     for p, j in zip(pred, taken)]).reshape(-1, 3)


def calibrate_on_wells(model, cfg, thresholds, wells_and_truth, method: str = "auto", device="cpu",
                       intervals: bool = True, progress=lambda: None, picked: dict | None = None):
    """(calibration, thresholds on the calibrated scale, interval scale or None, report).
    thresholds: the model file's (on its calibrated scale if it already has a calibration: it
    is replaced, not stacked). picked: the wells' raw_picks by well name when already made
    (without intervals), so the wells are not picked twice."""
    if picked is not None and intervals:
        raise ValueError("intervals need the wells picked with the test-time transforms, not `picked`")
    raw_limit = raw_thresholds(thresholds, getattr(model, "score_calibration", None))
    raw, class_id, real, fold, wells, spread, error, amplitude = [], [], [], [], [], [], [], []
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
    return calibration, new_thresholds, scale, report


def calibrate_run(model, cfg, raw_limit, val_wells, picked, init_info: dict | None):
    """A trained run's score calibration (Platt per class: two parameters, as much as a validation
    well or two supports), fitted on its validation wells' picks, with the thresholds re-expressed
    on that scale. Returns (calibration or None, thresholds, interval scale or None, notes for
    summary.json). Too few validation picks to fit: the starting model's calibration is kept, and
    said to be; with none either, the scores stay raw. The interval scale of `predict
    --uncertainty` is the starting model's (fitting one picks every well six times over:
    `geobfdt calibrate` does it)."""
    from geobfdt.errors import GeoBFDTError

    init_info = init_info or {}
    intervals = init_info.get("interval_scale")
    notes = {"interval_scale": "carried over from the starting model (refit: geobfdt calibrate)" if intervals
             else "none (fit one with geobfdt calibrate)"}
    try:
        calibration, thresholds, _, report = calibrate_on_wells(model, cfg, raw_limit, val_wells, "platt",
                                                                intervals=False, picked=picked)
        notes["score_calibration"] = (f"platt, fitted on the validation wells ({', '.join(report['wells'])}): "
                                      f"{report['n_picks']} picks at the thresholds, ECE in sample "
                                      f"{report['ece_raw']:.3f} raw -> {report['ece_calibrated_in_sample']:.3f}")
        return calibration, thresholds, intervals, notes
    except GeoBFDTError as exc:
        reason = str(exc)
    calibration = init_info.get("score_calibration")
    if calibration is None:
        notes["score_calibration"] = f"none, scores are raw: {reason}"
        return None, tuple(raw_limit), intervals, notes
    notes["score_calibration"] = f"carried over from the starting model, not refitted: {reason}"
    thresholds = tuple(float(calibration.probability(np.array([t]), np.array([k]))[0]) for k, t in enumerate(raw_limit))
    return calibration, thresholds, intervals, notes
