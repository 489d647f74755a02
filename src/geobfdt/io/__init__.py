"""Image-log files in and out: `read_well` recognises DLIS, LAS 2.0 and NPZ by content.

    read_well(path, image_channel=None, bit_size_in=None, survey_csv=None) -> Well
    write_dlis(well, path, depth_unit="m", decreasing=False, null_value=None, extra_curves=None, ...)
    write_npz(well, path)
"""

from __future__ import annotations

from pathlib import Path

from geobfdt.errors import GeoBFDTError
from geobfdt.well import Well
from geobfdt.io.dlis import is_dlis, read_dlis, write_dlis
from geobfdt.io.las import is_las, read_las
from geobfdt.io.npz import is_npz, read_npz, write_npz

__all__ = ["read_well", "detect_format", "write_dlis", "write_npz"]

_HEAD_BYTES = 4096


def detect_format(path) -> str:
    """'DLIS', 'LAS' or 'NPZ' from the file's first bytes; GeoBFDTError otherwise."""
    path = Path(path)
    if not path.exists():
        raise GeoBFDTError(f"{path}: no such file")
    if path.is_dir():
        raise GeoBFDTError(f"{path}: is a directory, not a DLIS, LAS or NPZ file")
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError as exc:
        raise GeoBFDTError(f"{path}: cannot read ({exc.strerror})") from None
    if not head:
        raise GeoBFDTError(f"{path}: empty file, not a DLIS, LAS or NPZ file")
    if is_dlis(head):
        return "DLIS"
    if is_las(head):
        return "LAS"
    if is_npz(path, head):
        return "NPZ"
    raise GeoBFDTError(f"{path}: not a DLIS, LAS or NPZ file")


def read_well(path, image_channel: str | None = None, bit_size_in: float | None = None,
              survey_csv=None) -> Well:
    """Read an image log. image_channel picks the channel (DLIS) or curve prefix (LAS);
    bit_size_in is the hole size used when the file has no caliper or bit size;
    survey_csv (DEPTH, DEVI, AZIM) fills inclination and hole azimuth when given."""
    if bit_size_in is not None and not bit_size_in > 0:
        raise GeoBFDTError(f"--bit-size-in must be positive, got {bit_size_in:g}")
    fmt = detect_format(path)
    if fmt == "DLIS":
        well = read_dlis(path, image_channel=image_channel, bit_size_in=bit_size_in)
    elif fmt == "LAS":
        well = read_las(path, image_channel=image_channel, bit_size_in=bit_size_in)
    else:
        well = read_npz(path)
    if survey_csv is not None:
        from geobfdt.io.survey import apply_survey
        well = apply_survey(well, survey_csv)
    return well
