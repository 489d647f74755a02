"""NPZ: the project's own lossless container for a Well (one array per field).

Keys: name, depth_m, azimuth_deg, image, radius_m, radius_source, tool, provenance (a
JSON string), and inclination_deg / hole_azimuth_deg when the well has a survey.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from geobfdt.errors import GeoBFDTError
from geobfdt.well import Well
from geobfdt.io.common import atomic_path

REQUIRED_KEYS = ("name", "depth_m", "azimuth_deg", "image", "radius_m")
OPTIONAL_KEYS = ("radius_source", "tool", "provenance", "inclination_deg", "hole_azimuth_deg")


def is_npz(path, head: bytes) -> bool:
    """A zip archive holding at least the arrays a Well needs."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n.removesuffix(".npy") for n in archive.namelist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return set(REQUIRED_KEYS) <= names


def write_npz(well: Well, path) -> None:
    arrays = {
        "name": np.array(well.name), "depth_m": well.depth_m, "azimuth_deg": well.azimuth_deg,
        "image": well.image, "radius_m": well.radius_m, "radius_source": np.array(well.radius_source),
        "tool": np.array(well.tool), "provenance": np.array(json.dumps(well.provenance, default=str)),
    }
    for key in ("inclination_deg", "hole_azimuth_deg"):
        if getattr(well, key) is not None:
            arrays[key] = getattr(well, key)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def read_npz(path) -> Well:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            fields = {k: data[k] for k in REQUIRED_KEYS + OPTIONAL_KEYS if k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise GeoBFDTError(f"{path}: cannot read NPZ ({exc})") from None
    try:
        provenance = json.loads(str(fields.pop("provenance", "{}")))
    except json.JSONDecodeError:
        raise GeoBFDTError(f"{path}: provenance is not valid JSON") from None
    for key in ("name", "radius_source", "tool"):
        if key in fields:
            fields[key] = str(fields[key])
    try:
        fields["image"] = image = np.asarray(fields["image"], dtype=np.float32)  # no copy when stored as float32
    except (TypeError, ValueError):
        raise GeoBFDTError(f"{path}: the image array is not numeric") from None
    if image.ndim != 2:
        raise GeoBFDTError(f"{path}: the image array has {image.ndim} dimensions, not 2 (depth x azimuth)")
    if not any(np.isfinite(image[i:i + 4096]).any() for i in range(0, len(image), 4096)):  # no image-sized mask
        raise GeoBFDTError(f"{path}: image has no valid data (all null)")
    return Well(**fields, provenance=provenance)
