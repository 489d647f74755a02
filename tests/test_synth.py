"""Synthetic wells: labels sit on their features, only visible features are labelled,
tools look like their specs, deterministic by seed, corpus files round trip."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.cli import main
from geobfdt.errors import GeoBFDTError
from geobfdt.geometry import azimuth_difference_deg, trace_depth_m, true_to_apparent
from geobfdt.io import read_well
from geobfdt.io.picks import read_picks_csv
from geobfdt.synth import TOOLS, VARIANTS, SynthConfig, synthesize_well
from geobfdt.synth.corpus import CREATION_TIME, synthesize_corpus

SHIFT_M = {"fmi": 0.05, "slim": 0.05, "lwd": 0.08}  # a few times the tool's resolution


def _energy(well, log_image, depth_m, dip_deg, azimuth_deg, kind, shift_m=0.0):
    """Mean feature response along a trace: line detector for fractures, edge detector for beds."""
    step = well.depth_step_m
    z = trace_depth_m(depth_m, dip_deg, azimuth_deg, well.radius_at(depth_m), well.azimuth_deg) + shift_m
    rows = np.round((z - well.depth_m[0]) / step).astype(int)
    d = max(2, round(0.03 / step)) if kind == "fracture" else max(1, round(0.008 / step))
    ok = (rows - d >= 0) & (rows + d < log_image.shape[0])
    r, c = rows[ok], np.arange(well.width)[ok]
    if kind == "fracture":
        e = np.abs(log_image[r, c] - 0.5 * (log_image[r - d, c] + log_image[r + d, c]))
    else:
        e = np.abs(log_image[r + d, c] - log_image[r - d, c])
    return np.nanmean(e) if np.isfinite(e).any() else np.nan


def _ratios(well, picks):
    """On-trace response over the response a few cm above and below, per pick."""
    log_image = np.log10(well.image)
    out = []
    for p in picks:
        on = _energy(well, log_image, p.depth_m, p.dip_deg, p.azimuth_deg, p.type)
        off = 0.5 * sum(_energy(well, log_image, p.depth_m, p.dip_deg, p.azimuth_deg, p.type, s)
                        for s in (SHIFT_M[well.tool], -SHIFT_M[well.tool]))
        out.append(on / off)
    return np.array(out)


@pytest.fixture(scope="module")
def wells():
    """Two short wells per tool, one vertical and one deviated."""
    made = {}
    for tool in TOOLS:
        for variant, seed in (("vertical", 3), ("deviated", 4)):
            made[tool, variant] = synthesize_well(seed, 8.0, SynthConfig.variant(variant), tool=tool)
    return made


@pytest.mark.parametrize("tool", TOOLS)
def test_each_pick_lies_on_its_feature(wells, tool):
    ratios = np.concatenate([_ratios(*wells[tool, v]) for v in ("vertical", "deviated")])
    assert ratios.size >= 10
    assert np.nanmedian(ratios) > 1.8
    assert np.mean(ratios > 1.2) > 0.8


def test_random_traces_do_not_look_like_picks(wells):
    """The on-trace test discriminates: planes placed at random give ratios near 1."""
    rng = np.random.default_rng(0)
    well, _ = wells["fmi", "vertical"]
    fake = [type("P", (), {"depth_m": rng.uniform(well.depth_m[0] + 1, well.depth_m[-1] - 1),
                           "dip_deg": rng.uniform(10, 70), "azimuth_deg": rng.uniform(0, 360), "type": kind})
            for kind in ("fracture", "bedding") for _ in range(15)]
    assert np.nanmedian(_ratios(well, fake)) < 1.3


def test_pick_fields(wells):
    for (tool, variant), (well, picks) in wells.items():
        assert well.tool == tool
        for p in picks:
            assert well.depth_m[0] <= p.depth_m <= well.depth_m[-1]
            assert 0 <= p.dip_deg <= 85.0 and 0 <= p.azimuth_deg < 360
            assert p.well == well.name and p.type in ("fracture", "bedding")
            assert (p.dip_true_deg is not None) == well.deviated


def test_deviated_true_columns_match_true_to_apparent(wells):
    for tool in TOOLS:
        well, picks = wells[tool, "deviated"]
        assert well.deviated and picks
        inclination, hole_azimuth = well.deviation_at(np.array([p.depth_m for p in picks]))
        dip, azimuth = true_to_apparent([p.dip_true_deg for p in picks], [p.azimuth_true_deg for p in picks],
                                        inclination, hole_azimuth)
        np.testing.assert_allclose(dip, [p.dip_deg for p in picks], atol=1e-3)
        assert azimuth_difference_deg(azimuth, [p.azimuth_deg for p in picks]).max() < 1e-2


def test_deviated_wells_see_flat_bedding_at_high_apparent_dip():
    config = SynthConfig.variant("deviated").replace(inclination_deg=(55.0, 70.0), horizontal_fraction=0.0)
    _, picks = synthesize_well(8, 20.0, config, tool="lwd")
    beds = [p for p in picks if p.type == "bedding"]
    assert len(beds) >= 5
    assert max(p.dip_true_deg for p in beds) < 25
    assert np.median([p.dip_deg for p in beds]) > 40


def test_distractors_are_drawn_but_never_labelled():
    config = SynthConfig(fracture_spacing_scale=(1e6, 1e6), bed_contrast=(1e-4, 2e-4), zone_shift_sd=0.0,
                         vug_zone_probability=1.0, dif_probability=1.0, breakout_probability=1.0, deviated_fraction=0)
    well, picks = synthesize_well(2, 12.0, config, tool="lwd")
    assert picks == []
    log_image = np.log10(well.image)
    for top, bottom, azimuth, _width in well.provenance["breakouts"]:
        rows = (well.depth_m > top + 0.15) & (well.depth_m < bottom - 0.15)
        near = azimuth_difference_deg(well.azimuth_deg, azimuth) < 10
        far = azimuth_difference_deg(well.azimuth_deg, azimuth + 90) < 10
        assert np.mean(log_image[rows][:, near]) < np.mean(log_image[rows][:, far]) - 0.2
    assert well.provenance["dif_zones_m"] and well.provenance["vugs"] > 0


def test_resistive_and_partial_fractures_are_labelled_when_visible():
    config = SynthConfig(resistive_fraction=1.0, partial_fraction=1.0, partial_arc_deg=(200.0, 260.0),
                         deviated_fraction=0)
    well, picks = synthesize_well(5, 10.0, config, tool="fmi")
    fractures = [p for p in picks if p.type == "fracture"]
    assert fractures
    assert np.nanmedian(_ratios(well, fractures)) > 1.8
    narrow = config.replace(partial_arc_deg=(20.0, 60.0))  # below 30% coverage: never labelled
    assert not [p for p in synthesize_well(5, 10.0, narrow, tool="fmi")[1] if p.type == "fracture"]


def test_label_visibility_follows_the_labelling_rules(wells):
    cfg = SynthConfig()
    for well, picks in wells.values():
        snr, coverage = well.provenance["label_snr"], well.provenance["label_coverage"]
        assert len(snr) == len(coverage) == len(picks) > 0
        assert min(snr) >= cfg.min_label_snr - 0.01 and min(coverage) >= cfg.min_label_coverage - 1e-3
        assert max(coverage) <= 1.0


def test_tools_match_their_specs(wells):
    fmi, _ = synthesize_well(1, 3.0, SynthConfig(hole_sizes_in={"fmi": (8.5,), "slim": (6.0,), "lwd": (8.5,)},
                                                  dead_buttons=(0, 0)), tool="fmi")
    assert fmi.width == 360 and fmi.depth_step_m == pytest.approx(0.00254)
    valid = np.isfinite(fmi.image)
    assert 0.74 < valid.mean() < 0.84  # ~80% coverage in an 8.5 in hole
    runs = np.sum(valid & ~np.roll(valid, 1, axis=1), axis=1)  # pads seen per row
    assert np.all(runs == 8)
    gap_top = np.flatnonzero(~valid[0])
    gap_bottom = np.flatnonzero(~valid[-1])
    assert not np.array_equal(gap_top, gap_bottom)  # the tool rotates

    slim, _ = wells["slim", "vertical"]
    assert slim.width in (176, 180) and 0.3 < np.isfinite(slim.image).mean() < 0.65
    lwd, _ = wells["lwd", "vertical"]
    assert lwd.width in SynthConfig().lwd_sectors and np.isfinite(lwd.image).all()
    assert 0.01 <= lwd.depth_step_m <= 0.02
    for (tool, _), (well, _) in wells.items():
        values = well.image[np.isfinite(well.image)]
        assert values.min() > 0 and values.max() > 5  # resistivity-like, not normalised
        assert well.radius_source == "caliper" and 0.07 < well.radius_m.mean() < 0.17


def test_realistic_counts_per_metre():
    counts = {"fracture": 0, "bedding": 0}
    length = 0.0
    for seed in range(6):
        well, picks = synthesize_well(100 + seed, 15.0, tool="lwd")
        length += 15.0
        for p in picks:
            counts[p.type] += 1
    assert 0.3 < counts["fracture"] / length < 4.0  # real FMI well: 1.2 per metre
    assert 0.5 < counts["bedding"] / length < 12.0


def test_deterministic_by_seed():
    a, pa = synthesize_well(7, 4.0)
    b, pb = synthesize_well(7, 4.0)
    c, _ = synthesize_well(8, 4.0, tool=a.tool)
    assert np.array_equal(a.image, b.image, equal_nan=True) and pa == pb
    assert a.image.shape != c.image.shape or not np.array_equal(a.image, c.image, equal_nan=True)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(sorted(VARIANTS)), st.floats(0, 1), st.integers(0, 3))
def test_config_dict_round_trip(variant, fraction, dead):
    config = SynthConfig.variant(variant).replace(deviated_fraction=fraction, dead_buttons=(0, dead))
    again = SynthConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["noise_sd", "deviated_fraction", "tool_mix", "hole_sizes_in"]),
       st.one_of(st.text(max_size=3), st.booleans(), st.none(), st.lists(st.text(max_size=2), min_size=1, max_size=3),
                 st.lists(st.floats(0, 1), min_size=3, max_size=4), st.dictionaries(st.sampled_from(["fmi"]), st.text())))
def test_config_values_of_the_wrong_kind_are_one_line_errors(name, value):
    """A string for a range ({"noise_sd": "x"}) once passed into the generator: an internal error mid-corpus."""
    try:
        SynthConfig.from_dict({name: value})
    except GeoBFDTError as exc:
        assert name in str(exc)


def test_a_string_for_a_range_is_refused_before_any_well_is_made(tmp_path, capsys):
    (tmp_path / "c.json").write_text('{"noise_sd": "x"}')
    assert main(["synth", str(tmp_path / "out"), "--wells", "1", "--length-m", "2", "--config",
                 str(tmp_path / "c.json"), "--no-progress"]) == 2
    assert "noise_sd: expected [low, high] numbers" in capsys.readouterr().err


def test_config_errors():
    assert SynthConfig.variant("shifted") != SynthConfig()
    with pytest.raises(GeoBFDTError):
        SynthConfig.variant("nope")
    with pytest.raises(GeoBFDTError):
        SynthConfig.from_dict({"not_a_knob": 1})
    with pytest.raises(GeoBFDTError):
        SynthConfig(tool_mix={"fmi": 1.0, "sonic": 1.0})
    with pytest.raises(GeoBFDTError):
        synthesize_well(0, 2.0, tool="sonic")


def test_corpus_files_round_trip(tmp_path):
    paths = synthesize_corpus(tmp_path, wells=3, length_m=2.0, seed=5, workers=2)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [w["name"] for w in manifest["wells"]] == [p.stem for p in paths]
    assert {w["tool"] for w in manifest["wells"]} == set(TOOLS)
    assert manifest["seed"] == 5 and SynthConfig.from_dict(manifest["config"]) == SynthConfig()
    for entry, path in zip(manifest["wells"], paths):
        config = SynthConfig.from_dict({**manifest["config"], "deviated_fraction": float(entry["deviated"])})
        well, picks = synthesize_well(entry["seed"], 2.0, config, tool=entry["tool"], name=entry["name"])
        read = read_well(path)
        assert np.array_equal(read.image, well.image, equal_nan=True)
        np.testing.assert_allclose(read.depth_m, well.depth_m, atol=1e-6)
        on_disk = read_picks_csv(tmp_path / entry["picks_csv"])
        assert len(on_disk) == len(picks) == sum(entry["picks"].values())
        for p, q in zip(on_disk, sorted(picks, key=lambda p: p.depth_m)):
            assert (p.depth_m, p.dip_deg, p.type) == pytest.approx((q.depth_m, q.dip_deg, q.type), abs=1e-4)


def test_a_corpus_regenerated_with_its_seed_is_byte_identical(tmp_path):
    """dliswriter stamped each DLIS ORIGIN with the clock, so a corpus regenerated by the same command
    had new SHA-256s and `train --resume` refused it as other data."""
    from dlisio import dlis

    files = {}
    for name in ("a", "b"):
        synthesize_corpus(tmp_path / name, wells=2, length_m=1.0, seed=4, workers=1)
        files[name] = {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}
    assert sorted(files["a"]) == sorted(files["b"]) and any(n.endswith(".dlis") for n in files["a"])
    assert [n for n in files["a"] if files["a"][n] != files["b"][n]] == []
    with dlis.load(str(tmp_path / "a" / "SYN01.dlis")) as (lf, *_):
        assert lf.origins[0].creation_time == CREATION_TIME


def test_cli(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "c"), "--wells", "2", "--length-m", "1", "--seed", "3",
                 "--workers", "1", "--synth-variant", "clean", "--no-progress"]) == 0
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert len(manifest["wells"]) == 2 and SynthConfig.from_dict(manifest["config"]) == SynthConfig.variant("clean")
    assert main(["synth", str(tmp_path / "d"), "--wells", "0"]) == 2
    assert "error" in capsys.readouterr().err


def test_a_corpus_is_replaced_only_with_overwrite_and_then_whole(tmp_path, capsys):
    """`synth OUT --wells 1` into a 2-well corpus once rewrote SYN01 and left SYN02 beside it, unlisted:
    `train OUT` then trained on a well the manifest did not have."""
    corpus = tmp_path / "c"
    assert main(["synth", str(corpus), "--wells", "2", "--length-m", "1", "--workers", "1", "--no-progress"]) == 0
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    (corpus / "notes.csv").write_text("mine")
    assert main(["synth", str(corpus), "--wells", "1", "--length-m", "1", "--seed", "9", "--no-progress"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert all((corpus / name).read_bytes() == data for name, data in before.items())
    assert main(["synth", str(corpus), "--wells", "1", "--length-m", "1", "--seed", "9", "--no-progress",
                 "--overwrite"]) == 0
    assert not list(corpus.glob("SYN02*")) and (corpus / "notes.csv").read_text() == "mine"
    assert len(json.loads((corpus / "manifest.json").read_text())["wells"]) == 1
    assert len(list(corpus.glob("SYN01*"))) == 6
