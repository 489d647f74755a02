"""Breakouts, induced fractures and the stress direction they give."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from geobfdt.evaluation.features import interval_counts, interval_scores
from geobfdt.features.breakouts import detect_breakouts, induced_picks
from geobfdt.features.stress import axial_difference_deg, axial_mean_deg, stress_summary
from geobfdt.reports.plots import plot_pick_summary
from geobfdt.synth.render import paint_breakouts, paint_segments
from geobfdt.well import Pick, Well

STEP_M, COLUMNS, RADIUS_M = 0.005, 180, 0.108


def _well(breakouts=np.zeros((0, 5)), segments=np.zeros((0, 6)), rows: int = 1200, seed: int = 0) -> Well:
    """A 6 m wall with faint texture and the given breakouts / induced segments (generator rows),
    painted as the generator paints them."""
    rng = np.random.default_rng(seed)
    depth = 2000.0 + np.arange(rows) * STEP_M
    azimuth = (np.arange(COLUMNS) + 0.5) * 360.0 / COLUMNS
    field = (0.03 * rng.standard_normal((rows, COLUMNS))).astype(np.float32)
    paint_breakouts(rng, field, breakouts, depth, azimuth)
    paint_segments(field, segments, depth[0], STEP_M, azimuth, RADIUS_M)
    return Well("W", depth, azimuth, np.power(10.0, field + 1.0).astype(np.float32), np.full(rows, RADIUS_M))


@settings(max_examples=12)
@given(azimuth=st.floats(0.0, 360.0), width=st.floats(25.0, 70.0), contrast=st.floats(0.3, 1.0))
def test_a_breakout_pair_is_found_with_its_axis_across_the_seam(azimuth, width, contrast):
    well = _well(np.array([[2001.0, 2003.5, azimuth, width, -contrast]]))
    result = detect_breakouts(well)
    b = result.tables["breakouts"]
    assert len(b["top_m"]) == 1
    assert b["top_m"][0] == pytest.approx(2001.0, abs=0.2) and b["bottom_m"][0] == pytest.approx(2003.5, abs=0.2)
    assert axial_difference_deg(b["azimuth_deg"][0], azimuth) < 10.0
    assert axial_difference_deg(b["azimuth2_deg"][0], azimuth + 180.0) < 10.0
    assert b["width_deg"][0] == pytest.approx(width, abs=20.0)
    assert axial_difference_deg(result.summary["shmax_from_breakouts_deg"], azimuth + 90.0) < 10.0


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("side", [-1.0, 1.0])
@pytest.mark.parametrize("width", [25.0, 30.0, 35.0])
def test_a_breakout_running_into_pad_gaps_is_still_found(width, side, seed):
    """Pads with gaps at the same places on both walls (as an FMI's 8 pads): a lobe whose flank lies
    in a gap is measured narrower than it is, and must not be taken for a row of cracks."""
    gap_centre, gap_half = 100.0, 10.0
    azimuth = gap_centre + side * (gap_half + width / 2 - 14.0)  # 14 deg of the lobe lie in the gap
    well = _well(np.array([[2001.0, 2003.5, azimuth, width, -0.8]]), seed=seed)
    image = np.log10(well.image)
    image[:, np.abs(((well.azimuth_deg - gap_centre + 90.0) % 180.0) - 90.0) < gap_half] = np.nan  # both walls
    well.image = np.power(10.0, image).astype(np.float32)
    b = detect_breakouts(well).tables["breakouts"]
    assert len(b["top_m"]) == 1
    # the axis leans to the lobe's seen part: up to half the hidden 14 deg
    assert axial_difference_deg(b["azimuth_deg"][0], azimuth) <= 14.5


def test_a_thin_crack_pair_beside_a_gap_is_not_a_breakout():
    segments = np.concatenate([np.stack([np.full(1, 2001.0), np.full(1, 2.5), np.full(1, az), np.zeros(1),
                                         np.full(1, 0.003), np.full(1, -0.8)], 1) for az in (93.0, 273.0)])
    well = _well(segments=segments)
    image = np.log10(well.image)
    image[:, np.abs(((well.azimuth_deg - 100.0 + 90.0) % 180.0) - 90.0) < 6.0] = np.nan
    well.image = np.power(10.0, image).astype(np.float32)
    assert len(detect_breakouts(well).tables["breakouts"]["top_m"]) == 0


def test_a_single_dark_side_is_not_a_breakout():
    """A conductive bed on one side of the hole only (one lobe) must not read as a breakout."""
    well = _well()
    image = np.log10(well.image)
    image[200:900, 20:60] -= 0.6
    well.image = np.power(10.0, image).astype(np.float32)
    assert len(detect_breakouts(well).tables["breakouts"]["top_m"]) == 0


def test_induced_pairs_are_found_and_flag_the_picks_along_them():
    tops = 2001.0 + np.arange(8) * 0.25
    segments = np.concatenate([np.stack([tops, np.full(8, 0.2), np.full(8, az), np.full(8, 4.0), np.full(8, 0.003),
                                         np.full(8, -0.8)], 1) for az in (40.0, 220.0)])
    well = _well(segments=segments)
    result = detect_breakouts(well)
    induced = result.tables["induced"]
    truth = {"top_m": segments[:, 0], "bottom_m": segments[:, 0] + segments[:, 1], "azimuth_deg": segments[:, 2] + 2}
    scores = interval_scores(interval_counts(induced, truth, max_axis_deg=20.0))
    assert scores["recall"] >= 0.85 and scores["precision"] >= 0.85
    assert axial_difference_deg(result.summary["shmax_from_induced_deg"], 42.0) < 10.0
    steep_along = Pick(depth_m=2001.5, dip_deg=86.0, azimuth_deg=130.0, type="fracture")  # strikes 40 / 220
    steep_across = Pick(depth_m=2001.5, dip_deg=86.0, azimuth_deg=40.0, type="fracture")
    shallow = Pick(depth_m=2001.5, dip_deg=40.0, azimuth_deg=130.0, type="fracture")
    far = Pick(depth_m=2005.8, dip_deg=86.0, azimuth_deg=130.0, type="fracture")
    bed = Pick(depth_m=2001.5, dip_deg=86.0, azimuth_deg=130.0, type="bedding")
    flags = induced_picks([steep_along, steep_across, shallow, far, bed], induced, RADIUS_M)
    assert flags.tolist() == [True, False, False, False, False]


def test_induced_segments_off_the_main_axis_are_dropped():
    """Eight crack pairs open along 40 / 220 deg; two dark pairs along 120 / 300 (streaks that pass the
    pair test) are not tensile fractures of this well's stress."""
    def pairs(tops, az):
        return np.concatenate([np.stack([tops, np.full(tops.size, 0.2), np.full(tops.size, a), np.zeros(tops.size),
                                         np.full(tops.size, 0.003), np.full(tops.size, -0.8)], 1) for a in (az, az + 180.0)])
    segments = np.concatenate([pairs(2001.0 + np.arange(8) * 0.25, 40.0), pairs(np.array([2004.0, 2004.6]), 120.0)])
    induced = detect_breakouts(_well(segments=segments)).tables["induced"]
    assert len(induced["top_m"]) >= 8
    assert np.all(axial_difference_deg(induced["azimuth_deg"], 40.0) < 20.0)


def test_no_induced_fractures_on_a_coarse_sector_image():
    tops = 2001.0 + np.arange(8) * 0.25
    segments = np.stack([tops, np.full(8, 0.2), np.full(8, 40.0), np.full(8, 4.0), np.full(8, 0.003),
                         np.full(8, -0.8)], 1)
    well = _well(segments=segments)
    coarse = Well("W", well.depth_m, (np.arange(18) + 0.5) * 20.0,
                  well.image.reshape(well.depth_m.size, 18, -1).mean(-1), well.radius_m)
    result = detect_breakouts(coarse)
    assert len(result.tables["induced"]["top_m"]) == 0 and result.summary["induced_resolvable"] is False


@settings(max_examples=40)
@given(mean=st.floats(0.0, 360.0), spread=st.floats(0.0, 15.0), n=st.integers(3, 30), seed=st.integers(0, 1000))
def test_axial_mean_is_circular_and_its_interval_holds_the_truth(mean, spread, n, seed):
    rng = np.random.default_rng(seed)
    data = mean + spread * rng.standard_normal(n) + 180.0 * rng.integers(0, 2, n)  # either end of the axis
    got, half, r = axial_mean_deg(data)
    assert 0.0 <= got < 180.0 and 0.0 < r <= 1.0 + 1e-9
    assert axial_difference_deg(got, mean) <= max(half, 1e-6) + 4.0 * spread / np.sqrt(n) + 1e-6
    shifted, half2, _ = axial_mean_deg(data + 77.0)  # rotating the data rotates the mean
    assert axial_difference_deg(shifted, got + 77.0) < 1e-6 and half2 == pytest.approx(half, abs=1e-6)


def test_stress_summary_turns_breakouts_and_agrees_with_induced():
    s = stress_summary([170.0, 175.0, 172.0], [1.0, 2.0, 1.5], [83.0, 80.0, 265.0], [0.2, 0.2, 0.3])
    assert axial_difference_deg(s["shmax_from_breakouts_deg"], 82.6) < 1.0
    assert axial_difference_deg(s["shmax_from_induced_deg"], 83.0) < 3.0
    assert s["shmax_agreement_deg"] < 3.0 and s["breakouts_count"] == 3
    empty = stress_summary([], [], [], [])
    assert empty["shmax_from_breakouts_deg"] is None and empty["shmax_agreement_deg"] is None


def test_induced_picks_are_left_out_of_the_fracture_figures(tmp_path, monkeypatch):
    import geobfdt.reports.plots as plots

    seen = []
    monkeypatch.setattr(plots, "plot_rose", lambda picks, png: seen.append(len(picks)) or png)
    well = _well(rows=200)
    picks = [Pick(2000.2, 60.0, 10.0, "fracture"), Pick(2000.4, 86.0, 10.0, "fracture", induced=1.0)]
    plot_pick_summary(well, picks, tmp_path, "W")
    plot_pick_summary(well, picks, tmp_path, "W", include_induced=True)
    assert seen == [1, 2]


def test_synth_features_evaluate_end_to_end(tmp_path, capsys):
    """The commands chain: synth writes the truth, features the products, evaluate scores them."""
    import json

    from geobfdt.cli import main

    config = tmp_path / "all.json"
    config.write_text(json.dumps({"vug_zone_probability": 1.0, "breakout_probability": 1.0, "dif_probability": 1.0,
                                  "tool_mix": {"fmi": 1.0}}))
    corpus, feats = tmp_path / "corpus", tmp_path / "feats"
    assert main(["synth", str(corpus), "--wells", "1", "--length-m", "8", "--seed", "4", "--config", str(config),
                 "--workers", "1", "--no-progress"]) == 0
    assert {p.name for p in corpus.glob("SYN01_*.csv")} == {
        "SYN01_picks.csv", "SYN01_vugs.csv", "SYN01_vug_fraction.csv", "SYN01_breakouts.csv", "SYN01_induced.csv"}
    assert main(["features", str(corpus), "--out", str(feats), "--no-progress"]) == 0
    assert (feats / "SYN01_vugs_curves.dlis").is_file()  # the input was DLIS
    capsys.readouterr()
    assert main(["evaluate", str(feats), str(corpus), "--features", "vugs", "breakouts", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)["features"]
    assert scores["breakouts"]["truth"] >= 1 and scores["breakouts"]["recall"] is not None
    assert scores["vugs"]["fraction_mae_pct_points"] < 0.5
    assert scores["induced"]["truth"] >= 2


def test_breakout_intervals_option_draws_more_intervals_and_leaves_default_wells_alone():
    from geobfdt.errors import GeoBFDTError
    from geobfdt.synth import synthesize_well
    from geobfdt.synth.config import SynthConfig

    base = SynthConfig(breakout_probability=1.0)
    plain, _ = synthesize_well(5, length_m=12, config=base, tool="slim")
    same, _ = synthesize_well(5, length_m=12, config=base.replace(breakout_intervals=(1, 2)), tool="slim")
    assert np.array_equal(plain.image, same.image, equal_nan=True)  # (1, 2) is the default
    many, _ = synthesize_well(5, length_m=12, config=base.replace(breakout_intervals=(3, 5)), tool="slim")
    assert 3 <= len(many.provenance["feature_truth"]["breakouts"]) <= 5
    with pytest.raises(GeoBFDTError):
        SynthConfig(breakout_intervals=(3, 2))
