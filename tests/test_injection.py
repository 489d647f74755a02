"""Injection-recovery (picking/injection.py, evaluation/injection.py, `geobfdt inject-test`): implants are
seeded, placed away from the well's picks, painted with the measured profile on measured pixels only,
and scored like real picks; the command writes its JSON, figure and implants file, and refuses bad input."""

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.special import erf
from hypothesis import given, settings, strategies as st

from conftest import save_tiny_model
from geobfdt.cli import main
from geobfdt.evaluation.injection import (added_and_found_again, bin_shares, class_matches, crowding_rows,
                                          depth_zone_rows, matching_weights, recovery_against_truth, recovery_rows,
                                          recovery_table, run_injection)
from geobfdt.evaluation.implant_room import no_implants_reason
from geobfdt.io import write_npz
from geobfdt.io.picks import read_picks, write_picks_csv
from geobfdt.geometry import azimuth_difference_deg
from geobfdt.picking.injection import (ALIGN_POINTS, BED_JITTER_DEG, BED_THICKNESS_M, CLEAR_M, CROWD_REACH_M,
                                       DIP_BINS_DEG, MIN_GAP_M, STEEPEST_SLOPE_DEG, WINDOW_MARGIN_M, Implant,
                                       bed_thicknesses, crowded_fracture_depths, implant_profiles, implant_truth,
                                       implant_well, measured_profiles, nearest_gap_m, normal_scale, plan_implants,
                                       profile_offsets_m, slot_depths, fitted_steps, tapered_steps,
                                       working_scale)
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick, Well

PROFILE_OFFSETS_M = profile_offsets_m(0.005)  # the flat wells' rows


def _flat_well(length_m=12.0, step_m=0.005, columns=72, value=10.0, gaps=False) -> Well:
    depth = 1000.0 + np.arange(int(length_m / step_m)) * step_m
    image = np.full((depth.size, columns), value, np.float32)
    if gaps:
        image[:, ::4] = np.nan  # a pad gap every 4th column
    return Well("FLAT", depth, (np.arange(columns) + 0.5) * 360.0 / columns, image, np.full(depth.size, 0.1))


@pytest.fixture(scope="module")
def synthetic():
    return synthesize_well(31, 12.0, tool="fmi")


@settings(max_examples=40, deadline=None)
@given(shift_cm=st.floats(-1.5, 1.5), height=st.floats(-2.0, 2.0).filter(lambda h: abs(h) > 0.05),
       kind=st.sampled_from(["fracture", "bedding"]))
def test_a_profile_read_off_its_trace_is_implanted_on_it(shift_cm, height, kind):
    """A profile read around a pick whose depth is off by shift_cm carries that error; the implant
    made from it has its line's peak (its step's steepest point) on the implant's trace."""
    d = (PROFILE_OFFSETS_M - shift_cm / 100.0) / 0.008
    shape = np.exp(-0.5 * d ** 2) if kind == "fracture" else 0.5 * (1.0 + erf(d / np.sqrt(2)))
    profile = implant_profiles(5.0 + height * shape[None, :], kind)[0]
    signal = np.abs(profile) if kind == "fracture" else np.abs(np.gradient(profile))
    step_cm = 100.0 * (PROFILE_OFFSETS_M[1] - PROFILE_OFFSETS_M[0])
    assert abs(100.0 * PROFILE_OFFSETS_M[int(signal.argmax())]) <= step_cm  # within a point of the trace
    assert np.ptp(profile) == pytest.approx(abs(height), rel=0.15)  # the same height, moved only


@settings(max_examples=40, deadline=None)
@given(offset=st.floats(-3.0, 3.0), height=st.floats(-2.0, 2.0).filter(lambda h: abs(h) > 0.05),
       sd_points=st.floats(0.3, 6.0))
def test_a_clean_step_is_fitted_as_itself(offset, height, sd_points):
    """A blurred step centred on the profile is its own best fit: its level above, its height and its
    width (to the grid of widths, about 10 % apart)."""
    x = np.arange(21) - 10.0
    step = height * 0.5 * (1.0 + erf(x / (sd_points * np.sqrt(2))))
    fitted_offset, fitted_step, width = fitted_steps((offset + step)[None, :])
    assert fitted_offset[0] == pytest.approx(offset, abs=0.03 * abs(height) + 1e-9)
    np.testing.assert_allclose(fitted_step[0], step, atol=0.03 * abs(height))
    assert width[0] == pytest.approx(sd_points, rel=0.12)


@settings(max_examples=30, deadline=None)
@given(height=st.floats(-2.0, 2.0).filter(lambda h: abs(h) > 0.1), sd_points=st.floats(0.5, 2.0),
       ripple=st.floats(0.1, 0.4), period=st.floats(2.5, 5.0), phase=st.floats(0.0, 6.3))
def test_an_implanted_bed_keeps_its_own_step_and_not_the_texture_around_it(height, sd_points, ripple, period, phase):
    """A bed profile read where the image has texture of its own 3 cm and more off the trace (ripples of
    0.1-0.4 of the step, 1.25-2.5 cm long): the implant keeps the boundary's step near the trace and,
    beyond two of its widths, leaves the texture out, as it would add to the texture of the spot it is implanted at."""
    x = np.arange(21) - 10.0
    own = height * 0.5 * (1.0 + erf(x / (sd_points * np.sqrt(2))))
    texture = ripple * abs(height) * np.sin(2 * np.pi * x / period + phase) * (np.abs(x) >= 6)
    profile = tapered_steps((own + texture)[None, :])[0]
    near = np.abs(x) <= 1
    np.testing.assert_allclose(np.diff(profile[near]), np.diff(own[near]), atol=0.1 * abs(height))
    far = np.abs(x) >= 8  # 4 cm: beyond two step widths of the widest step here
    assert np.abs(profile - own)[far].max() < 0.5 * np.abs(texture).max()


def test_implanted_beds_are_as_thin_as_the_wells_picks_lie():
    rng = np.random.default_rng(0)
    crowded = np.cumsum(np.full(40, 0.06))  # picks every 6 cm
    sparse = np.cumsum(np.full(40, 1.5))
    assert np.allclose(bed_thicknesses(crowded, rng, 50), 0.06)
    assert np.allclose(bed_thicknesses(sparse, rng, 50), BED_THICKNESS_M[1])  # clipped to the thickest
    few = bed_thicknesses(np.array([1.0, 1.01]), rng, 200)  # too few gaps to go by: the whole range
    assert few.min() >= BED_THICKNESS_M[0] and few.max() <= BED_THICKNESS_M[1] and np.ptp(few) > 0.1


def test_plans_are_seeded_and_keep_clear_of_the_picks(synthetic):
    well, picks = synthetic
    a, b = plan_implants(well, picks, seed=4), plan_implants(well, picks, seed=4)
    assert [(m.pick.depth_m, m.pick.dip_deg, m.pick.azimuth_deg) for m in a] == \
           [(m.pick.depth_m, m.pick.dip_deg, m.pick.azimuth_deg) for m in b]
    assert [m.pick.dip_deg for m in plan_implants(well, picks, seed=5)] != [m.pick.dip_deg for m in a]
    existing = np.array([p.depth_m for p in picks])
    planes = implant_truth(a)
    assert {p.type for p in planes} == {"fracture", "bedding"}
    for p in planes:  # beds keep clear; fractures crowd the picks as closely as the picks crowd each other
        assert np.abs(existing - p.depth_m).min() >= (CLEAR_M if p.type == "bedding" else MIN_GAP_M) - 1e-9
        assert well.depth_m[0] + WINDOW_MARGIN_M <= p.depth_m <= well.depth_m[-1] - WINDOW_MARGIN_M
        assert DIP_BINS_DEG[0] <= p.dip_deg < DIP_BINS_DEG[-1]
    # each bed is a top and a base: one more plane per bed
    assert len(planes) == len(a) + sum(m.thickness_m > 0 for m in a)


@settings(max_examples=30, deadline=None)
@given(pair_gap_m=st.floats(0.02, 0.1), spacing_m=st.floats(0.35, 0.5), seed=st.integers(0, 1000))
def test_fracture_implants_crowd_as_the_wells_picks_do(pair_gap_m, spacing_m, seed):
    """Picks in pairs pair_gap_m apart: every fracture implant set beside a pick lies pair_gap_m from it
    and no nearer any other pick, within reach of its slot; the rest stay at slots clear of every pick."""
    well = _flat_well(length_m=30.0)
    starts = np.arange(well.depth_m[0] + 0.3, well.depth_m[-1], spacing_m)
    existing = np.sort(np.concatenate([starts, starts + pair_gap_m]))
    slots = slot_depths(well)
    depth = crowded_fracture_depths(slots, existing, np.random.default_rng(seed))
    placed = np.isfinite(depth)
    assert placed.any()
    gap = nearest_gap_m(depth[placed], existing)
    beside = np.isclose(gap, max(pair_gap_m, MIN_GAP_M), rtol=0, atol=1e-9)
    assert beside.any()  # pairs closer than two reaches: a slot has one within its reach
    assert np.all(np.abs(depth[placed] - slots[placed]) <= CROWD_REACH_M + 1e-9)
    np.testing.assert_allclose(depth[placed][~beside], slots[placed][~beside])  # the others stay at their slot
    assert np.all(gap[~beside] >= CLEAR_M - 1e-9)
    assert np.all(~placed <= (nearest_gap_m(slots, existing) < CLEAR_M))  # dropped only where the slot is not clear


@pytest.mark.parametrize("gaps", [False, True])
def test_no_plane_is_implanted_where_the_log_has_no_data(gaps):
    """A stretch the tool did not record (a real LWD log's top 74 m is three quarters empty) gets no implant:
    there it could never be found, and would count as the picker's miss. Pad gaps, column by column, are
    the well's typical coverage and keep theirs."""
    well = _flat_well(length_m=30.0, gaps=gaps)
    blank = (well.depth_m > 1008.0) & (well.depth_m < 1016.0)
    well.image[blank] = np.nan
    depths = [m.pick.depth_m for m in plan_implants(well, [], seed=3)]
    assert depths and not any(1008.1 < z < 1015.9 for z in depths)  # none where half its reach is blank
    assert any(z < 1007.5 for z in depths) and any(z > 1016.5 for z in depths)
    well.image[:] = np.nan
    well.image[:5] = 1.0  # data only above the first slot
    assert plan_implants(well, [], seed=3) == []
    assert "too little data" in no_implants_reason(well, [])


@settings(max_examples=25, deadline=None)
@given(depths=st.lists(st.floats(1000.0, 1012.0), min_size=0, max_size=40), seed=st.integers(0, 100))
def test_any_wells_picks_leave_implants_apart_inside_and_clear(depths, seed):
    """Whatever the well's picks, implants lie inside the margins, beds 12 cm from every pick, fractures
    at least MIN_GAP_M from one, and no two implanted planes of different slots within 15 cm."""
    well = _flat_well()
    picks = [Pick(z, 20.0, 0.0, "fracture" if k % 2 else "bedding") for k, z in enumerate(depths)]
    plan = plan_implants(well, picks, seed=seed)
    existing = np.sort(np.array(depths, dtype=float))
    for m in plan:
        planes = [m.pick.depth_m] + ([m.pick.depth_m + m.thickness_m] if m.thickness_m else [])
        gap = nearest_gap_m(np.array(planes), existing)
        assert np.all(gap >= (CLEAR_M if m.pick.type == "bedding" else MIN_GAP_M) - 1e-9)
        assert well.depth_m[0] + WINDOW_MARGIN_M - 1e-9 <= m.pick.depth_m <= well.depth_m[-1] - WINDOW_MARGIN_M + 1e-9
    spans = sorted((m.pick.depth_m, m.pick.depth_m + m.thickness_m) for m in plan)
    assert all(b[0] - a[1] >= 0.15 - 1e-9 for a, b in zip(spans, spans[1:]))


def test_a_pick_of_the_well_found_again_is_not_an_implants():
    """An implant 3 cm from a fracture the well had: the copy's one pick there is the well's own."""
    implant, own = Pick(10.03, 40.0, 90.0, "fracture"), Pick(10.0, 60.0, 200.0, "fracture")
    found = [Pick(10.005, 60.0, 200.0, "fracture")]
    assert class_matches([implant], found) == [(0, 0)]  # alone, the well's pick would be taken for the implant
    assert class_matches([implant], found, competing=[own]) == []
    assert class_matches([implant], found + [Pick(10.04, 40.0, 90.0, "fracture")], competing=[own]) == [(0, 1)]


def test_beds_lie_as_the_wells_bedding(synthetic):
    well, picks = synthetic
    beds = sorted((p for p in picks if p.type == "bedding"), key=lambda p: p.depth_m)
    depth = np.array([p.depth_m for p in beds])
    implanted = [m.pick for m in plan_implants(well, picks, seed=2) if m.pick.type == "bedding"]
    assert implanted
    for p in implanted:
        near = beds[int(np.clip(np.searchsorted(depth, p.depth_m), 0, len(beds) - 1))]
        assert abs(p.dip_deg - near.dip_deg) < 5 * BED_JITTER_DEG[0] + 1e-6
        assert azimuth_difference_deg(p.azimuth_deg, near.azimuth_deg) < 5 * BED_JITTER_DEG[1]


def test_profiles_come_from_the_wells_own_picks():
    """A well whose only features are lines of one shape: the implants' fracture profiles are that line."""
    well = _flat_well()
    line = 0.3 * np.exp(-0.5 * (PROFILE_OFFSETS_M / 0.015) ** 2)  # wider than a row: no aliasing
    real = [Pick(1002.0 + k, 30.0 + 5 * k, 40.0 * k, "fracture") for k in range(6)]
    painted = implant_well(well, [Implant(p, line) for p in real])
    plan = plan_implants(painted, real, seed=0)
    fractures = [m.profile for m in plan if m.pick.type == "fracture"]
    assert fractures
    for profile in fractures:
        np.testing.assert_allclose(profile, line - line[0], atol=0.02)


@pytest.mark.parametrize("noise_seed", [0, 1])
def test_a_bed_implant_carries_the_boundary_not_the_noise_it_was_read_in(noise_seed):
    """Flat bed boundaries, a step of 0.2 decades each, under white noise of 0.2 decades: a bed implant's
    profile is the step with the noise averaged over every column (sd 0.2 / sqrt(72) per point). Read
    over the stronger half of the columns, chosen by their noisy height, it kept the noise that peaked
    there and painted it into every implant (1.8x that sd off the step), and implanted beds came back
    more often than the real ones on noisy wells."""
    rng = np.random.default_rng(noise_seed)
    well, height, sd = _flat_well(length_m=40.0), 0.2, 0.2
    steps = 1002.0 + np.arange(36)
    log = 1.0 + height * (well.depth_m[:, None] > steps).sum(1)[:, None] + rng.normal(0.0, sd, well.image.shape)
    noisy = replace(well, image=np.power(10.0, log).astype(np.float32))
    picks = [Pick(float(z), 0.0, 0.0, "bedding") for z in steps]
    beds = np.array([m.profile for seed in range(4) for m in plan_implants(noisy, picks, seed=seed)
                     if m.pick.type == "bedding"])
    step = height * (np.arange(beds.shape[1]) > beds.shape[1] // 2)
    off = np.sqrt(np.mean((beds - step) ** 2, axis=1))
    assert np.median(off) < 1.5 * sd / np.sqrt(well.width)


@settings(max_examples=15, deadline=None)
@given(dip=st.floats(0.0, 75.0), azimuth=st.floats(0.0, 359.0), height=st.floats(-0.5, 0.5),
       thickness=st.sampled_from([0.0, 0.4]))
def test_an_implant_reads_back_as_its_profile(dip, azimuth, height, thickness):
    """Painted into a flat image of fine columns, a fracture's line or a bed's top step is found again along
    its trace (read across it, as painted: a bed 0.4 m thick keeps its base clear of its top's profile on the
    flanks of a 75 deg trace)."""
    well = _flat_well(columns=360, gaps=True)
    # smooth shapes: painting and reading back interpolate between rows, which rounds a kinked ramp's corners
    shape = np.exp(-0.5 * (PROFILE_OFFSETS_M / 0.01) ** 2) if thickness == 0 else \
        0.5 * (1.0 + erf(PROFILE_OFFSETS_M / (0.01 * np.sqrt(2))))
    profile = height * (shape - shape[0])
    plane = Pick(1006.0, dip, azimuth, "bedding" if thickness else "fracture")
    painted = implant_well(well, [Implant(plane, profile, thickness)])
    assert np.isnan(painted.image[:, ::4]).all()  # pad gaps stay gaps
    work, log = working_scale(painted.image)
    assert log
    measured = measured_profiles(painted, work - 1.0, [plane], 1.0 if thickness else None)[0]
    np.testing.assert_allclose(measured, profile, atol=0.01 + 0.03 * abs(height))
    if thickness:  # the bed ends: back to the background below its base
        below = Pick(1006.0 + thickness + 0.4, dip, azimuth, "bedding")  # clear of the base's step, read across it
        np.testing.assert_allclose(measured_profiles(painted, work - 1.0, [below], 1.0)[0], 0.0, atol=0.01)


@settings(max_examples=15, deadline=None)
@given(dip=st.floats(40.0, 65.0), dip_error=st.sampled_from([-3.0, 3.0]), azimuth=st.floats(0.0, 359.0))
def test_a_fracture_picked_a_little_off_is_read_as_the_line_it_draws(dip, dip_error, azimuth):
    """A pick whose dip is a few degrees off reads the line smeared over its columns; aligned column by column
    (as an implant's source is read) it reads the line's own height."""
    well = _flat_well(columns=360)
    profile = 0.5 * np.exp(-0.5 * (PROFILE_OFFSETS_M / 0.01) ** 2)  # a line 1 cm wide (sd), as a tool blurs it
    plane = Pick(1006.0, dip, azimuth, "fracture")
    work, _ = working_scale(implant_well(well, [Implant(plane, profile - profile[0])]).image)
    off = Pick(1006.0, dip + dip_error, azimuth, "fracture")
    own = np.ptp(measured_profiles(well, work, [plane])[0])  # read on its own trace
    smeared, aligned = (np.ptp(measured_profiles(well, work, [off], None, shift)[0]) for shift in (0, ALIGN_POINTS))
    assert aligned == pytest.approx(own, rel=0.05)
    assert smeared < 0.9 * own


def _blurred_boundary(well: Well, plane: Pick, height: float, sd_m: float) -> np.ndarray:
    """log10 image of a bed boundary as a tool shows it: a step at the plane's trace, blurred by sd_m
    around the trace on the unrolled wall (the same sd along depth and around the hole, in metres)."""
    trace = plane.depth_m + 0.1 * np.tan(np.radians(plane.dip_deg)) * np.cos(np.radians(well.azimuth_deg - plane.azimuth_deg))
    step = height * (well.depth_m[:, None] >= trace[None, :])
    column_m = 0.1 * np.radians(360.0 / well.width)
    return 1.0 + gaussian_filter(step, (sd_m / well.depth_step_m, sd_m / column_m), mode=("nearest", "wrap"))


@settings(max_examples=8, deadline=None)
@given(source_dip=st.floats(0.0, 30.0), dip=st.floats(55.0, 72.0), azimuth=st.floats(0.0, 359.0),
       height=st.sampled_from([-0.4, 0.4]))
def test_a_bed_implanted_steeper_than_its_source_looks_like_a_real_steep_boundary(source_dip, dip, azimuth, height):
    """A boundary's step measured on a gentle real boundary and implanted steep is as wide across its
    trace on the steep flanks as a real steep boundary is there: their vertical profiles agree (read
    along depth and painted at vertical distances, the flanks came out cos(slope) = 0.3-0.6 times as
    wide, off by 0.12-0.25 of the step). The crest is left out: a real one, curved tighter than the
    blur there, is not a straight step."""
    well = _flat_well(length_m=2.0, step_m=0.0025, columns=360)
    sd_m = 0.01
    source = Pick(1000.6, source_dip, 0.0, "bedding")
    real = Well("REAL", well.depth_m, well.azimuth_deg, np.power(10.0, _blurred_boundary(well, source, height, sd_m)),
                well.radius_m)
    work, _ = working_scale(real.image)
    profile = implant_profiles(measured_profiles(real, work, [source], 1.0), "bedding")[0]
    steep = Pick(1000.7, dip, azimuth, "bedding")
    painted = implant_well(well, [Implant(steep, profile, thickness_m=3.0)])  # its base below the image
    added = np.log10(painted.image.astype(np.float64)) - 1.0
    expected = _blurred_boundary(well, steep, height, sd_m) - 1.0
    flank = np.abs(np.sin(np.radians(well.azimuth_deg - azimuth))) > 0.95
    np.testing.assert_allclose(added[:, flank], expected[:, flank], atol=0.1 * abs(height))


@settings(max_examples=20, deadline=None)
@given(dip=st.floats(0.0, 89.0), azimuth=st.floats(0.0, 359.0), phi=st.floats(0.0, 359.0), ratio=st.floats(0.0, 2.0))
def test_the_normal_scale_follows_the_traces_slope(dip, azimuth, phi, ratio):
    """Against the trace's slope by finite differences along the wall (r = 0.1 m): a step's width
    along depth over its width where the trace is flat, for a response `ratio` times as wide around
    the hole as along depth (1: the cosine of the slope; 0: along depth), never below the cap's."""
    r, h = 0.1, 1e-4
    z = lambda p: r * np.tan(np.radians(dip)) * np.cos(np.radians(p - azimuth))
    slope = (z(phi + h) - z(phi - h)) / (r * np.radians(2 * h))
    scale = normal_scale(np.array([dip]), np.array([azimuth]), np.array([phi]), ratio)[0, 0]
    expected = max(1.0 / np.hypot(1.0, ratio * slope), np.cos(np.radians(STEEPEST_SLOPE_DEG)))
    assert scale == pytest.approx(expected, rel=1e-4, abs=1e-6)


@settings(max_examples=10, deadline=None)
@given(dip=st.floats(0.0, 75.0), azimuth=st.floats(0.0, 359.0))
def test_a_coarse_sector_averages_a_trace_over_its_arc(dip, azimuth):
    """On 16 sectors a fracture's line keeps its area down each sector (the sector averages the wall it
    faces), and where a steep trace crosses a sector it is smeared: lower and wider than its profile."""
    well = _flat_well(columns=16)
    profile = 0.4 * np.exp(-0.5 * (PROFILE_OFFSETS_M / 0.01) ** 2)
    profile -= profile[0]
    painted = implant_well(well, [Implant(Pick(1006.0, dip, azimuth, "fracture"), profile)])
    added = np.log10(painted.image.astype(np.float64)) - 1.0
    area_m = added.sum(0) * well.depth_step_m
    expected_m = profile.sum() * (PROFILE_OFFSETS_M[1] - PROFILE_OFFSETS_M[0])
    np.testing.assert_allclose(area_m, expected_m, rtol=0.1, atol=1e-4)
    flank = np.argmax(np.abs(np.sin(np.radians(well.azimuth_deg - azimuth))))
    if dip > 45.0:  # the trace falls several rows across a 22.5 deg sector there
        assert added[:, flank].max() < 0.8 * profile.max()
    assert added.max() <= profile.max() + 1e-6


def test_profiles_span_three_rows_on_coarse_images():
    assert profile_offsets_m(0.0025)[-1] == pytest.approx(0.05)
    assert profile_offsets_m(0.1)[-1] == pytest.approx(0.3)


def test_working_scale_is_log_only_for_positive_images():
    assert working_scale(np.array([[1.0, 100.0]]))[1]
    linear, log = working_scale(np.array([[-1.0, 2.0], [np.nan, 3.0]]))
    assert not log and linear[0, 0] == -1.0


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(2, 3000), gap_share=st.floats(0.0, 0.5), seed=st.integers(0, 1000))
def test_the_background_sd_read_in_blocks_is_the_whole_images(rows, gap_share, seed):
    """background_sd takes the row differences a block at a time in float32 (memory on long wells):
    the same robust sd as one float64 pass over the whole image, gaps left out."""
    import geobfdt.picking.injection as injection

    rng = np.random.default_rng(seed)
    work = np.cumsum(rng.standard_normal((rows, 8)), axis=0) * 0.01 + 1.0
    work[rng.random(work.shape) < gap_share] = np.nan
    diff = np.diff(work, axis=0)
    diff = diff[np.isfinite(diff)]
    expected = 1.4826 * np.median(np.abs(diff - np.median(diff))) / np.sqrt(2) if diff.size else 1.0
    assert injection.background_sd(work) == pytest.approx(expected, rel=1e-5)
    assert injection._SD_BLOCK_ROWS < 3000  # the examples cross block edges


def test_recovery_and_errors_of_matched_planes():
    truth = [Pick(10.0, 20.0, 100.0, "fracture"), Pick(11.0, 40.0, 350.0, "fracture"),
             Pick(12.0, 70.0, 10.0, "bedding"), Pick(13.0, 5.0, 0.0, "bedding")]
    picks = [Pick(10.02, 22.0, 104.0, "fracture"), Pick(11.5, 40.0, 350.0, "fracture"),  # too far
             Pick(12.01, 69.0, 358.0, "bedding"), Pick(13.0, 6.0, 90.0, "fracture")]  # wrong class
    rows = {(r["class"], r["dip_bin_deg"]): r for r in recovery_table(truth, picks)}
    assert rows["fracture", "0-80"]["recovery"] == pytest.approx(0.5)
    assert rows["fracture", "0-30"]["depth_cm"][0] == pytest.approx(2.0)
    assert rows["fracture", "0-30"]["dip_deg"][0] == pytest.approx(2.0)
    assert rows["fracture", "0-30"]["azimuth_deg"][0] == pytest.approx(4.0)
    assert rows["bedding", "60-80"]["azimuth_deg"][0] == pytest.approx(12.0)  # across north
    assert rows["bedding", "0-30"]["recovery"] == 0.0
    assert rows["bedding", "0-30"]["azimuth_deg"] == [None, None]


def test_crowded_planes_are_scored_in_their_distance_bin():
    kinds = np.array(["fracture", "fracture", "fracture", "bedding"])
    found = np.array([False, True, True, True])
    errors = np.array([[np.nan] * 3, [1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [0.5, 0.5, 0.5]])
    rows = {(r["class"], r["nearest_m"][0]): r for r in crowding_rows(kinds, found, errors, [0.03, 0.04, 0.5, 0.2])}
    assert rows["fracture", 0.0]["n"] == 2 and rows["fracture", 0.0]["recovery"] == 0.5
    assert rows["fracture", 0.0]["dip_deg"][0] == pytest.approx(2.0)
    assert rows["fracture", 0.3]["nearest_m"] == [0.3, None] and rows["fracture", 0.3]["recovery"] == 1.0
    assert rows["bedding", 0.12]["n"] == 1 and rows["fracture", 0.05]["recovery"] is None


def test_added_and_found_again_count_whatever_the_class():
    before = [Pick(5.0, 10, 0, "bedding"), Pick(6.0, 10, 0, "bedding")]
    implanted = [Pick(7.0, 30, 0, "fracture")]
    after = [Pick(5.01, 10, 0, "fracture"), Pick(7.02, 30, 0, "fracture"), Pick(8.0, 30, 0, "fracture")]
    added, found = added_and_found_again(implanted, before, after)
    assert added.tolist() == [8.0] and found.tolist() == [True, False]


def test_implants_are_set_beside_the_true_planes_as_their_dips_lie():
    """The demo's comparison: the implants' recovery weighs their dip bins by the true planes' dips (here the
    fractures' 30-60 deg bin only), the true planes' share found leaves out those too steep to implant."""
    truth = [Pick(10.0, 40.0, 0.0, "fracture"), Pick(12.0, 85.0, 0.0, "fracture"), Pick(14.0, 10.0, 0.0, "bedding"),
             Pick(16.0, 10.0, 0.0, "bedding")]
    picks = [Pick(10.01, 40.0, 0.0, "fracture"), Pick(14.02, 10.0, 0.0, "bedding")]
    pooled = (np.array([10.0, 45.0, 70.0, 5.0]), np.array(["fracture", "fracture", "fracture", "bedding"]),
              np.array([True, False, True, True]), np.zeros((4, 3)))
    against = recovery_against_truth(pooled, truth, picks)
    assert against["fracture"] == {"implants": 3, "implants_recovered": 0.0, "true_planes": 1, "true_planes_found": 1.0}
    assert against["bedding"]["implants_recovered"] == 1.0 and against["bedding"]["true_planes_found"] == 0.5
    # the implants found lie only in bins that weigh nothing: no error quantile, rather than one of 0 / 0
    weighted = recovery_rows(*pooled, weights_by_bin={"fracture": [0.0, 1.0, 0.0], "bedding": [1.0, 0.0, 0.0]})
    assert [r["depth_cm"] for r in weighted if r["class"] == "fracture" and r["dip_bin_deg"] == "0-80"] == [[None, None]]


def test_pooled_implants_stand_for_the_wells_as_their_real_planes_do():
    """Implants go one every 0.7 m whatever a well holds: pooled over wells, a well with one real fracture and
    many implants must weigh among the implants as it does among the real planes (1 in 4), not 9 in 12."""
    def planes(found, dip=45.0):
        n = len(found)
        return (np.full(n, dip), np.array(["fracture"] * n), np.array(found, bool), np.zeros((n, 3)))

    real = [planes([True, True, True]), planes([True])]  # a well with three real fractures, one with one
    implants = [planes([True, True, True]), planes([False] * 9)]  # the second gives none of its nine back
    weights = np.concatenate([matching_weights(r, i) for r, i in zip(real, implants)])
    pooled = tuple(np.concatenate(p) for p in zip(*implants))
    shares = bin_shares(*tuple(np.concatenate(p) for p in zip(*real))[:2])
    every_dip = lambda rows: next(r for r in rows if r["class"] == "fracture" and r["dip_bin_deg"] == "0-80")
    assert every_dip(recovery_rows(*pooled, weights_by_bin=shares, plane_weights=weights))["recovery"] == \
        pytest.approx(0.75)
    assert every_dip(recovery_rows(*pooled, weights_by_bin=shares))["recovery"] == pytest.approx(0.25)  # unweighted
    # implants of a dip bin where the well has no real plane weigh nothing
    assert matching_weights(planes([True]), planes([True, True], dip=10.0)).tolist() == [0.0, 0.0]


def test_the_report_says_where_in_the_well_implants_come_back():
    """Zones of equal length, about IMPLANTS_PER_ZONE implants each: per zone the share recovered, the well's
    picks lost per copy and the false picks added, each counted in the zone it lies in."""
    implant_depth = np.linspace(1000.5, 1299.5, 300)  # 300 implants: three zones of 100 m
    kinds = np.where(np.arange(300) % 2 == 0, "fracture", "bedding")
    found = implant_depth > 1100.0  # the first zone gives nothing back
    rows = depth_zone_rows(1000.0, 1300.0, implant_depth, kinds, found, [1050.0, 1150.0, 1160.0],
                           [0.0, 1.0, 0.5], [1010.0, 1290.0, 1295.0])
    assert [(r["top_m"], r["bottom_m"], r["implants"]) for r in rows] == [(1000.0, 1100.0, 100), (1100.0, 1200.0, 100),
                                                                          (1200.0, 1300.0, 100)]
    assert [r["recovery"] for r in rows] == [0.0, 1.0, 1.0] and rows[0]["recovery_by_class"]["fracture"] == 0.0
    assert [(r["picks"], r["picks_lost_per_copy"], r["false_picks_added"]) for r in rows] == [(1, 1.0, 1), (2, 0.5, 0),
                                                                                             (0, 0.0, 2)]
    assert len(depth_zone_rows(1000.0, 1030.0, implant_depth[:40], kinds[:40], found[:40], [], [], [])) == 1


def test_each_pick_of_the_well_says_how_many_copies_found_it_again(synthetic, tmp_path):
    well, picks = synthetic
    calls = []

    def pick(w):  # the first copy finds every pick of the well again but the first; the second none of them
        calls.append(w)
        return [replace(p) for p in picks] if len(calls) == 1 else [replace(p) for p in picks[1:]] if len(calls) == 2 else []

    report, before, planted, _ = run_injection(well, pick, seed=1, copies=2)
    assert planted and [p.found_again for p in before] == [0.0] + [0.5] * (len(picks) - 1)
    assert report["original_picks_lost_per_copy"] == (len(picks) + 1) / 2
    write_picks_csv(tmp_path / "p.csv", before)  # an optional column of the pick file, read back
    assert [p.found_again for p in read_picks(tmp_path / "p.csv")] == [p.found_again for p in before]


def test_a_picker_that_sees_nothing_recovers_nothing(synthetic):
    well, picks = synthetic
    calls = []
    report, before, planted, _ = run_injection(
        well, lambda w: calls.append(w) or ([replace(p) for p in picks] if len(calls) == 1 else []), seed=1, copies=2)
    assert len(calls) == 3 and [replace(p, found_again=None) for p in before] == picks
    assert all(p.found_again == 0.0 for p in before)
    assert report["implants"] == len(planted) > 0
    assert all(r["recovery"] in (0.0, None) for r in report["by_class_and_dip"])
    assert report["original_picks_lost_per_copy"] == len(picks) and report["false_picks_added"] == 0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("inject")
    save_tiny_model(root / "tiny.safetensors", threshold=0.5)
    write_npz(synthesize_well(3, 8.0, tool="lwd", name="W3")[0], root / "W3.npz")
    return root


def test_inject_test_writes_its_report_figure_and_implants(workspace, capsys):
    out = workspace / "out"
    assert main(["inject-test", str(workspace / "W3.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--engine", "torch", "--out", str(out), "--seed", "3"]) == 0
    report = json.loads((out / "W3_injection.json").read_text())
    assert report["seed"] == 3 and report["copies"] == 1 and report["implants"] > 0
    assert {r["class"] for r in report["by_class_and_dip"]} == {"fracture", "bedding"}
    for kind in ("fracture", "bedding"):  # every implant in one bin of its distance to the well's nearest pick
        assert sum(r["n"] for r in report["by_class_and_nearest_pick"] if r["class"] == kind) == \
            [r["n"] for r in report["by_class_and_dip"] if r["class"] == kind][-1]
    assert (out / "W3_injection.png").stat().st_size > 0
    zone, = report["by_depth"]  # a short well: one zone, all of it
    assert zone["implants"] == report["implants"] and zone["false_picks_added"] == report["false_picks_added"]
    assert len(read_picks(out / "W3_implants.csv")) == report["implants"]
    well_picks = read_picks(out / "W3_picks_found_again.csv")  # the well's picks, each with its found_again
    assert len(well_picks) == report["original_picks"] and all(p.score is None for p in well_picks)
    assert sum(1.0 - p.found_again for p in well_picks) == pytest.approx(report["original_picks_lost_per_copy"])
    printed = capsys.readouterr().out
    assert "false picks added" in printed and "recovered by the distance to the well's nearest pick: 0-5 cm" in printed
    assert report["radius_source"] == "caliper" and "radius from" not in printed


def test_inject_test_says_where_in_the_well_the_implants_came_back(workspace, capsys):
    """A well long enough for about 100 implants per zone is reported by depth, in the JSON and on stdout."""
    write_npz(synthesize_well(5, 60.0, tool="lwd", name="L5")[0], workspace / "L5.npz")
    out = workspace / "long"
    assert main(["inject-test", str(workspace / "L5.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--engine", "torch", "--out", str(out), "--copies", "2"]) == 0
    report = json.loads((out / "L5_injection.json").read_text())
    zones = report["by_depth"]
    assert len(zones) == round(report["implants"] / 100) >= 2
    assert sum(z["implants"] for z in zones) == report["implants"] and zones[0]["bottom_m"] == zones[1]["top_m"]
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("depth ")]
    assert len(printed) == len(zones) and f"{zones[0]['implants']} implants, recovered" in printed[0]


def test_inject_test_says_its_implants_leave_out_an_unmeasured_radius(workspace, capsys):
    """Implants lie at the radius the well is read with: on a bit-size well their dip errors cannot show
    the radius's, which predict's dip intervals allow for (picking/radius.py)."""
    well = synthesize_well(3, 8.0, tool="lwd", name="W3")[0]
    well.radius_source = "bit_size"
    write_npz(well, workspace / "B3.npz")
    out = workspace / "bit_size"
    assert main(["inject-test", str(workspace / "B3.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--engine", "torch", "--out", str(out)]) == 0
    assert json.loads((out / "B3_injection.json").read_text())["radius_source"] == "bit_size"
    assert "radius from bit size, no caliper: the implants lie at that radius" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--threshold", "2"], "--threshold"),
    (["--copies", "0"], "--copies"),
])
def test_inject_test_refuses_bad_options(workspace, argv, message, capsys):
    code = main(["inject-test", str(workspace / "W3.npz"), "--out", str(workspace / "bad"), *argv])
    assert code == 2 and message in capsys.readouterr().err


def test_inject_test_refuses_a_missing_well(workspace, capsys):
    code = main(["inject-test", str(workspace / "nope.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--out", str(workspace / "bad")])
    assert code == 2 and "nope.npz" in capsys.readouterr().err


def test_a_long_image_reads_its_noise_from_evenly_spaced_rows():
    """Past _MAX_NOISE_SAMPLES differences the noise is read from every k-th row: the same robust sd
    within two percent, whatever k (blocks need not be a multiple of it)."""
    import geobfdt.picking.injection as injection

    rng = np.random.default_rng(4)
    work = np.cumsum(rng.standard_normal((20_000, 16)), axis=0) * 0.01
    work[rng.random(work.shape) < 0.1] = np.nan
    whole = injection.background_sd(work)
    with pytest.MonkeyPatch.context() as patch:
        for cap in (80_000, 46_000, 27_000):  # k = 4, 7 and 12 over 1024-row blocks
            patch.setattr(injection, "_MAX_NOISE_SAMPLES", cap)
            assert injection.background_sd(work) == pytest.approx(whole, rel=0.02)
