"""Injection-recovery: implant synthetic sinusoids into a copy of a well's image, to be picked again.

How far to trust the picker on a well without labels (issue 30): planes of both classes, across
dip bins and azimuths, are painted into a copy of the image with the contrast and sharpness the
well's own picks show, away from those picks; picking the copy and matching the implants
(evaluation/injection.py) gives recovery and errors on this well's texture, noise and tool.

- Working scale: log10 of the image where every value is positive (resistivity-like images are
  log-normal), the values themselves otherwise. Implants add there, only on measured pixels.
- Contrast and sharpness: each implant takes the profile across the trace (+-5 cm, or +-3 rows on
  a coarse image; a fracture's averaged over the columns where it shows most, as it may show over part
  of the hole only; a bed boundary's over every column, as it shows all around and columns chosen by
  their noisy height would keep the noise that peaked there) of one of the well's own picks of
  its class, drawn at random: a fracture's line (its
  core, halo and blur as this tool shows them), a bed boundary's step. A fracture is a slab between
  two parallel planes, as thick along the hole at every azimuth (aperture / cos dip): its line is read
  and painted along depth. A bed boundary's step has no thickness; its width is the tool's response,
  sd s_z along depth and s_a around the hole: where the trace slopes at theta on the unrolled wall
  the step is sqrt(s_z^2 + s_a^2 tan^2 theta) wide along depth, so it is read and painted at the
  vertical offset times 1 / sqrt(1 + (s_a / s_z)^2 tan^2 theta) (normal_scale: the distance normal to
  the trace where the response is round, the vertical one where it acts along depth only), s_a / s_z
  the ratio of the well's image_blur (picking/blur.py). A class with fewer than MIN_PROFILES picks
  borrows the other's heights in its own shape (a line or step of 1 cm or a row, whichever is
  wider); a well without picks uses 3-10x the background sd.
- Beds lie as the well's bedding does: each takes the orientation of the nearest bed pick of the
  well (dip +-2 deg, azimuth +-8 deg sd), when the well has MIN_PROFILES of them; fractures (and
  beds in a well without bed picks) cycle through DIP_BINS_DEG with uniform azimuths.
- Partial traces: PARTIAL_SHARE of the fractures show over a 100-280 deg arc only, as many real ones.
- A profile read around a pick carries that pick's own errors: a fracture pick's columns are aligned
  onto its mean profile first (measured_profiles' align_points: a dip or azimuth a little off smears
  the line), and every profile is moved so that its line's peak (its step's steepest point) lies on
  the trace (implant_profiles), so an implant's error is the picker's on it alone. A bed profile
  keeps its own shape within about two step widths of the trace only, the step that fits it best
  beyond (tapered_steps): the texture of the spot it was read at, painted over a spot with texture of
  its own, would make the implanted boundary harder to place than a real one.
- Placement: one implant per SPACING_M down the well, WINDOW_MARGIN_M inside its ends, none where the
  log holds no data (imaged_slots: a stretch the tool did not record would count as misses); classes
  alternate and dips cycle through DIP_BINS_DEG, azimuths uniform. Planes crowded together are found
  less often and less well (a real fracture within 5 cm of another plane has twice the 80 % errors of
  one 12-30 cm from it), so a crowded well's implants crowd too. A bed's top and base are both
  implanted planes, as far apart as the well's own consecutive picks lie (a gap drawn at random,
  clipped to BED_THICKNESS_M), each at least CLEAR_M from every existing pick. A fracture is set
  beside the pick nearest its slot, as far from it as a pick of the well lies from its nearest
  neighbour (drawn at random; crowded_fracture_depths); where that leaves it nearer another pick or
  more than CROWD_REACH_M from its slot, it stays at the slot if that is CLEAR_M from every pick.
  Recovery is then judged with the well's own picks competing for the copy's picks
  (evaluation/injection.py class_matches, `competing`), so a pick of the well found again is never an
  implant's.
- Sectors: on a coarse image each column is the mean of the implant drawn every SUBCOLUMN_DEG across
  the column's arc, as an LWD sector integrates the wall it faces (a steep trace smears down it).
A seed is a plan: the same well, picks and seed give the same implants.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from geobfdt.geometry import amplitude_m
from geobfdt.picking.blur import image_blur
from geobfdt.synth.render import arc_weight
from geobfdt.well import Pick, Well

DIP_BINS_DEG = (0.0, 30.0, 60.0, 80.0)  # implant dips, uniform within each bin; steeper traces outgrow a window
SPACING_M = 0.7  # between implant slots
CLEAR_M = 0.12  # a bed implant's planes keep this far from any existing pick (matching uses 8 cm)
CROWD_REACH_M = 0.25  # a fracture implant moves at most this far from its slot: implants stay 15 cm apart
MIN_GAP_M = 0.02  # a fracture implant lies at least this far from the pick it is set beside
WINDOW_MARGIN_M = 1.3  # half a window: no implants where the picker sees only part of a window
BED_THICKNESS_M = (0.05, 0.3)  # an implanted bed's thickness (a gap between the well's picks) is clipped to this
BED_JITTER_DEG = (2.0, 8.0)  # sd of an implanted bed's dip and azimuth around the nearest bed pick's
PROFILE_HALF_M, PROFILE_HALF_ROWS, PROFILE_POINTS = 0.05, 3, 21  # a pick's profile across its trace: +-5 cm or 3 rows
ALIGN_POINTS = 4  # a fracture pick's columns are aligned by up to this many profile points (2 cm of 5) when read
MAX_RECENTRE = 0.4  # a profile is moved onto its trace by at most this share of its half-width (2 cm of 5)
STEP_WIDTHS_POINTS = np.geomspace(0.15, 10.0, 40)  # a bed step's sd, in profile points, as fitted (tapered_steps)
STEP_REACH = 2.0  # an implanted bed keeps its profile's own shape within this many step sds of its trace
MIN_PROFILES = 3  # a class with fewer picks borrows
PARTIAL_SHARE = 0.3  # fractures whose trace shows over an arc only (terminating, or healed in part)
PARTIAL_ARC_DEG = (100.0, 280.0)
BATCH = 32  # implants painted per array operation
SUBCOLUMN_DEG, MAX_SUBCOLUMNS = 2.0, 16  # a column is drawn at this azimuth step and averaged: a sector integrates its arc
IMAGED_REACH_M, MIN_IMAGED = 0.5, 0.5  # a slot needs half the well's typical coverage within 0.5 m (imaged_slots)
STEEPEST_SLOPE_DEG = 80.0  # a trace is read as at most this steep: a vertical offset says little where it is steeper


@dataclass
class Implant:
    """A fracture, or a bed (its top, and its base thickness_m below), painted into the image with a
    profile across its trace on the working scale (at the well's profile_offsets_m)."""
    pick: Pick
    profile: np.ndarray
    thickness_m: float = 0.0
    arc_centre_deg: float = 0.0
    arc_width_deg: float = 360.0  # a partial fracture shows over this arc only
    response_ratio: float = 1.0  # a bed's: the well's response around the hole over along depth (normal_scale)


def implant_truth(implants: list[Implant]) -> list[Pick]:
    """The implanted planes as true picks, depth-sorted: each fracture, each bed's top and base."""
    from dataclasses import replace

    picks = [m.pick for m in implants]
    picks += [replace(m.pick, depth_m=m.pick.depth_m + m.thickness_m) for m in implants if m.thickness_m > 0]
    return sorted(picks, key=lambda p: p.depth_m)


_SD_BLOCK_ROWS = 1024
_MAX_NOISE_SAMPLES = 1 << 21  # row differences the noise is read from: a robust sd needs no more (about 0.1 %)


def working_scale(image: np.ndarray, dtype=np.float64) -> tuple[np.ndarray, bool]:
    """(working image, whether it is log10 of the values), with no copy of the image beside it (the
    well's evidence reads 50 m pieces of a 360-column image: 57 MB each in float64, half in float32)."""
    finite = np.isfinite(image)
    log = bool(finite.any()) and float(np.min(image, where=finite, initial=np.inf)) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.log10(image, dtype=dtype) if log else np.array(image, dtype=dtype)), log


def background_sd(work: np.ndarray) -> float:
    """Robust sd of the image's pixel-to-pixel detail along depth (MAD of row differences / sqrt 2).
    The differences are taken _SD_BLOCK_ROWS rows at a time into one float32 array (their median needs
    them all): a third of the memory of one float64 pass; above _MAX_NOISE_SAMPLES of them, those of
    every k-th row (the two medians were most of the time of a well's evidence)."""
    rows = max(work.shape[0] - 1, 0)
    every = max(1, -(-rows * work.shape[1] // _MAX_NOISE_SAMPLES))
    diff, used = np.empty(-(-rows // every) * work.shape[1], dtype=np.float32), 0
    for i in range(0, rows, _SD_BLOCK_ROWS):
        block = np.diff(work[i:i + _SD_BLOCK_ROWS + 1], axis=0)[(-i) % every::every]  # rows 0, k, 2k ... of the image
        block = block[np.isfinite(block)]
        diff[used:used + block.size] = block
        used += block.size
    diff = diff[:used]
    if not diff.size:
        return 1.0
    centre = float(np.median(diff, overwrite_input=True))  # in place: the order of diff does not matter here
    np.abs(np.subtract(diff, centre, out=diff), out=diff)
    return float(1.4826 * np.median(diff, overwrite_input=True) / np.sqrt(2))


def _trace_rows(well: Well, depth_m: np.ndarray, dip_deg: np.ndarray, azimuth_deg: np.ndarray,
                column_azimuth_deg: np.ndarray | None = None) -> np.ndarray:
    """(planes, columns) fractional rows of each plane's trace, at the well's column azimuths or the ones given."""
    columns = well.azimuth_deg if column_azimuth_deg is None else column_azimuth_deg
    amp = amplitude_m(dip_deg, well.radius_at(depth_m))
    z = depth_m[:, None] + amp[:, None] * np.cos(np.radians(columns[None, :] - azimuth_deg[:, None]))
    return np.interp(z, well.depth_m, np.arange(well.depth_m.size), left=-1e9, right=1e9)


def response_ratio(well: Well) -> float:
    """The sd of the image's response around the hole over its sd along depth (picking/blur.py)."""
    blur = image_blur(well)
    return float(blur["blur_azimuth_cm"] / blur["blur_depth_cm"])


def normal_scale(dip_deg: np.ndarray, azimuth_deg: np.ndarray, column_azimuth_deg: np.ndarray,
                 ratio: float | np.ndarray = 1.0) -> np.ndarray:
    """(planes, columns) the factor from a vertical offset from each plane's trace to the offset at which
    a step's profile (as it shows where the trace is flat) is read: 1 / sqrt(1 + ratio^2 tan^2 theta)
    for a response `ratio` times as wide around the hole as along depth (a number or one per plane),
    theta the trace's slope on the unrolled wall, tan theta = dz/ds = tan(dip) sin(phi - azimuth)
    (s = r phi, the arc along the wall; the radius cancels), capped at STEEPEST_SLOPE_DEG. At ratio 1
    the distance normal to the trace; at 0 the vertical one."""
    slope = np.reshape(ratio, (-1, 1)) * np.tan(np.radians(np.asarray(dip_deg, dtype=np.float64)))[:, None] \
        * np.sin(np.radians(np.asarray(column_azimuth_deg, dtype=np.float64)[None, :] - np.asarray(azimuth_deg)[:, None]))
    return np.maximum(1.0 / np.hypot(1.0, slope), np.cos(np.radians(STEEPEST_SLOPE_DEG)))


def subcolumn_azimuths_deg(column_azimuth_deg: np.ndarray) -> np.ndarray:
    """(columns, K) azimuths spread evenly over each column's arc (K = 1 on fine images): a plane drawn at
    each and averaged shows in a coarse sector as the tool records it, smeared where the trace is steep."""
    width_deg = 360.0 / column_azimuth_deg.size
    k = int(np.clip(np.ceil(width_deg / SUBCOLUMN_DEG), 1, MAX_SUBCOLUMNS))
    return column_azimuth_deg[:, None] + ((np.arange(k) + 0.5) / k - 0.5) * width_deg


def _arrays(picks: list[Pick]):
    return tuple(np.array([getattr(p, k) for p in picks], dtype=float) for k in ("depth_m", "dip_deg", "azimuth_deg"))


def profile_offsets_m(depth_step_m: float) -> np.ndarray:
    """Where a profile is read, from its trace: +-PROFILE_HALF_M, or +-PROFILE_HALF_ROWS rows on a coarse image."""
    half_m = max(PROFILE_HALF_M, PROFILE_HALF_ROWS * float(depth_step_m))
    return np.linspace(-half_m, half_m, PROFILE_POINTS)


def _levelled_rows(values: np.ndarray) -> np.ndarray:
    """Profiles (..., points) less the line between their ends."""
    ramp = np.linspace(0.0, 1.0, values.shape[-1])
    return values - values[..., :1] - ramp * (values[..., -1:] - values[..., :1])


def _aligned_columns(values: np.ndarray, counted: np.ndarray, shift_points: int, at_once: int = 32) -> np.ndarray:
    """values (picks, columns, points), zero where not counted (picks, columns, 1): each column's profile
    moved by the whole number of points, up to shift_points, that best matches (levelled, by the dot
    product) its pick's mean profile; end values held. At_once picks at a time: memory stays flat."""
    points = values.shape[-1]
    index = np.clip(np.arange(points)[None, :] + np.arange(-shift_points, shift_points + 1)[:, None], 0, points - 1)
    out = np.empty_like(values)
    for start in range(0, values.shape[0], at_once):
        part, n = values[start:start + at_once], np.maximum(counted[start:start + at_once].sum(1), 1)
        template = _levelled_rows(part.sum(1) / n)  # (picks, points)
        candidates = part[..., index]  # (picks, columns, shifts, points)
        best = np.einsum("pcsk,pk->pcs", _levelled_rows(candidates), template).argmax(-1)
        out[start:start + at_once] = np.take_along_axis(candidates, best[..., None, None], axis=2)[:, :, 0]
    return out


def measured_profiles(well: Well, work: np.ndarray, picks: list[Pick], ratio: float | None = None,
                      align_points: int = 0, stronger_half: bool = True) -> np.ndarray:
    """(picks, PROFILE_POINTS) each pick's mean profile across its trace on the working scale, at
    profile_offsets_m from the trace along depth, or with a response ratio at that offset over
    normal_scale in each column (as a bed boundary is implanted), over the columns with data (NaN
    where none has). evidence.py reads along depth: the shipped fit's features are those.
    stronger_half: the mean over the columns where the trace shows most (the stronger half of those
    counted), for a trace that may show over part of the hole only; else over every counted column.
    align_points: each column's profile first moved by up to that many points onto the pick's mean
    (a pick's dip or azimuth a little off smears its line when averaged: an implant's source should be
    the line the plane draws, not the pick's view of it)."""
    if not picks:
        return np.zeros((0, PROFILE_POINTS))
    depth, dip, azimuth = _arrays(picks)
    scale = np.ones((len(picks), work.shape[1])) if ratio is None else normal_scale(dip, azimuth, well.azimuth_deg, ratio)
    rows = _trace_rows(well, depth, dip, azimuth)[:, :, None] \
        + profile_offsets_m(well.depth_step_m)[None, None, :] / (well.depth_step_m * scale[:, :, None])
    low = np.floor(rows)
    frac = rows - low
    inside = (low >= 0) & (low + 1 < work.shape[0])
    low = np.clip(low, 0, work.shape[0] - 2).astype(np.int64)
    cols = np.arange(work.shape[1])[None, :, None]
    values = np.where(inside, work[low, cols] * (1 - frac) + work[low + 1, cols] * frac, np.nan)
    counted = np.isfinite(values).all(-1, keepdims=True)  # columns that see the whole profile
    # a trace may show over part of the circle only (a partial fracture): the mean is over the columns
    # where it shows most, not diluted by the rest; chosen by their noisy height, they also keep the
    # noise that peaked there, so a trace that shows all around (a bed boundary) is read over them all
    if stronger_half:
        strength = np.where(counted, np.abs(_levelled_rows(values)).max(-1, keepdims=True), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # picks with no counted column
            counted &= strength >= np.nanmedian(strength, axis=1, keepdims=True)
    values = np.where(counted, values, 0.0)
    if align_points:
        values = np.where(counted, _aligned_columns(values, counted, align_points), 0.0)
    n = counted.sum(1)
    return np.where(n > 0, values.sum(1) / np.maximum(n, 1), np.nan)


def _levelled(profiles: np.ndarray, kinds) -> np.ndarray:
    """A fracture's profile less the line between its ends (zero at both ends); a bed boundary's less
    its value above (a step that holds below)."""
    return _levelled_rows(profiles) if kinds == "fracture" else profiles - profiles[:, :1]


def centre_offsets(profiles: np.ndarray, kinds) -> np.ndarray:
    """Where each levelled profile's line peaks (fracture) or its step is steepest (bed), in points from
    the middle (parabolic, to a fraction of a point), at most MAX_RECENTRE of the half-width."""
    signal = np.abs(profiles) if kinds == "fracture" else np.abs(np.gradient(profiles, axis=1))
    rows = np.arange(signal.shape[0])
    k = np.clip(signal.argmax(1), 1, signal.shape[1] - 2)
    left, mid, right = signal[rows, k - 1], signal[rows, k], signal[rows, k + 1]
    curvature = left - 2.0 * mid + right
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    half = (signal.shape[1] - 1) / 2.0
    return np.clip(k + np.clip(fraction, -0.5, 0.5) - half, -MAX_RECENTRE * half, MAX_RECENTRE * half)


def implant_profiles(profiles: np.ndarray, kinds) -> np.ndarray:
    """Measured profiles as implants, levelled (_levelled) and centred: a profile read around a pick's
    trace is off by that pick's own depth error, which an implant drawn from it would carry on top of
    the picker's error on the implant; shifted so its peak or steepest point (centre_offsets) lies on
    the trace, the implant's true depth is where its line or step is. A bed's, tapered onto its fitted
    step away from the trace (tapered_steps). Rows with NaN are dropped."""
    profiles = _levelled(profiles[np.isfinite(profiles).all(1)], kinds)
    x = np.clip(np.arange(profiles.shape[1])[None, :] + centre_offsets(profiles, kinds)[:, None],
                0.0, profiles.shape[1] - 1.0)
    low = np.minimum(np.floor(x).astype(np.int64), profiles.shape[1] - 2)
    rows = np.arange(profiles.shape[0])[:, None]
    shifted = _levelled(profiles[rows, low] * (low + 1 - x) + profiles[rows, low + 1] * (x - low), kinds)
    return shifted if kinds == "fracture" else tapered_steps(shifted)


def fitted_steps(profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offset b, step h Phi(x / s) as (profiles, points), sd s in points): the blurred step centred on
    each profile's middle point that, with b, fits it best by least squares, s one of STEP_WIDTHS_POINTS."""
    x = np.arange(profiles.shape[1]) - (profiles.shape[1] - 1) / 2.0
    steps = _unit_shape("bedding", x[None, :], STEP_WIDTHS_POINTS[:, None])  # (widths, points)
    steps_c = steps - steps.mean(1, keepdims=True)
    gain = (profiles - profiles.mean(1, keepdims=True)) @ steps_c.T  # (profiles, widths)
    norm = (steps_c ** 2).sum(1)
    best = (gain ** 2 / norm).argmax(1)
    step = (gain[np.arange(profiles.shape[0]), best] / norm[best])[:, None] * steps[best]
    return profiles.mean(1) - step.mean(1), step, STEP_WIDTHS_POINTS[best]


def tapered_steps(profiles: np.ndarray) -> np.ndarray:
    """Centred bed profiles as implants: the step fitted to each (fitted_steps), plus what the profile
    holds beyond that step within about STEP_REACH step sds of the trace only (at least a point). Near
    the trace the boundary keeps its own shape; farther out only the step's rise remains, the ripples of
    the texture (and nearby boundaries) of the spot it was read at smoothed away: painted over a spot
    with texture of its own, they would make the implant harder to place than a real boundary (copied
    whole, the implanted beds' median depth errors ran 1.3x the real beds')."""
    offset, step, width = fitted_steps(profiles)
    x = np.arange(profiles.shape[1]) - (profiles.shape[1] - 1) / 2.0
    keep = np.exp(-0.5 * (x[None, :] / np.maximum(STEP_REACH * width[:, None], 1.0)) ** 2)
    return step + (profiles - offset[:, None] - step) * keep


def slot_depths(well: Well, copy: int = 0) -> np.ndarray:
    """Where copy k's implants may go before the well's picks are kept clear of: one every SPACING_M,
    WINDOW_MARGIN_M inside each end (a bed's base too), shifted by k/4 of a spacing."""
    top, bottom = well.depth_m[0] + WINDOW_MARGIN_M, well.depth_m[-1] - WINDOW_MARGIN_M - BED_THICKNESS_M[1]
    offset = SPACING_M * (copy % 4) / 4.0
    return np.arange(top + offset, bottom, SPACING_M) if bottom > top else np.zeros(0)


def row_coverage(well: Well, block_rows: int = 4096) -> tuple[np.ndarray, float]:
    """Each row's share of measured pixels, and the well's typical share among its rows with data (a pad
    tool's rows have their gaps). Read block_rows at a time: no whole-image mask beside the image."""
    image = np.asarray(well.image)
    coverage = np.concatenate([np.isfinite(image[i:i + block_rows]).mean(1) for i in range(0, image.shape[0], block_rows)]
                              or [np.zeros(0)])
    imaged = coverage[coverage > 0]
    return coverage, float(np.median(imaged)) if imaged.size else 1.0


def imaged_slots(well: Well, slots_m: np.ndarray) -> np.ndarray:
    """Which slots the image covers: within IMAGED_REACH_M of each, its rows hold at least MIN_IMAGED of
    the measured pixels of the well's typical row with data (a pad tool's rows have their gaps). A plane
    implanted where the log has no data (a stretch the tool did not record) could never be found, and
    would count as the picker's miss."""
    coverage, typical = row_coverage(well)
    total = np.concatenate([[0.0], np.cumsum(coverage)])
    first = np.searchsorted(well.depth_m, np.asarray(slots_m) - IMAGED_REACH_M)
    stop = np.searchsorted(well.depth_m, np.asarray(slots_m) + IMAGED_REACH_M, side="right")
    return (total[stop] - total[first]) / np.maximum(stop - first, 1) >= MIN_IMAGED * typical


def plan_implants(well: Well, picks: list[Pick], seed: int, copy: int = 0) -> list[Implant]:
    """The implants of one copy of the well (copy k shifts the slots by k/4 of a spacing), at the slots
    the image covers (imaged_slots)."""
    rng = np.random.default_rng([int(seed), int(copy)])
    work, _ = working_scale(np.asarray(well.image))
    ratio = response_ratio(well)
    pool = {kind: implant_profiles(measured_profiles(well, work, [p for p in picks if p.type == kind],
                                                     ratio if kind == "bedding" else None,
                                                     ALIGN_POINTS if kind == "fracture" else 0,
                                                     stronger_half=kind == "fracture"), kind)  # beds show all around
            for kind in ("fracture", "bedding")}
    for kind, other in (("fracture", "bedding"), ("bedding", "fracture")):
        if len(pool[kind]) < MIN_PROFILES:  # the other class's heights in this class's shape, or 3-10 sd
            heights = (np.abs(pool[other]).max(1) if len(pool[other]) >= MIN_PROFILES
                       else background_sd(work) * rng.uniform(3.0, 10.0, 64))
            shape = _unit_shape(kind, profile_offsets_m(well.depth_step_m), max(0.01, well.depth_step_m))
            pool[kind] = (heights * rng.choice([-1.0, 1.0], heights.size))[:, None] * shape[None, :]
    slots = slot_depths(well, copy)
    slots = slots[imaged_slots(well, slots)]
    span = (well.depth_m[0] + WINDOW_MARGIN_M, well.depth_m[-1] - WINDOW_MARGIN_M)
    kind = np.where(np.arange(slots.size) % 2 == 0, "fracture", "bedding")
    existing = np.sort([p.depth_m for p in picks])
    thickness = np.where(kind == "bedding", bed_thicknesses(existing, rng, slots.size), 0.0)

    is_fracture = kind == "fracture"
    slots = np.where(is_fracture, crowded_fracture_depths(slots, existing, rng, span), slots)
    keep = np.isfinite(slots) & (is_fracture | ((nearest_gap_m(slots, existing) >= CLEAR_M)
                                                & (nearest_gap_m(slots + thickness, existing) >= CLEAR_M)))
    slots, kind, thickness = slots[keep], kind[keep], thickness[keep]
    bins = (np.arange(slots.size) // 2) % (len(DIP_BINS_DEG) - 1)
    dip = rng.uniform(np.array(DIP_BINS_DEG)[bins], np.array(DIP_BINS_DEG)[bins + 1])
    azimuth = rng.uniform(0.0, 360.0, slots.size)
    beds = sorted((p for p in picks if p.type == "bedding"), key=lambda p: p.depth_m)
    if len(beds) >= MIN_PROFILES:  # beds lie as the well's own bedding does: the nearest bed pick's orientation
        bed_depth = np.array([p.depth_m for p in beds])
        nearest = np.clip(np.searchsorted(bed_depth, slots), 0, len(beds) - 1)
        is_bed = kind == "bedding"
        dip = np.where(is_bed, np.clip(np.array([beds[i].dip_deg for i in nearest])
                                       + rng.normal(0.0, BED_JITTER_DEG[0], slots.size), 0.0, DIP_BINS_DEG[-1] - 1e-6), dip)
        azimuth = np.where(is_bed, np.mod(np.array([beds[i].azimuth_deg for i in nearest])
                                          + rng.normal(0.0, BED_JITTER_DEG[1], slots.size), 360.0), azimuth)
    choice = [int(rng.integers(len(pool[k]))) for k in kind]
    partial = (kind == "fracture") & (rng.random(slots.size) < PARTIAL_SHARE)
    arc_width = np.where(partial, rng.uniform(*PARTIAL_ARC_DEG, slots.size), 360.0)
    arc_centre = rng.uniform(0.0, 360.0, slots.size)
    return [Implant(Pick(float(z), float(d), float(a), str(k), well=well.name), pool[k][c], float(t), float(ac), float(aw),
                    ratio)
            for z, k, t, d, a, c, ac, aw in zip(slots, kind, thickness, dip, azimuth, choice, arc_centre, arc_width)]


def nearest_gap_m(depth_m: np.ndarray, existing_sorted_m: np.ndarray) -> np.ndarray:
    """Each depth's distance to the nearest of the sorted existing depths (inf where there are none)."""
    depth_m = np.asarray(depth_m, dtype=float)
    if existing_sorted_m.size == 0:
        return np.full(depth_m.shape, np.inf)
    k = np.searchsorted(existing_sorted_m, depth_m)
    above = existing_sorted_m[np.clip(k - 1, 0, existing_sorted_m.size - 1)]
    below = existing_sorted_m[np.clip(k, 0, existing_sorted_m.size - 1)]
    return np.minimum(np.abs(above - depth_m), np.abs(below - depth_m))


def crowded_fracture_depths(slots_m: np.ndarray, existing_sorted_m: np.ndarray, rng,
                            within_m: tuple[float, float] = (-np.inf, np.inf)) -> np.ndarray:
    """Where fracture implants go (NaN: nowhere): each beside the existing pick nearest its slot, on the
    slot's side, at a distance drawn from the picks' own distances to their nearest neighbour (at least
    MIN_GAP_M), where no other pick is nearer, the slot is at most CROWD_REACH_M away and it stays
    within_m (the slots' span: WINDOW_MARGIN_M inside the well); else at the slot where it is CLEAR_M
    from every pick. A well with fewer than MIN_PROFILES picks: at the slots.
    One draw per slot whatever the outcome, so a seed is a plan."""
    slot_gap = nearest_gap_m(slots_m, existing_sorted_m)
    at_slot = np.where(slot_gap >= CLEAR_M, slots_m, np.nan)
    if existing_sorted_m.size < MIN_PROFILES:
        return at_slot
    gaps = np.diff(existing_sorted_m)
    neighbour_gap = np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf])
    gap = np.maximum(rng.choice(neighbour_gap, slots_m.size), MIN_GAP_M)
    k = np.clip(np.searchsorted(existing_sorted_m, slots_m), 1, existing_sorted_m.size - 1)
    nearest = np.where(np.abs(existing_sorted_m[k - 1] - slots_m) <= np.abs(existing_sorted_m[k] - slots_m),
                       existing_sorted_m[k - 1], existing_sorted_m[k])
    depth = nearest + np.where(slots_m >= nearest, 1.0, -1.0) * gap
    fits = ((np.abs(depth - slots_m) <= CROWD_REACH_M) & (nearest_gap_m(depth, existing_sorted_m) >= gap - 1e-9)
            & (depth >= within_m[0]) & (depth <= within_m[1]))
    return np.where(fits, depth, at_slot)


def bed_thicknesses(existing_depth_m: np.ndarray, rng, n: int) -> np.ndarray:
    """n implanted beds' thicknesses, as close as the well's own planes lie: gaps between its consecutive
    picks drawn at random, clipped to BED_THICKNESS_M (real beds crowd: a bed within 5 cm of another plane
    is found less often than a lone one). A well with fewer than MIN_PROFILES gaps: uniform over the range."""
    gaps = np.diff(np.sort(existing_depth_m))
    if gaps.size < MIN_PROFILES:
        return rng.uniform(*BED_THICKNESS_M, n)
    return np.clip(rng.choice(gaps, n), *BED_THICKNESS_M)


def _unit_shape(kind: str, offsets_m: np.ndarray, sd_m: float) -> np.ndarray:
    """A line (fracture) or a step (bed boundary) of unit height and sd sd_m, at offsets_m."""
    d = offsets_m / sd_m
    return np.exp(-0.5 * d ** 2) if kind == "fracture" else 0.5 * (1.0 + erf(d / np.sqrt(2)))


def _profile_at(profiles: np.ndarray, offsets_m: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """Each implant's profile (B, P), known at offsets_m, read at distances (B, ...) from its trace:
    linear between the points, its end values beyond them."""
    step = offsets_m[1] - offsets_m[0]
    x = np.clip((distance_m - offsets_m[0]) / step, 0.0, offsets_m.size - 1.0)
    low = np.minimum(np.floor(x).astype(np.int64), offsets_m.size - 2)
    frac = x - low
    flat = profiles.reshape(-1)
    base = (np.arange(profiles.shape[0]) * profiles.shape[1]).reshape((-1,) + (1,) * (distance_m.ndim - 1))
    return flat[base + low] * (1 - frac) + flat[base + low + 1] * frac


def implant_well(well: Well, implants: list[Implant]) -> Well:
    """A copy of the well with the implants painted in, on measured pixels only. A fracture adds its
    profile around its trace, at the vertical distance; a bed adds its boundary's step at the top and
    takes it back at the base (thickness_m below, along depth), each at the vertical distance times
    normal_scale at its response_ratio in each subcolumn. Each column is the mean over
    subcolumn_azimuths_deg, as a coarse sector averages its arc."""
    work, log = working_scale(np.asarray(well.image))
    valid = np.isfinite(work)
    n_rows, n_cols = work.shape
    step_m = well.depth_step_m
    offsets_m = profile_offsets_m(step_m)
    half_m = float(offsets_m[-1])
    cols = np.arange(n_cols)
    sub_azimuth = subcolumn_azimuths_deg(np.asarray(well.azimuth_deg, dtype=np.float64))
    for start in range(0, len(implants), BATCH):
        batch = implants[start:start + BATCH]
        depth, dip, azimuth = _arrays([m.pick for m in batch])
        sub = _trace_rows(well, depth, dip, azimuth, sub_azimuth.ravel()).reshape(len(batch), n_cols, -1)
        trace = sub.mean(-1)
        inside_image = (sub > -1.0) & (sub < n_rows)
        spread = int(np.ceil(np.abs(sub - trace[..., None])[inside_image.all(-1)].max(initial=0.0)))
        thickness_m = np.array([m.thickness_m for m in batch])
        profiles = np.stack([m.profile for m in batch])
        # (B, columns, 1, subcolumns) a step's distance per metre of vertical distance: beds only
        ratio = np.array([m.response_ratio for m in batch])
        scale = np.where(thickness_m[:, None] > 0, normal_scale(dip, azimuth, sub_azimuth.ravel(), ratio),
                         1.0).reshape(len(batch), n_cols, 1, -1)
        reach_m = half_m / scale.min()
        offsets = np.arange(-int(np.ceil(reach_m / step_m)) - spread,
                            int(np.ceil((thickness_m.max() + reach_m) / step_m)) + spread + 1)
        rows = np.floor(trace)[:, :, None] + offsets[None, None, :]  # (B, columns, offsets)
        distance_m = (rows[..., None] - sub[:, :, None, :]) * step_m  # (B, columns, K, subcolumns), vertical
        thick = thickness_m[:, None, None, None]
        value = np.where(thick > 0, _profile_at(profiles, offsets_m, distance_m * scale)
                         - _profile_at(profiles, offsets_m, (distance_m - thick) * scale),
                         np.where(np.abs(distance_m) <= half_m, _profile_at(profiles, offsets_m, distance_m), 0.0))
        value = value.mean(-1) * arc_weight(well.azimuth_deg, np.array([m.arc_centre_deg for m in batch]),
                                            np.array([m.arc_width_deg for m in batch]))[:, :, None]
        inside = (rows >= 0) & (rows < n_rows) & (value != 0.0)
        r = rows[inside].astype(np.int64)
        c = np.broadcast_to(cols[None, :, None], rows.shape)[inside]
        np.add.at(work, (r, c), value[inside])
    work[~valid] = np.nan
    image = np.power(10.0, work) if log else work
    return Well(name=well.name, depth_m=well.depth_m, azimuth_deg=well.azimuth_deg, image=image.astype(np.float32),
                radius_m=well.radius_m, radius_source=well.radius_source, inclination_deg=well.inclination_deg,
                hole_azimuth_deg=well.hole_azimuth_deg, tool=well.tool, provenance=well.provenance)
