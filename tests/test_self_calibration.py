"""Per-well self-calibration (evaluation/self_calibration.py, `predict --self-calibrate`): a known interval
factor and a known score shift are recovered from implant outcomes, no implants leave the picks as they
were, scores stay probabilities in their order, implants and added picks are labelled as the evaluator
would, and the command writes self-calibrated picks with the injection report beside them."""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.evaluation.self_calibration import (MIN_FACTOR, REFERENCE_RATIOS, SelfCalibration, apply_self_calibration,
                                                 fit_factor, fit_self_calibration, fit_shift, implant_outcomes)
from geobfdt.io import write_npz
from geobfdt.io.picks import read_picks
from geobfdt.model import build_model
from geobfdt.model.calibration import QUANTITIES, IntervalScale, logit, sigmoid
from geobfdt.model.checkpoint import save_model
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick


def _outcomes(factors, shift, n=4000, seed=0):
    """Implant outcomes faring `factors` times worse than on home ground (80 % of the ratios below factors x
    REFERENCE_RATIOS), with labels drawn at sigmoid(logit(score) + shift)."""
    rng = np.random.default_rng(seed)
    ratios = (np.asarray(factors) * np.asarray(REFERENCE_RATIOS))[None, :] * rng.uniform(0.0, 1.25, (n, 3))
    scores = rng.uniform(0.05, 0.95, n)
    labels = (rng.random(n) < sigmoid(logit(scores) + shift)).astype(float)
    return [(ratios, scores, labels)]


@settings(max_examples=20, deadline=None)
@given(st.tuples(*[st.floats(1.0, 6.0)] * 3), st.floats(-2.5, 2.5), st.integers(0, 2**16))
def test_a_known_factor_and_shift_are_recovered(factors, shift, seed):
    fit = fit_self_calibration(_outcomes(factors, shift, seed=seed))
    np.testing.assert_allclose(fit.factors, factors, rtol=0.06)
    assert abs(fit.logit_shift - shift) < 0.25
    assert fit.implants == (4000, 4000, 4000)


def test_no_implants_leave_factor_one_and_no_shift():
    empty = (np.zeros((0, 3)), np.zeros(0), np.zeros(0))
    for outcomes in ([], [empty], [empty, empty]):
        fit = fit_self_calibration(outcomes)
        assert fit.factors == (1.0, 1.0, 1.0) and fit.logit_shift == 0.0 and fit.labelled == (0, 0)
    pick = Pick(10.0, 30.0, 40.0, "fracture", score=0.7, depth_err80_cm=1.5, dip_err80_deg=2.0, azimuth_err80_deg=9.0)
    assert apply_self_calibration([pick], SelfCalibration()) == [pick]


def test_few_implants_are_shrunk_toward_one_and_intervals_never_narrow():
    rng = np.random.default_rng(1)
    wide = 3.0 * rng.uniform(0.0, 1.25, 400)  # 80 % below 3
    fits = [fit_factor(wide[:n]) for n in (2, 10, 40, 400)]
    assert 1.0 < fits[0] < fits[1] < fits[2] < fits[3]
    assert fit_factor(0.2 * wide) == MIN_FACTOR == 1.0
    assert fit_factor(0.2 * wide, min_factor=0.0) < 0.7  # narrowing is a choice, not a limit of the fit


def test_the_shift_has_a_prior_toward_none():
    scores, labels = np.full(3, 0.5), np.ones(3)
    assert 0.0 < fit_shift(scores, labels, prior_sd=0.5) < fit_shift(scores, labels, prior_sd=2.0)
    assert fit_shift(np.full(3, 0.5), np.array([1.0, 0.0, 1.0])) == pytest.approx(-fit_shift(np.full(3, 0.5),
                                                                                             np.array([0.0, 1.0, 0.0])))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.sampled_from(["fracture", "bedding"])), min_size=1, max_size=30),
       st.floats(-6.0, 6.0), st.tuples(*[st.floats(1.0, 10.0)] * 3))
def test_scores_stay_probabilities_in_their_order_and_widths_scale(scored, shift, factors):
    picks = [Pick(100.0 + k, 40.0, 10.0 * k, kind, score=s, depth_err80_cm=1.0, dip_err80_deg=2.0,
                  azimuth_err80_deg=30.0) for k, (s, kind) in enumerate(scored)]
    out = apply_self_calibration(picks, SelfCalibration(factors=factors, logit_shift=shift))
    before, after = np.array([p.score for p in picks]), np.array([p.score for p in out])
    assert np.all((after >= 0.0) & (after <= 1.0))
    for kind in ("fracture", "bedding"):
        sel = np.array([p.type == kind for p in picks])
        order = np.argsort(before[sel], kind="stable")
        assert np.all(np.diff(after[sel][order]) >= -1e-12), "a shift keeps the order within a class"
    np.testing.assert_allclose([[getattr(p, q) for q in QUANTITIES] for p in out],
                               [[factors[0], 2.0 * factors[1], min(30.0 * factors[2], 180.0)]] * len(picks), rtol=1e-9)
    assert all(p.azimuth_err80_deg <= 180.0 for p in apply_self_calibration(picks, SelfCalibration(factors=(1, 1, 50))))


def test_implants_found_are_real_and_other_new_picks_false():
    planes = [Pick(10.0, 30.0, 40.0, "fracture"), Pick(11.0, 20.0, 100.0, "bedding"), Pick(12.0, 50.0, 0.0, "fracture")]
    well_pick = Pick(13.0, 5.0, 0.0, "bedding", score=0.9)
    widths = {"depth_err80_cm": 2.0, "dip_err80_deg": 4.0, "azimuth_err80_deg": 10.0}
    found = [Pick(10.01, 32.0, 45.0, "fracture", score=0.9, **widths),  # implant found: errors 1 cm, 2 deg, 5 deg
             Pick(11.03, 20.0, 100.0, "bedding", score=0.8, **widths),  # implant found
             Pick(11.06, 21.0, 100.0, "bedding", score=0.6, **widths),  # a duplicate of that implant: false
             Pick(12.02, 50.0, 0.0, "bedding", score=0.5, **widths),  # the other class on an implant: false
             Pick(13.02, 5.0, 0.0, "fracture", score=0.7),  # the well's own pick again: no label
             Pick(12.25, 10.0, 0.0, "fracture", score=0.4),  # a near miss, 25 cm off an implant: false
             Pick(14.0, 10.0, 0.0, "fracture", score=0.3)]  # far from every implant: not the implants' doing
    ratios, scores, labels = implant_outcomes(planes, found, [well_pick])
    assert sorted(zip(scores, labels)) == sorted([(0.9, 1.0), (0.8, 1.0), (0.6, 0.0), (0.5, 0.0), (0.4, 0.0)])
    assert ratios.shape == (2, 3)
    np.testing.assert_allclose(ratios[np.argsort(ratios[:, 0])], [[0.5, 0.5, 0.5], [1.5, 0.0, 0.0]], atol=1e-6)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("selfcal")
    cfg = tiny_config()
    torch.manual_seed(0)
    save_model(build_model(cfg.model), cfg, root / "tiny.safetensors", threshold=0.0,
               intervals=IntervalScale({q: [1.0, 0.5] for q in QUANTITIES}))
    write_npz(synthesize_well(3, 8.0, tool="lwd", name="W3")[0], root / "W3.npz")
    return root


def test_predict_self_calibrate_writes_calibrated_picks_and_the_report(workspace):
    plain, calibrated = workspace / "plain", workspace / "calibrated"
    base = ["predict", str(workspace / "W3.npz"), "--model", str(workspace / "tiny.safetensors"), "--engine", "torch",
            "--uncertainty"]
    assert main([*base, "--out", str(plain)]) == 0
    assert main([*base, "--out", str(calibrated), "--self-calibrate", "--copies", "2"]) == 0
    report = json.loads((calibrated / "W3_injection.json").read_text())
    assert report["copies"] == 2 and report["implants"] > 0 and report["file"] == "W3.npz"
    fit = report["self_calibration"]
    factors = [fit["interval_factors"][q] for q in QUANTITIES]
    before, after = read_picks(plain / "W3_picks.csv"), read_picks(calibrated / "W3_picks.csv")
    assert before, "threshold 0 keeps every merged query"
    assert [(p.depth_m, p.type) for p in before] == [(p.depth_m, p.type) for p in after], "the same picks"
    # the file keeps 4 decimals of a score, 2-3 of a half-width; an untrained model's test-time views
    # rarely agree, so its half-widths may be NaN (the scaling itself: the tests above)
    for p, q in zip(before, after):
        assert q.score == pytest.approx(float(sigmoid(logit(p.score) + fit["logit_shift"])), abs=1e-3)
        assert q.depth_err80_cm == pytest.approx(p.depth_err80_cm * factors[0], rel=0.01, abs=0.01, nan_ok=True)
        assert q.dip_err80_deg == pytest.approx(p.dip_err80_deg * factors[1], rel=0.01, abs=0.01, nan_ok=True)


@pytest.mark.parametrize("argv, message", [
    (["--copies", "2"], "--copies is for --self-calibrate"),
    (["--self-calibrate", "--copies", "0"], "--copies"),
    (["--self-calibrate", "--method", "hough"], "--self-calibrate"),
])
def test_predict_refuses_self_calibration_options_it_cannot_honour(workspace, argv, message, capsys):
    code = main(["predict", str(workspace / "W3.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--out", str(workspace / "bad"), *argv])
    assert code == 2 and message in capsys.readouterr().err


def test_the_api_self_calibrates_as_predict_does(workspace):
    import geobfdt

    plain = geobfdt.pick(workspace / "W3.npz", workspace / "tiny.safetensors", engine="torch")
    frame = geobfdt.pick(workspace / "W3.npz", workspace / "tiny.safetensors", engine="torch", self_calibrate=True)
    shift = frame.attrs["injection"]["self_calibration"]["logit_shift"]
    assert list(frame["depth_m"]) == list(plain["depth_m"])
    np.testing.assert_allclose(frame["score"], sigmoid(logit(plain["score"].to_numpy()) + shift), atol=1e-9)
