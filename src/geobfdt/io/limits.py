"""Resource limits of the readers (docs/reliability.md): checked before the allocation a file asks for.

Each limit is an option's value, else an environment variable, else a default; a file that would
need more is refused with a one-line error naming the option that raises the limit.
"""

from __future__ import annotations

import os

import numpy as np

from geobfdt.errors import GeoBFDTError, OptionError, WellFileError

DEFAULT_MAX_IMAGE_GIB = 4.0
MAX_IMAGE_ENV = "GEOBFDT_MAX_IMAGE_GIB"  # the environment's say, below --max-image-gib's
DEFAULT_MAX_CSV_MIB = 256.0
MAX_CSV_ENV = "GEOBFDT_MAX_CSV_MIB"
GIB, MIB = 2**30, 2**20


def _positive_env(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise OptionError(f"{name}={text!r}: expected a positive number")
    return value


def gib_limit_bytes(value_gib: float | None, flag: str, env: str, default_gib: float) -> int:
    """A size limit in bytes: the option's value, else the environment variable, else the default."""
    if value_gib is None:
        value_gib = _positive_env(env, default_gib)
    elif not value_gib > 0 or value_gib == float("inf"):
        raise OptionError(f"{flag} must be a positive number, got {value_gib:g}")
    return int(min(value_gib, 2.0**40) * GIB)  # a limit past any machine is no limit, and stays an int


def max_image_bytes(max_image_gib: float | None = None) -> int:
    """The largest decoded image (float32) a reader accepts: --max-image-gib, else the
    GEOBFDT_MAX_IMAGE_GIB environment variable, else 4 GiB."""
    return gib_limit_bytes(max_image_gib, "--max-image-gib", MAX_IMAGE_ENV, DEFAULT_MAX_IMAGE_GIB)


def check_image_size(where, rows: int, columns: int, max_image_gib: float | None = None, what: str = "image") -> None:
    """Refuse, before allocating it, an image whose float32 copy would exceed the limit."""
    need, limit = 4 * int(rows) * int(columns), max_image_bytes(max_image_gib)
    if need > limit:
        raise WellFileError(f"{where}: the {what} would take {need / GIB:.3g} GiB decoded ({rows} rows x {columns} "
                            f"columns), above the {limit / GIB:.3g} GiB limit; raise it with --max-image-gib or "
                            f"{MAX_IMAGE_ENV} if the machine has the room (above --ram-image-gib it is held on disk)")


def check_depth_span(where, depth_m, columns: int, max_image_gib: float | None = None) -> None:
    """Refuse a depth axis whose span at its own typical step implies more rows than the image
    limit allows: resampling it onto a regular grid would allocate them (a stray row at 10^9 m)."""
    depth_m = np.asarray(depth_m, np.float64)
    if depth_m.size < 2:
        return
    step = float(np.median(np.diff(depth_m)))
    span = float(depth_m[-1] - depth_m[0])
    if step > 0 and span / step > depth_m.size:
        check_image_size(where, int(min(span / step, 2**62)) + 1, columns, max_image_gib,
                         what=f"image resampled to its {step:.4g} m step over {depth_m[0]:g}-{depth_m[-1]:g} m")


def max_csv_bytes() -> int:
    """The largest pick or survey CSV read (GEOBFDT_MAX_CSV_MIB, else 256 MiB: ~4 million picks)."""
    return int(_positive_env(MAX_CSV_ENV, DEFAULT_MAX_CSV_MIB) * MIB)


def check_file_size(path, limit_bytes: int, what: str, how: str, error: type[GeoBFDTError] = WellFileError) -> None:
    """Refuse a file above limit_bytes before reading it; error: the kind of file it is."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    if size > limit_bytes:
        raise error(f"{path}: {size / MIB:.3g} MiB is above the {limit_bytes / MIB:.3g} MiB limit for {what}; "
                    f"raise it with {how}")
