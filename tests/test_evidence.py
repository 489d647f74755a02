"""Per-pick evidence (picking/evidence.py): what the image says about how well a pick is pinned down."""

import numpy as np
from hypothesis import given, settings, strategies as st

from geobfdt.picking.evidence import EVIDENCE, evidence_from_profiles, pick_evidence
from geobfdt.synth import SynthConfig, synthesize_well

OFFSETS_M = np.linspace(-0.05, 0.05, 21)


def _step(height: float) -> np.ndarray:
    return height / (1.0 + np.exp(-OFFSETS_M / 0.005))[None, :]


@settings(max_examples=40, deadline=None)
@given(height=st.floats(0.05, 5.0), gain=st.floats(1.5, 20.0), dip_deg=st.floats(1.0, 80.0))
def test_stronger_trace_is_pinned_closer(height, gain, dip_deg):
    weak = evidence_from_profiles(_step(height), OFFSETS_M, 0.02, 64, np.array([dip_deg]), np.array([0.1]))[0]
    strong = evidence_from_profiles(_step(height * gain), OFFSETS_M, 0.02, 64, np.array([dip_deg]), np.array([0.1]))[0]
    assert strong[0] >= weak[0]
    assert np.all(strong[1:] <= weak[1:] * (1 + 1e-9))


def test_more_columns_and_less_noise_pin_closer():
    base = evidence_from_profiles(_step(1.0), OFFSETS_M, 0.05, 16, np.array([30.0]), np.array([0.1]))[0]
    many = evidence_from_profiles(_step(1.0), OFFSETS_M, 0.05, 360, np.array([30.0]), np.array([0.1]))[0]
    quiet = evidence_from_profiles(_step(1.0), OFFSETS_M, 0.01, 16, np.array([30.0]), np.array([0.1]))[0]
    assert np.all(many[1:] < base[1:]) and np.all(quiet[1:] < base[1:])
    assert np.isclose(many[1] / base[1], np.sqrt(16 / 360), rtol=1e-6)  # the fit's 1/sqrt(n)


def test_flat_plane_azimuth_is_loosest():
    ev = evidence_from_profiles(np.repeat(_step(1.0), 2, 0), OFFSETS_M, 0.05, 64, np.array([2.0, 60.0]),
                                np.array([0.1, 0.1]))
    assert ev[0, 3] > 5 * ev[1, 3]
    assert ev[0, 2] > ev[1, 2]  # d dip = dA cos^2(dip) / r: steep dips move less per amplitude error


def test_unreadable_profile_counts_as_faint():
    profiles = np.vstack([_step(1.0), np.full((1, OFFSETS_M.size), np.nan)])
    ev = evidence_from_profiles(profiles, OFFSETS_M, 0.05, 64, np.array([30.0, 30.0]), np.array([0.1, 0.1]))
    assert np.all(np.isfinite(ev))
    assert ev[1, 0] < ev[0, 0] and np.all(ev[1, 1:] > ev[0, 1:])


def test_coarse_image_gives_looser_evidence_than_fine():
    config = SynthConfig.variant("vertical")
    out = {}
    for tool in ("fmi", "lwd"):
        well, truth = synthesize_well(800_000, length_m=6, config=config, tool=tool, name="E")
        ev = pick_evidence(well, truth)
        assert ev.shape == (len(truth), len(EVIDENCE)) and np.all(np.isfinite(ev))
        out[tool] = np.median(ev, 0)
    assert np.all(out["lwd"][1:] > out["fmi"][1:])
    assert pick_evidence(well, []).shape == (0, len(EVIDENCE))


def test_a_long_well_is_read_in_pieces_with_the_same_evidence_where_its_noise_is_steady(monkeypatch):
    """Pieces keep memory flat on long wells: each reads the rows its picks' traces reach, so the
    profiles are the whole well's; only the noise is the piece's own, steady on a synthetic well."""
    import geobfdt.picking.evidence as evidence

    well, truth = synthesize_well(800_001, length_m=12, config=SynthConfig.variant("vertical"), tool="fmi", name="E")
    whole = pick_evidence(well, truth)
    monkeypatch.setattr(evidence, "PIECE_M", 2.5)
    pieces = pick_evidence(well, truth)
    assert np.all(np.isfinite(pieces)) and np.isfinite(whole).all()
    assert np.allclose(pieces, whole, rtol=0.1)
    assert not np.allclose(pieces, whole, rtol=1e-9)  # it was read in pieces, each with its own noise
