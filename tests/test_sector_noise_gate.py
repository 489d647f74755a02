"""predict's sector-noise gate (picking/trust.py written_score_chooses): on an LWD image with sector noise
the picks are chosen by the written score, elsewhere by the Platt score; a short image, or one at long
rows, never gates."""

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


def test_the_gate_fires_on_sector_noise_only_and_never_on_a_short_image_long_rows_or_a_pad_tool(scores):
    noisy, _ = lwd_well("real-texture", 30.0)
    clean, _ = lwd_well("default", 30.0)
    assert written_score_chooses(noisy, scores)
    assert not written_score_chooses(clean, scores)
    assert not written_score_chooses(noisy, None)  # a model file without a score map keeps the Platt score
    short, _ = lwd_well("real-texture", GATE_MIN_HOLE_M - 2.0)
    assert not written_score_chooses(short, scores)
    long_rows, _ = synthesize_well(900_201, length_m=30.0, tool="lwd", config=SynthConfig.variant("vertical").replace(
        **VARIANTS["real-texture"], **VARIANTS["long-rows"]))
    assert long_rows.depth_step_m > GATE_MAX_ROW_M and azimuthal_noise_share(long_rows) >= SECTOR_NOISE_GATE
    assert not written_score_chooses(long_rows, scores)
    pads, _ = synthesize_well(900_000, length_m=30.0, config=SynthConfig.variant("real-texture"), tool="fmi")
    assert not written_score_chooses(pads, scores)


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
