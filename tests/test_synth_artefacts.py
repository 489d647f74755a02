"""LWD measurement artefacts (the real-texture variant, fitted on the real LWD image): off by default,
so default wells are unchanged bit for bit; with them, more power at 20-50 cm wavelengths, heavy-tailed
isolated spikes, a low-side difference, and the same geology and (fewer, never new) picks."""

import hashlib

import numpy as np
import pytest
from scipy.signal import welch

from geobfdt.errors import GeoBFDTError
from geobfdt.synth import SynthConfig, synthesize_well

REAL_TEXTURE = SynthConfig.variant("real-texture")

# sha256 (first 16 hex digits) of the image bytes and the picks of 3 m wells, computed on main before
# the artefacts existed: the frozen held-out and validation wells depend on default wells not changing.
DEFAULT_DIGESTS = {
    (11, "fmi", "default"): "4c6703c88937b229",
    (12, "slim", "default"): "af2f9de43dc91a55",
    (13, "lwd", "default"): "e52aaf6de622a185",
    (14, "lwd", "deviated"): "69d0ee57cde2ebc4",
    (15, None, "default"): "482bc3a797e95c4c",
}


def _digest(well, picks) -> str:
    h = hashlib.sha256(np.ascontiguousarray(well.image).tobytes())
    h.update(repr([(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in picks]).encode())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("seed, tool, variant", sorted(DEFAULT_DIGESTS, key=str))
def test_default_wells_are_unchanged(seed, tool, variant):
    well, picks = synthesize_well(seed, length_m=3.0, config=SynthConfig.variant(variant), tool=tool)
    assert _digest(well, picks) == DEFAULT_DIGESTS[seed, tool, variant]


def test_pad_tools_are_unchanged_by_real_texture():
    for seed, tool in ((11, "fmi"), (12, "slim")):
        assert _digest(*synthesize_well(seed, 3.0, REAL_TEXTURE, tool=tool)) == DEFAULT_DIGESTS[seed, tool, "default"]


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
