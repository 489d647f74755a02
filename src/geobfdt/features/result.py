"""The one type every feature returns: per-depth curves, per-object tables and a summary."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FeatureResult:
    """What one feature found in one well.

    curves: name -> (values, unit) on `depth_m` (one regular depth grid per result);
    tables: name -> columns (name -> 1-D array, all of one length), one row per object;
    summary: JSON-safe numbers and text for the per-well report (e.g. the SHmax azimuth).
    """

    feature: str
    depth_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    curves: dict[str, tuple[np.ndarray, str]] = field(default_factory=dict)
    tables: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
