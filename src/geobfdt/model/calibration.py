"""What a model file stores about its scores and intervals, and applying it.

ScoreCalibration: the detector's raw score -> the probability that a pick is real. Per class
(fracture, bedding), a strictly increasing map:

- "platt": p = sigmoid(a logit(s) + b), a > 0 (temperature scaling with a bias);
- "isotonic": a piecewise-linear curve through the means of the pool-adjacent-violators
  blocks, with a tiny slope added so it stays strictly increasing (the map must be
  invertible: thresholds and fine-tuning go back to the raw scale).

Being strictly increasing, a calibration never reorders a class's picks: at the matching
thresholds the picks are those of the raw scores.

IntervalScale: the factors that turn the spread of a pick under test-time transforms
(geobfdt.picking.uncertainty) into half-widths of 80% intervals.

Both are stored as JSON in a model file's header (geobfdt.model.checkpoint, ModelHeader);
training/calibrate.py fits them on labelled wells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geobfdt.errors import ModelFileError
from geobfdt.well import PICK_TYPES

METHODS = ("platt", "isotonic")
_EPS = 1e-6
QUANTITIES = ("depth_err80_cm", "dip_err80_deg", "azimuth_err80_deg")  # the interval half-widths of a pick


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


@dataclass(frozen=True)
class ScoreCalibration:
    """method, and per class its parameters: platt (a, b); isotonic (raw knots, probability knots)."""

    method: str
    params: dict  # class name -> [a, b] or [[x...], [y...]]

    def __post_init__(self):
        if self.method not in METHODS or set(self.params) != set(PICK_TYPES):
            raise ModelFileError(f"calibration needs a method in {METHODS} and parameters for {PICK_TYPES}")
        for name, value in self.params.items():
            if self.method == "platt" and not (len(value) == 2 and value[0] > 0):
                raise ModelFileError(f"platt calibration of {name}: expected [a > 0, b], got {value}")
            if self.method == "isotonic":
                x, y = (np.asarray(v, dtype=float) for v in value)
                if x.size < 2 or x.shape != y.shape or np.any(np.diff(x) <= 0) or np.any(np.diff(y) <= 0):
                    raise ModelFileError(f"isotonic calibration of {name}: knots must be strictly increasing")

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
            return float(sigmoid((logit(probability) - value[1]) / value[0]))
        x, y = (np.asarray(v, dtype=float) for v in value)
        return float(np.interp(probability, y, x))

    def _forward(self, name: str, raw: np.ndarray) -> np.ndarray:
        value = self.params[name]
        if self.method == "platt":
            return sigmoid(value[0] * logit(raw) + value[1])
        x, y = (np.asarray(v, dtype=float) for v in value)
        return np.interp(raw, x, y)

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.params}

    @staticmethod
    def from_dict(data: dict) -> "ScoreCalibration":
        try:
            return ScoreCalibration(method=data["method"], params={k: list(v) for k, v in data["params"].items()})
        except (KeyError, TypeError, AttributeError) as exc:
            raise ModelFileError(f"damaged score calibration ({type(exc).__name__}: {exc})") from None


def calibrate_rows(rows: np.ndarray, calibration: ScoreCalibration | None) -> np.ndarray:
    """Model output rows (k, 5: ..., class_id, score) with the score calibrated (a copy)."""
    if calibration is None or rows.size == 0:
        return rows
    rows = rows.copy()
    rows[:, 4] = calibration.probability(rows[:, 4], rows[:, 3])
    return rows


@dataclass(frozen=True)
class IntervalScale:
    """Per quantity (factor, floor): half-width = sqrt((factor * spread)^2 + floor^2). The azimuth's
    floor is a displacement along the trace in cm, turned into degrees by the pick's amplitude
    (r tan(dip)): the flatter the plane, the less its azimuth is pinned down (up to 180 deg)."""

    params: dict

    def half_widths(self, spread: np.ndarray, amplitude_cm: np.ndarray) -> np.ndarray:
        out = np.empty_like(spread, dtype=np.float64)
        for q, name in enumerate(QUANTITIES):
            factor, floor = self.params[name]
            if name == "azimuth_err80_deg":
                floor = azimuth_floor_deg(floor, amplitude_cm)
            out[:, q] = np.hypot(factor * spread[:, q], floor)
        out[:, 2] = np.minimum(out[:, 2], 180.0)  # azimuth: no interval is wider than the circle
        return out

    def to_dict(self) -> dict:
        return dict(self.params)

    @staticmethod
    def from_dict(data: dict) -> "IntervalScale":
        return IntervalScale({name: [float(v) for v in data[name]] for name in QUANTITIES})


def azimuth_floor_deg(floor_cm, amplitude_cm):
    """An azimuth floor given along the trace (cm) in degrees for traces of these amplitudes (cm)."""
    return np.minimum(180.0, np.degrees(floor_cm / np.maximum(np.asarray(amplitude_cm, dtype=np.float64), 1e-3)))
