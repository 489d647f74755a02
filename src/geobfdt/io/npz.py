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
from geobfdt.io.common import GIB, atomic_path, check_image_size, max_image_bytes, one_line

REQUIRED_KEYS = ("name", "depth_m", "azimuth_deg", "image", "radius_m")
OPTIONAL_KEYS = ("radius_source", "tool", "provenance", "inclination_deg", "hole_azimuth_deg")


def is_npz(path, head: bytes) -> bool:
    """A zip archive holding at least the arrays a Well needs."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n.removesuffix(".npy") for n in archive.namelist()}
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError, EOFError):
        return True  # a damaged zip: read_npz says what is wrong with it
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


def _members(path, archive: zipfile.ZipFile, limit_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by key, after checking from the zip directory alone (nothing
    decompressed yet) that together they cannot exceed the memory limit: a zip bomb stops here."""
    members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
    wanted = [members[k] for k in REQUIRED_KEYS + OPTIONAL_KEYS if k in members]
    total = sum(info.file_size for info in wanted)
    if total > limit_bytes:
        raise GeoBFDTError(f"{path}: its arrays hold {total / GIB:.3g} GiB uncompressed, above the "
                           f"{limit_bytes / GIB:.3g} GiB limit; raise it with --max-image-gib if the machine has the memory")
    return members


def _read_member(path, archive, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    """One .npy member, its header checked against the size the zip directory declares, so a
    header claiming a huge shape cannot make numpy allocate it."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = header(f, max_header_size=10_000)
        if dtype.hasobject:
            raise GeoBFDTError(f"{path}: array {key} holds Python objects (refused: NPZ arrays must be plain data)")
        need = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if need > info.file_size:
            raise GeoBFDTError(f"{path}: array {key} declares {shape} {dtype} but its member holds only "
                               f"{info.file_size} bytes (damaged file)")
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _text(path, fields, key) -> None:
    """name, tool and radius_source are single strings."""
    if key in fields:
        value = fields[key]
        if value.ndim != 0 or value.dtype.kind not in "US":
            raise GeoBFDTError(f"{path}: {key} must be one string, found a {value.dtype} array of shape {value.shape}")
        fields[key] = str(value)


def _provenance(path, fields) -> dict:
    text = fields.pop("provenance", None)
    if text is None:
        return {}
    if text.ndim != 0 or text.dtype.kind not in "US":
        raise GeoBFDTError(f"{path}: provenance must be one JSON string")
    try:
        provenance = json.loads(str(text))
    except (json.JSONDecodeError, RecursionError):  # RecursionError: "[[[[..." nested beyond the parser's depth
        raise GeoBFDTError(f"{path}: provenance is not valid JSON") from None
    if not isinstance(provenance, dict):
        raise GeoBFDTError(f"{path}: provenance must be a JSON object, found {type(provenance).__name__}")
    return provenance


def read_npz(path, max_image_gib: float | None = None) -> Well:
    path = Path(path)
    limit = max_image_bytes(max_image_gib)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(path, archive, limit)
            missing = [k for k in REQUIRED_KEYS if k not in members]
            if missing:
                raise GeoBFDTError(f"{path}: NPZ without the arrays {', '.join(missing)}")
            fields = {k: _read_member(path, archive, members[k], k) for k in REQUIRED_KEYS + OPTIONAL_KEYS
                      if k in members}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, NotImplementedError,
            RuntimeError) as exc:  # NotImplementedError: unknown compression; RuntimeError: encrypted member
        raise GeoBFDTError(f"{path}: cannot read NPZ ({one_line(exc)})") from None
    provenance = _provenance(path, fields)
    for key in ("name", "radius_source", "tool"):
        _text(path, fields, key)
    for key in ("depth_m", "azimuth_deg", "radius_m", "inclination_deg", "hole_azimuth_deg"):
        if key in fields and (fields[key].ndim > 1 or fields[key].dtype.kind not in "biuf"):
            raise GeoBFDTError(f"{path}: {key} must be a 1-D array of numbers, found a {fields[key].dtype} array "
                               f"of shape {fields[key].shape}")
    if fields["image"].dtype.kind not in "biuf":
        raise GeoBFDTError(f"{path}: the image array is not numeric")
    image = fields["image"]
    if image.ndim != 2:
        raise GeoBFDTError(f"{path}: the image array has {image.ndim} dimensions, not 2 (depth x azimuth)")
    check_image_size(path, image.shape[0], image.shape[1], max_image_gib)
    fields["image"] = image = np.asarray(image, dtype=np.float32)  # no copy when stored as float32
    if not any(np.isfinite(image[i:i + 4096]).any() for i in range(0, len(image), 4096)):  # no image-sized mask
        raise GeoBFDTError(f"{path}: image has no valid data (all null)")
    try:
        return Well(**fields, provenance=provenance)
    except GeoBFDTError as exc:  # inconsistent arrays: say which file, not only the well name inside it
        raise GeoBFDTError(f"{path}: {exc}") from None
