"""Output file names: built from sanitised stems, always inside the output folder.

Text found in a file (well names such as `21/10-A5`, channel names, units) is untrusted: it
never chooses where we write. Output files are named after the input file's stem passed
through `safe_stem`; the real well name stays inside the files (the `well` column).
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from pathlib import Path

from geobfdt.errors import GeoBFDTError

MAX_STEM_CHARS = 100  # leaves room for suffixes such as _picks_wellcad.csv under the usual 255-byte limit
FALLBACK_STEM = "well"


def safe_stem(text, fallback: str = FALLBACK_STEM) -> str:
    """`text` as a file-name stem: accents dropped (NFKD), every other character outside
    [A-Za-z0-9._-] replaced by `_`, leading dots dropped (no hidden files, no `.` or `..`),
    at most MAX_STEM_CHARS (a longer text keeps a hash of the whole, so two long names that
    share a beginning still differ). Empty text gives `fallback`."""
    text = "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c))
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")
    if not stem:
        return fallback
    if len(stem) > MAX_STEM_CHARS:
        digest = hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        stem = f"{stem[:MAX_STEM_CHARS - 9]}-{digest}"
    return stem


def unique_stems(names, warn=None) -> list[str]:
    """safe_stem of each name, with `-2`, `-3` ... added in input order to a stem already taken,
    so two inputs never write to the same file; each renaming is reported through warn
    (default: a line on stderr)."""
    warn = warn or (lambda message: print(message, file=sys.stderr))
    taken: set[str] = set()
    stems = []
    for name in names:
        base = stem = safe_stem(name)
        k = 1
        while stem.lower() in taken:  # case-insensitive: W1 and w1 collide on macOS and Windows
            k += 1
            stem = f"{base}-{k}"
        if stem != base:
            warn(f"{name}: output stem {base} is already used by an earlier input; writing {stem}_* instead")
        taken.add(stem.lower())
        stems.append(stem)
    return stems


def input_stems(paths, warn=None) -> list[str]:
    """Output stems of input files: each file's stem (without its extension), made safe and unique."""
    return unique_stems([Path(p).stem for p in paths], warn)


def output_path(out_dir, name: str) -> Path:
    """out_dir / name, refused unless it resolves to a file directly inside out_dir (a name
    with a separator, `..`, or an existing symlink pointing elsewhere)."""
    out_dir = Path(out_dir)
    path = out_dir / name
    if Path(name).name != name or name in ("", ".", "..") or path.resolve().parent != out_dir.resolve():
        raise GeoBFDTError(f"refusing to write {name!r}: it would not lie directly inside {out_dir}")
    return path
