"""The two data types everything else passes around: a Well (an image log) and a Pick."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geobfdt.errors import PickFileError, WellFileError
from geobfdt.geometry import wrap_azimuth_deg

PICK_TYPES = ("fracture", "bedding")


@dataclass
class Well:
    """An unwrapped borehole image on its native grid.

    image[i, j] is the value at depth_m[i] and azimuth_deg[j]; NaN marks no data (pad
    gaps, dead buttons, nulls). radius_m holds one radius per row (caliper, else bit
    size, else a user value; radius_source says which).
    """

    name: str
    depth_m: np.ndarray  # (rows,), strictly increasing
    azimuth_deg: np.ndarray  # (columns,), column centres in [0, 360)
    image: np.ndarray  # (rows, columns) float32
    radius_m: np.ndarray  # (rows,)
    radius_source: str = "unknown"
    inclination_deg: np.ndarray | None = None  # (rows,) or None for a vertical / unknown hole
    hole_azimuth_deg: np.ndarray | None = None
    tool: str = ""  # free text, e.g. "fmi", "slim", "lwd16"
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        try:
            self.depth_m = np.asarray(self.depth_m, dtype=np.float64)
            self.azimuth_deg = np.asarray(self.azimuth_deg, dtype=np.float64)
            self.image = np.asarray(self.image, dtype=np.float32)
            self.radius_m = self._per_row("radius_m", self.radius_m)
            for curve in ("inclination_deg", "hole_azimuth_deg"):
                if getattr(self, curve) is not None:
                    setattr(self, curve, self._per_row(curve, getattr(self, curve)))
        except (TypeError, ValueError) as exc:
            raise WellFileError(f"{self.name}: malformed well arrays ({exc})") from None
        if self.image.ndim != 2 or self.image.shape != (self.depth_m.size, self.azimuth_deg.size):
            raise WellFileError(
                 f"{self.name}: image shape {self.image.shape} does not match "
                 f"{self.depth_m.size} depths x {self.azimuth_deg.size} azimuths")
        # NaN compares False, so finiteness is checked on its own
        if self.depth_m.size < 2 or not np.isfinite(self.depth_m).all() or np.any(np.diff(self.depth_m) <= 0):
            raise WellFileError(f"{self.name}: depths must be finite and strictly increasing with at least 2 rows")

    def __repr__(self) -> str:  # the arrays' values would fill a notebook's page
        return (f"Well({self.name!r}, {self.depth_m[0]:.2f}-{self.depth_m[-1]:.2f} m, {self.depth_m.size} rows x "
                f"{self.width} columns, radius from {self.radius_source}"
                + (f", tool {self.tool!r}" if self.tool else "") + (", deviated" if self.deviated else "") + ")")

    def _per_row(self, name: str, values) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if values.ndim > 1 or values.size not in (1, self.depth_m.size):
            raise WellFileError(f"{self.name}: {name} has {values.size} values for {self.depth_m.size} depths")
        return np.broadcast_to(values, self.depth_m.shape).copy()

    @property
    def depth_step_m(self) -> float:
        return float(np.median(np.diff(self.depth_m)))

    @property
    def width(self) -> int:
        return int(self.azimuth_deg.size)

    @property
    def deviated(self) -> bool:
        return self.inclination_deg is not None and bool(np.nanmax(self.inclination_deg) > 1.0)

    def radius_at(self, depth_m) -> np.ndarray:
        return np.interp(depth_m, self.depth_m, self.radius_m)

    def deviation_at(self, depth_m):
        """(inclination_deg, hole_azimuth_deg) at the given depths, or None without a survey."""
        if self.inclination_deg is None:
            return None
        hole_azimuth = self.hole_azimuth_deg if self.hole_azimuth_deg is not None else np.zeros_like(self.depth_m)
        # hole azimuth is circular: interpolate its unit vector
        az = np.radians(hole_azimuth)
        c = np.interp(depth_m, self.depth_m, np.cos(az))
        s = np.interp(depth_m, self.depth_m, np.sin(az))
        return np.interp(depth_m, self.depth_m, self.inclination_deg), np.mod(np.degrees(np.arctan2(s, c)), 360.0)


@dataclass
class Pick:
    """One plane: centre-line depth, apparent dip and dip azimuth (image frame), type.

    Optional, predictions: score (with a calibrated model, the probability that the pick is
    real), and with `predict --uncertainty` the half-widths of 80% intervals of depth, dip and
    azimuth (the truth lies within +- that much 80% of the time). Optional, synthetic truth:
    how plainly the plane shows (contrast over the background sd, share of its trace visible).
    induced is 1.0 for a fracture pick lying on a drilling-induced fracture (features/breakouts.py):
    the natural-fracture figures leave it out. found_again: the share of the implanted copies of its
    well (`inject-test`, `predict --self-calibrate`; evaluation/injection.py) whose picks hold it again.
    """

    depth_m: float
    dip_deg: float
    azimuth_deg: float
    type: str  # "fracture" | "bedding"
    score: float | None = None  # predictions only
    dip_true_deg: float | None = None  # when the hole's deviation is known
    azimuth_true_deg: float | None = None
    well: str | None = None
    depth_err80_cm: float | None = None
    dip_err80_deg: float | None = None
    azimuth_err80_deg: float | None = None
    contrast_sd: float | None = None
    coverage_frac: float | None = None
    induced: float | None = None  # 1.0: lies on a drilling-induced fracture (predict --features breakouts)
    found_again: float | None = None  # 0-1: share of the implanted copies that found it again

    def __post_init__(self):
        if self.type not in PICK_TYPES:
            raise PickFileError(f"pick type must be one of {PICK_TYPES}, got {self.type!r}")
        if not (np.isfinite(self.depth_m) and np.isfinite(self.azimuth_deg) and 0.0 <= self.dip_deg <= 90.0):
            raise PickFileError(f"pick needs a finite depth and azimuth and a dip in [0, 90] deg, got depth "
                                f"{self.depth_m}, dip {self.dip_deg}, azimuth {self.azimuth_deg}")
        self.azimuth_deg = float(wrap_azimuth_deg(self.azimuth_deg))
        if self.azimuth_true_deg is not None:
            self.azimuth_true_deg = float(wrap_azimuth_deg(self.azimuth_true_deg))
        # pick files store the well name as a trimmed CSV cell: trimmed here too, so a pick reads back as written
        if self.well is not None:
            self.well = self.well.strip() or None
