"""Deviation surveys (CSV with measured depth, inclination, hole azimuth) onto a well's rows."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np

from ..errors import GeoBFDTError
from ..well import Well
from .common import resample_azimuth_curve, resample_curve

DEPTH_COLUMNS = ("DEPTH", "MD", "DEPT", "DEPTH_M")
INCLINATION_COLUMNS = ("DEVI", "INC", "INCL", "INCLINATION")
AZIMUTH_COLUMNS = ("AZIM", "AZI", "HAZI", "AZIMUTH")


def _column(header, candidates, path):
    for name in candidates:
        if name in header:
            return header.index(name)
    raise GeoBFDTError(f"{path}: survey needs one of the columns {', '.join(candidates)}")


def read_survey(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depth_m, inclination_deg, hole_azimuth_deg) from a CSV; depth in metres."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GeoBFDTError(f"{path}: cannot read survey ({exc})") from None
    if len(rows) < 3:
        raise GeoBFDTError(f"{path}: survey needs a header and at least 2 stations")
    header = [h.strip().upper() for h in rows[0]]
    cols = [_column(header, c, path) for c in (DEPTH_COLUMNS, INCLINATION_COLUMNS, AZIMUTH_COLUMNS)]
    try:
        values = np.array([[float(r[c]) for c in cols] for r in rows[1:]], dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise GeoBFDTError(f"{path}: bad survey row ({exc})") from None
    return values[:, 0], values[:, 1], values[:, 2]


def apply_survey(well: Well, path) -> Well:
    """The well with inclination and hole azimuth interpolated from the survey (azimuth circularly)."""
    depth_m, inclination_deg, azimuth_deg = read_survey(path)
    return dataclasses.replace(
        well, inclination_deg=resample_curve(well.depth_m, depth_m, inclination_deg),
        hole_azimuth_deg=resample_azimuth_curve(well.depth_m, depth_m, azimuth_deg),
        provenance=dict(well.provenance, survey=str(path)))
