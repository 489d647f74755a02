"""DLIS (RP66 v1) image logs: read with dlisio, write with dliswriter.

Reading picks one 2-D channel as the image (known image names first, or the one the
user names), takes depth from its frame's index channel, and brings calipers, bit size
and deviation from any frame of the same logical file onto the image rows. Writing puts
the image in a depth-indexed frame and the radius and deviation curves in a second,
coarser frame, the way service companies lay out their files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.lib.recfunctions import repack_fields

from geobfdt.errors import OptionError, WellFileError
from geobfdt.well import Well
from geobfdt.files import atomic_path, one_line, output_time
from geobfdt.io.limits import check_image_size
from geobfdt.io.common import (INCH_M, assemble_well, collect_warnings, depth_unit_to_m, is_depth_unit, length_to_in,
                               mask_nulls)
from geobfdt.io.image_buffer import block_rows, ram_image_bytes

# preferred image channels, best first (names normalised: upper case, single spaces)
KNOWN_IMAGE_CHANNELS = (
    "FMI_DYN", "FMI_STAT", "FMI_STA", "FMI_IMAGE", "CMI_DYN", "CMI_STAT", "CMI_STA",
    "NGI DYNAMIC IMAGE", "NGI STATIC IMAGE", "RES_BD_IMG", "OMRI_DYN", "STAR_DYN", "EMI_DYN",
    "IMG_DYN", "IMG_STAT", "IMAGE",
)
CALIPER_CHANNELS = ("C1", "C2")
FALLBACK_CALIPER_CHANNELS = ("HCAL", "CALI")
BIT_SIZE_CHANNELS = ("BS",)
INCLINATION_CHANNELS = ("DEVI", "DEVIM")
HOLE_AZIMUTH_CHANNELS = ("HAZI", "HAZIM")
TOOL_PARAMETER = "TOOL"
WRITER_DEPTH_UNITS = {"m": "m", "ft": "ft", "0.1 in": "0.1 in"}
MIN_IMAGE_WIDTH = 4
# dliswriter's default output buffer is 4 GiB (allocated twice, ~20 s); 1 MiB is ample
OUTPUT_CHUNK_BYTES = 2**20
# AttributeError: dlisio follows references a damaged file left as None
_DLISIO_ERRORS = (RuntimeError, OSError, ValueError, IndexError, EOFError, TypeError, AttributeError, KeyError)


def _norm(name) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().upper()


def is_dlis(head: bytes) -> bool:
    """An RP66 v1 storage unit label: 4-char sequence number, then 'V1.00', then 'RECORD'."""
    return len(head) >= 15 and head[4:9] == b"V1.00" and head[9:15] == b"RECORD"


# ---------------------------------------------------------------- reading

def _open(path):
    from dlisio import common, dlis

    # Latin-1 text (degree signs, accented well names) is common in older files
    common.set_encodings(["utf-8", "latin1"])
    try:
        return dlis.load(str(path))
    except _DLISIO_ERRORS as exc:
        raise WellFileError(f"{path}: cannot read DLIS ({one_line(exc)})") from None


def _is_image(channel) -> bool:
    dims = list(channel.dimension or [])
    return len(dims) == 1 and dims[0] >= MIN_IMAGE_WIDTH and channel.frame is not None


def _image_candidates(logical_files):
    return [(lf, ch) for lf in logical_files for ch in lf.channels if _is_image(ch)]


def _choose_image(path, candidates, image_channel):
    names = [_norm(ch.name) for _, ch in candidates]
    if image_channel is not None:
        wanted = _norm(image_channel)
        if wanted not in names:
            listed = ", ".join(dict.fromkeys(ch.name for _, ch in candidates)) or "none"
            raise WellFileError(f"{path}: no image channel {image_channel!r} (image channels: {listed})")
        return candidates[names.index(wanted)]
    if not candidates:
        raise WellFileError(f"{path}: no image channel (no 2-D channel in any frame; empty or truncated file?)")
    for known in KNOWN_IMAGE_CHANNELS:
        if known in names:
            return candidates[names.index(known)]
    return candidates[0]


class _OpenedByCaller(str):
    """What a logical file opened in Python is called in messages: its well name, never a path."""


def _file_bytes(path, logical_file) -> int:
    """The file's size; for a logical file opened by the caller (no path), a bound on it: the
    last frame record's offset plus 1 MiB (a damaged dimension asks for gigabytes)."""
    if not isinstance(path, _OpenedByCaller):
        return os.path.getsize(path)
    offsets = [max(positions) for positions in logical_file.fdata_index.values() if len(positions)]
    return max(offsets, default=0) + 2**20


def _frame_rows(path, frame, logical_file) -> int:
    """The frame's row count from the file's index, refused if those rows cannot all be in the
    file: a damaged dimension (one row of gigabytes) would make dlisio allocate rows x row size."""
    rows = len(logical_file.fdata_index.get(frame.fingerprint, ()))
    row_bytes = frame.dtype().itemsize
    if rows * row_bytes > _file_bytes(path, logical_file):
        raise WellFileError(f"{path}: frame {frame.name} declares {rows} rows of {row_bytes} bytes, more than the "
                           "file holds (damaged file)")
    return rows


def _read_rows(logical_file, frame, positions, dtype, pre_fmt="", fmt=None, post_fmt="") -> np.ndarray:
    """Rows of a frame at the given positions of its file index, in that order; with pre_fmt and
    post_fmt, one channel only (the rest of each row skipped). This is dlisio's internal reader,
    called the way Frame.curves calls it in dlisio 1.0.4 (pinned): reading a slice of the frame's
    row positions is what lets a large image be decoded block by block."""
    from dlisio import core

    return core.read_fdata(pre_fmt, frame.fmtstr() if fmt is None else fmt, post_fmt, logical_file.file,
                           positions, dtype.itemsize, lambda size: np.empty(size, dtype), logical_file.error_handler)


def _frame_columns(path, frame, logical_file, skip=None):
    """{channel name: values} for one frame, plus the index values and unit. skip: the name of a
    channel left out (the image, when it is read on its own in blocks): the frame is then read in
    blocks of rows and only the other channels kept.

    A file cut short at a record boundary still parses; the frame header's index range
    (written by every producer we know) tells whether all its rows arrived.
    """
    rows = _frame_rows(path, frame, logical_file)
    dtype = frame.dtype()
    fields = dtype.names[1:]  # FRAMENO first, then one field per channel in order
    names = [_norm(channel.name) for channel in frame.channels]
    if skip is None:
        curves = frame.curves()
        kept = fields
    else:
        positions = np.asarray(logical_file.fdata_index[frame.fingerprint], np.int64)
        kept = [f for f, name in zip(fields, names) if name != skip]
        step = block_rows(dtype.itemsize // 8)
        blocks = [repack_fields(_read_rows(logical_file, frame, positions[first:first + step], dtype)[kept])
                  for first in range(0, rows, step)]  # repacked at once: a field view would keep the whole block
        curves = np.concatenate(blocks) if blocks else np.empty(0)
    if not fields or curves.size == 0:
        raise WellFileError(f"{path}: frame {frame.name} has no data (file truncated?)")
    columns = {}
    for name, field in zip(names, fields):
        if field in kept:
            columns.setdefault(name, curves[field])
    index = np.asarray(curves[fields[0]], np.float64)
    for bound, seen in ((frame.index_min, np.nanmin(index)), (frame.index_max, np.nanmax(index))):
        if bound is not None and not np.isclose(seen, bound, rtol=1e-9, atol=1e-6 * max(1.0, abs(bound))):
            raise WellFileError(f"{path}: frame {frame.name} is truncated (index reaches {seen:g}, "
                                f"header says {bound:g})")
    return columns, index, frame.channels[0].units


def _image_reader(logical_file, frame, name):
    """read_rows(raw_row_indices) for the image channel `name` alone (the first of that name in
    the frame, as _frame_columns keeps), and its width: rows decoded only when asked for."""
    positions = np.asarray(logical_file.fdata_index[frame.fingerprint], np.int64)
    at = [_norm(channel.name) for channel in frame.channels].index(name)
    formats = [channel.fmtstr() for channel in frame.channels]
    pre_fmt, fmt, post_fmt = "i" + "".join(formats[:at]), formats[at], "".join(formats[at + 1:])
    dtype = np.dtype([("image", frame.dtype()[at + 1])])

    def read_rows(rows):
        return _read_rows(logical_file, frame, positions[rows], dtype, pre_fmt, fmt, post_fmt)["image"]
    return read_rows, int(np.prod(frame.channels[at].dimension))


def _frame_depth_m(frame_cache, frame):
    columns, index, unit = frame_cache(frame)
    return np.asarray(index, np.float64) * depth_unit_to_m(unit), columns


def _curve_pairs(logical_file, frame_cache, names, convert=None):
    """(depth_m, values) for every channel of `names` found in a depth-indexed frame."""
    pairs = []
    for name in names:
        for channel in logical_file.channels:
            if _norm(channel.name) != name or channel.frame is None or _is_image(channel) \
                    or not is_depth_unit(channel.frame.channels[0].units):  # e.g. a time-indexed frame
                continue
            depth_m, columns = _frame_depth_m(frame_cache, channel.frame)
            values = np.asarray(columns[name], np.float64)
            if values.ndim != 1:
                continue
            values = mask_nulls(values)
            pairs.append((depth_m, values if convert is None else convert(values, channel.units)))
            break
    return pairs


def _tool_name(logical_file) -> str:
    for parameter in logical_file.parameters:
        if _norm(parameter.name) == TOOL_PARAMETER and len(parameter.values):
            return str(parameter.values[0]).strip()
    return ""


def _well_name(path, logical_file) -> str:
    for origin in logical_file.origins:
        if origin.well_name and str(origin.well_name).strip():
            return str(origin.well_name).strip()
    return Path(path).stem


def _check_image_size(path, logical_file, channel, max_image_gib) -> int:
    """Before decoding the image's frame: rows (from the file's index) x width within the limit.
    Returns the image's decoded bytes."""
    rows = _frame_rows(path, channel.frame, logical_file)
    width = int(np.prod(channel.dimension))
    check_image_size(path, rows, width, max_image_gib)
    return 4 * rows * width


def read_dlis(path, image_channel=None, bit_size_in=None, max_image_gib=None, ram_image_gib=None) -> Well:
    path = Path(path)
    return _read_collecting(path, lambda: _open(path), image_channel, bit_size_in, max_image_gib, ram_image_gib)


def read_logical_file(logical_file, image_channel=None, bit_size_in=None, max_image_gib=None,
                      ram_image_gib=None) -> Well:
    """A well from a dlisio logical file the caller opened (`with dlisio.dlis.load(path) as (f, *_)`),
    named in messages by its well name."""
    try:
        where = _OpenedByCaller(_well_name("dlisio logical file", logical_file))
    except _DLISIO_ERRORS as exc:
        raise WellFileError(f"dlisio logical file: cannot read DLIS ({one_line(exc)})") from None
    return _read_collecting(where, lambda: contextlib.nullcontext([logical_file]), image_channel, bit_size_in,
                            max_image_gib, ram_image_gib)


def _read_collecting(where, open_files, image_channel, bit_size_in, max_image_gib, ram_image_gib) -> Well:
    """_read_open on the logical files open_files() gives, dlisio's warnings kept in the provenance."""
    with collect_warnings("dlisio") as warnings, open_files() as logical_files:
        try:
            well = _read_open(where, list(logical_files), image_channel, bit_size_in, max_image_gib, ram_image_gib)
        except _DLISIO_ERRORS as exc:
            raise WellFileError(f"{where}: cannot read DLIS ({one_line(exc)})") from None
    if warnings:
        well.provenance["warnings"] = list(dict.fromkeys(warnings))
    return well


def _read_open(path, logical_files, image_channel, bit_size_in, max_image_gib=None, ram_image_gib=None) -> Well:
    candidates = _image_candidates(logical_files)
    logical_file, channel = _choose_image(path, candidates, image_channel)
    image_bytes = _check_image_size(path, logical_file, channel, max_image_gib)
    frame, name = channel.frame, _norm(channel.name)
    # above the in-memory budget the image is never decoded whole: its frame's other channels are
    # read in blocks, then the image rows in depth order straight into a temporary file
    in_blocks = image_bytes > ram_image_bytes(ram_image_gib)
    cache = {}

    def frame_cache(other):
        key = (other.name, other.copynumber, other.origin)
        if key not in cache:
            skip = name if in_blocks and key == (frame.name, frame.copynumber, frame.origin) else None
            cache[key] = _frame_columns(path, other, logical_file, skip)
        return cache[key]

    columns, index, index_unit = frame_cache(frame)
    image = {"image": columns[name]} if not in_blocks else \
        dict(zip(("read_image_rows", "width"), _image_reader(logical_file, frame, name)))
    calipers = _curve_pairs(logical_file, frame_cache, CALIPER_CHANNELS, length_to_in) or \
        _curve_pairs(logical_file, frame_cache, FALLBACK_CALIPER_CHANNELS, length_to_in)
    curves = {
        "caliper_in": calipers,
        "bit_size_in": _curve_pairs(logical_file, frame_cache, BIT_SIZE_CHANNELS, length_to_in)[:1],
        "inclination_deg": _curve_pairs(logical_file, frame_cache, INCLINATION_CHANNELS)[:1],
        "hole_azimuth_deg": _curve_pairs(logical_file, frame_cache, HOLE_AZIMUTH_CHANNELS)[:1],
    }
    unit = str(channel.units or "")
    provenance = {
        "file": str(path), "format": "DLIS", "channel": channel.name, "frame": frame.name,
        "logical_file": logical_files.index(logical_file), "image_unit": unit,
        "image_channels": list(dict.fromkeys(ch.name for _, ch in candidates)),
    }
    return assemble_well(
        name=_well_name(path, logical_file), depth=index, depth_unit=index_unit, **image,
        provenance=provenance, tool=_tool_name(logical_file), curves=curves, bit_size_in=bit_size_in,
        resistivity="ohm" in unit.lower(), max_image_gib=max_image_gib, ram_image_gib=ram_image_gib)


# ---------------------------------------------------------------- writing

@contextlib.contextmanager
def quiet_dliswriter():
    """dliswriter logs unit warnings and draws a progress bar on stderr; the CLI's stderr
    carries only error lines, so both are silenced while writing."""
    from dliswriter.file import writer

    logger = logging.getLogger("dliswriter")
    level, bar = logger.level, writer.progressbar
    logger.setLevel(logging.ERROR)
    writer.progressbar = lambda iterable, **_: iterable
    try:
        yield
    finally:
        logger.setLevel(level)
        writer.progressbar = bar


def _ascii(text) -> str:
    return str(text).encode("ascii", "replace").decode("ascii")


def _coarse_rows(n_rows: int, step: int) -> np.ndarray:
    """Every `step`-th row plus the last, so the coarse curves span the whole image."""
    rows = np.arange(0, n_rows, max(1, step))
    return rows if rows[-1] == n_rows - 1 else np.append(rows, n_rows - 1)


def write_dlis(well: Well, path, depth_unit: str = "m", decreasing: bool = False, null_value=None,
               extra_curves: dict | None = None, image_channel_name: str = "FMI_DYN",
               radius_as: str | None = "auto", coarse_step: int = 5, image_units: str | None = None,
               creation_time: datetime | None = None) -> None:
    """Write `well` as a DLIS file, atomically.

    Frame IMAGE: index TDEP (unit m, ft or "0.1 in"), the image as a 2-D channel
    `image_channel_name` (unit `image_units`; NaN replaced by `null_value` when given),
    then `extra_curves` (name -> array with one row per image row, 1-D or 2-D). Frame
    AUX, every `coarse_step`-th row plus the last: the radius as calipers C1 = C2
    (radius_as="caliper") or bit size BS ("bit_size"; "auto" follows well.radius_source;
    None writes neither), and DEVI / HAZI when the well has them. The tool name goes in
    parameter TOOL. `decreasing` writes rows bottom-up, as a log recorded pulling out.
    `creation_time` goes in the ORIGIN; None: SOURCE_DATE_EPOCH's where set (files.output_time), else now
    (dliswriter's clock), so two writes of the same well differ in those bytes: give a fixed time, or set
    SOURCE_DATE_EPOCH, for files that must repeat byte for byte.
    """
    if depth_unit not in WRITER_DEPTH_UNITS:
        raise OptionError(f"depth unit must be one of {', '.join(WRITER_DEPTH_UNITS)}, got {depth_unit!r}")
    if radius_as == "auto":
        radius_as = "caliper" if well.radius_source == "caliper" else "bit_size"
    if radius_as not in ("caliper", "bit_size", None):
        raise OptionError(f"radius_as must be 'caliper', 'bit_size' or None, got {radius_as!r}")
    with atomic_path(path) as tmp, quiet_dliswriter():
        dlis_file = _build(well, depth_unit, decreasing, null_value, extra_curves or {},
                           image_channel_name, radius_as, coarse_step, image_units,
                           output_time() if creation_time is None else creation_time)
        dlis_file.write(tmp, output_chunk_size=OUTPUT_CHUNK_BYTES)


def _build(well, depth_unit, decreasing, null_value, extra_curves, image_channel_name, radius_as,
           coarse_step, image_units, creation_time):
    from dliswriter import DLISFile

    order = slice(None, None, -1) if decreasing else slice(None)
    to_unit = 1.0 / depth_unit_to_m(depth_unit)
    image = well.image.copy()
    if null_value is not None:
        image[~np.isfinite(image)] = null_value

    dlis_file = DLISFile()
    lf = dlis_file.add_logical_file()
    lf.add_origin("ORIGIN", well_name=_ascii(well.name), product="geobfdt", file_set_number=1,
                  creation_time=creation_time)
    unit = WRITER_DEPTH_UNITS[depth_unit]
    direction = "DECREASING" if decreasing else "INCREASING"
    channels = [lf.add_channel("TDEP", data=(well.depth_m * to_unit)[order], units=unit),
                lf.add_channel(_ascii(image_channel_name), data=image[order], units=image_units)]
    for name, values in extra_curves.items():
        channels.append(lf.add_channel(_ascii(name), data=np.asarray(values)[order]))
    lf.add_frame("IMAGE", channels=channels, index_type="BOREHOLE-DEPTH", direction=direction)

    rows = _coarse_rows(well.depth_m.size, coarse_step)[order]
    aux = {}
    if radius_as == "caliper":
        aux["C1"] = aux["C2"] = (2.0 * well.radius_m[rows] / INCH_M, "in")
    elif radius_as == "bit_size":
        aux["BS"] = (np.full(rows.size, float(np.median(2.0 * well.radius_m / INCH_M))), "in")
    if well.inclination_deg is not None:
        aux["DEVI"] = (well.inclination_deg[rows], "deg")
        if well.hole_azimuth_deg is not None:
            aux["HAZI"] = (well.hole_azimuth_deg[rows], "deg")
    if aux:
        aux_channels = [lf.add_channel("TDEP", data=well.depth_m[rows] * to_unit, units=unit)]
        aux_channels += [lf.add_channel(name, data=np.asarray(v, np.float64), units=u) for name, (v, u) in aux.items()]
        lf.add_frame("AUX", channels=aux_channels, index_type="BOREHOLE-DEPTH", direction=direction)
    if well.tool:
        lf.add_parameter(TOOL_PARAMETER, values=[_ascii(well.tool)])
    return dlis_file
