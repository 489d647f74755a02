"""One review session: a well, its review store and the model's candidates, as the page sees them.

Geometry arrives from the page in the image's own terms (depth, azimuth, trace amplitude
in metres) and is turned into dip with the hole radius at the pick (geometry helpers), so
the page never needs the radius curve. Everything returned is plain JSON-able data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from geobfdt.errors import OptionError
from geobfdt.geometry import amplitude_m, apparent_to_true, dip_from_amplitude_deg, fit_sinusoid, wrap_azimuth_deg
from geobfdt.review.similar import SIMILAR_DEPTH_M, similar_indices, unseen
from geobfdt.io.names import safe_stem
from geobfdt.io.review_file import ReviewPick
from geobfdt.review.store import ReviewStore, now_utc
from geobfdt.well import PICK_TYPES, Pick, Well

EXPORT_FORMATS = ("geobfdt", "geolog", "wellcad", "dlis")


@dataclass
class ReviewSession:
    well: Well
    store: ReviewStore
    candidates: list[Pick]  # sub-threshold detections, sorted by depth; ids c1, c2, ...
    out_dir: Path
    stem: str
    features: dict | None = None  # overlays: feature table name -> rows (features_overlay)

    def __post_init__(self):
        self.candidates = sorted(self.candidates, key=lambda p: p.depth_m)
        self.stem = safe_stem(self.stem)

    # ---------------------------------------------------------------- reading

    def well_info(self) -> dict:
        w = self.well
        return {"name": w.name, "top_m": float(w.depth_m[0]), "bottom_m": float(w.depth_m[-1]),
                "depth_step_m": w.depth_step_m, "columns": w.width, "tool": w.tool,
                "radius_m": float(np.median(w.radius_m)), "candidates": len(self.candidates),
                "types": list(PICK_TYPES), "export_formats": list(EXPORT_FORMATS)}

    def features_json(self) -> dict:
        """Vugs, breakouts and induced fractures to draw over the image (empty without --features)."""
        return self.features or {}

    def _radius(self, depth_m: float) -> float:
        return float(self.well.radius_at(depth_m))

    def picks_json(self, rows) -> list[dict]:
        """rows: (id, Pick, status, reviewed_at); rounded (0.1 mm, 0.01 deg) to keep the state small."""
        if not rows:
            return []
        depth = np.array([pick.depth_m for _, pick, _, _ in rows])
        dip = np.array([pick.dip_deg for _, pick, _, _ in rows])
        amplitude = amplitude_m(dip, self.well.radius_at(depth))
        return [{"id": pick_id, "depth_m": round(pick.depth_m, 4), "dip_deg": round(pick.dip_deg, 2),
                 "azimuth_deg": round(pick.azimuth_deg, 2), "amplitude_m": round(float(amp), 5), "type": pick.type,
                 "score": None if pick.score is None else round(pick.score, 3), "status": status,
                 "found_again": None if pick.found_again is None else round(pick.found_again, 2),
                 "reviewed_at": reviewed_at}
                for (pick_id, pick, status, reviewed_at), amp in zip(rows, amplitude)]

    def state(self) -> dict:
        self.store.sync()
        review = self.store.review
        return {"version": self.store.version,
                "picks": self.picks_json([(rp.pick_id, rp.pick, rp.status, rp.reviewed_at) for rp in review.picks]),
                "intervals": [[a, b] for a, b, _ in review.intervals],
                "can_undo": bool(self.store.undo_stack), "can_redo": bool(self.store.redo_stack)}

    # ---------------------------------------------------------------- geometry from the page

    def pick_from_geometry(self, depth_m, amplitude_m_, azimuth_deg, kind, score=None) -> Pick:
        depth_m, amplitude_m_, azimuth_deg = float(depth_m), float(amplitude_m_), float(azimuth_deg)
        if not np.isfinite([depth_m, amplitude_m_, azimuth_deg]).all():
            raise OptionError("depth, amplitude and azimuth must be finite numbers")
        if not self.well.depth_m[0] - 1.0 <= depth_m <= self.well.depth_m[-1] + 1.0:
            raise OptionError(f"depth {depth_m:.3f} m is outside the well")
        if amplitude_m_ < 0:  # a trace drawn upside down: same curve, dip azimuth turned round
            amplitude_m_, azimuth_deg = -amplitude_m_, azimuth_deg + 180.0
        dip = float(dip_from_amplitude_deg(amplitude_m_, self._radius(depth_m)))
        pick = Pick(depth_m=depth_m, dip_deg=min(dip, 89.9), azimuth_deg=azimuth_deg, type=kind, score=score,
                    well=self.well.name)
        deviation = self.well.deviation_at(depth_m)
        if deviation is not None:
            dip_true, azimuth_true = apparent_to_true(pick.dip_deg, pick.azimuth_deg, *deviation)
            pick.dip_true_deg, pick.azimuth_true_deg = float(dip_true), float(wrap_azimuth_deg(azimuth_true))
        return pick

    def pick_from_points(self, points, kind: str) -> Pick:
        """The sinusoid z = z0 + a cos(phi) + b sin(phi) through three clicked (azimuth_deg, depth_m) points."""
        try:
            phi, z = np.asarray(points, dtype=float).reshape(-1, 2).T
        except ValueError:
            raise OptionError("points must be [azimuth_deg, depth_m] pairs") from None
        if phi.size != 3 or not np.isfinite(phi).all() or not np.isfinite(z).all():
            raise OptionError("a pick needs exactly three finite points")
        try:
            depth, dip, azimuth = fit_sinusoid(phi, z, self._radius(float(z.mean())))
        except ValueError as exc:
            raise OptionError(str(exc)) from None
        return self.pick_from_geometry(depth, amplitude_m(dip, self._radius(depth)), azimuth, kind)

    # ---------------------------------------------------------------- changes

    def add(self, version, pick: Pick, status: str = "manual") -> str:
        created = {}

        def edit(review):
            created["id"] = review.next_id()
            review.picks.append(ReviewPick(created["id"], pick, status, now_utc()))
        self.store.change(version, edit)
        return created["id"]

    def edit_geometry(self, version, pick_id, depth_m, amplitude_m_, azimuth_deg) -> None:
        def edit(review):
            old = review.find(pick_id).pick
            new = self.pick_from_geometry(depth_m, amplitude_m_, azimuth_deg, old.type, old.score)
            self.store.edit_pick(review, pick_id, depth_m=new.depth_m, dip_deg=new.dip_deg, azimuth_deg=new.azimuth_deg,
                                 dip_true_deg=new.dip_true_deg, azimuth_true_deg=new.azimuth_true_deg)
        self.store.change(version, edit)

    def set_type(self, version, pick_id, kind: str) -> None:
        if kind not in PICK_TYPES:
            raise OptionError(f"type must be one of {', '.join(PICK_TYPES)}")
        self.store.change(version, lambda review: self.store.edit_pick(review, pick_id, type=kind))

    def set_status(self, version, pick_id, status: str) -> None:
        self.store.change(version, lambda review: self.store.set_status(review, pick_id, status))

    def delete(self, version, pick_id) -> None:
        def edit(review):
            review.picks.remove(review.find(pick_id))
        self.store.change(version, edit)

    def mark_reviewed(self, version, top_m, bottom_m) -> None:
        top_m, bottom_m = float(top_m), float(bottom_m)
        if not (np.isfinite([top_m, bottom_m]).all() and top_m < bottom_m):
            raise OptionError("a reviewed interval needs a finite top above its bottom")
        top_m, bottom_m = max(top_m, float(self.well.depth_m[0])), min(bottom_m, float(self.well.depth_m[-1]))
        if top_m >= bottom_m:  # stored, it would make the review file unreadable (read_review refuses it)
            raise OptionError("the reviewed interval lies outside the well")
        self.store.change(version, lambda review: self.store.mark_reviewed(review, top_m, bottom_m))

    # ---------------------------------------------------------------- pick similar

    def similar(self, pick_id: str) -> list[dict]:
        """Candidates near the pick with a similar plane, not already in the review."""
        self.store.sync()
        pick = self.store.review.find(pick_id).pick
        depth = np.array([c.depth_m for c in self.candidates])
        near = np.flatnonzero(np.abs(depth - pick.depth_m) <= SIMILAR_DEPTH_M)
        reviewed = [rp.pick for rp in self.store.review.picks if abs(rp.pick.depth_m - pick.depth_m) <= SIMILAR_DEPTH_M + 1]
        fresh = set(map(id, unseen([self.candidates[i] for i in near], reviewed, self.well.radius_at(pick.depth_m))))
        pool = [i for i in near if id(self.candidates[i]) in fresh]
        chosen = similar_indices(pick, [self.candidates[i] for i in pool])
        return self.picks_json([(f"c{pool[k] + 1}", self.candidates[pool[k]], "candidate", "") for k in chosen])

    def decide_candidate(self, version, candidate_id: str, decision: str) -> str:
        """Accept (an accepted pick) or reject (a rejected pick, so it is not proposed again)."""
        if decision not in ("accepted", "rejected"):
            raise OptionError("a candidate is accepted or rejected")
        index = int(candidate_id[1:]) - 1 if re.fullmatch(r"c\d+", candidate_id) else -1
        if not 0 <= index < len(self.candidates):
            raise KeyError(candidate_id)
        return self.add(version, replace(self.candidates[index]), decision)

    # ---------------------------------------------------------------- export

    def export(self, fmt: str) -> Path:
        """The kept picks (all but rejected) in one of EXPORT_FORMATS, into the output folder."""
        from geobfdt.io.picks import PICK_WRITERS

        if fmt not in EXPORT_FORMATS:
            raise OptionError(f"export format must be one of {', '.join(EXPORT_FORMATS)}")
        self.store.sync()
        kept = [rp.pick for rp in self.store.review.picks if rp.status != "rejected"]
        suffix, write = PICK_WRITERS[fmt]
        path = self.out_dir / f"{self.stem}_reviewed{suffix}"
        write(path, kept)
        return path



OVERLAY_COLUMNS = {"vugs": ("depth_m", "azimuth_deg", "equivalent_diameter_mm"),
                   "breakouts": ("top_m", "bottom_m", "azimuth_deg", "azimuth2_deg", "width_deg"),
                   "induced": ("top_m", "bottom_m", "azimuth_deg")}


def features_overlay(results) -> dict:
    """FeatureResults as rows of the columns the page draws (rounded: 0.1 mm, 0.01 deg)."""
    out = {}
    for result in results:
        for name, table in result.tables.items():
            columns = OVERLAY_COLUMNS.get(name)
            if columns and all(c in table for c in columns):
                out[name] = np.round(np.stack([np.asarray(table[c], float) for c in columns], 1), 4).tolist()
    return out
