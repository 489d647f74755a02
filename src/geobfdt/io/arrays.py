"""A well from numpy arrays already in memory (a notebook's), built as the file readers build one."""

from __future__ import annotations

import numpy as np

from geobfdt.errors import OptionError
from geobfdt.io.common import assemble_well, depth_unit_to_m
from geobfdt.well import Well


def _column(name, values, rows: int) -> np.ndarray:
    try:
        values = np.broadcast_to(np.asarray(values, np.float64), (rows,))
    except (TypeError, ValueError):
        raise OptionError(f"{name}: expected one number or one per image row ({rows})") from None
    return values


def well_from_arrays(image, depth_m, bit_size_in=None, caliper_in=None, name: str = "ARRAY",
                     inclination_deg=None, hole_azimuth_deg=None, depth_unit: str = "m",
                     max_image_gib=None, ram_image_gib=None) -> Well:
    """image (rows, columns): columns evenly spaced in azimuth, the first at 0 deg (high side or
    north, as in the files); depth (rows,) in depth_unit, any order. The hole size is the caliper
    (inches, per row), else bit_size_in; inclination and hole azimuth (degrees, per row) give the
    true orientation of the picks. Nulls (NaN, -999.25 and the like) become gaps."""
    try:
        image = np.asarray(image, np.float64)
        depth = np.asarray(depth_m, np.float64)
    except (TypeError, ValueError):
        raise OptionError(f"{name}: the image and depths must be numeric arrays") from None
    if image.ndim != 2 or depth.ndim != 1 or image.shape[0] != depth.size:
        raise OptionError(f"{name}: image shape {image.shape} needs one depth per row, got depths of shape "
                          f"{depth.shape}")
    if image.shape[1] < 4:
        raise OptionError(f"{name}: an image needs at least 4 azimuth columns, got {image.shape[1]}")
    if not np.isfinite(depth).all():
        raise OptionError(f"{name}: depths must all be finite")
    curves = {"caliper_in": [] if caliper_in is None else [(depth, _column("caliper_in", caliper_in, depth.size))]}
    if inclination_deg is not None:
        curves["inclination_deg"] = [(depth, _column("inclination_deg", inclination_deg, depth.size))]
        if hole_azimuth_deg is not None:
            curves["hole_azimuth_deg"] = [(depth, _column("hole_azimuth_deg", hole_azimuth_deg, depth.size))]
    if bit_size_in is not None and not float(bit_size_in) > 0:
        raise OptionError(f"bit_size_in must be positive, got {bit_size_in}")
    provenance = {"file": name, "format": "array", "channel": "image", "image_channels": ["image"]}
    # assemble_well takes the image depths in their unit, the curves' depths in metres
    return assemble_well(name=name, depth=depth, depth_unit=depth_unit, provenance=provenance, image=image,
                         curves=_in_metres(curves, depth_unit), bit_size_in=bit_size_in,
                         max_image_gib=max_image_gib, ram_image_gib=ram_image_gib)


def _in_metres(curves: dict, depth_unit: str) -> dict:
    factor = depth_unit_to_m(depth_unit)
    return {key: [(depth * factor, values) for depth, values in pairs] for key, pairs in curves.items()}
