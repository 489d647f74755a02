"""Which planes get a label: only those an interpreter could actually see.

A fracture or bed boundary is labelled when all of these hold:
1. its centre line z0 lies inside the logged interval;
2. its apparent dip is at most `max_label_dip_deg` (85): steeper traces are drawn but
   their amplitude is many metres and nobody picks them as sinusoids;
3. its visible coverage is at least `min_label_coverage` (30%): among the columns that
   hold data at the trace's row, the share where the trace is drawn (partial traces
   cover only an arc) and lies inside the image;
4. its effective contrast is at least `min_label_snr` times the background sd (white
   noise, texture and laminae, LWD striping): the step (beds) or the slab (fracture core
   plus halo), reduced by the tool blur over the slab or the thinner adjacent bed
   (erf(h / (2 sqrt(2) sigma))), with sigma combining the tool's depth response and its
   azimuthal blur smeared along the trace's slope.
Drilling-induced fractures, breakouts, vugs and laminae are never labelled.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from geobfdt.synth.config import SynthConfig
from geobfdt.synth.geology import Planes
from geobfdt.synth.render import arc_weight, trace_rows


def effective_sigma_m(planes: Planes, blur_depth_m: float, blur_azimuth_deg: float) -> np.ndarray:
    """Depth sd of the tool response along a trace: depth blur plus azimuth blur times the slope."""
    smear = planes.amplitude_m * np.radians(blur_azimuth_deg) * np.sqrt(0.5)
    return np.sqrt(blur_depth_m ** 2 + smear ** 2)


def blurred_peak(thickness_m, sigma_m) -> np.ndarray:
    """Peak of a unit box of the given thickness after a Gaussian blur of sd sigma."""
    return erf(thickness_m / (2 * np.sqrt(2) * sigma_m))


def visible_coverage(planes: Planes, arc_centre_deg, arc_width_deg, valid: np.ndarray,
                     column_azimuth_deg, depth0_m, step_m) -> np.ndarray:
    """Share of the data-holding columns (at the trace's rows) in which the trace is visible."""
    n_rows = valid.shape[0]
    rows = np.round(trace_rows(planes.depth_m, planes.amplitude_m, planes.azimuth_deg,
                               column_azimuth_deg, depth0_m, step_m)).astype(np.int64)
    inside = (rows >= 0) & (rows < n_rows)
    cols = np.broadcast_to(np.arange(valid.shape[1]), rows.shape)
    has_data = valid[np.clip(rows, 0, n_rows - 1), cols]
    drawn = arc_weight(column_azimuth_deg, arc_centre_deg, arc_width_deg) >= 0.5
    seen = (has_data & inside & drawn).sum(1)
    return seen / np.maximum(has_data.sum(1), 1)


def labelled(planes: Planes, effective_contrast, coverage, depth_m, background_sd: float,
             cfg: SynthConfig) -> np.ndarray:
    """Boolean mask of planes that receive a label (rules 1-4 above)."""
    return ((planes.depth_m >= depth_m[0]) & (planes.depth_m <= depth_m[-1])
            & (planes.dip_deg <= cfg.max_label_dip_deg)
            & (coverage >= cfg.min_label_coverage)
            & (np.abs(effective_contrast) >= cfg.min_label_snr * background_sd))
