"""The review file: picks with a review status, saved atomically after every change.

`<stem>_reviewed.csv` holds the picks schema (geobfdt.io.picks) plus pick_id, status
(auto / accepted / rejected / edited / manual) and reviewed_at (UTC, ISO 8601; empty for
untouched auto picks). `<stem>_reviewed_intervals.csv` holds the depth intervals the reviewer
marked as reviewed (top_m, bottom_m, reviewed_at): inside them the non-rejected picks are
all there is. The version of a review is a hash of both files' bytes, so a change made by
another tab or another server shows as a version mismatch (the caller answers 409).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from geobfdt.errors import GeoBFDTError
from geobfdt.io.names import safe_stem
from geobfdt.io.picks import (OPTIONAL, REQUIRED, _cell, _read_numbered_rows, _read_rows, _write_rows_atomically,
                               picks_from_rows)
from geobfdt.well import Pick

STATUSES = ("auto", "accepted", "rejected", "edited", "manual")
POSITIVE_STATUSES = ("accepted", "edited", "manual")  # what training takes as labels
REVIEW_COLUMNS = REQUIRED + OPTIONAL + ("pick_id", "status", "reviewed_at")
INTERVAL_COLUMNS = ("top_m", "bottom_m", "reviewed_at")
UNDO_DEPTH = 200


class ConflictError(GeoBFDTError):
    """The review changed since the caller last read it."""


def review_paths(folder, stem: str) -> tuple[Path, Path]:
    folder = Path(folder)
    stem = safe_stem(stem)
    return folder / f"{stem}_reviewed.csv", folder / f"{stem}_reviewed_intervals.csv"


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


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
        raise GeoBFDTError(f"{path}: not a review file (missing columns {', '.join(missing)})")
    out = []
    for line, (pick, cells) in enumerate(zip(picks, rows[1:]), start=2):
        row = dict(zip(header, (c.strip() for c in cells)))
        if row["status"] not in STATUSES:
            raise GeoBFDTError(f"{path}:{line}: unknown review status {row['status']!r} (one of {', '.join(STATUSES)})")
        out.append(ReviewPick(row["pick_id"] or f"p{line - 1}", pick, row["status"], row.get("reviewed_at", "")))
    intervals = []
    intervals_path = Path(intervals_path) if intervals_path else None
    if intervals_path is not None and intervals_path.is_file():
        irows = _read_rows(intervals_path)
        for line, cells in enumerate(irows[1:], start=2):
            try:
                top, bottom = float(cells[0]), float(cells[1])
            except (IndexError, ValueError):
                raise GeoBFDTError(f"{intervals_path}:{line}: bad reviewed interval row") from None
            if not top < bottom:
                raise GeoBFDTError(f"{intervals_path}:{line}: reviewed interval top {top} is not above bottom {bottom}")
            intervals.append((top, bottom, cells[2] if len(cells) > 2 else ""))
    return Review(out, merge_intervals(intervals))


def review_rows(review: Review) -> list[list[str]]:
    body = sorted(review.picks, key=lambda rp: rp.pick.depth_m)
    return [list(REVIEW_COLUMNS)] + [
        [_cell(getattr(rp.pick, c)) for c in REQUIRED + OPTIONAL] + [rp.pick_id, rp.status, rp.reviewed_at]
        for rp in body]


def interval_rows(review: Review) -> list[list[str]]:
    return [list(INTERVAL_COLUMNS)] + [[_cell(float(a)), _cell(float(b)), c] for a, b, c in review.intervals]


def _file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


class ReviewStore:
    """One review in memory, mirrored to disk after every change.

    Every change names the version it was made against; a stale version raises
    ConflictError and changes nothing. Undo / redo keep whole snapshots (a review is small).
    """

    def __init__(self, path, intervals_path, initial_picks: list[Pick]):
        self.path, self.intervals_path = Path(path), Path(intervals_path)
        self.initial_picks = initial_picks
        self.undo_stack: list[Review] = []
        self.redo_stack: list[Review] = []
        self.review = Review([], [])
        self.version = ""
        self.reload()

    def disk_version(self) -> str:
        digest = hashlib.sha256(_file_bytes(self.path) + b"\0" + _file_bytes(self.intervals_path))
        return digest.hexdigest()[:16]

    def reload(self) -> None:
        """Read the files (another writer may have changed them); create them on first use."""
        if self.path.is_file():
            self.review = read_review(self.path, self.intervals_path)
            self.version = self.disk_version()
        else:
            self.review = Review([ReviewPick(f"p{i + 1}", copy.copy(p)) for i, p in
                                  enumerate(sorted(self.initial_picks, key=lambda p: p.depth_m))], [])
            self._write()

    def sync(self) -> None:
        """Pick up changes written by someone else since we last read or wrote."""
        if self.disk_version() != self.version:
            self.reload()
            self.undo_stack.clear()
            self.redo_stack.clear()

    def _write(self) -> None:
        # intervals first: a crash between the two writes leaves the picks of the previous
        # version with at most a newer interval list, never picks without their intervals
        _write_rows_atomically(self.intervals_path, interval_rows(self.review))
        _write_rows_atomically(self.path, review_rows(self.review))
        self.version = self.disk_version()

    def change(self, expected_version: str | None, edit) -> None:
        """Apply edit(review) against expected_version, then save; snapshot for undo."""
        self.sync()
        if expected_version != self.version:
            raise ConflictError("the review was changed elsewhere (another tab?); reload to see it")
        before = copy.deepcopy(self.review)
        edit(self.review)
        self.undo_stack = (self.undo_stack + [before])[-UNDO_DEPTH:]
        self.redo_stack.clear()
        self._write()

    def _swap(self, expected_version, source: list, target: list) -> bool:
        self.sync()
        if expected_version != self.version:
            raise ConflictError("the review was changed elsewhere (another tab?); reload to see it")
        if not source:
            return False
        target.append(copy.deepcopy(self.review))
        self.review = source.pop()
        self._write()
        return True

    def undo(self, expected_version) -> bool:
        return self._swap(expected_version, self.undo_stack, self.redo_stack)

    def redo(self, expected_version) -> bool:
        return self._swap(expected_version, self.redo_stack, self.undo_stack)

    # ------------------------------------------------------------- edits (run inside change)

    @staticmethod
    def set_status(review: Review, pick_id: str, status: str) -> None:
        if status not in ("accepted", "rejected"):
            raise GeoBFDTError(f"status must be accepted or rejected, got {status!r}")
        rp = review.find(pick_id)
        # an edited or manual pick stays so when accepted: its geometry is the reviewer's
        rp.status = status if status == "rejected" or rp.status in ("auto", "rejected") else rp.status
        rp.reviewed_at = now_utc()

    @staticmethod
    def edit_pick(review: Review, pick_id: str, **changes) -> None:
        rp = review.find(pick_id)
        rp.pick = replace(rp.pick, **changes)
        rp.status = "manual" if rp.status == "manual" else "edited"
        rp.reviewed_at = now_utc()

    @staticmethod
    def mark_reviewed(review: Review, top_m: float, bottom_m: float) -> None:
        """The interval holds no other picks than those kept: untouched auto picks in it are accepted."""
        when = now_utc()
        review.intervals = merge_intervals(review.intervals + [(top_m, bottom_m, when)])
        for rp in review.picks:
            if rp.status == "auto" and top_m <= rp.pick.depth_m <= bottom_m:
                rp.status, rp.reviewed_at = "accepted", when
