"""Per-object tables and per-depth curves as files: CSV, LAS 2.0 (lasio) and a DLIS frame.

A table is a dict of equal-length columns (name -> 1-D array); a curve set is a depth
array and a dict of curves on it, each with its unit. These writers know nothing of
what the columns mean, so every feature (vugs, breakouts, the next one) writes through
them. All writes are atomic (io.common.atomic_path).
"""

from __future__ import annotations

import csv

import numpy as np

from geobfdt.errors import PickFileError
from geobfdt.files import atomic_path
from geobfdt.io.limits import MAX_CSV_ENV, check_file_size, max_csv_bytes

LAS_NULL = -999.25


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if not np.isfinite(value) else f"{value:.8g}"
    return str(value)


def write_table_csv(path, columns: dict[str, np.ndarray]) -> None:
    """One row per object, one column per key, header first."""
    names = list(columns)
    arrays = [np.asarray(columns[n]) for n in names]
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) > 1:
        raise ValueError(f"table columns differ in length: {dict(zip(names, (a.shape[0] for a in arrays)))}")
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows([_cell(v) for v in row] for row in zip(*(a.tolist() for a in arrays)))


def read_table_csv(path, required: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """A numeric table written by write_table_csv (truth files of `geobfdt synth`); empty cells are NaN."""
    check_file_size(path, max_csv_bytes(), "a table", MAX_CSV_ENV)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PickFileError(f"{path}: cannot read table ({exc})") from None
    if not rows:
        raise PickFileError(f"{path}: empty table (no header)")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise PickFileError(f"{path}: missing column {missing[0]!r}")
    body = rows[1:]
    if any(len(row) != len(header) for row in body):
        raise PickFileError(f"{path}: rows and header differ in length")
    try:
        values = np.array([[float(c) if c.strip() else np.nan for c in row] for row in body], float)
    except ValueError:
        raise PickFileError(f"{path}: a cell is not a number") from None
    values = values.reshape(len(body), len(header))
    return {name: values[:, i] for i, name in enumerate(header)}


def write_curves_las(path, depth_m, curves: dict[str, tuple[np.ndarray, str]], well_name: str = "") -> None:
    """LAS 2.0: DEPT in m, then each curve (values, unit); NaN as the LAS null -999.25."""
    import lasio

    las = lasio.LASFile()
    las.well["WELL"].value = str(well_name).encode("ascii", "replace").decode("ascii")
    las.well["NULL"].value = LAS_NULL
    las.append_curve("DEPT", np.asarray(depth_m, float), unit="m")
    for name, (values, unit) in curves.items():
        las.append_curve(name.upper(), np.asarray(values, float), unit=unit)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii", newline="") as f:
        las.write(f, version=2.0, fmt="%.6g")


def write_curves_dlis(path, depth_m, curves: dict[str, tuple[np.ndarray, str]], well_name: str = "") -> None:
    """A DLIS file of one frame: TDEP in m, then each curve (values, unit)."""
    from dliswriter import DLISFile

    from geobfdt.io.dlis import OUTPUT_CHUNK_BYTES, _ascii, quiet_dliswriter

    with atomic_path(path) as tmp, quiet_dliswriter():
        dlis_file = DLISFile()
        lf = dlis_file.add_logical_file()
        lf.add_origin("ORIGIN", well_name=_ascii(well_name), product="geobfdt", file_set_number=1)
        channels = [lf.add_channel("TDEP", data=np.asarray(depth_m, np.float64), units="m")]
        channels += [lf.add_channel(_ascii(name.upper()), data=np.asarray(values, np.float64), units=unit)
                     for name, (values, unit) in curves.items()]
        lf.add_frame("CURVES", channels=channels, index_type="BOREHOLE-DEPTH", direction="INCREASING")
        dlis_file.write(tmp, output_chunk_size=OUTPUT_CHUNK_BYTES)
