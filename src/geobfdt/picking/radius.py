"""Dip error bars where the hole's radius is not measured.

A pick's apparent dip comes from its trace's amplitude over the radius of the imaged wall:
tan(dip) = amplitude / radius. The detector and the evidence-based intervals (picking/trust.py)
take the radius as given. Where a caliper gives it, so it is. Where only the bit size (or a
value the user typed) does, the wall the image shows may lie elsewhere: a washed-out or
undergauge hole, or an image that reads some way into the wall. A radius off by a factor k
scales tan(dip) by 1/k. The error is the same sign for every pick of the well, largest near 45 deg
and vanishing at 0 and 90 deg, and no feature of a single pick shows it.

So where the radius is not measured, each dip half-width is widened, in quadrature, by the
spread in dip that a radius within RADIUS_RATIO_80 either way of the one used gives.
RADIUS_RATIO_80 is a stated assumption, not a fit: no labelled well here has both a caliper
and a bit size. A 25 % error on the radius is, for example, a 10.6 in hole or an image reading
an inch into the wall, for an 8.5 in bit. Depth and azimuth do not depend on the radius.

Intervals a user fitted on their own labelled wells (`geobfdt calibrate`) hold those wells' radius
errors already where no caliper measured them: the model file records the share of such wells
(FITTED_UNMEASURED_KEY), and from half of them up the dips are not widened again.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from geobfdt.well import Pick, Well

MEASURED_RADIUS = ("caliper",)  # Well.radius_source values that measure the hole
RADIUS_RATIO_80 = 1.25  # the imaged wall's radius lies within this factor either way of the one used, 80 % of the time
# model-file info: the share of the wells its intervals were fitted on whose radius no caliper measured
# (absent: none, as on the synthetic wells the shipped model was fitted on)
FITTED_UNMEASURED_KEY = "intervals_radius_unmeasured_share"


def radius_dip_err80_deg(dip_deg, ratio: float = RADIUS_RATIO_80) -> np.ndarray:
    """80 % half-width of the apparent dip (deg) from the radius alone: the larger move of dip_deg
    when the radius is `ratio` times larger or smaller (tan(dip) scaled by 1 / ratio or by ratio)."""
    dip_deg = np.asarray(dip_deg, dtype=np.float64)
    slope = np.tan(np.radians(np.clip(dip_deg, 0.0, 90.0)))
    steeper = np.degrees(np.arctan(slope * ratio)) - dip_deg
    flatter = dip_deg - np.degrees(np.arctan(slope / ratio))
    return np.maximum(steeper, flatter)


def radius_is_measured(well: Well) -> bool:
    return well.radius_source in MEASURED_RADIUS


def unmeasured_share(wells: list[Well]) -> float:
    """The share of the wells whose radius no caliper measured (FITTED_UNMEASURED_KEY's value)."""
    return sum(not radius_is_measured(w) for w in wells) / max(len(wells), 1)


def widen_for_radius(well: Well, picks: list[Pick], fitted_unmeasured_share: float = 0.0) -> list[Pick]:
    """The picks, their dip half-widths widened for a radius the well does not measure (copies;
    the picks as they are where a caliper gave the radius, they carry no dip interval, or the
    intervals were fitted on wells half or more of which lacked a caliper: fitted_unmeasured_share)."""
    if radius_is_measured(well) or fitted_unmeasured_share >= 0.5 \
            or not any(p.dip_err80_deg is not None for p in picks):
        return picks
    extra = radius_dip_err80_deg([p.dip_deg for p in picks])
    return [p if p.dip_err80_deg is None else replace(p, dip_err80_deg=float(np.hypot(p.dip_err80_deg, e)))
            for p, e in zip(picks, extra)]
