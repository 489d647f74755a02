"""Writing files safely, and the one-line messages and digests that go with them.

Every file GeoBFDT writes goes through atomic_path (docs/reliability.md). This module sits
beside errors.py below every package, so any stage can write without importing io/.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path` (with the usual
    permissions, not mkstemp's 0600), on failure it is removed, so no half file remains.

    The temporary name is unique (mkstemp) and hidden: `.<name>.<random>.tmp`, so concurrent
    writers never share one and a writer killed mid-way (kill -9: nothing can clean up) leaves
    only a dot-file that no `*_picks.csv` or `*.png` pattern matches. Writers that pick the
    format from the extension (matplotlib) must be told the format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with open(tmp, "rb") as f:  # on disk before the rename, so a crash cannot leave an empty file
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path, text: str) -> Path:
    """Write UTF-8 text through atomic_path: readers see the old file or the whole new one."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return Path(path)


def one_line(message) -> str:
    """Library errors can span several lines (dlisio's 'Problem: ...' blocks): keep one."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    problem = [line.removeprefix("Problem:").strip() for line in lines if line.startswith("Problem:")]
    return (problem or lines or ["unknown error"])[0]


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes, read a block at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def arrays_sha256(arrays) -> str:
    """Hex SHA-256 of named arrays (name -> numpy array), in name order: each name, dtype, shape and
    bytes. A checksum of a tensor file's data that survives rewriting its header."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = arrays[name]
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes(order="C"))
    return digest.hexdigest()


def output_time():
    """The creation time exported files carry: SOURCE_DATE_EPOCH's where it is set (the reproducible-builds
    convention, whole seconds since 1970 UTC), so the same picks export to the same bytes; None where it is
    not (the writer's clock). A value that is not whole seconds is an OptionError, not a silent clock."""
    from datetime import datetime, timezone

    from geobfdt.errors import OptionError

    text = os.environ.get("SOURCE_DATE_EPOCH")
    if text is None or text.strip() == "":
        return None
    if not text.strip().isdigit() or len(text.strip()) > 12:
        raise OptionError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {one_line(text)[:40]!r}")
    return datetime.fromtimestamp(int(text), tz=timezone.utc).replace(tzinfo=None)
