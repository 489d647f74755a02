"""Pieces every reader shares: depth units, depth order, nulls, azimuth grid, radius, resampling,
and assembling a Well from them.

Each reader turns its file into plain arrays (depth in the file's unit, an image, optional
curves on their own depth grids) and hands them to `assemble_well`, so DLIS, LAS and NPZ
wells obey the same rules (docs/conventions.md).
"""

from __future__ import annotations

import contextlib
import logging
import re

import numpy as np

from geobfdt.errors import GeoBFDTError, OptionError, WellFileError
from geobfdt.files import one_line
from geobfdt.io.image_buffer import any_finite, fill_rows
from geobfdt.well import Well

INCH_M = 0.0254
NULL_VALUES = (-9999.0, -999.25, -500.0)

# depth unit spellings seen in DLIS and LAS headers -> metres per unit
MIN_HOLE_IN = 2.0  # smaller calipers or bit sizes are tool nulls, not holes
_DEPTH_UNITS_M = {
    "m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0,
    "ft": 0.3048, "f": 0.3048, "feet": 0.3048, "foot": 0.3048, "usft": 0.3048006096,
    "in": INCH_M, "inch": INCH_M, "inches": INCH_M,
    "0.1in": 0.1 * INCH_M, ".1in": 0.1 * INCH_M, "0.1inch": 0.1 * INCH_M, "in/10": 0.1 * INCH_M,
    "01in": 0.1 * INCH_M, "1/10in": 0.1 * INCH_M,
    "cm": 0.01, "mm": 0.001,
}
_LENGTH_UNITS_IN = {"in": 1.0, "inch": 1.0, "inches": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4, "m": 1 / INCH_M}


def _unit_key(unit) -> str:
    return re.sub(r"[\s_]+", "", str(unit or "").strip().lower()).replace("\"", "in")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(one_line(record.getMessage()))


@contextlib.contextmanager
def collect_warnings(logger_name: str):
    """dlisio and lasio log recoverable oddities as warnings, which reach stderr through
    logging's last-resort handler; collect them (for Well.provenance) instead."""
    logger = logging.getLogger(logger_name)
    handler, propagate = _Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def is_depth_unit(unit) -> bool:
    return _unit_key(unit) in _DEPTH_UNITS_M


def depth_unit_to_m(unit) -> float:
    """Metres per depth unit; raises for units that are not lengths (time-indexed frames)."""
    factor = _DEPTH_UNITS_M.get(_unit_key(unit))
    if factor is None:
        raise WellFileError(f"unsupported depth unit {unit!r} (expected m, ft or 0.1 in)")
    return factor


def length_to_in(values, unit) -> np.ndarray:
    """Caliper / bit size values to inches (an empty unit is taken as inches, the usual one)."""
    key = _unit_key(unit) or "in"
    if key not in _LENGTH_UNITS_IN:
        raise WellFileError(f"unsupported caliper unit {unit!r} (expected in, cm, mm or m)")
    return np.asarray(values, dtype=np.float64) * _LENGTH_UNITS_IN[key]


def mask_nulls(values, extra_null=None, resistivity: bool = False) -> np.ndarray:
    """Float copy with nulls (NaN, inf, the sentinels, a file's own null) set to NaN."""
    out = np.array(values, dtype=np.float64)
    nulls = NULL_VALUES + (() if extra_null is None else (float(extra_null),))
    bad = ~np.isfinite(out) | np.isin(np.round(out, 3), np.round(nulls, 3))
    if resistivity:  # a resistivity cannot be negative: negative samples are flags
        bad |= out < 0
    out[bad] = np.nan
    return out


def column_azimuths_deg(width: int) -> np.ndarray:
    """Column centres: column j covers [j, j+1) * 360/W, so its centre is (j + 0.5) * 360/W."""
    return (np.arange(width) + 0.5) * 360.0 / width


def depth_row_order(depth_m) -> np.ndarray:
    """The rows to keep, in increasing depth: NaN depths and repeated depths (kept: first) dropped."""
    depth_m = np.asarray(depth_m, dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(depth_m))
    rows = rows[np.argsort(depth_m[rows], kind="stable")]
    first = np.concatenate([[True], np.diff(depth_m[rows]) > 0])
    return rows[first]


def depth_order(depth) -> str:
    depth = np.asarray(depth, dtype=np.float64)
    depth = depth[np.isfinite(depth)]
    return "decreasing" if depth.size > 1 and depth[0] > depth[-1] else "increasing"


def resample_curve(target_depth_m, depth_m, values) -> np.ndarray | None:
    """Linear interpolation of a curve onto the image rows, ignoring its null samples.

    Outside the curve's depth range the end values are held. None when no sample is valid.
    """
    depth_m, values = np.asarray(depth_m, np.float64), np.asarray(values, np.float64)
    ok = np.isfinite(depth_m) & np.isfinite(values)
    if not ok.any():
        return None
    order = np.argsort(depth_m[ok])
    return np.interp(target_depth_m, depth_m[ok][order], values[ok][order])


def resample_azimuth_curve(target_depth_m, depth_m, azimuth_deg) -> np.ndarray | None:
    """As resample_curve, but through the unit vector so 359 -> 1 deg passes through 0."""
    az = np.radians(np.asarray(azimuth_deg, np.float64))
    c = resample_curve(target_depth_m, depth_m, np.cos(az))
    s = resample_curve(target_depth_m, depth_m, np.sin(az))
    if c is None or s is None:
        return None
    return np.mod(np.degrees(np.arctan2(s, c)), 360.0)


def resolve_radius(n_rows: int, caliper_in=None, bit_size_in_curve=None, bit_size_in=None):
    """(radius_m per row, radius_source): caliper, else bit size curve/header, else the user's value."""
    if caliper_in is not None and np.isfinite(caliper_in).any() and np.nanmax(caliper_in) > 0:
        return np.asarray(caliper_in, np.float64) / 2.0 * INCH_M, "caliper"
    if bit_size_in_curve is not None and np.isfinite(bit_size_in_curve).any() and np.nanmax(bit_size_in_curve) > 0:
        return np.broadcast_to(np.asarray(bit_size_in_curve, np.float64), (n_rows,)) / 2.0 * INCH_M, "bit_size"
    if bit_size_in is not None:
        if not bit_size_in > 0:
            raise OptionError(f"--bit-size-in must be positive, got {bit_size_in}")
        return np.full(n_rows, bit_size_in / 2.0 * INCH_M), "user"
    raise WellFileError("no caliper or bit size in the file: give the hole size with --bit-size-in")


def assemble_well(*, name, depth, depth_unit, provenance, image=None, read_image_rows=None, width=None, tool="",
                  curves=None, bit_size_in=None, resistivity=False, extra_null=None, max_image_gib=None,
                  ram_image_gib=None) -> Well:
    """Build a Well from raw reader output.

    depth: index values in `depth_unit`, any order. image: (rows, width) raw values; or, so that
    a large image is never whole in memory, read_image_rows(raw_row_indices) giving those rows
    of it, and its width. The image is decoded block by block into memory or, above the
    in-memory budget (ram_image_gib), into a temporary file (io/image_buffer.py).
    curves: optional dict with keys caliper_in, bit_size_in, inclination_deg,
    hole_azimuth_deg, each a list of (depth_m, values) pairs on their own grids, values
    already in the named unit; several pairs (caliper arms C1, C2) are averaged.
    """
    where = provenance.get("file", name)
    try:
        depth_m = np.asarray(depth, dtype=np.float64) * depth_unit_to_m(depth_unit)
    except GeoBFDTError as exc:
        raise WellFileError(f"{where}: {exc}") from None
    provenance = dict(provenance, depth_unit=str(depth_unit), depth_order=depth_order(depth_m))
    order = depth_row_order(depth_m)
    depth_m = depth_m[order]
    if depth_m.size < 2:
        raise WellFileError(f"{where}: fewer than 2 image rows with a valid depth")
    if read_image_rows is None:
        image = np.asarray(image)
        read_image_rows, width = image.__getitem__, image.shape[1]
    image = fill_rows(where, read_image_rows, order, width, lambda block: mask_nulls(block, extra_null, resistivity),
                      max_image_gib, ram_image_gib)
    if not any_finite(image):
        raise WellFileError(f"{where}: image channel {provenance.get('channel', '')} has no valid data (all null)")
    curves = curves or {}

    def on_rows(key, azimuthal=False):
        resample = resample_azimuth_curve if azimuthal else resample_curve
        pairs = curves.get(key, [])
        if key in ("caliper_in", "bit_size_in"):  # 0, -999 and other non-holes are gaps, interpolated over
            pairs = [(d, np.where(np.asarray(v, np.float64) >= MIN_HOLE_IN, v, np.nan)) for d, v in pairs]
        rows = [r for r in (resample(depth_m, d, v) for d, v in pairs) if r is not None]
        return np.mean(rows, axis=0) if rows else None

    try:
        radius_m, source = resolve_radius(depth_m.size, on_rows("caliper_in"), on_rows("bit_size_in"), bit_size_in)
    except GeoBFDTError as exc:
        raise WellFileError(f"{where}: {exc}") from None
    inclination = on_rows("inclination_deg")
    hole_azimuth = on_rows("hole_azimuth_deg", azimuthal=True) if inclination is not None else None
    return Well(name=name, depth_m=depth_m, azimuth_deg=column_azimuths_deg(width), image=image,
                radius_m=radius_m, radius_source=source,
                inclination_deg=inclination, hole_azimuth_deg=hole_azimuth, tool=tool, provenance=provenance)
