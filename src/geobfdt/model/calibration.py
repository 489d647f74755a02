"""Score calibration: the detector's raw score -> the probability that a pick is real.

Per class (fracture, bedding), a strictly increasing map fitted on picks of labelled wells
whose outcome is known (geobfdt.evaluation.calibration.pick_outcomes):

- "platt": p = sigmoid(a logit(s) + b), a > 0 (temperature scaling with a bias);
- "isotonic": the pool-adjacent-violators fit, as a piecewise-linear curve through the means of
  its blocks, with a tiny slope added so it stays strictly increasing (the map must be
  invertible: thresholds and fine-tuning go back to the raw scale).

Being strictly increasing, a calibration never reorders a class's picks: at the matching
thresholds the picks are those of the raw scores. Stored as JSON in a model file's header
(geobfdt.model.checkpoint); load_model attaches it to the model as `score_calibration`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geobfdt.errors import GeoBFDTError
from geobfdt.well import PICK_TYPES

METHODS = ("platt", "isotonic")
_EPS = 1e-6
_ISOTONIC_RAMP = 1e-3  # added over [0, 1] so the isotonic map is strictly increasing (invertible)


def _logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


@dataclass(frozen=True)
class ScoreCalibration:
    """method, and per class its parameters: platt (a, b); isotonic (raw knots, probability knots)."""

    method: str
    params: dict  # class name -> [a, b] or [[x...], [y...]]

    def __post_init__(self):
        if self.method not in METHODS or set(self.params) != set(PICK_TYPES):
            raise GeoBFDTError(f"calibration needs a method in {METHODS} and parameters for {PICK_TYPES}")
        for name, value in self.params.items():
            if self.method == "platt" and not (len(value) == 2 and value[0] > 0):
                raise GeoBFDTError(f"platt calibration of {name}: expected [a > 0, b], got {value}")
            if self.method == "isotonic":
                x, y = (np.asarray(v, dtype=float) for v in value)
                if x.size < 2 or x.shape != y.shape or np.any(np.diff(x) <= 0) or np.any(np.diff(y) <= 0):
                    raise GeoBFDTError(f"isotonic calibration of {name}: knots must be strictly increasing")

    def probability(self, raw_score, class_id) -> np.ndarray:
        """Calibrated probability for raw scores of classes class_id (arrays of one shape)."""
        raw = np.asarray(raw_score, dtype=np.float64)
        class_id = np.broadcast_to(np.asarray(class_id).astype(int), raw.shape)
        out = np.empty_like(raw)
        for k, name in enumerate(PICK_TYPES):
            sel = class_id == k
            out[sel] = self._forward(name, raw[sel])
        return out

    def raw(self, probability, class_id: int) -> float:
        """Inverse map for one class: the raw score whose calibrated value is `probability`."""
        name = PICK_TYPES[class_id]
        value = self.params[name]
        if self.method == "platt":
            return float(_sigmoid((_logit(probability) - value[1]) / value[0]))
        x, y = (np.asarray(v, dtype=float) for v in value)
        return float(np.interp(probability, y, x))

    def _forward(self, name: str, raw: np.ndarray) -> np.ndarray:
        value = self.params[name]
        if self.method == "platt":
            return _sigmoid(value[0] * _logit(raw) + value[1])
        x, y = (np.asarray(v, dtype=float) for v in value)
        return np.interp(raw, x, y)

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.params}

    @staticmethod
    def from_dict(data: dict) -> "ScoreCalibration":
        try:
            return ScoreCalibration(method=data["method"], params={k: list(v) for k, v in data["params"].items()})
        except (KeyError, TypeError, AttributeError) as exc:
            raise GeoBFDTError(f"damaged score calibration ({type(exc).__name__}: {exc})") from None


def calibrate_rows(rows: np.ndarray, calibration: ScoreCalibration | None) -> np.ndarray:
    """Model output rows (k, 5: ..., class_id, score) with the score calibrated (a copy)."""
    if calibration is None or rows.size == 0:
        return rows
    rows = rows.copy()
    rows[:, 4] = calibration.probability(rows[:, 4], rows[:, 3])
    return rows


def fit_platt(raw: np.ndarray, real: np.ndarray) -> list[float]:
    """(a, b) minimising the log loss of sigmoid(a logit(raw) + b) against the 0/1 outcomes."""
    from scipy.optimize import minimize  # here, not at the top: picking loads this module and should stay light

    x, t = _logit(raw), np.asarray(real, dtype=np.float64)

    def loss(theta):
        z = theta[0] * x + theta[1]
        p = _sigmoid(z)
        grad_z = p - t
        value = np.sum(np.logaddexp(0.0, z) - t * z)
        return value, np.array([np.sum(grad_z * x), np.sum(grad_z)])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(1e-3, None), (None, None)])
    return [round(float(v), 5) for v in result.x]


def fit_isotonic(raw: np.ndarray, real: np.ndarray) -> list[list[float]]:
    """Knots of the isotonic fit: each block of equal fitted value at its mean raw score, the
    ends 0 and 1 flat beyond the outer blocks, then a tiny ramp so the map is strictly increasing."""
    from scipy.optimize import isotonic_regression

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
        raise GeoBFDTError(f"calibration method must be one of {METHODS}, got {method!r}")
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
    from geobfdt.evaluation.calibration import expected_calibration_error

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
        raise GeoBFDTError("choosing the calibration method needs picks from 2 or more wells (or give --method)")
    return fitted[min(cv, key=cv.get) if method == "auto" else method], cv
