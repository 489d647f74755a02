"""Dip error bars where no caliper measures the hole (picking/radius.py): the widening covers every dip a
radius within the assumed factor gives, nothing changes where a caliper gave the radius, and the picker
widens what it returns, never what self-calibration compares its implants with."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from geobfdt.picking.picker import Picker
from geobfdt.picking.radius import RADIUS_RATIO_80, radius_dip_err80_deg, widen_for_radius
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 89.9), st.floats(1.0 / RADIUS_RATIO_80, RADIUS_RATIO_80))
def test_the_half_width_covers_every_dip_a_radius_within_the_factor_gives(dip_deg, ratio):
    moved = math.degrees(math.atan(math.tan(math.radians(dip_deg)) / ratio))  # the imaged wall ratio x the radius used
    assert abs(moved - dip_deg) <= radius_dip_err80_deg(dip_deg) + 1e-9


def test_the_half_width_vanishes_flat_and_vertical_and_is_largest_near_45_deg():
    dips = np.linspace(0.0, 90.0, 181)
    widths = radius_dip_err80_deg(dips)
    assert widths[0] == pytest.approx(0.0, abs=1e-9) and widths[-1] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(widths, widths[::-1], atol=1e-9)  # tan(90 - d) = 1 / tan(d): a larger radius mirrors a smaller
    assert 40.0 <= dips[np.argmax(widths)] <= 50.0 and 6.0 < widths.max() < 7.0


def _picks():
    return [Pick(100.0, 40.0, 120.0, "bedding", score=0.9, depth_err80_cm=1.0, dip_err80_deg=2.0, azimuth_err80_deg=5.0),
            Pick(101.0, 10.0, 30.0, "fracture", score=0.6),  # no intervals (predict without --uncertainty)
            Pick(102.0, 0.0, 30.0, "fracture", score=0.6, depth_err80_cm=1.0, dip_err80_deg=3.0, azimuth_err80_deg=90.0)]


@pytest.fixture(scope="module")
def well():
    return synthesize_well(3, 4.0, tool="lwd", name="R3")[0]


@pytest.mark.parametrize("source", ["bit_size", "user", "unknown"])
def test_only_the_dip_intervals_of_a_well_without_a_caliper_widen(well, source):
    well.radius_source = source
    before = _picks()
    after = widen_for_radius(well, before)
    assert after[0].dip_err80_deg == pytest.approx(math.hypot(2.0, radius_dip_err80_deg(40.0)))
    assert after[0].dip_err80_deg > 2.0 + 4.0  # about 6 deg at 40 deg
    assert after[1].dip_err80_deg is None and after[2].dip_err80_deg == pytest.approx(3.0)  # a flat plane
    for a, b in zip(before, after):
        assert (a.depth_m, a.dip_deg, a.azimuth_deg, a.type, a.score, a.depth_err80_cm, a.azimuth_err80_deg) == \
            (b.depth_m, b.dip_deg, b.azimuth_deg, b.type, b.score, b.depth_err80_cm, b.azimuth_err80_deg)


def test_a_caliper_well_keeps_its_intervals(well):
    well.radius_source = "caliper"
    picks = _picks()
    assert widen_for_radius(well, picks) is picks


def test_the_picker_widens_what_it_returns_not_what_self_calibration_compares(well, monkeypatch):
    """Implants lie at the radius they were painted at: compared with widened intervals, they would
    cancel the widening the well needs."""
    well.radius_source = "bit_size"
    picker = Picker(model="stub", method="detr")
    monkeypatch.setattr(Picker, "_model_picks", lambda self, w, *a, **k: _picks())
    assert picker.pick(well, uncertainty=True)[0].dip_err80_deg > 6.0
    seen = []

    def self_calibrate(w, pick, **kwargs):
        seen.append(pick(w)[0].dip_err80_deg)
        return pick(w), {"self_calibration": {"fitted": False}}

    monkeypatch.setattr("geobfdt.evaluation.self_calibration.self_calibrate", self_calibrate)
    picks, _ = picker.pick_self_calibrated(well, uncertainty=True)
    assert seen == [2.0] and picks[0].dip_err80_deg > 6.0


def test_intervals_fitted_on_wells_without_a_caliper_are_not_widened_again(well, monkeypatch):
    """`geobfdt calibrate` on a user's own bit-size wells fits intervals that hold those wells' radius
    errors already: widening them again counted the radius twice."""
    from pathlib import Path

    from conftest import tiny_config
    from geobfdt.errors import ModelFileError
    from geobfdt.model.checkpoint import ModelHeader
    from geobfdt.picking.radius import FITTED_UNMEASURED_KEY, unmeasured_share

    well.radius_source = "bit_size"
    assert widen_for_radius(well, _picks(), fitted_unmeasured_share=0.4)[0].dip_err80_deg > 6.0
    assert widen_for_radius(well, _picks(), fitted_unmeasured_share=0.5)[0].dip_err80_deg == 2.0
    kinds = ["caliper", "bit_size", "bit_size", "user"]
    assert unmeasured_share([type("W", (), {"radius_source": k})() for k in kinds]) == 0.75
    monkeypatch.setattr(Picker, "_model_picks", lambda self, w, *a, **k: _picks())
    for info, widened in (({}, True), ({FITTED_UNMEASURED_KEY: 0.0}, True), ({FITTED_UNMEASURED_KEY: 1.0}, False)):
        header = ModelHeader(Path("m.safetensors"), tiny_config(), (0.3, 0.3), info)
        picker = Picker(model="m", method="detr", header=header)
        assert (picker.pick(well, uncertainty=True)[0].dip_err80_deg > 6.0) is widened
    for damaged in ("half", -0.5, 2, None, True, [0.5]):  # a model file's header is its author's text
        header = ModelHeader(Path("m.safetensors"), tiny_config(), (0.3, 0.3), {FITTED_UNMEASURED_KEY: damaged})
        with pytest.raises(ModelFileError, match=FITTED_UNMEASURED_KEY):
            Picker(model="m", method="detr", header=header).pick(well, uncertainty=True)
