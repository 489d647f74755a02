"""LWD measurement artefacts (the real-texture variant, fitted on the real LWD image): off by default,
so default wells are unchanged; with them, more power at 20-50 cm wavelengths, heavy-tailed isolated
spikes, a low-side difference, and the same geology and (fewer, never new) picks."""

import numpy as np
import pytest
from scipy.signal import welch

from geobfdt.errors import GeoBFDTError
from geobfdt.synth import SynthConfig, synthesize_well
from synth_reference import WELLS, load_reference, synthesize_fingerprint, well_key

REAL_TEXTURE = SynthConfig.variant("real-texture")

# Tolerances in decades of resistivity (log10). Across CPUs numpy's SIMD sin / exp / sums differ in the
# last bits, so pixels differ by ~1e-7; a float32 laminae coordinate on a 2 mm sample edge can also
# take the neighbouring sample, moving a few pixels by up to ~0.003 (measured: AVX-512, AVX2 and
# baseline-only numpy on one CPU: at most 6e-8 on the sampled pixels, 5e-6 on the means).
MEAN_ATOL = 1e-4
PIXEL_ATOL, PIXEL_OUTLIER_ATOL, MAX_OUTLIER_FRACTION = 1e-6, 0.01, 0.01
PICK_ATOL = 1e-9  # metres and degrees: the planes come from the seeded draws


@pytest.mark.parametrize("well", WELLS, ids=[well_key(*w) for w in WELLS])
def test_default_wells_are_unchanged(well):
    """The frozen held-out and validation wells depend on default wells not changing
    (tests/synth_reference.py stores the reference and says when to rewrite it)."""
    got, want = synthesize_fingerprint(*well), load_reference()[well_key(*well)]
    assert got["picks"].shape == want["picks"].shape
    np.testing.assert_array_equal(got["picks"][:, 3], want["picks"][:, 3])  # fracture or bedding
    np.testing.assert_allclose(got["picks"], want["picks"], rtol=0, atol=PICK_ATOL)
    for part in ("row_mean", "column_mean"):
        np.testing.assert_allclose(got[part], want[part], rtol=0, atol=MEAN_ATOL, err_msg=part)  # NaN where NaN
    np.testing.assert_allclose(got["samples"], want["samples"], rtol=0, atol=PIXEL_OUTLIER_ATOL)
    off = np.abs(got["samples"] - want["samples"]) > PIXEL_ATOL
    assert off.mean() <= MAX_OUTLIER_FRACTION, f"{off.sum()} of {off.size} sampled pixels moved"


def test_pad_tools_are_unchanged_by_real_texture():
    for seed, tool in ((11, "fmi"), (12, "slim")):
        default, default_picks = synthesize_well(seed, 3.0, tool=tool)
        real, picks = synthesize_well(seed, 3.0, REAL_TEXTURE, tool=tool)
        # the same computation in one process, so the same bits
        assert np.array_equal(real.image, default.image, equal_nan=True) and picks == default_picks


def _band_power(well, band_cycles_per_m=(2.0, 5.0)) -> float:
    f, power = welch(np.log10(well.image), fs=1.0 / well.depth_step_m, nperseg=256, axis=0)
    return float(power.mean(axis=1)[(f >= band_cycles_per_m[0]) & (f <= band_cycles_per_m[1])].mean())


def test_real_texture_has_more_power_at_20_to_50_cm():
    default = sum(_band_power(synthesize_well(s, 10.0, tool="lwd")[0]) for s in range(3))
    real = sum(_band_power(synthesize_well(s, 10.0, REAL_TEXTURE, tool="lwd")[0]) for s in range(3))
    assert real > 2.0 * default


def test_real_texture_adds_heavy_tailed_isolated_spikes():
    """What the variant adds to the same well: Gaussian sector noise plus spikes, so far more values
    beyond 5 robust sd than a Gaussian (5.7e-7), mostly high, each one sector wide."""
    default, _ = synthesize_well(3, 30.0, tool="lwd")
    real, _ = synthesize_well(3, 30.0, REAL_TEXTURE, tool="lwd")
    added = np.log10(real.image.astype(np.float64)) - np.log10(default.image.astype(np.float64))
    z = (added - np.median(added)) / (1.4826 * np.median(np.abs(added - np.median(added))))
    extreme = np.abs(z) > 5
    assert extreme.mean() > 1e-4
    assert (z[extreme] > 0).mean() > 0.7
    rows, cols = np.nonzero(z > 5)
    neighbours = np.maximum(z[rows, (cols - 1) % z.shape[1]], z[rows, (cols + 1) % z.shape[1]])
    assert np.median(z[rows, cols] - neighbours) > 3


def test_low_side_reads_higher_in_proportion_to_sin_inclination():
    base = SynthConfig.variant("deviated")
    default, default_picks = synthesize_well(14, 6.0, base, tool="lwd")
    tilted, picks = synthesize_well(14, 6.0, base.replace(lwd_low_side_decades=(0.2, 0.2)), tool="lwd")
    added = np.log10(tilted.image.astype(np.float64)) - np.log10(default.image.astype(np.float64))
    expected = -0.1 * np.sin(np.radians(tilted.inclination_deg))[:, None] * np.cos(np.radians(tilted.azimuth_deg))
    np.testing.assert_allclose(added, expected, atol=1e-5)
    assert picks == default_picks  # the same geology, and the labelling rule does not see a smooth offset


def test_real_texture_keeps_the_geology_and_only_drops_faint_picks():
    for seed in range(4):
        _, default_picks = synthesize_well(seed, 10.0, tool="lwd")
        _, picks = synthesize_well(seed, 10.0, REAL_TEXTURE, tool="lwd")
        planes = {(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in picks}
        assert planes and planes <= {(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in default_picks}


def test_spike_heights_must_be_positive():
    with pytest.raises(GeoBFDTError, match="lwd_spike_decades"):
        SynthConfig.from_dict({"lwd_spike_decades": [0.0, 1.0]})
