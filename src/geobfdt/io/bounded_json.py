"""JSON from an untrusted source (a run folder, a request body): size, then depth, then the parser.

Python's json parser recurses once per level of nesting, so `[[[[...` a few thousand deep raises
RecursionError (not ValueError) and a long file costs memory before anything is checked. Here the
byte size is checked first, then the nesting depth is counted on the bytes (vectorised, strings
skipped), and only then is the text parsed; every refusal is a ValueError with a one-line reason.
"""

from __future__ import annotations

import json
import os

import numpy as np

MAX_DEPTH = 32  # GeoBFDT's own JSON nests 4 levels at most (run.json: config -> section -> value)

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of [ and { in JSON text, brackets inside strings not counted."""
    raw = np.frombuffer(data, np.uint8)
    if raw.size == 0:
        return 0
    index = np.arange(raw.size)
    backslash = raw == _BACKSLASH
    # length of the run of backslashes ending at each byte (0 where the byte is not one)
    run = index - np.maximum.accumulate(np.where(backslash, -1, index))
    escaped = np.zeros(raw.size, bool)
    escaped[1:] = run[:-1] % 2 == 1  # an odd run of backslashes escapes the next byte
    quote = (raw == _QUOTE) & ~escaped
    outside = np.cumsum(quote) % 2 == 0  # a quote byte itself counts as inside its string
    step = np.where(outside & ~quote, _OPEN[raw], 0).astype(np.int64)
    return int(max(np.cumsum(step).max(), 0))


def loads_bounded(data: bytes | str, max_bytes: int, max_depth: int = MAX_DEPTH):
    """The JSON value of `data`, refused with a one-line ValueError when it is over max_bytes, nests
    deeper than max_depth, or is not JSON (UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise ValueError(f"{len(data)} bytes, above the limit of {max_bytes}")
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep, above the limit of {max_depth}")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    except RecursionError:  # the count above is a bound on the parser's depth; this is a second guard
        raise ValueError(f"JSON nested deeper than the limit of {max_depth}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def read_json_bounded(path, max_bytes: int, max_depth: int = MAX_DEPTH):
    """loads_bounded of a file; its size is checked before it is read. OSError for a missing file."""
    size = os.stat(path).st_size
    if size > max_bytes:
        raise ValueError(f"{size} bytes, above the limit of {max_bytes}")
    with open(path, "rb") as f:
        return loads_bounded(f.read(max_bytes + 1), max_bytes, max_depth)
