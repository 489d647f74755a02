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

EvidenceIntervals and QualityScores (issue 30): the same two outputs from what the image says
about each pick and about the well (the arrays of evidence_inputs: per-pick evidence,
picking/evidence.py, and the well's blur, picking/blur.py). EvidenceIntervals: per
quantity a linear model of log|error| (interval_design), times a split-conformal factor per
resolution group (coarse: COARSE_COLUMNS image columns or fewer), so 80 % of the fitting errors
of each group fall inside. QualityScores: per class, sigmoid(a logit(raw) + b + c . quality
features) (quality_design), a > 0, so within a well of one quality the order of the raw scores
is kept. The features act on sector images (an LWD tool's: measured all around the hole) only. A
model file holding them makes `predict --uncertainty` write them; a model file without them (older
ones) keeps IntervalScale and ScoreCalibration.

All are stored as JSON in a model file's header (geobfdt.model.checkpoint, ModelHeader);
training/calibrate.py fits them on labelled wells.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from geobfdt.errors import ModelFileError
from geobfdt.geometry import amplitude_m
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
        return _per_class(raw_score, class_id, self._forward)

    def raw(self, probability, class_id: int) -> float:
        """Inverse map for one class: the raw score whose calibrated value is `probability`."""
        return float(self.raw_scores(np.array([probability], dtype=np.float64), np.array([class_id]))[0])

    def raw_scores(self, probability, class_id) -> np.ndarray:
        """Inverse map for arrays of probabilities of classes class_id (one shape)."""
        return _per_class(probability, class_id, self._inverse)

    def _inverse(self, name: str, p: np.ndarray) -> np.ndarray:
        value = self.params[name]
        if self.method == "platt":
            return sigmoid((logit(p) - value[1]) / value[0])
        x, y = (np.asarray(v, dtype=float) for v in value)
        return np.interp(p, y, x)

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


def _per_class(values, class_id, per_class) -> np.ndarray:
    """per_class(class name, values of that class) over arrays of values and class ids of one shape."""
    values = np.asarray(values, dtype=np.float64)
    class_id = np.broadcast_to(np.asarray(class_id).astype(int), values.shape)
    out = np.empty_like(values)
    for k, name in enumerate(PICK_TYPES):
        sel = class_id == k
        out[sel] = per_class(name, values[sel])
    return out


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


IDENTITY_SCALE = IntervalScale({name: [1.0, 0.0] for name in QUANTITIES})  # half-widths = the raw spreads

COARSE_COLUMNS = 64  # an image this narrow or narrower is "coarse" (LWD sectors): its own conformal factor
ERROR_FLOOR = (0.05, 0.05, 0.05)  # cm, deg, deg: an error or spread below this is as good as zero
BASE_INTERVAL_TERMS = ("intercept", "log spread", "log standard error", "log contrast", "log pixel cm",
                       "log amplitude cm", "logit score", "fracture", "coarse", "log depth blur px", "log azimuth blur rad")
# a coarse image (LWD sectors) has its own coefficient on every term but the intercept and the flag: its
# errors grow with the blur and the evidence otherwise than a pad tool's (cross-validated by well on the
# fit's wells, the joint model's squared log residual was lower on both resolutions)
COARSE_INTERACTIONS = tuple(t for t in BASE_INTERVAL_TERMS if t not in ("intercept", "coarse"))
INTERVAL_TERMS = BASE_INTERVAL_TERMS + tuple(f"coarse x {t}" for t in COARSE_INTERACTIONS)
# The score map's features act on sector images alone (an LWD tool's, measured all around the hole: the
# "sector_image" of evidence_inputs); a pad tool's picks are scored by their raw score (slope and intercept).
# Fitted on every image, the features shared one set of coefficients between tools whose scores they move
# differently: the split fits the fit's own picks as well (log loss cross-validated by well 0.2511 against
# 0.2514), and on the `harsh` wells the shared terms made real pad-tool picks look doubtful
# (docs/model-card.md, "Scores on every tool, on more wells"). ALL_IMAGES_QUALITY_TERMS: the features of model files
# fitted before, which acted on every image; kept so those files score as they did.
ALL_IMAGES_QUALITY_TERMS = ("log contrast", "log pixel cm", "coarse", "log depth blur px", "log azimuth blur rad")
# The well's azimuthal noise share (picking/quality.py) on sector images: at one raw score, a pick on an LWD
# image with sector noise is more often real than one on a clean image (few traces pass the noise, and those
# that do are strong). Without it the map was overconfident on clean LWD wells and underconfident on noisy
# ones (held-out ECE 0.058 and 0.043; log loss cross-validated by well 0.2511 -> 0.2435 with it).
SECTOR_QUALITY_TERMS = (("sector image",) + tuple(f"sector image x {term}" for term in ALL_IMAGES_QUALITY_TERMS)
                        + ("sector image x log azimuthal noise share",))
QUALITY_TERMS = ("logit raw score", "intercept") + ALL_IMAGES_QUALITY_TERMS + SECTOR_QUALITY_TERMS
NOISE_SHARE_RANGE = (0.05, 1.0)  # the share is read within about the fit wells' range (0.075-0.82)
# the terms of model files made before: the coarse interactions (intervals); the sector-image terms, then the
# noise share (scores); read with the terms they lack at 0
LEGACY_TERMS = {"evidence intervals": (BASE_INTERVAL_TERMS,),
                "quality scores": (("logit raw score", "intercept") + ALL_IMAGES_QUALITY_TERMS, QUALITY_TERMS[:-1])}


def evidence_inputs(spread, evidence, blur, score, class_id, dip_deg, columns, radius_m, sector_image,
                    noise_share) -> dict:
    """What the evidence-based intervals and scores of n picks are computed from, as arrays: spread (n, 3) raw test-time spreads; evidence (n, 4)
    picking/evidence.py EVIDENCE; blur (4,) or (n, 4) picking/blur.py BLUR of the pick's well; score
    (n,) on the model's score-calibration scale (what the fit saw); dip_deg (n,); columns and radius_m of
    the image at each pick, whether it is a sector image (picking/quality.py is_sector_image) and its
    azimuthal noise share (picking/quality.py azimuthal_noise_share; NaN where unknown)."""
    n = np.asarray(score).size
    radius = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), (n,))
    columns = np.broadcast_to(np.asarray(columns, dtype=np.float64), (n,))
    return {"spread": np.asarray(spread, dtype=np.float64).reshape(n, 3),
            "sector_image": np.broadcast_to(np.asarray(sector_image, dtype=np.float64), (n,)),
            "noise_share": np.broadcast_to(np.asarray(noise_share, dtype=np.float64), (n,)),
            "evidence": np.asarray(evidence, dtype=np.float64).reshape(n, 4),
            "blur": np.broadcast_to(np.asarray(blur, dtype=np.float64), (n, 4)),
            "score": np.asarray(score, dtype=np.float64).reshape(n), "class_id": np.asarray(class_id).reshape(n),
            "columns": columns, "radius_m": radius, "pixel_cm": 100.0 * 2 * np.pi * radius / columns,
            "amplitude_cm": 100.0 * amplitude_m(np.asarray(dip_deg, dtype=np.float64).reshape(n), radius)}


def azimuth_blur_rad(d: dict) -> np.ndarray:
    """Each pick's well's blur around the hole in radians: the larger of the one measured around it and
    the one along depth over the radius (a tool's footprint is about round; on a 16-sector image only
    the depth axis resolves it)."""
    return np.maximum(d["blur"][:, 1] * 2 * np.pi / d["columns"], d["blur"][:, 2] / (100.0 * d["radius_m"]))


def blur_design(d: dict) -> np.ndarray:
    """(n, 2): log depth blur (pixels) and log azimuth blur (radians around the hole) of each pick's well."""
    return np.stack([np.log(np.maximum(d["blur"][:, 0], 1e-3)), np.log(np.maximum(azimuth_blur_rad(d), 1e-6))], 1)


def is_coarse(d: dict) -> np.ndarray:
    return np.asarray(d["columns"]) <= COARSE_COLUMNS


def base_interval_design(d: dict, q: int) -> np.ndarray:
    """(n, len(BASE_INTERVAL_TERMS)) the terms of the log|error| model of quantity q (0 depth, 1 dip, 2 azimuth)."""
    ev = d["evidence"]
    return np.c_[np.ones(ev.shape[0]), np.log(d["spread"][:, q] + ERROR_FLOOR[q]), np.log(ev[:, 1 + q] + 1e-4),
                 np.log(np.maximum(ev[:, 0], 1e-3)), np.log(d["pixel_cm"]), np.log(d["amplitude_cm"] + 0.1),
                 logit(d["score"]), (np.asarray(d["class_id"]) == 0).astype(float), is_coarse(d).astype(float),
                 blur_design(d)]


def interval_design(d: dict, q: int) -> np.ndarray:
    """(n, len(INTERVAL_TERMS)) design of the log|error| model of quantity q: the base terms, then the
    COARSE_INTERACTIONS again on coarse images (0 on finer ones)."""
    base = base_interval_design(d, q)
    pick = [BASE_INTERVAL_TERMS.index(t) for t in COARSE_INTERACTIONS]
    return np.c_[base, is_coarse(d)[:, None] * base[:, pick]]


def quality_design(d: dict) -> np.ndarray:
    """(n, len(QUALITY_TERMS) - 2) input-quality features beside logit(raw) and the intercept: those of
    ALL_IMAGES_QUALITY_TERMS, then the sector-image flag, the same features again on sector images alone
    (0 on a pad tool's) and the log azimuthal noise share on sector images (within NOISE_SHARE_RANGE)."""
    features = np.c_[np.log(np.maximum(d["evidence"][:, 0], 1e-3)), np.log(d["pixel_cm"]), is_coarse(d).astype(float),
                     blur_design(d)]
    sector = (np.asarray(d["sector_image"]) > 0.5).astype(float)[:, None]
    # unknown reads as the cleanest image the fit saw: its picks are doubted most
    share = np.clip(np.nan_to_num(np.asarray(d["noise_share"], dtype=np.float64), nan=NOISE_SHARE_RANGE[0]),
                    *NOISE_SHARE_RANGE)
    return np.c_[features, sector, sector * features, sector[:, 0] * np.log(share)]


def _finite_list(value, size: int, what: str) -> list[float]:
    """A JSON list of `size` finite numbers, or a ModelFileError naming `what`."""
    if not isinstance(value, (list, tuple)) or len(value) != size or not all(
            isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(v) for v in value):
        raise ModelFileError(f"{what}: expected {size} finite numbers")
    return [float(v) for v in value]


def _mapping(data, keys, what: str) -> dict:
    if not isinstance(data, dict) or set(data) != set(keys):
        raise ModelFileError(f"{what}: expected an object with keys {', '.join(keys)}")
    return data


@dataclass(frozen=True)
class EvidenceIntervals:
    """Per quantity (QUANTITIES): coef, the log|error| model's coefficients on INTERVAL_TERMS, and
    factor, the split-conformal factors [fine, coarse] (> 0). half-width = exp(design . coef) x factor."""

    coef: dict  # quantity -> list of len(INTERVAL_TERMS) floats
    factor: dict  # quantity -> [fine, coarse]

    def __post_init__(self):
        _mapping(self.coef, QUANTITIES, "evidence interval coefficients")
        _mapping(self.factor, QUANTITIES, "evidence interval factors")
        for name in QUANTITIES:
            _finite_list(self.coef[name], len(INTERVAL_TERMS), f"evidence interval coefficients of {name}")
            if min(_finite_list(self.factor[name], 2, f"evidence interval factors of {name}")) <= 0:
                raise ModelFileError(f"evidence interval factors of {name}: must be positive")

    def half_widths(self, d: dict) -> np.ndarray:
        """(n, 3) half-widths of 80 % intervals of depth (cm), dip and azimuth (deg) of evidence_inputs d."""
        coarse = is_coarse(d)
        out = np.stack([np.exp(np.clip(interval_design(d, q) @ np.asarray(self.coef[name]), -30, 30))
                        * np.where(coarse, self.factor[name][1], self.factor[name][0])
                        for q, name in enumerate(QUANTITIES)], axis=1)
        out[:, 2] = np.minimum(out[:, 2], 180.0)  # no azimuth interval is wider than the circle
        return out

    def to_dict(self) -> dict:
        return {"terms": list(INTERVAL_TERMS), "coarse_columns": COARSE_COLUMNS,
                "coef": {k: list(v) for k, v in self.coef.items()}, "factor": {k: list(v) for k, v in self.factor.items()}}

    @staticmethod
    def from_dict(data) -> "EvidenceIntervals":
        stored = _check_terms(data, INTERVAL_TERMS, ("coef", "factor"), "evidence intervals")
        coef, factor = _mapping(data["coef"], QUANTITIES, "evidence interval coefficients"), data["factor"]
        _mapping(factor, QUANTITIES, "evidence interval factors")
        return EvidenceIntervals({k: _padded(_finite_list(coef[k], len(stored), f"coefficients of {k}"),
                                             stored, INTERVAL_TERMS) for k in QUANTITIES},
                                 {k: _finite_list(factor[k], 2, f"factors of {k}") for k in QUANTITIES})


@dataclass(frozen=True)
class QualityScores:
    """Per class (PICK_TYPES) the coefficients on QUALITY_TERMS: p = sigmoid(a logit(raw) + b + c . f), a > 0."""

    params: dict  # class name -> list of len(QUALITY_TERMS) floats

    def __post_init__(self):
        _mapping(self.params, PICK_TYPES, "quality score map")
        for name in PICK_TYPES:
            if _finite_list(self.params[name], len(QUALITY_TERMS), f"quality score map of {name}")[0] <= 0:
                raise ModelFileError(f"quality score map of {name}: the raw score's slope must be positive")

    def probability(self, raw_score, d: dict) -> np.ndarray:
        """The probability that each pick of evidence_inputs d, of raw score raw_score, is real."""
        theta = np.array([self.params[name] for name in PICK_TYPES])[np.asarray(d["class_id"]).astype(int)]
        z = theta[:, 0] * logit(raw_score) + theta[:, 1] + np.sum(quality_design(d) * theta[:, 2:], axis=1)
        return sigmoid(z)

    def to_dict(self) -> dict:
        return {"terms": list(QUALITY_TERMS), "coarse_columns": COARSE_COLUMNS,
                "params": {k: list(v) for k, v in self.params.items()}}

    @staticmethod
    def from_dict(data) -> "QualityScores":
        stored = _check_terms(data, QUALITY_TERMS, ("params",), "quality scores")
        params = _mapping(data["params"], PICK_TYPES, "quality score map")
        return QualityScores({k: _padded(_finite_list(params[k], len(stored), f"quality score map of {k}"), stored,
                                         QUALITY_TERMS) for k in PICK_TYPES})


def _check_terms(data, terms, fields, what: str) -> tuple:
    """The terms a stored model was fitted on: this code's, or the LEGACY_TERMS of the same model (read with
    the newer terms at 0: they change nothing). Other keys, terms or resolution splits are refused, not
    misread."""
    _mapping(data, ("terms", "coarse_columns", *fields), what)
    stored = data["terms"]
    known = [list(terms)] + [list(legacy) for legacy in LEGACY_TERMS.get(what, ())]
    if stored not in known or data["coarse_columns"] != COARSE_COLUMNS:
        raise ModelFileError(f"{what}: stored with other terms than this version of GeoBFDT computes")
    return tuple(stored)


def _padded(values: list[float], stored: tuple, terms: tuple) -> list[float]:
    """Coefficients on the stored terms, as coefficients on `terms` (0 on those the file lacks)."""
    by_term = dict(zip(stored, values))
    return [by_term.get(t, 0.0) for t in terms]


def azimuth_floor_deg(floor_cm, amplitude_cm):
    """An azimuth floor given along the trace (cm) in degrees for traces of these amplitudes (cm)."""
    return np.minimum(180.0, np.degrees(floor_cm / np.maximum(np.asarray(amplitude_cm, dtype=np.float64), 1e-3)))
