"""Image-log files in and out: `read_well` recognises DLIS, LAS 2.0 and NPZ by content.

    read_well(path, image_channel=None, bit_size_in=None, survey_csv=None, max_image_gib=None,
              ram_image_gib=None, investigation_depth_in=None) -> Well
    read_open_well(lasio_or_dlisio_file, ...same options) -> Well
    write_dlis(well, path, depth_unit="m", decreasing=False, null_value=None, extra_curves=None, ...)
    write_npz(well, path)
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from geobfdt.errors import OptionError, WellFileError
from geobfdt.well import Well
from geobfdt.files import one_line
from geobfdt.io.common import INCH_M
from geobfdt.io.limits import check_depth_span, max_image_bytes
from geobfdt.io.dlis import is_dlis, read_dlis, write_dlis
from geobfdt.io.image_buffer import ram_image_bytes
from geobfdt.io.las import is_las, read_las
from geobfdt.io.npz import is_npz, read_npz, write_npz

__all__ = ["read_well", "read_open_well", "detect_format", "write_dlis", "write_npz"]

_HEAD_BYTES = 4096
# what dlisio, lasio, numpy and zipfile raise on bytes they did not expect (never a bug of ours
# to hide: each names the file and the library's own one-line reason)
_LIBRARY_ERRORS = (ValueError, TypeError, IndexError, KeyError, OSError, EOFError, RuntimeError, RecursionError,
                   UnicodeError, OverflowError, struct.error, zipfile.BadZipFile, NotImplementedError, zlib.error)


def detect_format(path) -> str:
    """'DLIS', 'LAS' or 'NPZ' from the file's first bytes; GeoBFDTError otherwise."""
    path = Path(path)
    if not path.exists():
        raise WellFileError(f"{path}: no such file")
    if path.is_dir():
        raise WellFileError(f"{path}: is a directory, not a DLIS, LAS or NPZ file")
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError as exc:
        raise WellFileError(f"{path}: cannot read ({exc.strerror})") from None
    if not head:
        raise WellFileError(f"{path}: empty file, not a DLIS, LAS or NPZ file")
    if is_dlis(head):
        return "DLIS"
    if is_las(head):
        return "LAS"
    if is_npz(path, head):
        return "NPZ"
    raise WellFileError(f"{path}: not a DLIS, LAS or NPZ file")


def read_well(path, image_channel: str | None = None, bit_size_in: float | None = None,
              survey_csv=None, max_image_gib: float | None = None, ram_image_gib: float | None = None,
              investigation_depth_in: float | None = None) -> Well:
    """Read an image log. image_channel picks the channel (DLIS) or curve prefix (LAS);
    bit_size_in is the hole size used when the file has no caliper or bit size;
    investigation_depth_in: how far into the wall the image reads (imaged_radius);
    survey_csv (DEPTH, DEVI, AZIM) fills inclination and hole azimuth when given;
    max_image_gib caps the decoded image (default: GEOBFDT_MAX_IMAGE_GIB or 4 GiB); an image above
    ram_image_gib (default: GEOBFDT_RAM_IMAGE_GIB or 2 GiB) is decoded into a temporary file
    instead of memory, block by block (io/image_buffer.py; LAS is parsed whole first).

    Every problem with the file ends as a GeoBFDTError naming it: the readers raise their own,
    and what a library raises on bytes it did not expect is converted here.
    """
    check_read_options(bit_size_in, max_image_gib, ram_image_gib, investigation_depth_in)
    fmt = detect_format(path)
    limits = {"max_image_gib": max_image_gib, "ram_image_gib": ram_image_gib}
    options = {"image_channel": image_channel, "bit_size_in": bit_size_in, **limits}
    readers = {"DLIS": lambda: read_dlis(path, **options), "LAS": lambda: read_las(path, **options),
               "NPZ": lambda: read_npz(path, **limits)}
    return imaged_radius(_checked(path, fmt, readers[fmt], max_image_gib, survey_csv), investigation_depth_in)


def read_open_well(source, image_channel: str | None = None, bit_size_in: float | None = None, survey_csv=None,
                   max_image_gib: float | None = None, ram_image_gib: float | None = None,
                   investigation_depth_in: float | None = None) -> Well:
    """read_well for a file already open in Python: a lasio.LASFile or a dlisio logical file
    (options and errors as read_well's)."""
    import lasio
    from dlisio import dlis

    from geobfdt.io.dlis import read_logical_file
    from geobfdt.io.las import read_lasfile

    check_read_options(bit_size_in, max_image_gib, ram_image_gib, investigation_depth_in)
    options = {"image_channel": image_channel, "bit_size_in": bit_size_in, "max_image_gib": max_image_gib,
               "ram_image_gib": ram_image_gib}
    if isinstance(source, lasio.LASFile):
        return imaged_radius(_checked("lasio.LASFile", "LAS", lambda: read_lasfile(source, **options), max_image_gib,
                                      survey_csv), investigation_depth_in)
    if isinstance(source, dlis.LogicalFile):
        return imaged_radius(_checked("dlisio logical file", "DLIS", lambda: read_logical_file(source, **options),
                                      max_image_gib, survey_csv), investigation_depth_in)
    raise OptionError(f"cannot read a well from a {type(source).__module__}.{type(source).__name__} (a path, a "
                      "lasio.LASFile or a dlisio logical file)")


MAX_INVESTIGATION_DEPTH_IN = 24.0  # deeper than any imaging tool reads: a typo (cm, mm) rather than a tool


def check_read_options(bit_size_in, max_image_gib, ram_image_gib, investigation_depth_in=None) -> None:
    """A bad option is the option's fault, said before any file is opened."""
    if bit_size_in is not None and not bit_size_in > 0:
        raise OptionError(f"--bit-size-in must be positive, got {bit_size_in:g}")
    if investigation_depth_in is not None and not 0.0 <= investigation_depth_in <= MAX_INVESTIGATION_DEPTH_IN:
        raise OptionError(f"--investigation-depth-in must lie between 0 and {MAX_INVESTIGATION_DEPTH_IN:g} inches, "
                          f"got {investigation_depth_in:g}")
    max_image_bytes(max_image_gib)
    ram_image_bytes(ram_image_gib)


def imaged_radius(well: Well, investigation_depth_in: float | None) -> Well:
    """The well with the radius its image is read at: the hole's plus how far into the wall the tool reads.
    A pad tool images the wall itself (0, the default); an LWD resistivity image reads some way into the
    formation, and a dip is tan^-1(trace amplitude / the radius imaged), so the hole's radius alone gives
    dips too steep (picking/radius.py). provenance["investigation_depth_in"] records it; radius_source
    stays the hole size's."""
    if not investigation_depth_in:
        return well
    from dataclasses import replace

    return replace(well, radius_m=well.radius_m + investigation_depth_in * INCH_M,
                   provenance=dict(well.provenance, investigation_depth_in=float(investigation_depth_in)))


def _checked(where, fmt: str, read, max_image_gib, survey_csv) -> Well:
    """read() with what a library raises on bytes it did not expect converted to a WellFileError
    naming `where`; then the depth span checked and the survey applied."""
    try:
        with np.errstate(all="ignore"):  # damaged values become nulls, not numpy warnings on stderr
            well = read()
        check_depth_span(where, well.depth_m, well.width, max_image_gib)
    except _LIBRARY_ERRORS as exc:
        raise WellFileError(f"{where}: cannot read {fmt} ({type(exc).__name__}: {one_line(exc)})") from None
    except MemoryError:
        raise WellFileError(f"{where}: not enough memory to read this {fmt} file") from None
    if survey_csv is not None:
        from geobfdt.io.survey import apply_survey
        well = apply_survey(well, survey_csv)
    return well
