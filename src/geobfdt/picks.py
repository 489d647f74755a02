"""Pick files: the project's CSV schema (read and write).

Schema, one row per plane: depth_m, dip_deg, azimuth_deg, type [, score,
dip_true_deg, azimuth_true_deg, well]. type is "fracture" or "bedding". Written with
the csv module so every interpretation package reads it.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import GeoBFDTError
from .well import Pick

REQUIRED = ("depth_m", "dip_deg", "azimuth_deg", "type")
OPTIONAL = ("score", "dip_true_deg", "azimuth_true_deg", "well")


def _float_or_none(text):
    return None if text in (None, "") else float(text)


def read_picks_csv(path) -> list[Pick]:
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GeoBFDTError(f"{path}: cannot read picks ({exc})") from None
    missing = [c for c in REQUIRED if rows and c not in header]
    if missing:
        raise GeoBFDTError(f"{path}: not a GeoBFDT picks file (missing columns {', '.join(missing)})")
    picks = []
    for line, row in enumerate(rows, start=2):
        try:
            picks.append(Pick(
                depth_m=float(row["depth_m"]), dip_deg=float(row["dip_deg"]),
                azimuth_deg=float(row["azimuth_deg"]), type=row["type"].strip(),
                score=_float_or_none(row.get("score")),
                dip_true_deg=_float_or_none(row.get("dip_true_deg")),
                azimuth_true_deg=_float_or_none(row.get("azimuth_true_deg")),
                well=row.get("well") or None))
        except (ValueError, GeoBFDTError) as exc:
            raise GeoBFDTError(f"{path}:{line}: bad pick row ({exc})") from None
    return picks


def write_picks_csv(path, picks: list[Pick]) -> None:
    """Write atomically (temp file + rename) so an interrupted run leaves no half file."""
    path = Path(path)
    columns = list(REQUIRED) + [c for c in OPTIONAL if any(getattr(p, c) is not None for p in picks)]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for p in sorted(picks, key=lambda p: p.depth_m):
                row = []
                for c in columns:
                    v = getattr(p, c)
                    row.append("" if v is None else (f"{v:.4f}" if isinstance(v, float) else v))
                writer.writerow(row)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def picks_to_arrays(picks: list[Pick]) -> dict[str, np.ndarray]:
    """Column arrays for vectorised work: depth_m, dip_deg, azimuth_deg, is_fracture, score."""
    return {
        "depth_m": np.array([p.depth_m for p in picks], dtype=np.float64),
        "dip_deg": np.array([p.dip_deg for p in picks], dtype=np.float64),
        "azimuth_deg": np.array([p.azimuth_deg for p in picks], dtype=np.float64),
        "is_fracture": np.array([p.type == "fracture" for p in picks], dtype=bool),
        "score": np.array([1.0 if p.score is None else p.score for p in picks], dtype=np.float64),
    }
