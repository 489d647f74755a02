"""Acquisition faults of the `harsh` variant (synth/faults.py): off by default, drawn from their own stream
(the same geology and picks with them on), and each one doing what it says: extra blur, stuck pads,
stick-slip stretching with the labels moved onto the stretched image, eccentering, saturation."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.ndimage import gaussian_filter1d

from geobfdt.errors import GeoBFDTError
from geobfdt.synth import SynthConfig, synthesize_well
from geobfdt.synth.faults import ECCENTER_LEVEL_M, has_faults, move_labels, stick_slip_depth_m
from geobfdt.synth.geology import Trajectory
from geobfdt.well import Pick

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from harsh_dip_bias import label_trace_ratio  # noqa: E402  the script's check of the labels, reused

# faults that leave the labels alone (no blur, no stick-slip): geology and picks must not change
IMAGE_ONLY = {"stuck_pads_per_m": (0.5, 0.5), "eccentering": (0.4, 0.4), "saturation_fraction": (0.01, 0.01)}


def _log_image(well):
    return np.log10(well.image.astype(np.float64))


def test_defaults_and_other_variants_have_no_faults():
    assert not has_faults(SynthConfig())
    assert not has_faults(SynthConfig.variant("real-texture"))
    assert has_faults(SynthConfig.variant("harsh"))


@pytest.mark.parametrize("tool", ["fmi", "slim", "lwd"])
def test_faults_come_from_their_own_stream(tool):
    _, plain = synthesize_well(21, 4.0, tool=tool)
    _, faulty = synthesize_well(21, 4.0, SynthConfig(**IMAGE_ONLY), tool=tool)
    assert [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in faulty] == \
           [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in plain]


def test_harsh_wells_are_seeded():
    a, pa = synthesize_well(5, 3.0, SynthConfig.variant("harsh"))
    b, pb = synthesize_well(5, 3.0, SynthConfig.variant("harsh"))
    np.testing.assert_allclose(a.image, b.image, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose([(p.depth_m, p.dip_deg) for p in pa], [(p.depth_m, p.dip_deg) for p in pb], rtol=1e-9)


def test_extra_blur_removes_fine_detail():
    quiet = SynthConfig.variant("clean").replace(noise_sd=(0.0, 0.0))  # white noise comes after the tool blur
    plain, _ = synthesize_well(8, 4.0, quiet, tool="fmi")
    blurred, _ = synthesize_well(8, 4.0, quiet.replace(fault_blur_scale=(3.0, 3.0)), tool="fmi")
    roughness = lambda w: np.nanmean(np.abs(np.diff(_log_image(w), axis=0)))
    assert roughness(blurred) < 0.8 * roughness(plain)
    assert blurred.provenance["tool"]["blur_depth_m"] == pytest.approx(3.0 * plain.provenance["tool"]["blur_depth_m"])


@pytest.mark.parametrize("tool", ["fmi", "lwd"])
def test_stuck_pads_read_flat(tool):
    """Runs of rows where a pad's (sector's) pixels repeat exactly: none without the fault."""
    def flat_share(well):
        log = _log_image(well)
        return np.mean(np.diff(log, axis=0)[np.isfinite(log[1:]) & np.isfinite(log[:-1])] == 0)
    plain, _ = synthesize_well(9, 6.0, tool=tool)
    stuck, _ = synthesize_well(9, 6.0, SynthConfig(stuck_pads_per_m=(1.0, 1.0), stuck_pad_length_m=(0.3, 0.3)),
                               tool=tool)
    assert flat_share(plain) < 1e-4
    assert flat_share(stuck) > 1e-3  # one pad of 8, one sector of 16-128, for about 0.3 of every metre


def test_saturation_clips_the_configured_share_at_each_end():
    well, _ = synthesize_well(10, 4.0, SynthConfig(saturation_fraction=(0.02, 0.02)), tool="lwd")
    log = _log_image(well)
    assert np.mean(np.isclose(log, log.max(), atol=1e-6)) == pytest.approx(0.02, abs=0.005)
    assert np.mean(np.isclose(log, log.min(), atol=1e-6)) == pytest.approx(0.02, abs=0.005)


def test_eccentering_damps_the_far_side_only():
    plain, _ = synthesize_well(12, 4.0, tool="lwd")
    ecc, _ = synthesize_well(12, 4.0, SynthConfig(eccentering=(0.5, 0.5)), tool="lwd")
    level = gaussian_filter1d(np.median(_log_image(plain), axis=1), ECCENTER_LEVEL_M / plain.depth_step_m,
                              mode="nearest")[:, None]
    detail = lambda w: np.abs(_log_image(w) - level)
    ratio = (detail(ecc) / np.maximum(detail(plain), 1e-9))[detail(plain) > 0.05]
    assert np.quantile(ratio, 0.01) == pytest.approx(0.5, abs=0.08)  # the far side: half its detail
    assert np.quantile(ratio, 0.99) == pytest.approx(1.0, abs=0.08)  # the near side: all of it


@pytest.mark.parametrize("seed", [900200, 900202])
def test_eccentering_leaves_the_traces_where_the_labels_are(seed):
    """Only the contrast fades: damped around each row's own median, a bed boundary's far side was drawn toward
    the row where half the hole has crossed it, and the image refit found the traces about 15 % flatter than labelled."""
    plain = label_trace_ratio(*synthesize_well(seed, 15.0, tool="lwd"))
    eccentred = label_trace_ratio(*synthesize_well(seed, 15.0, SynthConfig(eccentering=(0.6, 0.6)), tool="lwd"))
    assert eccentred == pytest.approx(plain, abs=0.04)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), strain=st.floats(0.05, 0.6), dip_deg=st.floats(0.0, 40.0),
       azimuth_deg=st.floats(0.0, 360.0), where=st.floats(0.1, 0.9))
def test_moved_labels_trace_the_same_formation(seed, strain, dip_deg, azimuth_deg, where):
    """A label moved onto the stick-slip image draws a curve whose every point shows (through the
    recorded-to-true depth map) the formation on the original plane's curve."""
    depth_m = 1000.0 + np.arange(1200) * 0.005
    cfg = SynthConfig(stick_slip_strain=(strain, strain))
    true_depth_m, stretch = stick_slip_depth_m(np.random.default_rng(seed), depth_m, cfg)
    assert np.all(np.diff(true_depth_m) > 0)
    assert true_depth_m[[0, -1]] == pytest.approx(depth_m[[0, -1]])
    radius_m, z0 = 0.1, 1000.5 + 5.0 * where
    pick = Pick(depth_m=z0, dip_deg=dip_deg, azimuth_deg=azimuth_deg, type="bedding")
    move_labels([pick], depth_m, true_depth_m, stretch, Trajectory(depth_m, np.full(depth_m.size, radius_m), None, None))
    phi = np.radians(np.linspace(0, 360, 73) - azimuth_deg)
    recorded = pick.depth_m + radius_m * np.tan(np.radians(pick.dip_deg)) * np.cos(phi)
    original = z0 + radius_m * np.tan(np.radians(dip_deg)) * np.cos(phi)
    shown = np.interp(recorded, depth_m, true_depth_m)
    # exact at the centre line; off the centre by the stretch's change over the amplitude (curvature)
    assert np.interp(pick.depth_m, depth_m, true_depth_m) == pytest.approx(z0, abs=1e-6)
    assert np.max(np.abs(shown - original)) <= 0.01 + 0.15 * radius_m * np.tan(np.radians(dip_deg))


def test_stick_slip_moves_labels_unevenly_and_keeps_them_inside():
    cfg = SynthConfig(stick_slip_strain=(0.4, 0.4))
    well, moved = synthesize_well(13, 8.0, cfg, tool="fmi")
    _, plain = synthesize_well(13, 8.0, tool="fmi")
    assert len(moved) == len(plain)
    shift = np.array([m.depth_m - p.depth_m for m, p in zip(moved, plain)])
    assert np.ptp(shift) > 0.02
    assert all(well.depth_m[0] <= m.depth_m <= well.depth_m[-1] for m in moved)


def test_stick_slip_moves_the_vug_truth_onto_the_vugs():
    """Vug centres move with the recorded depths, so each still sits on its blob in the stretched
    image; left at their drawn depths (the same seed without stick-slip) they miss them."""
    vuggy = {"vug_zone_probability": 1.0, "vugs_per_m": (60.0, 60.0), "vug_size_mm": (20.0, 25.0)}
    well, _ = synthesize_well(5, 8.0, SynthConfig(stick_slip_strain=(0.4, 0.4), **vuggy), tool="fmi")
    plain, _ = synthesize_well(5, 8.0, SynthConfig(**vuggy), tool="fmi")
    moved = np.array(well.provenance["feature_truth"]["vugs"])
    drawn = np.array(plain.provenance["feature_truth"]["vugs"])
    assert len(moved) == len(drawn) >= 10 and np.ptp(moved[:, 0] - drawn[:, 0]) > 0.02
    log = _log_image(well)
    detail = np.abs(log - np.nanmedian(log, axis=1, keepdims=True))
    col = np.round(moved[:, 1] / (360.0 / well.width) - 0.5).astype(int) % well.width

    def contrast(depth_m):
        rows = np.clip(np.round((depth_m - well.depth_m[0]) / well.depth_step_m).astype(int), 0, well.depth_m.size - 1)
        return np.nanmedian(detail[rows, col])

    assert contrast(moved[:, 0]) > 1.5 * contrast(drawn[:, 0])
    assert np.all(moved[:, 2] > 0) and well.depth_m[0] <= moved[:, 0].min() <= moved[:, 0].max() <= well.depth_m[-1]


@pytest.mark.parametrize("changes", [{"stick_slip_strain": (0.0, 0.95)}, {"eccentering": (0.0, 1.5)},
                                     {"saturation_fraction": (0.0, 0.6)}, {"fault_blur_scale": (0.0, 2.0)}])
def test_out_of_range_fault_settings_are_refused(changes):
    with pytest.raises(GeoBFDTError, match=next(iter(changes))):
        SynthConfig(**changes)


def test_harsh_round_trips_through_a_dict():
    harsh = SynthConfig.variant("harsh")
    assert SynthConfig.from_dict(harsh.to_dict()) == harsh
