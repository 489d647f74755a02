"""Score calibration: fits, inverse, pick outcomes, ECE, the model-file header and `geobfdt calibrate`."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import tiny_config
from geobfdt.cli import main
from geobfdt.errors import GeoBFDTError
from geobfdt.evaluation.calibration import expected_calibration_error, ece_noise_floor, pick_matches, pick_outcomes
from geobfdt.io import write_npz
from geobfdt.io.picks import write_picks_csv
from geobfdt.model import build_model
from geobfdt.model.calibration import IntervalScale, ScoreCalibration
from geobfdt.picking.blur import BLUR
from geobfdt.model.checkpoint import ModelHeader, load_compatible_weights, load_model, read_model_file, save_model
from geobfdt.training.calibrate import choose_calibration, fit_calibration
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick


def overconfident(n=4000, seed=0):
    """Raw scores whose true probability of being real is raw ** 2 (overconfident), two classes."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.05, 1.0, n)
    class_id = rng.integers(0, 2, n)
    real = rng.random(n) < raw ** 2
    return raw, class_id, real


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_removes_a_known_miscalibration(method):
    raw, class_id, real = overconfident()
    calibration = fit_calibration(raw, class_id, real, method)
    test_raw, test_class, test_real = overconfident(seed=1)
    before = expected_calibration_error(test_raw, test_real)
    after = expected_calibration_error(calibration.probability(test_raw, test_class), test_real)
    assert before > 0.1
    assert after < 0.04


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["platt", "isotonic"]), st.floats(0.02, 0.98), st.integers(0, 1))
def test_calibration_is_strictly_increasing_and_invertible(method, score, class_id):
    raw, classes, real = overconfident(600, seed=2)
    calibration = fit_calibration(raw, classes, real, method)
    grid = np.linspace(0.0, 1.0, 201)
    mapped = calibration.probability(grid, np.full(grid.size, class_id))
    assert np.all(np.diff(mapped) > 0), "a calibration must never reorder picks"
    p = float(calibration.probability(np.array([score]), np.array([class_id]))[0])
    assert calibration.raw(p, class_id) == pytest.approx(score, abs=1e-6)


def test_choose_calibration_cross_validates_by_well():
    raw, class_id, real = overconfident()
    fold = np.arange(raw.size) % 4
    calibration, cv = choose_calibration(raw, class_id, real, fold, (0.3, 0.3))
    assert set(cv) == {"platt", "isotonic"} and calibration.method == min(cv, key=cv.get)
    with pytest.raises(GeoBFDTError, match="2 or more wells"):
        choose_calibration(raw, class_id, real, np.zeros(raw.size), (0.3, 0.3))


def test_too_few_picks_of_a_class_are_refused():
    with pytest.raises(GeoBFDTError, match="too few bedding picks"):
        fit_calibration(np.array([0.5] * 20), np.array([0] * 20), np.array([0, 1] * 10), "platt")


def test_a_pick_is_real_once_and_lower_scores_never_change_a_better_picks_outcome():
    truth = [Pick(10.00, 30, 0, "fracture"), Pick(10.50, 20, 0, "bedding")]
    best = Pick(10.03, 30, 0, "fracture", score=0.9)
    closer_but_worse = Pick(10.01, 30, 0, "fracture", score=0.4)
    wrong_class = Pick(10.50, 20, 0, "fracture", score=0.8)
    assert pick_outcomes([best], truth).tolist() == [1]
    # the evaluator's optimal matching would give the truth to the closer pick; here the better score keeps it
    assert pick_outcomes([best, closer_but_worse, wrong_class], truth).tolist() == [1, 0, 0]
    assert pick_matches([closer_but_worse, best], truth).tolist() == [-1, 0]


def test_ece_of_a_calibrated_scorer_is_near_its_noise_floor():
    rng = np.random.default_rng(3)
    score = rng.uniform(0, 1, 2000)
    real = rng.random(2000) < score
    assert expected_calibration_error(score, real) < 2.5 * ece_noise_floor(score)
    assert expected_calibration_error(np.array([]), np.array([])) is None


def test_model_file_keeps_calibration_and_fine_tuning_starts_from_raw_thresholds(tmp_path):
    cfg = tiny_config()
    model = build_model(cfg.model)
    calibration = ScoreCalibration("platt", {"fracture": [2.0, 1.0], "bedding": [3.0, -0.5]})
    raw = (0.35, 0.4)
    calibrated = tuple(float(calibration.probability(np.array([t]), np.array([k]))[0]) for k, t in enumerate(raw))
    intervals = IntervalScale({"depth_err80_cm": [1.5, 0.3], "dip_err80_deg": [1.2, 0.5],
                               "azimuth_err80_deg": [1.1, 2.0]})
    save_model(model, cfg, tmp_path / "m.safetensors", threshold=calibrated, calibration=calibration,
               intervals=intervals)
    _, header = load_model(tmp_path / "m.safetensors")
    assert header.thresholds == pytest.approx(calibrated) and header.raw_thresholds == pytest.approx(raw)
    assert header.score_calibration == calibration and header.interval_scale == intervals
    assert load_compatible_weights(build_model(cfg.model), tmp_path / "m.safetensors") == pytest.approx(raw)
    save_model(model, cfg, tmp_path / "plain.safetensors", threshold=raw)
    _, plain = load_model(tmp_path / "plain.safetensors")
    assert plain.score_calibration is None and plain.interval_scale is None


def test_a_damaged_calibration_header_is_a_one_line_error(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    cfg = tiny_config()
    save_model(build_model(cfg.model), cfg, tmp_path / "m.safetensors")
    with safe_open(str(tmp_path / "m.safetensors"), framework="pt") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    save_file(tensors, str(tmp_path / "bad.safetensors"),
              metadata={**metadata, "geobfdt_calibration": '{"method": "platt", "params": {"fracture": [-1, 0]}}'})
    with pytest.raises(GeoBFDTError, match="damaged settings"):
        read_model_file(tmp_path / "bad.safetensors")


def test_calibrate_on_wells_maps_thresholds_and_fits_intervals(monkeypatch):
    """The fitting flow with a stand-in for the model's picks: raw scores overconfident, errors known."""
    import geobfdt.training.calibrate as calibrate

    rng = np.random.default_rng(5)
    wells = []
    for k in range(3):
        truth = [Pick(100.0 + i, 40.0, 90.0, ("fracture", "bedding")[i % 2]) for i in range(300)]
        wells.append((type("W", (), {"name": f"W{k}", "radius_at": lambda self, depth_m: 0.108, "width": 360})(), truth))

    def fake_raw_picks(model, cfg, well, device="cpu", uncertainty=False):
        picks = []
        for i in range(300):
            score = rng.uniform(0.05, 1.0)
            real = rng.random() < score ** 2
            spread = rng.uniform(0.2, 2.0)
            picks.append(Pick(100.0 + i + (rng.normal(0, spread) / 100 if real else 0.3), 40.0 + rng.normal(0, spread),
                              90.0 + rng.normal(0, spread), ("fracture", "bedding")[i % 2], score=score,
                              depth_err80_cm=spread, dip_err80_deg=spread, azimuth_err80_deg=spread))
        return picks

    monkeypatch.setattr(calibrate, "raw_picks", fake_raw_picks)
    # stand-ins for what the image says: every pick equally plain, every well equally sharp
    monkeypatch.setattr("geobfdt.picking.blur.image_blur", lambda well: dict.fromkeys(BLUR, 2.0))
    monkeypatch.setattr("geobfdt.picking.evidence.pick_evidence",
                        lambda well, picks: np.tile([5.0, 0.5, 0.5, 1.0], (len(picks), 1)))
    monkeypatch.setattr("geobfdt.picking.quality.is_sector_image", lambda well: False)
    monkeypatch.setattr("geobfdt.picking.quality.azimuthal_noise_share", lambda well: 0.2)
    calibration, thresholds, intervals, report = calibrate.calibrate_on_wells(None, None, (0.35, 0.5), wells)
    assert report["ece_raw"] > 0.15 and report["ece_calibrated_in_sample"] < 0.08
    assert thresholds == pytest.approx([calibration.probability(np.array([t]), np.array([k]))[0]
                                        for k, t in enumerate((0.35, 0.5))])
    assert thresholds[0] < 0.35 ** 2 + 0.1  # overconfident raw scores: a raw 0.35 is about a 0.12 probability
    factor, floor = intervals.params["depth_err80_cm"]
    assert 1.0 < factor < 1.6 and floor < 0.5  # a normal error of sd s lies within 1.28 s 80% of the time
    # the evidence-based fit on the same picks: errors grow in proportion to the spread, and nothing else varies
    evidence = report["evidence_intervals"]
    assert evidence is not None and report["quality_scores"] is not None
    assert 0.7 < evidence.coef["depth_err80_cm"][1] < 1.3  # log |error| rises one for one with log spread


def test_calibrate_cli_refuses_what_it_cannot_calibrate(tmp_path, capsys):
    import torch

    torch.manual_seed(0)
    cfg = tiny_config()
    save_model(build_model(cfg.model), cfg, tmp_path / "tiny.safetensors", threshold=0.3)
    wells = []
    for seed in (1, 2):
        well, picks = synthesize_well(seed, length_m=6.0, tool="lwd", name=f"W{seed}")
        write_npz(well, tmp_path / f"W{seed}.npz")
        write_picks_csv(tmp_path / f"W{seed}_picks.csv", picks)
        wells.append(str(tmp_path / f"W{seed}.npz"))
    out = tmp_path / "calibrated.safetensors"
    # an untrained model finds no fractures at all: the error says so rather than writing a meaningless map
    assert main(["calibrate", *wells, "--truth", str(tmp_path), "--model", str(tmp_path / "tiny.safetensors"),
                 "--out", str(out), "--no-intervals"]) == 2
    assert "too few fracture picks" in capsys.readouterr().err and not out.exists()
    assert main(["calibrate", *wells, "--truth", str(tmp_path / "W1_picks.csv"), "--out", str(out)]) == 2
    assert "no true picks for well(s) W2" in capsys.readouterr().err
    assert main(["calibrate", wells[0], "--truth", str(tmp_path), "--out", str(tmp_path / "m.pt")]) == 2
    assert "must end in .safetensors" in capsys.readouterr().err
    # refused before any work: the missing model is not even opened, the well not picked
    assert main(["calibrate", wells[0], "--truth", str(tmp_path), "--model", str(tmp_path / "missing.safetensors"),
                 "--out", str(out)]) == 2
    assert "--method auto" in capsys.readouterr().err
    # a figure other than PNG failed only once drawn, as an internal error, after the model was written
    assert main(["calibrate", *wells, "--truth", str(tmp_path), "--out", str(out), "--plot",
                 str(tmp_path / "r.xyz")]) == 2
    assert "name it *.png" in capsys.readouterr().err and not out.exists()
    # a folder of wells is read as predict reads one (here up to the untrained model's refusal)
    assert main(["calibrate", str(tmp_path), "--truth", str(tmp_path), "--model", str(tmp_path / "tiny.safetensors"),
                 "--out", str(out), "--no-intervals"]) == 2
    assert "too few fracture picks" in capsys.readouterr().err


def test_calibrate_records_how_many_of_its_wells_lacked_a_caliper(tmp_path, monkeypatch):
    """Intervals fitted on bit-size wells hold their radius errors: the model file says so, and predict
    does not widen them again (picking/radius.py)."""
    import json

    import torch
    from safetensors import safe_open

    from geobfdt.picking.radius import FITTED_UNMEASURED_KEY

    torch.manual_seed(0)
    cfg = tiny_config()
    save_model(build_model(cfg.model), cfg, tmp_path / "tiny.safetensors", threshold=0.3)
    wells = []
    for seed, source in ((1, "bit_size"), (2, "caliper"), (3, "user")):
        well, picks = synthesize_well(seed, length_m=3.0, tool="lwd", name=f"W{seed}")
        well.radius_source = source
        write_npz(well, tmp_path / f"W{seed}.npz")
        write_picks_csv(tmp_path / f"W{seed}_picks.csv", picks)
        wells.append(str(tmp_path / f"W{seed}.npz"))
    fitted = type("Fit", (), {"to_dict": lambda self: {"stand-in": 1}})()

    def fake_calibrate_on_wells(model, cfg, raw_limit, wells_and_truth, method, device, intervals=True, progress=None):
        report = {"wells": [w.name for w, _ in wells_and_truth], "method": "platt", "cv_ece": {}, "n_picks": 9,
                  "ece_raw": 0.1, "ece_calibrated_in_sample": 0.05, "thresholds_raw": [0.3, 0.3],
                  "thresholds": [0.3, 0.3]}
        if intervals:
            report.update(evidence_intervals=fitted, quality_scores=None)
        return ScoreCalibration("platt", {"fracture": [1.0, 0.0], "bedding": [1.0, 0.0]}), (0.3, 0.3), None, report

    monkeypatch.setattr("geobfdt.training.calibrate.calibrate_on_wells", fake_calibrate_on_wells)
    out = tmp_path / "mine.safetensors"
    assert main(["calibrate", *wells, "--truth", str(tmp_path), "--model", str(tmp_path / "tiny.safetensors"),
                 "--out", str(out)]) == 0
    with safe_open(str(out), framework="numpy") as f:
        info = json.loads(f.metadata()["geobfdt_info"])
    assert info[FITTED_UNMEASURED_KEY] == pytest.approx(2 / 3) and info["calibrated_on"] == ["W1", "W2", "W3"]
    assert main(["calibrate", *wells, "--truth", str(tmp_path), "--model", str(tmp_path / "tiny.safetensors"),
                 "--out", str(out), "--no-intervals"]) == 0  # no intervals fitted here: no share recorded
    with safe_open(str(out), framework="numpy") as f:
        assert FITTED_UNMEASURED_KEY not in json.loads(f.metadata()["geobfdt_info"])


def overconfident_wells(n_wells=2, n=300, seed=7):
    """(well stand-ins with truth, raw picks by well): raw scores whose probability of being real is raw ** 2."""
    rng = np.random.default_rng(seed)
    wells, picked = [], {}
    for k in range(n_wells):
        kinds = [("fracture", "bedding")[i % 2] for i in range(n)]
        truth = [Pick(100.0 + i, 40.0, 90.0, kinds[i]) for i in range(n)]
        scores = rng.uniform(0.05, 1.0, n)
        real = rng.random(n) < scores ** 2
        picked[f"W{k}"] = [Pick(100.0 + i + (0.0 if real[i] else 0.3), 40.0, 90.0, kinds[i], score=float(scores[i]))
                           for i in range(n)]
        wells.append((type("W", (), {"name": f"W{k}"})(), truth))
    return wells, picked


def starting_model(**header) -> ModelHeader:
    """The header of the model a run started from (--init)."""
    return ModelHeader(Path("start.safetensors"), tiny_config(), (0.3, 0.3), {}, **header)


def test_a_trained_run_is_calibrated_on_its_validation_wells():
    """What `geobfdt train` stores: Platt fitted on the validation picks, the thresholds on its scale."""
    from geobfdt.training.calibrate import calibrate_run

    wells, picked = overconfident_wells()
    intervals = IntervalScale({"depth_err80_cm": [1.5, 0.3], "dip_err80_deg": [1.2, 0.5],
                               "azimuth_err80_deg": [1.1, 2.0]})
    calibration, thresholds, carried, notes = calibrate_run(None, None, (0.35, 0.5), wells, picked,
                                                            starting_model(interval_scale=intervals))
    assert calibration.method == "platt" and notes["score_calibration"].startswith("platt, fitted")
    assert thresholds == pytest.approx([calibration.probability(np.array([t]), np.array([k]))[0]
                                        for k, t in enumerate((0.35, 0.5))])
    assert thresholds[0] < 0.35 ** 2 + 0.1  # the overconfident raw scale is corrected
    assert carried == {"intervals": intervals, "evidence_intervals": None, "quality_scores": None}
    assert "carried over" in notes["interval_scale"]


def test_too_few_validation_picks_keep_the_starting_calibration_or_raw_scores():
    from geobfdt.training.calibrate import calibrate_run

    wells, picked = overconfident_wells(n=6)
    start = ScoreCalibration("platt", {"fracture": [2.0, 1.0], "bedding": [3.0, -0.5]})
    calibration, thresholds, _, notes = calibrate_run(None, None, (0.35, 0.5), wells, picked,
                                                      starting_model(score_calibration=start))
    assert calibration == start and "carried over from the starting model" in notes["score_calibration"]
    assert thresholds == pytest.approx([start.probability(np.array([t]), np.array([k]))[0]
                                        for k, t in enumerate((0.35, 0.5))])
    calibration, thresholds, carried, notes = calibrate_run(None, None, (0.35, 0.5), wells, picked, None)
    assert calibration is None and carried["intervals"] is None and thresholds == (0.35, 0.5)
    assert notes["score_calibration"].startswith("none, scores are raw: too few")
