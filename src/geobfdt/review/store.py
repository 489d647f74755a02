"""The review being edited: one review file in memory, saved atomically after every change.

The file format is geobfdt.io.review_file. The version of a review is a hash of both files'
bytes, so a change made by another tab or another server shows as a version mismatch (the
caller answers 409). Undo / redo keep whole snapshots.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from geobfdt.errors import GeoBFDTError, OptionError
from geobfdt.io.review_file import Review, ReviewPick, merge_intervals, read_review, write_review
from geobfdt.well import Pick

UNDO_DEPTH = 200


class ConflictError(GeoBFDTError):
    """The review changed since the caller last read it."""


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


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
        write_review(self.review, self.path, self.intervals_path)
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
            raise OptionError(f"status must be accepted or rejected, got {status!r}")
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
