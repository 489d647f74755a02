"""Per-well self-calibration of the error bars (evaluation/self_calibration.py, `predict --self-calibrate`,
on by default with --uncertainty, as in the API):
a known interval factor is recovered from implant ratios, no implants leave the picks as they were,
few implants are shrunk toward no change, widths scale and scores stay as predicted, implants found are
scored against their own half-widths, and the command writes self-calibrated picks with the injection
report beside them. A well no factor can be fitted on (too short for an implant, its slots crowded by
its picks, none recovered, no intervals) keeps its intervals and says so: "fitted": false with the
reason in the report, one warning line on stderr (a UserWarning in the API), in inject-test's words."""

import json
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.evaluation.implant_room import no_implants_reason, too_short
from geobfdt.evaluation.self_calibration import (MIN_FACTOR, REFERENCE_RATIOS, SelfCalibration, apply_self_calibration,
                                                 fit_factor, fit_self_calibration, implant_ratios, not_fitted_reason)
from geobfdt.io import write_npz
from geobfdt.io.picks import read_picks
from geobfdt.model import build_model
from geobfdt.model.calibration import QUANTITIES, IntervalScale
from geobfdt.model.checkpoint import save_model
from geobfdt.picking.picker import calibration_warning
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick


def _ratios(factors, n=4000, seed=0):
    """Implant ratios faring `factors` times worse than on home ground (80 % of them below factors x
    REFERENCE_RATIOS), as one copy's."""
    rng = np.random.default_rng(seed)
    return [(np.asarray(factors) * np.asarray(REFERENCE_RATIOS))[None, :] * rng.uniform(0.0, 1.25, (n, 3))]


@settings(max_examples=20, deadline=None)
@given(st.tuples(*[st.floats(1.0, 6.0)] * 3), st.integers(0, 2**16))
def test_a_known_factor_is_recovered(factors, seed):
    fit = fit_self_calibration(_ratios(factors, seed=seed))
    np.testing.assert_allclose(fit.factors, factors, rtol=0.06)
    assert fit.implants == (4000, 4000, 4000)


def test_no_implants_leave_factor_one():
    for ratios in ([], [np.zeros((0, 3))], [np.zeros((0, 3)), np.zeros((0, 3))]):
        fit = fit_self_calibration(ratios)
        assert fit.factors == (1.0, 1.0, 1.0) and fit.implants == (0, 0, 0)
    pick = Pick(10.0, 30.0, 40.0, "fracture", score=0.7, depth_err80_cm=1.5, dip_err80_deg=2.0, azimuth_err80_deg=9.0)
    assert apply_self_calibration([pick], SelfCalibration()) == [pick]


def test_few_implants_are_shrunk_toward_one_and_intervals_never_narrow():
    rng = np.random.default_rng(1)
    wide = 3.0 * rng.uniform(0.0, 1.25, 400)  # 80 % below 3
    fits = [fit_factor(wide[:n]) for n in (2, 10, 40, 400)]
    assert 1.0 < fits[0] < fits[1] < fits[2] < fits[3]
    assert fit_factor(0.2 * wide) == MIN_FACTOR == 1.0
    assert fit_factor(0.2 * wide, min_factor=0.0) < 0.7  # narrowing is a choice, not a limit of the fit


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.sampled_from(["fracture", "bedding"])), min_size=1, max_size=30),
       st.tuples(*[st.floats(1.0, 10.0)] * 3))
def test_widths_scale_and_scores_stay_as_predicted(scored, factors):
    picks = [Pick(100.0 + k, 40.0, 10.0 * k, kind, score=s, depth_err80_cm=1.0, dip_err80_deg=2.0,
                  azimuth_err80_deg=30.0) for k, (s, kind) in enumerate(scored)]
    out = apply_self_calibration(picks, SelfCalibration(factors=factors))
    assert [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type, p.score) for p in out] == \
        [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type, p.score) for p in picks]
    np.testing.assert_allclose([[getattr(p, q) for q in QUANTITIES] for p in out],
                               [[factors[0], 2.0 * factors[1], min(30.0 * factors[2], 180.0)]] * len(picks), rtol=1e-9)
    assert all(p.azimuth_err80_deg <= 180.0 for p in apply_self_calibration(picks, SelfCalibration(factors=(1, 1, 50))))


def test_implants_found_are_scored_against_their_own_half_widths():
    planes = [Pick(10.0, 30.0, 40.0, "fracture"), Pick(11.0, 20.0, 100.0, "bedding"), Pick(12.0, 50.0, 0.0, "fracture")]
    widths = {"depth_err80_cm": 2.0, "dip_err80_deg": 4.0, "azimuth_err80_deg": 10.0}
    found = [Pick(10.01, 32.0, 45.0, "fracture", score=0.9, **widths),  # implant found: errors 1 cm, 2 deg, 5 deg
             Pick(11.03, 20.0, 100.0, "bedding", score=0.8, **widths),  # implant found
             Pick(11.06, 21.0, 100.0, "bedding", score=0.6, **widths),  # a duplicate of that implant: not a match
             Pick(12.02, 50.0, 0.0, "bedding", score=0.5, **widths),  # the other class on an implant: not a match
             Pick(14.0, 10.0, 0.0, "fracture", score=0.3)]  # far from every implant
    ratios = implant_ratios(planes, found)
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
    write_npz(synthesize_well(4, 2.0, tool="lwd", name="S4")[0], root / "S4.npz")  # too short for an implant
    return root


def test_predict_self_calibrate_writes_calibrated_picks_and_the_report(workspace):
    plain, calibrated = workspace / "plain", workspace / "calibrated"
    base = ["predict", str(workspace / "W3.npz"), "--model", str(workspace / "tiny.safetensors"), "--engine", "torch",
            "--uncertainty"]
    assert main([*base, "--out", str(plain), "--no-self-calibrate"]) == 0
    assert main([*base, "--out", str(calibrated), "--copies", "2"]) == 0  # --uncertainty self-calibrates
    assert sorted(p.name for p in plain.iterdir()) == ["W3_picks.csv"]
    report = json.loads((calibrated / "W3_injection.json").read_text())
    assert report["copies"] == 2 and report["implants"] > 0 and report["file"] == "W3.npz"
    fit = report["self_calibration"]
    # an untrained model's half-widths may all be NaN: then nothing is fitted and the factors are 1
    factors = [fit["interval_factors"][q] for q in QUANTITIES] if fit["fitted"] else [1.0] * 3
    assert fit["fitted"] or "interval_factors" not in fit and fit["reason"]
    before, after = read_picks(plain / "W3_picks.csv"), read_picks(calibrated / "W3_picks.csv")
    assert before, "threshold 0 keeps every merged query"
    assert [(p.depth_m, p.type) for p in before] == [(p.depth_m, p.type) for p in after], "the same picks"
    # each says how many of the 2 copies found it again; the report counts the ones they lost
    assert all(p.found_again is None for p in before) and {p.found_again for p in after} <= {0.0, 0.5, 1.0}
    assert sum(1.0 - p.found_again for p in after) == pytest.approx(report["original_picks_lost_per_copy"])
    # the file keeps 4 decimals of a score, 2-3 of a half-width; an untrained model's test-time views
    # rarely agree, so its half-widths may be NaN (the scaling itself: the tests above)
    for p, q in zip(before, after):
        assert q.score == pytest.approx(p.score, abs=1e-4), "scores stay as predicted"
        assert q.depth_err80_cm == pytest.approx(p.depth_err80_cm * factors[0], rel=0.01, abs=0.01, nan_ok=True)
        assert q.dip_err80_deg == pytest.approx(p.dip_err80_deg * factors[1], rel=0.01, abs=0.01, nan_ok=True)


@pytest.mark.parametrize("argv, message", [
    (["--copies", "2"], "--copies is for --self-calibrate"),
    (["--uncertainty", "--no-self-calibrate", "--copies", "2"], "--copies is for --self-calibrate"),
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
    with pytest.warns(UserWarning, match="W3: not self-calibrated: its picks carry no 80 % intervals"):
        frame = geobfdt.pick(workspace / "W3.npz", workspace / "tiny.safetensors", engine="torch",
                             self_calibrate=True)
    fit = frame.attrs["injection"]["self_calibration"]
    assert fit["fitted"] is False and "--uncertainty" in fit["reason"] and "interval_factors" not in fit
    assert list(frame["depth_m"]) == list(plain["depth_m"])
    np.testing.assert_allclose(frame["score"], plain["score"], atol=1e-9)
    assert "found_again" not in plain and frame["found_again"].between(0.0, 1.0).all()
    # with intervals it self-calibrates unless told not to, as `predict --uncertainty` does
    with warnings.catch_warnings():  # an untrained model may recover no implant, which it warns of
        warnings.simplefilter("ignore", UserWarning)
        checked = geobfdt.pick(workspace / "W3.npz", workspace / "tiny.safetensors", engine="torch", uncertainty=True)
    assert checked.attrs["injection"]["copies"] == 1 and "found_again" in checked
    unchecked = geobfdt.pick(workspace / "W3.npz", workspace / "tiny.safetensors", engine="torch", uncertainty=True,
                             self_calibrate=False)
    assert "injection" not in unchecked.attrs and "found_again" not in unchecked
    assert list(unchecked["depth_m"]) == list(checked["depth_m"])


def _inject_test_reason(workspace, capsys) -> str:
    path = str(workspace / "S4.npz")
    assert main(["inject-test", path, "--model", str(workspace / "tiny.safetensors"), "--engine", "torch",
                 "--out", str(workspace / "s4_inject")]) == 2
    line, = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"geobfdt inject-test: error: {path}: ")
    return line.removeprefix(f"geobfdt inject-test: error: {path}: ")


def test_a_well_too_short_for_an_implant_keeps_its_intervals_and_says_so(workspace, capsys):
    """It wrote interval factors 1.0 fitted on 0 implants, as if the well had been checked, and said nothing."""
    path, base = str(workspace / "S4.npz"), ["--model", str(workspace / "tiny.safetensors"), "--engine", "torch",
                                             "--uncertainty"]
    assert main(["predict", path, *base, "--out", str(workspace / "s4_plain"), "--no-self-calibrate"]) == 0
    capsys.readouterr()
    assert main(["predict", path, *base, "--out", str(workspace / "s4")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    reason = _inject_test_reason(workspace, capsys)  # inject-test refuses the well in the same words
    assert "too short for injection-recovery" in reason and "1.3 m" in reason
    assert warnings == [f"warning: {path}: not self-calibrated: {reason}; its picks keep the model file's intervals"]
    report = json.loads((workspace / "s4" / "S4_injection.json").read_text())
    assert report["implants"] == 0 and report["file"] == "S4.npz"
    assert report["self_calibration"] == {"fitted": False, "reason": reason,
                                          "implants_per_factor": {q: 0 for q in QUANTITIES}}
    before, after = read_picks(workspace / "s4_plain" / "S4_picks.csv"), read_picks(workspace / "s4" / "S4_picks.csv")
    assert before, "threshold 0 keeps every merged query"
    for p, q in zip(before, after, strict=True):  # the model file's intervals, as picked without --self-calibrate
        assert (q.depth_m, q.type) == (p.depth_m, p.type)
        for name in QUANTITIES:
            assert getattr(q, name) == pytest.approx(getattr(p, name), abs=1e-6, nan_ok=True)


def test_the_api_warns_of_a_well_too_short_in_the_same_words(workspace):
    import geobfdt

    well = geobfdt.read_well(workspace / "S4.npz")
    with pytest.warns(UserWarning, match="S4: not self-calibrated: 2.00 m is too short for injection-recovery"):
        frame = geobfdt.pick(well, workspace / "tiny.safetensors", engine="torch", uncertainty=True)
    assert frame.attrs["injection"]["self_calibration"]["reason"] == too_short(well)


def test_a_well_whose_picks_crowd_every_slot_is_named_as_such():
    well = synthesize_well(5, 6.0, tool="lwd", name="C5")[0]
    assert too_short(well) is None
    crowded = [Pick(float(z), 20.0, 0.0, "fracture") for z in np.arange(well.depth_m[0], well.depth_m[-1], 0.1)]
    reason = no_implants_reason(well, crowded)
    assert reason.startswith("6.00 m has no room for an implant") and f"{len(crowded)} picks" in reason


def test_implants_that_fit_no_factor_say_why():
    widths = {"depth_err80_cm": 2.0, "dip_err80_deg": 4.0, "azimuth_err80_deg": 10.0}
    planes = [Pick(10.0, 30.0, 40.0, "fracture"), Pick(11.0, 20.0, 100.0, "bedding")]
    cases = {"none of its 2 implants was recovered": [Pick(14.0, 30.0, 40.0, "fracture", **widths)],
             "--uncertainty": [Pick(10.01, 30.0, 40.0, "fracture")],
             "none of its 1 recovered implants has a finite": [Pick(10.01, 30.0, 40.0, "fracture",
                                                                    depth_err80_cm=np.nan)],
             None: [Pick(10.01, 30.0, 40.0, "fracture", **widths)]}
    for expected, found in cases.items():
        reason = not_fitted_reason([(planes, found)], [implant_ratios(planes, found)])
        assert reason is None if expected is None else expected in reason, (expected, reason)
    fitted = SelfCalibration(factors=(2.0, 1.0, 1.0), implants=(5, 5, 5)).to_dict()
    assert fitted["fitted"] is True and calibration_warning({"self_calibration": fitted}) is None
    fit = SelfCalibration(reason="why").to_dict()
    assert fit["fitted"] is False and "interval_factors" not in fit and calibration_warning({"self_calibration": fit})


def test_a_well_whose_picks_leave_no_slot_is_refused_by_inject_test_and_warned_of_by_predict(workspace, capsys,
                                                                                             monkeypatch):
    """No slot free of the well's picks (placement made to find none): inject-test wrote a report of
    0 implants and exited 0."""
    monkeypatch.setattr("geobfdt.evaluation.injection.plan_implants", lambda *a, **k: [])
    path = str(workspace / "W3.npz")
    base = [path, "--model", str(workspace / "tiny.safetensors"), "--engine", "torch"]
    assert main(["inject-test", *base, "--out", str(workspace / "w3_crowded_inject")]) == 2
    line, = [text for text in capsys.readouterr().err.splitlines() if "error" in text]  # below its picking bar
    assert line.startswith(f"geobfdt inject-test: error: {path}: ") and "has no room for an implant" in line
    assert not (workspace / "w3_crowded_inject").exists()
    reason = line.removeprefix(f"geobfdt inject-test: error: {path}: ")
    assert main(["predict", *base, "--uncertainty", "--self-calibrate", "--out", str(workspace / "w3_crowded")]) == 0
    assert f"warning: {path}: not self-calibrated: {reason}; " in capsys.readouterr().err
    report = json.loads((workspace / "w3_crowded" / "W3_injection.json").read_text())
    assert report["self_calibration"]["fitted"] is False and report["self_calibration"]["reason"] == reason
