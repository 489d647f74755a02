"""Why a well received no implant: the one wording with which `geobfdt inject-test` refuses such a
well and `predict --self-calibrate` (the API's `self_calibrate=True`) warns that it left the well's
intervals as the model file gives them. Either the well is too short to hold an implant
WINDOW_MARGIN_M inside each end, or its image holds too little data at every slot there, or every
slot lies within CLEAR_M of one of its own picks and no fracture fits beside one (picking/injection.py
slot_depths, imaged_slots, plan_implants)."""

from __future__ import annotations

from geobfdt.picking.injection import CLEAR_M, WINDOW_MARGIN_M, imaged_slots, slot_depths
from geobfdt.well import Pick, Well


def _length_m(well: Well) -> float:
    return float(well.depth_m[-1] - well.depth_m[0])


def too_short(well: Well) -> str | None:
    """Why no implant fits the well even with no pick to keep clear of (None where one does). Read from
    the depths alone: no image is read, so it is cheap before any picking."""
    if slot_depths(well).size:
        return None
    return (f"{_length_m(well):.2f} m is too short for injection-recovery: implants lie {WINDOW_MARGIN_M:g} m or "
            f"more inside each end")


def no_implants_reason(well: Well, picks: list[Pick]) -> str:
    """Why the well, picked as `picks`, received no implant."""
    slots = slot_depths(well)
    if slots.size and not imaged_slots(well, slots).any():
        return (f"{_length_m(well):.2f} m has no room for an implant: the image holds too little data at every slot "
                f"{WINDOW_MARGIN_M:g} m or more inside each end")
    return too_short(well) or (
        f"{_length_m(well):.2f} m has no room for an implant: every slot {WINDOW_MARGIN_M:g} m or more inside "
        f"each end lies within {100.0 * CLEAR_M:g} cm of one of the well's {len(picks)} picks, and no fracture fits "
        f"beside one as far from it as they lie from each other")
