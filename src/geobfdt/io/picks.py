"""Pick files: the project's CSV schema, and Geolog / WellCAD / fractoolbox exchange files.

Schema, one row per plane: depth_m, dip_deg, azimuth_deg, type [, score,
dip_true_deg, azimuth_true_deg, well, depth_err80_cm, dip_err80_deg, azimuth_err80_deg,
contrast_sd, coverage_frac, induced, found_again]. type is "fracture" or "bedding"; the optional columns are
written only when some pick has them (the *_err80_* by `predict --uncertainty`: half-widths
of 80% intervals; contrast_sd and coverage_frac by `geobfdt synth` on the true picks, for
`evaluate --strata`; induced, 1 on fractures lying on a drilling-induced fracture, by `predict
--features breakouts`; found_again, the share of a well's implanted copies that found the pick again, by
`inject-test` and `predict --self-calibrate`), so older files stay readable and files stay as they were without them. Written with
the csv module so every interpretation package reads it.

`read_picks` also reads Geolog and WellCAD exports and fractoolbox-style tables, mapping
their categories onto fracture / bedding (docs/formats.md lists the mapping);
`write_picks_geolog` and `write_picks_wellcad` write the columns those packages import;
DLIS dip files (io.dip_dlis) are read and written too.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from geobfdt.errors import GeoBFDTError, PickFileError
from geobfdt.files import atomic_path
from geobfdt.io.limits import MAX_CSV_ENV, check_file_size, max_csv_bytes
from geobfdt.io.common import depth_unit_to_m
from geobfdt.io.dip_dlis import read_picks_dlis, write_picks_dlis
from geobfdt.io.dlis import is_dlis
from geobfdt.geometry import wrap_azimuth_deg
from geobfdt.well import Pick

REQUIRED = ("depth_m", "dip_deg", "azimuth_deg", "type")
OPTIONAL = ("score", "dip_true_deg", "azimuth_true_deg", "well", "depth_err80_cm", "dip_err80_deg",
            "azimuth_err80_deg", "contrast_sd", "coverage_frac", "induced", "found_again")
OPTIONAL_NUMBERS = OPTIONAL[4:]
FOREIGN_NULL = -999.25  # the null of Geolog / WellCAD / LAS exports


def _float_or_none(text):
    return None if text in (None, "") else float(text)


def read_picks_csv(path) -> list[Pick]:
    path = Path(path)
    return picks_from_rows(path, *_read_numbered_rows(path))


def picks_from_rows(path, rows: list[list[str]], lines: list[int]) -> list[Pick]:
    """Picks of a GeoBFDT CSV already read into rows (and their line numbers, for messages), so a
    caller that needs the rows too reads the file once: a file replaced between two reads would
    pair one version's picks with the other's rows."""
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in REQUIRED if rows and c not in header]
    if missing:
        raise PickFileError(f"{path}: not a GeoBFDT picks file (missing columns {', '.join(missing)})")
    picks = []
    for line, cells in zip(lines[1:], rows[1:]):
        if len(cells) < len(REQUIRED):
            raise PickFileError(f"{path}:{line}: bad pick row ({len(cells)} fields for a {len(header)}-column header)")
        row = dict(zip(header, (c.strip() for c in cells)))
        try:
            picks.append(Pick(
                depth_m=float(row["depth_m"]), dip_deg=float(row["dip_deg"]),
                azimuth_deg=float(row["azimuth_deg"]), type=row["type"],
                score=_float_or_none(row.get("score")),
                dip_true_deg=_float_or_none(row.get("dip_true_deg")),
                azimuth_true_deg=_float_or_none(row.get("azimuth_true_deg")),
                well=row.get("well") or None,
                **{c: _float_or_none(row.get(c)) for c in OPTIONAL_NUMBERS}))
        except (KeyError, TypeError, ValueError, GeoBFDTError) as exc:
            raise PickFileError(f"{path}:{line}: bad pick row ({exc})") from None
    return picks


def _write_rows_atomically(path, rows: list[list]) -> None:
    """Write a CSV via a temp file + rename, so an interrupted run leaves no half file."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _cell(value, null="") -> str:
    if value is None:
        return null
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def pick_columns(picks: list[Pick]) -> list[str]:
    """The schema's columns for these picks: the required ones, the optional ones some pick has."""
    return list(REQUIRED) + [c for c in OPTIONAL if any(getattr(p, c) is not None for p in picks)]


def write_picks_csv(path, picks: list[Pick]) -> None:
    """The project's schema; optional columns only when some pick has them."""
    columns = pick_columns(picks)
    body = [[_cell(getattr(p, c)) for c in columns] for p in sorted(picks, key=lambda p: p.depth_m)]
    _write_rows_atomically(path, [columns] + body)


def write_picks_geolog(path, picks: list[Pick]) -> None:
    """A Geolog dip-set export: apparent and true orientations, unknown true ones as -999.25
    (never invented), the score in QUALITY."""
    null = f"{FOREIGN_NULL}"
    rows = [["DEPTH", "AZIMUTH", "AZIM_APP", "CATEGORY", "DIP", "DIP_APP", "QUALITY"],
            ["METRES", "DEGREES", "DEGREES", "", "DEGREES", "DEGREES", ""]]
    rows += [[_cell(p.depth_m), _cell(p.azimuth_true_deg, null), _cell(p.azimuth_deg), p.type.capitalize(),
              _cell(p.dip_true_deg, null), _cell(p.dip_deg), _cell(p.score, null)]
             for p in sorted(picks, key=lambda p: p.depth_m)]
    _write_rows_atomically(path, rows)


def write_picks_wellcad(path, picks: list[Pick]) -> None:
    """A WellCAD structure export: one orientation per pick, the true one when known (NOTES
    says which), the score in NOTES."""
    rows = [["Feature Depth", "Depth", "Azimuth", "Dip", "Type", "NOTES"], ["m", "m", "deg", "deg", "", ""]]
    for p in sorted(picks, key=lambda p: p.depth_m):
        true = p.dip_true_deg is not None and p.azimuth_true_deg is not None
        dip, azimuth = (p.dip_true_deg, p.azimuth_true_deg) if true else (p.dip_deg, p.azimuth_deg)
        notes = ("true" if true else "apparent") + ("" if p.score is None else f" score {p.score:.3f}")
        rows.append([_cell(p.depth_m), _cell(p.depth_m), _cell(azimuth), _cell(dip), p.type.capitalize(), notes])
    _write_rows_atomically(path, rows)


PICK_WRITERS = {"geobfdt": ("_picks.csv", write_picks_csv), "geolog": ("_picks_geolog.csv", write_picks_geolog),
                "wellcad": ("_picks_wellcad.csv", write_picks_wellcad), "dlis": ("_picks.dlis", write_picks_dlis)}


def picks_to_arrays(picks: list[Pick]) -> dict[str, np.ndarray]:
    """Column arrays for vectorised work: depth_m, dip_deg, azimuth_deg, is_fracture, score."""
    return {
        "depth_m": np.array([p.depth_m for p in picks], dtype=np.float64),
        "dip_deg": np.array([p.dip_deg for p in picks], dtype=np.float64),
        "azimuth_deg": np.array([p.azimuth_deg for p in picks], dtype=np.float64),
        "is_fracture": np.array([p.type == "fracture" for p in picks], dtype=bool),
        "score": np.array([1.0 if p.score is None else p.score for p in picks], dtype=np.float64),
    }


# ---------------------------------------------------------------- foreign pick formats

# category keywords, checked in this order on the upper-cased category text
NOT_A_PLANE_WORDS = ("DITF", "BREAKOUT", "INDUCED", "WASHOUT", "KEYSEAT")  # drilling features: skipped
BEDDING_WORDS = ("BED", "LAMIN", "STRAT", "CROSS", "FORESET", "UNCONFORM", "CONTACT", "BOUNDARY")
FRACTURE_WORDS = ("FRAC", "COND", "RESIST", "VEIN", "FAULT", "JOINT", "HEALED", "FTCC", "FTS", "PTCC", "PTS",
                  "PTT")


def pick_type_from_category(category: str) -> str | None:
    """'fracture', 'bedding', or None for features that are not planes (DITF, breakouts)."""
    text = category.strip().upper()
    for words, kind in ((NOT_A_PLANE_WORDS, None), (BEDDING_WORDS, "bedding"), (FRACTURE_WORDS, "fracture")):
        if any(w in text for w in words):
            return kind
    raise PickFileError(f"unknown pick category {category!r} (not a fracture, bedding or drilling feature)")


def _is_number_text(text) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(text) -> float | None:
    """A float, or None for blanks and the -999.25 null."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(value) or abs(value - FOREIGN_NULL) < 1e-6 else value


# format name -> (columns that identify it, depth columns best first, apparent (dip, azimuth),
#                 true (dip, azimuth), category column)
FOREIGN_FORMATS = {
    "geolog": (("DEPTH", "CATEGORY", "DIP_APP"), ("DEPTH_PLANE", "DEPTH"), ("DIP_APP", "AZIM_APP"),
               ("DIP", "AZIMUTH"), "CATEGORY"),
    "wellcad": (("FEATURE DEPTH", "DEPTH", "AZIMUTH", "DIP", "TYPE"), ("DEPTH", "FEATURE DEPTH"), None,
                ("DIP", "AZIMUTH"), "TYPE"),
    "fractoolbox": (("DEPTH_MMDRF", "DIPAZIMUTH_DEG", "DIP_DEG", "TYPE"), ("DEPTH_MMDRF",), None,
                    ("DIP_DEG", "DIPAZIMUTH_DEG"), "TYPE"),
}


def _read_rows(path) -> list[list[str]]:
    return _read_numbered_rows(path)[0]


def _read_numbered_rows(path) -> tuple[list[list[str]], list[int]]:
    """Non-blank rows and their line numbers in the file; a header line repeated further down
    (files concatenated by hand, or an export that pages its output) is dropped, and a column
    name given twice is refused."""
    check_file_size(path, max_csv_bytes(), "a pick file", MAX_CSV_ENV, PickFileError)
    rows, lines = [], []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PickFileError(f"{path}: cannot read picks ({exc})") from None
    if not rows:
        return rows, lines
    header = [h.strip().upper() for h in rows[0]]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise PickFileError(f"{path}: column {repeated[0]!r} appears twice in the header")
    keep = [0] + [i for i in range(1, len(rows)) if [c.strip().upper() for c in rows[i]] != header]
    return [rows[i] for i in keep], [lines[i] for i in keep]


def detect_picks_format(header) -> str:
    names = {h.strip().upper() for h in header}
    if set(REQUIRED) <= {h.strip() for h in header}:
        return "geobfdt"
    for name, (needed, *_rest) in FOREIGN_FORMATS.items():
        if set(needed) <= names:
            return name
    raise PickFileError("not a known picks format (GeoBFDT CSV, Geolog, WellCAD or fractoolbox columns)")


def _foreign_pick(row, col, spec, well) -> Pick | None:
    _, depth_cols, apparent, true, category_col = spec

    def value(name):  # columns beyond the identifying ones may be absent
        return _number(row[col[name]]) if name in col else None

    kind = pick_type_from_category(row[col[category_col]])
    if kind is None:
        return None
    depth = next((d for d in map(value, depth_cols) if d is not None), None)
    true_dip, true_az = map(value, true)
    app_dip, app_az = map(value, apparent) if apparent else (None, None)
    if app_dip is None or app_az is None:
        # formats with one orientation: exact for a vertical hole; convert with the survey otherwise
        app_dip, app_az = true_dip, true_az
    if depth is None or app_dip is None or app_az is None:
        raise ValueError("no depth, dip or azimuth")
    return Pick(depth_m=depth, dip_deg=app_dip, azimuth_deg=app_az, type=kind,
                dip_true_deg=true_dip, azimuth_true_deg=None if true_az is None else float(wrap_azimuth_deg(true_az)),
                well=well)


def read_picks(path, well: str | None = None) -> list[Pick]:
    """Picks from any supported CSV, format detected from the header; sorted by depth.

    Drilling-induced features (DITF, breakouts) are not planes and are left out.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            if is_dlis(f.read(4096)):
                return sorted(read_picks_dlis(path), key=lambda p: p.depth_m)
    except OSError as exc:
        raise PickFileError(f"{path}: cannot read picks ({exc.strerror})") from None
    rows, lines = _read_numbered_rows(path)
    if not rows:
        raise PickFileError(f"{path}: empty picks file")
    try:
        fmt = detect_picks_format(rows[0])
    except GeoBFDTError as exc:
        raise PickFileError(f"{path}: {exc}") from None
    if fmt == "geobfdt":
        picks = read_picks_csv(path)
        header = [h.strip() for h in rows[0]]
        if "status" in header:  # a review file (geobfdt review): its rejected picks are not picks
            status = header.index("status")
            picks = [p for p, cells in zip(picks, rows[1:]) if len(cells) <= status or cells[status].strip() != "rejected"]
        return picks
    spec = FOREIGN_FORMATS[fmt]
    col = {h.strip().upper(): i for i, h in enumerate(rows[0])}
    body = [row + [""] * (len(rows[0]) - len(row)) for row in rows[1:]]  # short rows: missing cells are blank
    lines = lines[1:]
    metres_per_unit = 1.0
    unit = body[0][col[spec[1][-1]]].strip() if body else ""
    if unit and not _is_number_text(unit):  # the units line (Geolog, WellCAD), dropped also where repeated
        try:
            metres_per_unit = depth_unit_to_m(unit)
        except GeoBFDTError as exc:
            raise PickFileError(f"{path}: {exc}") from None
        units = [c.strip() for c in body[0]]
        keep = [i for i, row in enumerate(body) if [c.strip() for c in row] != units]
        body, lines = [body[i] for i in keep], [lines[i] for i in keep]
    picks = []
    for line, row in zip(lines, body):
        try:
            pick = _foreign_pick(row, col, spec, well)
        except (ValueError, GeoBFDTError) as exc:
            raise PickFileError(f"{path}:{line}: bad {fmt} pick row ({exc})") from None
        if pick is not None:
            pick.depth_m *= metres_per_unit
            picks.append(pick)
    return sorted(picks, key=lambda p: p.depth_m)
