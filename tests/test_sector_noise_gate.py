"""predict's sector-noise gate (picking/trust.py written_score_chooses): on an LWD image with sector noise
the picks are chosen by the written score (at long rows the beds' only), elsewhere by the Platt score; a
short image never gates."""

import numpy as np
import pytest

from geobfdt.model.checkpoint import read_model_header
from geobfdt.picking import trust
from geobfdt.picking.quality import azimuthal_noise_share
from geobfdt.picking.trust import (GATE_MAX_ROW_M, GATE_MIN_HOLE_M, SECTOR_NOISE_GATE, candidate_floor,
                                  written_score_chooses)
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.well import PICK_TYPES


@pytest.fixture(scope="module")
def scores():
    return read_model_header("default").quality_scores


def lwd_well(variant: str, length_m: float, seed: int = 900_201):
    """A held-out LWD well of scripts/evaluate_model.py, with a variant's settings."""
    return synthesize_well(seed, length_m=length_m, config=SynthConfig.variant("vertical").replace(**VARIANTS[variant]),
                           tool="lwd", name="GATE")


def gated(well, scores) -> set[str]:
    return {kind for kind, on in zip(PICK_TYPES, written_score_chooses(well, scores)) if on}


def long_rows_well(length_m: float = 30.0):
    """lwd_well's `real-texture` well at a real LWD log's 5-10 cm rows."""
    return synthesize_well(900_201, length_m=length_m, tool="lwd", config=SynthConfig.variant("vertical").replace(
        **VARIANTS["real-texture"], **VARIANTS["long-rows"]))


def test_the_gate_fires_on_sector_noise_only_its_fractures_not_at_long_rows_never_on_a_short_image_or_pads(scores):
    noisy, _ = lwd_well("real-texture", 30.0)
    clean, _ = lwd_well("default", 30.0)
    assert gated(noisy, scores) == set(PICK_TYPES)
    assert gated(clean, scores) == set()
    assert gated(noisy, None) == set()  # a model file without a score map keeps the Platt score
    short, _ = lwd_well("real-texture", GATE_MIN_HOLE_M - 2.0)
    assert gated(short, scores) == set()
    long_rows, _ = long_rows_well()
    assert long_rows.depth_step_m > GATE_MAX_ROW_M and azimuthal_noise_share(long_rows) >= SECTOR_NOISE_GATE
    assert gated(long_rows, scores) == {"bedding"}
    pads, _ = synthesize_well(900_000, length_m=30.0, config=SynthConfig.variant("real-texture"), tool="fmi")
    assert gated(pads, scores) == set()


def test_the_candidate_floor_lies_below_the_thresholds_on_the_scores_scale():
    header = read_model_header("default")
    floor = candidate_floor(header.score_calibration)
    assert len(floor) == len(PICK_TYPES) and all(0 < f < t for f, t in zip(floor, header.thresholds))
    assert candidate_floor(None) == [trust.CANDIDATE_RAW_SCORE] * len(PICK_TYPES)


def test_on_a_sector_noise_image_predict_keeps_the_planes_the_written_score_vouches_for(monkeypatch):
    """The gated picks all score at or above their class threshold as written, and they are more than the
    Platt score keeps on the same well (the sector noise held real planes below it)."""
    from geobfdt.picking.picker import build_picker

    well, truth = lwd_well("real-texture", 22.0)
    picker = build_picker("default", device="cpu")
    gated = picker.pick(well)
    monkeypatch.setattr(trust, "SECTOR_NOISE_GATE", 2.0)  # no image reaches it: the Platt choice
    platt = picker.pick(well)
    thresholds = picker.thresholds
    assert all(p.score >= thresholds[PICK_TYPES.index(p.type)] for p in gated)
    assert len(platt) < len(gated) <= len(truth) * 1.5
    depths = np.array([t.depth_m for t in truth])
    found = lambda picks: sum(np.min(np.abs(depths - p.depth_m)) <= 0.08 for p in picks)
    assert found(gated) > found(platt)


def test_at_long_rows_predict_keeps_the_platt_fractures_and_adds_beds_the_written_score_vouches_for(monkeypatch):
    """At a real LWD log's rows only the beds are gated: the fracture picks are the Platt choice's, the
    beds all reach their threshold as written and are more than the Platt choice's."""
    from geobfdt.picking.picker import build_picker

    well, truth = long_rows_well(22.0)
    picker = build_picker("default", device="cpu")
    gated_picks = picker.pick(well)
    monkeypatch.setattr(trust, "SECTOR_NOISE_GATE", 2.0)
    platt = picker.pick(well)
    of = lambda picks, kind: [p for p in picks if p.type == kind]
    key = lambda p: (round(p.depth_m, 4), round(p.dip_deg, 2), round(p.azimuth_deg, 2))
    # the same fracture picks, but where a bed candidate below the Platt threshold merged one away
    fractures = set(map(key, of(platt, "fracture")))
    assert len(fractures ^ set(map(key, of(gated_picks, "fracture")))) <= 0.1 * len(fractures)
    bed_threshold = picker.thresholds[PICK_TYPES.index("bedding")]
    assert all(p.score >= bed_threshold for p in of(gated_picks, "bedding"))
    assert len(of(platt, "bedding")) < len(of(gated_picks, "bedding")) <= 1.5 * len(of(truth, "bedding"))


def test_inject_test_picks_the_well_as_predict_does(tmp_path, capsys):
    """inject-test's report counts the well's picks as predict chooses them, the gate's included."""
    import json

    from geobfdt.cli import main
    from geobfdt.io.npz import write_npz
    from geobfdt.io.picks import read_picks
    from geobfdt.picking.picker import build_picker

    well, _ = lwd_well("real-texture", 22.0)
    write_npz(well, tmp_path / "GATE.npz")
    assert main(["inject-test", str(tmp_path / "GATE.npz"), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "GATE_injection.json").read_text())
    predicted = build_picker("default", device="cpu").pick(well)
    assert report["original_picks"] == len(predicted) > 0
    # the same planes, each with the share of the copies that found it again
    found_again = read_picks(tmp_path / "out" / "GATE_picks_found_again.csv")
    assert [(p.depth_m, p.type) for p in found_again] == sorted((round(p.depth_m, 4), p.type) for p in predicted)
    assert sum(1.0 - p.found_again for p in found_again) == report["original_picks_lost_per_copy"]


def test_review_shows_the_picks_predict_keeps_on_a_sector_noise_image():
    """`geobfdt review WELL` without picks starts from the model's picks: on a gated image, those the
    written score keeps (their candidates are picked down to another floor, so a merge may differ)."""
    from geobfdt.commands.review import model_picks
    from geobfdt.picking.picker import build_picker

    well, _ = lwd_well("real-texture", 22.0)
    key = lambda p: (p.type, round(p.depth_m, 2))
    predicted = set(map(key, build_picker("default", device="cpu").pick(well)))
    shown, candidates = model_picks(well, "default", "cpu")
    assert len(predicted ^ set(map(key, shown))) <= 0.1 * len(predicted)
    assert all(key(c) not in predicted or key(c) in set(map(key, shown)) for c in candidates)


def test_info_says_which_classes_predict_chooses_by_the_written_score(tmp_path, capsys):
    from geobfdt.api import describe
    from geobfdt.cli import main
    from geobfdt.io.npz import write_npz

    wells = {"noisy": lwd_well("real-texture", 30.0)[0], "clean": lwd_well("default", 30.0)[0],
             "coarse": long_rows_well()[0]}
    for name, well in wells.items():
        write_npz(well, tmp_path / f"{name}.npz")
    assert describe(tmp_path / "noisy.npz")["chosen_by_written_score"] == ["fracture", "bedding"]
    assert describe(tmp_path / "clean.npz")["chosen_by_written_score"] == []
    assert describe(tmp_path / "coarse.npz")["chosen_by_written_score"] == ["bedding"]
    assert main(["info", str(tmp_path / "coarse.npz"), str(tmp_path / "clean.npz")]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "picks chosen" in line]
    assert len(lines) == 1 and "beds by the written score" in lines[0] and "fractures by the Platt score" in lines[0]


@pytest.mark.parametrize("variant", ["default", "real-texture"])
def test_positions_are_the_picks_predict_writes(variant):
    """Picker.positions (what inject-test compares) skips the written score where it does not choose the
    picks, and keeps it where it does: the same planes as pick either way."""
    from geobfdt.picking.picker import build_picker

    well, _ = lwd_well(variant, 22.0)
    picker = build_picker("default", device="cpu")
    key = lambda p: (p.type, round(p.depth_m, 4), round(p.dip_deg, 2), round(p.azimuth_deg, 2))
    assert sorted(map(key, picker.positions(well))) == sorted(map(key, picker.pick(well)))
