"""Deviation surveys (CSV with measured depth, inclination, hole azimuth) onto a well's rows."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np

from geobfdt.errors import WellFileError
from geobfdt.well import Well
from geobfdt.io.limits import MAX_CSV_ENV, check_file_size, max_csv_bytes
from geobfdt.io.common import resample_azimuth_curve, resample_curve

DEPTH_COLUMNS = ("DEPTH", "MD", "DEPT", "DEPTH_M", "MD_M", "DEPTH_FT", "MD_FT", "DEPT_FT")
INCLINATION_COLUMNS = ("DEVI", "INC", "INCL", "INCLINATION")
AZIMUTH_COLUMNS = ("AZIM", "AZI", "HAZI", "AZIMUTH")
FOOT_M = 0.3048


def _split_unit(name: str) -> tuple[str, str]:
    """'DEPTH (FT)' or 'DEPTH[ft]' -> ('DEPTH', 'FT'); a name with no unit -> (name, '')."""
    for opening, closing in ("()", "[]"):
        if name.endswith(closing) and opening in name:
            base, unit = name[:-1].split(opening, 1)
            return base.strip(), unit.strip()
    return name, ""


def _column(header, candidates, path):
    for name in candidates:
        if name in header:
            return header.index(name)
    raise WellFileError(f"{path}: survey needs one of the columns {', '.join(candidates)}")


def _depth_scale_m(name: str, unit: str, path) -> float:
    """Metres per unit of the depth column: from its unit in brackets or an _FT / _M suffix."""
    unit = unit or ("FT" if name.endswith("_FT") else "M")
    if unit in ("M", "METRE", "METRES", "METER", "METERS"):
        return 1.0
    if unit in ("FT", "F", "FEET", "FOOT"):
        return FOOT_M
    raise WellFileError(f"{path}: unknown depth unit '{unit}' (m or ft)")


def read_survey(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depth_m, inclination_deg, hole_azimuth_deg) from a CSV. The depth column is metres unless
    its header gives feet: DEPTH (ft), DEPTH[FT] or a name ending _FT (DEPTH_FT, MD_FT)."""
    path = Path(path)
    check_file_size(path, max_csv_bytes(), "a survey", MAX_CSV_ENV)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise WellFileError(f"{path}: cannot read survey ({exc})") from None
    if len(rows) < 3:
        raise WellFileError(f"{path}: survey needs a header and at least 2 stations")
    names, units = zip(*(_split_unit(h.strip().upper()) for h in rows[0]))
    cols = [_column(list(names), c, path) for c in (DEPTH_COLUMNS, INCLINATION_COLUMNS, AZIMUTH_COLUMNS)]
    try:
        values = np.array([[float(r[c]) for c in cols] for r in rows[1:]], dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise WellFileError(f"{path}: bad survey row ({exc})") from None
    if not np.isfinite(values).all():
        raise WellFileError(f"{path}: survey values must be finite numbers")
    if values[:, 1].min() < 0.0 or values[:, 1].max() > 180.0:
        raise WellFileError(f"{path}: inclination must lie in 0-180 deg, found "
                            f"{values[:, 1].min():g} to {values[:, 1].max():g}")
    depth_m = values[:, 0] * _depth_scale_m(names[cols[0]], units[cols[0]], path)
    return depth_m, values[:, 1], values[:, 2] % 360.0


def apply_survey(well: Well, path) -> Well:
    """The well with inclination and hole azimuth interpolated from the survey (azimuth circularly)."""
    depth_m, inclination_deg, azimuth_deg = read_survey(path)
    # a survey in feet read as metres, or one of another well, would be applied silently otherwise
    if depth_m.max() < well.depth_m[0] or depth_m.min() > well.depth_m[-1]:
        raise WellFileError(f"{path}: the survey covers {depth_m.min():g}-{depth_m.max():g} m MD, the well "
                            f"{well.depth_m[0]:g}-{well.depth_m[-1]:g} m; give the depth unit in the header, "
                            "e.g. DEPTH (ft)")
    return dataclasses.replace(
        well, inclination_deg=resample_curve(well.depth_m, depth_m, inclination_deg),
        hole_azimuth_deg=resample_azimuth_curve(well.depth_m, depth_m, azimuth_deg),
        provenance=dict(well.provenance, survey=str(path)))
