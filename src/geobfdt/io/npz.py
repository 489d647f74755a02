"""NPZ: the project's own lossless container for a Well (one array per field).

Keys: name, depth_m, azimuth_deg, image, radius_m, radius_source, tool, provenance (a
JSON string), and inclination_deg / hole_azimuth_deg when the well has a survey.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from geobfdt.errors import GeoBFDTError, WellFileError
from geobfdt.well import Well
from geobfdt.files import atomic_path, one_line
from geobfdt.io.limits import GIB, check_image_size, max_image_bytes
from geobfdt.io.image_buffer import any_finite, fill_rows, ram_image_bytes

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
        raise WellFileError(f"{path}: its arrays hold {total / GIB:.3g} GiB uncompressed, above the "
                            f"{limit_bytes / GIB:.3g} GiB limit; raise it with --max-image-gib if the machine has the memory")
    return members


def _header(path, f, info: zipfile.ZipInfo, key: str):
    """(shape, fortran_order, dtype) of a .npy member, checked against the size the zip directory
    declares, so a header claiming a huge shape cannot make us allocate it."""
    version = np.lib.format.read_magic(f)
    header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = header(f, max_header_size=10_000)
    if dtype.hasobject:
        raise WellFileError(f"{path}: array {key} holds Python objects (refused: NPZ arrays must be plain data)")
    need = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if need > info.file_size:
        raise WellFileError(f"{path}: array {key} declares {shape} {dtype} but its member holds only "
                            f"{info.file_size} bytes (damaged file)")
    return shape, fortran_order, dtype


def _read_member(path, archive, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    """One small .npy member (every array but the image), whole, after its header check."""
    with archive.open(info) as f:
        _header(path, f, info, key)
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _read_image(path, archive, info: zipfile.ZipInfo, max_image_gib, ram_image_gib) -> np.ndarray:
    """The image member streamed out of the zip (stored or deflated) block of rows by block of rows
    into memory or, above the in-memory budget, a temporary file (io/image_buffer.py)."""
    with archive.open(info) as f:
        shape, fortran_order, dtype = _header(path, f, info, "image")
        if dtype.kind not in "biuf":
            raise WellFileError(f"{path}: the image array is not numeric")
        if len(shape) != 2:
            raise WellFileError(f"{path}: the image array has {len(shape)} dimensions, not 2 (depth x azimuth)")
        rows, columns = shape
        check_image_size(path, rows, columns, max_image_gib)
        if fortran_order:  # column by column on disk: no row block is contiguous, so it is read whole
            if 4 * rows * columns > ram_image_bytes(ram_image_gib):
                raise WellFileError(f"{path}: the image is stored column-major (Fortran order) and is above the "
                                    "in-memory budget (--ram-image-gib); save it row-major to read it in blocks")
            with archive.open(info) as whole:
                data = np.lib.format.read_array(whole, allow_pickle=False)
            return fill_rows(path, data.__getitem__, np.arange(rows), columns, to_float32, max_image_gib, ram_image_gib)
        row_bytes = columns * dtype.itemsize

        def next_rows(indices):  # fill_rows asks for the rows in order: the next ones in the stream
            data = f.read(indices.size * row_bytes)
            if len(data) != indices.size * row_bytes:
                raise WellFileError(f"{path}: the image member ends early (damaged file)")
            return np.frombuffer(data, dtype).reshape(indices.size, columns)

        image = fill_rows(path, next_rows, np.arange(rows), columns, to_float32, max_image_gib, ram_image_gib)
        f.read()  # to the member's end, where zipfile checks its CRC
    return image


def to_float32(block) -> np.ndarray:
    return np.asarray(block, dtype=np.float32)


def _text(path, fields, key) -> None:
    """name, tool and radius_source are single strings."""
    if key in fields:
        value = fields[key]
        if value.ndim != 0 or value.dtype.kind not in "US":
            raise WellFileError(f"{path}: {key} must be one string, found a {value.dtype} array of shape {value.shape}")
        fields[key] = str(value)


def _provenance(path, fields) -> dict:
    text = fields.pop("provenance", None)
    if text is None:
        return {}
    if text.ndim != 0 or text.dtype.kind not in "US":
        raise WellFileError(f"{path}: provenance must be one JSON string")
    try:
        provenance = json.loads(str(text))
    except (json.JSONDecodeError, RecursionError):  # RecursionError: "[[[[..." nested beyond the parser's depth
        raise WellFileError(f"{path}: provenance is not valid JSON") from None
    if not isinstance(provenance, dict):
        raise WellFileError(f"{path}: provenance must be a JSON object, found {type(provenance).__name__}")
    return provenance


def read_npz(path, max_image_gib: float | None = None, ram_image_gib: float | None = None) -> Well:
    path = Path(path)
    limit = max_image_bytes(max_image_gib)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(path, archive, limit)
            missing = [k for k in REQUIRED_KEYS if k not in members]
            if missing:
                raise WellFileError(f"{path}: NPZ without the arrays {', '.join(missing)}")
            fields = {k: _read_member(path, archive, members[k], k) for k in REQUIRED_KEYS + OPTIONAL_KEYS
                      if k in members and k != "image"}
            provenance = _provenance(path, fields)
            for key in ("name", "radius_source", "tool"):
                _text(path, fields, key)
            for key in ("depth_m", "azimuth_deg", "radius_m", "inclination_deg", "hole_azimuth_deg"):
                if key in fields and (fields[key].ndim > 1 or fields[key].dtype.kind not in "biuf"):
                    raise WellFileError(f"{path}: {key} must be a 1-D array of numbers, found a {fields[key].dtype} "
                                        f"array of shape {fields[key].shape}")
            fields["image"] = _read_image(path, archive, members["image"], max_image_gib, ram_image_gib)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, NotImplementedError,
            RuntimeError, zlib.error) as exc:  # NotImplementedError: unknown compression; RuntimeError: encrypted member
        raise WellFileError(f"{path}: cannot read NPZ ({one_line(exc)})") from None
    if not any_finite(fields["image"]):
        raise WellFileError(f"{path}: image has no valid data (all null)")
    try:
        return Well(**fields, provenance=provenance)
    except GeoBFDTError as exc:  # inconsistent arrays: say which file, not only the well name inside it
        raise WellFileError(f"{path}: {exc}") from None
