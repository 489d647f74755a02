import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.cli import main
from geobfdt.evaluation.metrics import evaluate_picks, evaluate_wells, match_picks
from geobfdt.io.picks import write_picks_csv
from geobfdt.well import Pick


def _picks(depths, kind="fracture", dip=30.0, azimuth=90.0):
    return [Pick(depth_m=float(d), dip_deg=dip, azimuth_deg=azimuth, type=kind) for d in depths]


def _brute_force(pred, truth, tol):
    """(largest match count, smallest total |dz| at that count) over all injections."""
    best = (0, 0.0)
    small, large, flip = (pred, truth, False) if len(pred) <= len(truth) else (truth, pred, True)
    for perm in itertools.permutations(range(len(large)), len(small)):
        dz = [abs(small[i] - large[j]) for i, j in enumerate(perm)]
        hits = [d for d in dz if d <= tol]
        cand = (len(hits), sum(hits))
        if cand[0] > best[0] or (cand[0] == best[0] and cand[1] < best[1] - 1e-12):
            best = cand
    return best


depth_lists = st.lists(st.floats(0.0, 1.0, allow_nan=False).map(lambda x: round(x, 3)), max_size=5)


@settings(max_examples=150, deadline=None)
@given(depth_lists, depth_lists, st.floats(0.01, 0.3))
def test_matching_is_optimal_and_one_to_one(pred_d, truth_d, tol):
    pairs = match_picks(_picks(pred_d), _picks(truth_d), tol)
    assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
    assert all(abs(pred_d[i] - truth_d[j]) <= tol for i, j in pairs)
    count, total = _brute_force(pred_d, truth_d, tol)
    assert len(pairs) == count
    assert sum(abs(pred_d[i] - truth_d[j]) for i, j in pairs) == pytest.approx(total, abs=1e-9)


def test_count_beats_distance():
    # pairing 0.05 with 0.0 is closest, but pairing it with 0.10 lets 0.0 match too.
    pairs = match_picks(_picks([0.0, 0.05]), _picks([0.05, 0.10]), 0.06)
    assert len(pairs) == 2


def test_orientation_chooses_between_equally_many_matches():
    # two crossing fractures 2 cm apart; the pick lies nearer the first but traces the second
    truth = [Pick(depth_m=1.00, dip_deg=60.0, azimuth_deg=90.0, type="fracture"),
             Pick(depth_m=1.02, dip_deg=40.0, azimuth_deg=270.0, type="fracture")]
    pick = [Pick(depth_m=1.005, dip_deg=41.0, azimuth_deg=268.0, type="fracture")]
    assert match_picks(pick, truth, 0.08) == [(0, 1)]
    r = evaluate_picks(pick, truth, 0.08)
    assert r["overall"]["dip_mae_deg"] == pytest.approx(1.0) and r["overall"]["recall"] == 0.5


def test_tolerance_is_respected():
    assert match_picks(_picks([1.0]), _picks([1.081]), 0.08) == []
    assert match_picks(_picks([1.0]), _picks([1.079]), 0.08) == [(0, 0)]


def test_perfect_prediction_scores_one():
    truth = _picks([1, 2, 3], "fracture", 40, 10) + _picks([4, 5], "bedding", 5, 200)
    r = evaluate_picks(truth, truth, 0.03)
    for block in ("overall", "fracture", "bedding"):
        assert r[block]["f1"] == r[block]["recall"] == r[block]["precision"] == 1.0
    assert r["overall"]["class_error_pct"] == 0.0
    assert r["overall"]["dip_mae_deg"] == 0.0 and r["overall"]["azimuth_mae_deg"] == 0.0
    assert r["overall"]["n_azimuth_matched"] == 3  # bedding at 5 deg dip has no reliable azimuth


def test_wrong_class_counts_overall_but_not_per_class():
    truth = _picks([1.0, 2.0], "fracture")
    pred = _picks([1.0], "fracture") + _picks([2.0], "bedding")
    r = evaluate_picks(pred, truth, 0.05)
    assert r["overall"]["f1"] == 1.0 and r["overall"]["class_error_pct"] == 50.0
    assert r["fracture"]["recall"] == 0.5 and r["fracture"]["precision"] == 1.0
    assert r["bedding"]["precision"] == 0.0 and r["bedding"]["recall"] is None


@pytest.mark.parametrize("pred_d,truth_d", [([], []), ([], [1.0, 2.0]), ([1.0], [])])
def test_empty_cases_are_defined(pred_d, truth_d):
    r = evaluate_picks(_picks(pred_d), _picks(truth_d), 0.08)
    o = r["overall"]
    assert o["n_matched"] == 0 and o["dip_mae_deg"] is None and o["class_error_pct"] is None
    assert o["f1"] == (None if not pred_d and not truth_d else 0.0)
    json.dumps(r)


def test_circular_azimuth_error():
    r = evaluate_picks(_picks([1.0], azimuth=359.0), _picks([1.0], azimuth=1.0), 0.05)
    assert r["overall"]["azimuth_mae_deg"] == pytest.approx(2.0)
    assert r["overall"]["azimuth_within_15deg"] == 1.0


def test_angle_shares():
    truth = _picks([1, 2, 3, 4], dip=40.0)
    pred = [Pick(d, 40 + e, 90, "fracture") for d, e in zip([1, 2, 3, 4], [1.0, 4.0, 6.0, -2.0])]
    o = evaluate_picks(pred, truth, 0.05)["overall"]
    assert o["dip_mae_deg"] == pytest.approx(13 / 4)
    assert o["dip_within_3deg"] == 0.5 and o["dip_within_5deg"] == 0.75


def test_micro_average_sums_counts():
    truth = {"A": _picks([1.0, 2.0, 3.0]), "B": _picks([1.0])}
    pred = {"A": _picks([1.0, 2.0, 3.0]), "B": _picks([5.0])}
    r = evaluate_wells(pred, truth, tolerances_cm=(8,))
    o = r["micro"]["8"]["overall"]
    assert o["recall"] == 0.75 and o["precision"] == 0.75  # not the mean of per-well values (0.5)
    assert r["per_well"]["B"]["8"]["overall"]["f1"] == 0.0


def test_depth_bias_changes_f1_with_tolerance():
    rng = np.random.default_rng(0)
    truth_d = np.sort(rng.uniform(0, 100, 200))
    pred_d = truth_d + rng.normal(0, 0.04, truth_d.size)
    r = evaluate_wells({"W": _picks(pred_d)}, {"W": _picks(truth_d)}, tolerances_cm=(3, 5, 8))
    f1 = [r["micro"][k]["overall"]["f1"] for k in ("3", "5", "8")]
    assert f1[0] < f1[1] < f1[2]


def _write_folder(path, wells):
    for name, picks in wells.items():
        write_picks_csv(path / f"{name}_picks.csv", picks)


def test_cli_tables_and_json(tmp_path, capsys):
    truth = {"W1": _picks([1.0, 2.0]), "W2": _picks([3.0], "bedding")}
    _write_folder(tmp_path / "truth", truth)
    _write_folder(tmp_path / "pred", truth)
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "truth"), "--out", str(tmp_path / "r.json")]) == 0
    text = capsys.readouterr().out
    assert "overall" in text and "F1 %" in text and "100.0" in text
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["micro"]["8"]["overall"]["f1"] == 1.0 and saved["wells"] == ["W1", "W2"]
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "truth"), "--json", "--tolerance-cm", "4"]) == 0
    assert json.loads(capsys.readouterr().out)["micro"]["4"]["overall"]["recall"] == 1.0


def test_cli_single_files_pair_by_content(tmp_path, capsys):
    write_picks_csv(tmp_path / "W1_picks.csv", _picks([1.0]))
    write_picks_csv(tmp_path / "truth.csv", _picks([1.02]))
    assert main(["evaluate", str(tmp_path / "W1_picks.csv"), str(tmp_path / "truth.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["micro"]["3"]["overall"]["f1"] == 1.0


def test_cli_mismatched_wells_exit_2(tmp_path, capsys):
    _write_folder(tmp_path / "truth", {"W1": _picks([1.0]), "W2": _picks([2.0])})
    _write_folder(tmp_path / "pred", {"W1": _picks([1.0]), "W3": _picks([2.0])})
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "truth")]) == 2
    err = capsys.readouterr().err
    assert "W3" in err and "W2" in err and len(err.strip().splitlines()) == 1


def test_cli_missing_path_exit_2(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope"), str(tmp_path / "nope2")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_out_naming_a_scored_file_is_refused(tmp_path, capsys):
    """`--out truth.csv` replaced the true picks with the JSON report."""
    write_picks_csv(tmp_path / "W1_picks.csv", _picks([1.0]))
    write_picks_csv(tmp_path / "truth.csv", _picks([1.02]))
    before = (tmp_path / "truth.csv").read_bytes()
    assert main(["evaluate", str(tmp_path / "W1_picks.csv"), str(tmp_path / "truth.csv"), "--out",
                 str(tmp_path / "truth.csv")]) == 2
    assert "one of the pick files scored" in capsys.readouterr().err
    assert (tmp_path / "truth.csv").read_bytes() == before


def test_a_review_folder_is_read_as_the_truth(tmp_path, capsys):
    """A `geobfdt review` folder (<WELL>_reviewed.csv beside its _reviewed_intervals.csv) failed: the
    intervals file was read as a pick file."""
    from geobfdt.io.review_file import review_paths
    from geobfdt.review.store import ReviewStore

    picks = _picks([1.0, 2.0, 3.0])
    store = ReviewStore(*review_paths(tmp_path / "reviewed", "W1"), picks)
    store.change(store.version, lambda r: store.set_status(r, "p2", "rejected"))
    store.change(store.version, lambda r: store.mark_reviewed(r, 0.5, 3.5))
    assert (tmp_path / "reviewed" / "W1_reviewed_intervals.csv").is_file()
    _write_folder(tmp_path / "pred", {"W1": picks})
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "reviewed"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["wells"] == ["W1"] and result["micro"]["8"]["overall"]["n_truth"] == 2  # the rejected one is out


def test_median_errors_over_matches():
    truth = [Pick(10.0, 30.0, 100.0, "fracture"), Pick(11.0, 40.0, 200.0, "fracture"), Pick(12.0, 50.0, 300.0, "bedding")]
    pred = [Pick(10.01, 31.0, 110.0, "fracture"), Pick(11.03, 44.0, 190.0, "fracture"), Pick(12.02, 50.0, 330.0, "bedding")]
    o = evaluate_picks(pred, truth, 0.08)["overall"]
    assert o["depth_median_err_cm"] == pytest.approx(2.0)
    assert o["dip_median_err_deg"] == pytest.approx(1.0)
    assert o["azimuth_median_err_deg"] == pytest.approx(10.0)
