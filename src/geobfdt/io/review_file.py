"""The review file format: picks with a review status, read and written whole.

`<stem>_reviewed.csv` holds the picks schema (geobfdt.io.picks) plus pick_id, status
(auto / accepted / rejected / edited / manual) and reviewed_at (UTC, ISO 8601; empty for
untouched auto picks). `<stem>_reviewed_intervals.csv` holds the depth intervals the reviewer
marked as reviewed (top_m, bottom_m, reviewed_at): inside them the non-rejected picks are
all there is. `geobfdt review` edits them (review/store.py); training reads them as labels
(patches/dataset.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from geobfdt.errors import PickFileError
from geobfdt.io.names import safe_stem
from geobfdt.io.picks import (OPTIONAL, REQUIRED, _cell, _read_numbered_rows, _read_rows, _write_rows_atomically,
                               picks_from_rows)
from geobfdt.well import Pick

STATUSES = ("auto", "accepted", "rejected", "edited", "manual")
POSITIVE_STATUSES = ("accepted", "edited", "manual")  # what training takes as labels
REVIEW_COLUMNS = REQUIRED + OPTIONAL + ("pick_id", "status", "reviewed_at")
INTERVAL_COLUMNS = ("top_m", "bottom_m", "reviewed_at")

def review_paths(folder, stem: str) -> tuple[Path, Path]:
    folder = Path(folder)
    stem = safe_stem(stem)
    return folder / f"{stem}_reviewed.csv", folder / f"{stem}_reviewed_intervals.csv"


@dataclass
class ReviewPick:
    pick_id: str
    pick: Pick
    status: str = "auto"
    reviewed_at: str = ""


@dataclass
class Review:
    picks: list[ReviewPick]
    intervals: list[tuple[float, float, str]]  # (top_m, bottom_m, reviewed_at), sorted, disjoint

    def find(self, pick_id: str) -> ReviewPick:
        for rp in self.picks:
            if rp.pick_id == pick_id:
                return rp
        raise KeyError(pick_id)

    def next_id(self) -> str:
        numbers = [int(rp.pick_id[1:]) for rp in self.picks if re.fullmatch(r"p\d+", rp.pick_id)]
        return f"p{max(numbers, default=0) + 1}"


def merge_intervals(intervals) -> list[tuple[float, float, str]]:
    """Union of (top, bottom, when) intervals; a merged interval keeps the latest time."""
    merged: list[list] = []
    for top, bottom, when in sorted(intervals):
        if merged and top <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], bottom)
            merged[-1][2] = max(merged[-1][2], when)
        else:
            merged.append([top, bottom, when])
    return [(float(a), float(b), str(c)) for a, b, c in merged]


def read_review(path, intervals_path=None) -> Review:
    """A review file (and its intervals file when present)."""
    path = Path(path)
    rows, lines = _read_numbered_rows(path)  # once: the server may replace the file at any moment
    picks = picks_from_rows(path, rows, lines)
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in ("pick_id", "status") if c not in header]
    if missing:
        raise PickFileError(f"{path}: not a review file (missing columns {', '.join(missing)})")
    out = []
    for line, (pick, cells) in enumerate(zip(picks, rows[1:]), start=2):
        row = dict(zip(header, (c.strip() for c in cells)))
        if row["status"] not in STATUSES:
            raise PickFileError(f"{path}:{line}: unknown review status {row['status']!r} (one of {', '.join(STATUSES)})")
        out.append(ReviewPick(row["pick_id"] or f"p{line - 1}", pick, row["status"], row.get("reviewed_at", "")))
    intervals = []
    intervals_path = Path(intervals_path) if intervals_path else None
    if intervals_path is not None and intervals_path.is_file():
        irows = _read_rows(intervals_path)
        for line, cells in enumerate(irows[1:], start=2):
            try:
                top, bottom = float(cells[0]), float(cells[1])
            except (IndexError, ValueError):
                raise PickFileError(f"{intervals_path}:{line}: bad reviewed interval row") from None
            if not top < bottom:
                raise PickFileError(f"{intervals_path}:{line}: reviewed interval top {top} is not above bottom {bottom}")
            intervals.append((top, bottom, cells[2] if len(cells) > 2 else ""))
    return Review(out, merge_intervals(intervals))


def review_rows(review: Review) -> list[list[str]]:
    body = sorted(review.picks, key=lambda rp: rp.pick.depth_m)
    return [list(REVIEW_COLUMNS)] + [
        [_cell(getattr(rp.pick, c)) for c in REQUIRED + OPTIONAL] + [rp.pick_id, rp.status, rp.reviewed_at]
        for rp in body]


def interval_rows(review: Review) -> list[list[str]]:
    return [list(INTERVAL_COLUMNS)] + [[_cell(float(a)), _cell(float(b)), c] for a, b, c in review.intervals]


def write_review(review: Review, path, intervals_path) -> None:
    """Both files, each atomically: the intervals first, so a crash between the two writes
    leaves the picks of the previous version with at most a newer interval list, never picks
    without their intervals."""
    _write_rows_atomically(intervals_path, interval_rows(review))
    _write_rows_atomically(path, review_rows(review))
