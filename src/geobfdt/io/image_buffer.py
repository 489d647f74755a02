"""Where a decoded image lives: in memory up to the in-memory budget, else in a temporary file on
disk mapped into memory, so a well larger than the machine's memory can still be read and picked.

The readers decode an image block of rows by block of rows into `new_image`'s array, so the
read itself holds one block at a time. A disk-backed image is an anonymous temporary file in the
system temp folder (TMPDIR): it has no name in any folder, so it disappears when the Well is
dropped or the process ends, even when killed. The picker copies each chunk's rows out with
`rows_in_memory`, which then hands the mapped pages back, so resident memory stays bounded by a
chunk rather than growing with the well (docs/reliability.md).
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile

import numpy as np

from geobfdt.errors import GeoBFDTError, WellFileError
from geobfdt.io.limits import GIB, check_image_size, gib_limit_bytes

DEFAULT_RAM_IMAGE_GIB = 2.0
RAM_IMAGE_ENV = "GEOBFDT_RAM_IMAGE_GIB"
BLOCK_BYTES = 8 * 2**20  # one block of decoded rows (as float64 before the float32 copy)
DISK_RESERVE_BYTES = 2**30  # left free on the temp folder's disk for everything else


def ram_image_bytes(ram_image_gib: float | None = None) -> int:
    """The largest decoded image (float32) held in memory: --ram-image-gib, else the
    GEOBFDT_RAM_IMAGE_GIB environment variable, else 2 GiB."""
    return gib_limit_bytes(ram_image_gib, "--ram-image-gib", RAM_IMAGE_ENV, DEFAULT_RAM_IMAGE_GIB)


def block_rows(columns: int) -> int:
    return max(1, BLOCK_BYTES // (8 * max(1, int(columns))))


def new_image(where, rows: int, columns: int, max_image_gib: float | None = None,
              ram_image_gib: float | None = None) -> np.ndarray:
    """An uninitialised float32 (rows, columns) image: in memory when it fits the in-memory budget,
    else mapped from an anonymous temporary file. Refused above --max-image-gib, or when the temp
    folder's disk has not the room (checked before anything is allocated or written)."""
    check_image_size(where, rows, columns, max_image_gib)
    need = 4 * int(rows) * int(columns)
    if need <= ram_image_bytes(ram_image_gib) or need == 0:
        return np.empty((rows, columns), np.float32)
    folder = tempfile.gettempdir()
    free = shutil.disk_usage(folder).free
    if need + DISK_RESERVE_BYTES > free:
        raise WellFileError(f"{where}: the image takes {need / GIB:.3g} GiB decoded, above the in-memory budget "
                            f"(--ram-image-gib), and {folder} has only {free / GIB:.3g} GiB free to hold it; "
                            "point TMPDIR at a larger disk")
    with tempfile.TemporaryFile(prefix="geobfdt-image-") as f:  # unlinked at once: nothing left behind
        try:  # the blocks reserved now: a disk filling up later cannot kill the read (SIGBUS) mid-image
            os.posix_fallocate(f.fileno(), 0, need) if hasattr(os, "posix_fallocate") else f.truncate(need)
        except OSError as exc:
            raise GeoBFDTError(f"{where}: cannot reserve {need / GIB:.3g} GiB in {folder} to hold the image "
                               f"({exc.strerror}); point TMPDIR at a larger disk") from None
        buffer = mmap.mmap(f.fileno(), need)  # the mapping keeps the file alive once f is closed
    # a plain array over our own mmap rather than np.memmap: release_rows needs the mapping's
    # madvise, which np.memmap keeps in a private attribute
    return np.frombuffer(buffer, np.float32).reshape(rows, columns)


def _mapping(image: np.ndarray):
    """The mmap under a disk-backed image (through views and reshapes), or None."""
    base = image
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer keeps the buffer as a memoryview of the mmap
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None


def is_disk_backed(image: np.ndarray) -> bool:
    return _mapping(image) is not None


def release_rows(image: np.ndarray, first: int, stop: int) -> None:
    """Hand back the resident pages behind rows [first, stop) of a disk-backed image (a no-op for
    an in-memory one). The file keeps the data: a later read maps it in again."""
    mapping = _mapping(image)
    if mapping is None or stop <= first or not hasattr(mmap, "MADV_DONTNEED"):  # no madvise on Windows
        return
    start = image[first:stop].__array_interface__["data"][0] - np.frombuffer(mapping, np.uint8).ctypes.data
    end = start + (stop - first) * image.strides[0]
    start -= start % mmap.PAGESIZE  # madvise needs a page-aligned start; a page more is harmless
    mapping.madvise(mmap.MADV_DONTNEED, start, min(end, len(mapping)) - start)


def rows_in_memory(image: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Rows [first, stop): a view of an in-memory image, a copy out of a disk-backed one whose
    pages are then released, so reading a well chunk by chunk keeps one chunk resident."""
    if not is_disk_backed(image):
        return image[first:stop]
    rows = np.array(image[first:stop])
    release_rows(image, first, stop)
    return rows


def fill_rows(where, read_rows, order: np.ndarray, columns: int, convert, max_image_gib=None,
              ram_image_gib=None) -> np.ndarray:
    """A new_image whose row k is convert(read_rows(order[k:k+n]))[0], filled block by block:
    read_rows(raw_row_indices) gives those rows of the file's image (any numeric dtype) and
    convert turns a block into float values with nulls as NaN. Disk-backed blocks are released
    as they are written, so filling stays bounded too."""
    image = new_image(where, order.size, columns, max_image_gib, ram_image_gib)
    step = block_rows(columns)
    for first in range(0, order.size, step):
        stop = min(first + step, order.size)
        image[first:stop] = convert(read_rows(order[first:stop]))
        release_rows(image, first, stop)
    return image


def any_finite(image: np.ndarray) -> bool:
    """Whether any pixel is finite, block by block: no image-sized mask, no whole-image page-in."""
    step = block_rows(image.shape[1] if image.ndim == 2 else 1)
    for first in range(0, len(image), step):
        found = bool(np.isfinite(image[first:first + step]).any())
        release_rows(image, first, first + step)
        if found:
            return True
    return False

