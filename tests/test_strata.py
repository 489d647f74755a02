"""Hard-case strata (evaluation/strata.py, `geobfdt evaluate --strata`) and the optional pick columns they need."""

import json

import pytest

from geobfdt.cli import main
from geobfdt.evaluation.strata import strata_report
from geobfdt.io.picks import read_picks, write_picks_csv
from geobfdt.synth import synthesize_well
from geobfdt.well import Pick


def row(rows, stratum, kind):
    return next(r for r in rows if r["stratum"].startswith(stratum) and r["class"] == kind)


def test_strata_count_the_hard_true_planes_and_their_hits():
    truth = [Pick(10.00, 30, 0, "fracture", contrast_sd=2.0, coverage_frac=0.95),  # faint, crossing
             Pick(10.05, 50, 90, "fracture", contrast_sd=8.0, coverage_frac=0.40),  # partial, crossing
             Pick(12.00, 83, 0, "fracture", contrast_sd=8.0, coverage_frac=1.0),  # steep
             Pick(14.00, 10, 0, "bedding", contrast_sd=2.5, coverage_frac=1.0)]  # faint bedding
    pred = [Pick(10.01, 30, 0, "fracture", score=0.9), Pick(12.02, 82, 0, "fracture", score=0.8),
            Pick(13.00, 84, 0, "fracture", score=0.7), Pick(14.0, 10, 0, "fracture", score=0.6)]
    rows = strata_report({"W": pred}, {"W": truth})
    assert row(rows, "faint", "fracture") == {"stratum": "faint: contrast < 3 sd", "class": "fracture",
                                             "n_truth": 1, "recall": 1.0}
    assert row(rows, "faint", "bedding")["recall"] == 0.0  # picked as a fracture: a per-class miss
    assert row(rows, "partial", "fracture")["recall"] == 0.0
    assert row(rows, "crossing", "fracture")["n_truth"] == 2 and row(rows, "crossing", "both")["recall"] == 0.5
    steep = row(rows, "apparent dip", "fracture")
    assert (steep["n_truth"], steep["n_pred"], steep["recall"], steep["precision"]) == (1, 2, 1.0, 0.5)
    assert steep["f1"] == pytest.approx(2 / 3)


def test_strata_that_need_truth_attributes_are_left_out_without_them():
    rows = strata_report({"W": []}, {"W": [Pick(10.0, 30, 0, "fracture")]})
    assert {r["stratum"] for r in rows} == {"crossing: another true plane within 8 cm", "apparent dip > 80 deg"}


def test_synthetic_truth_files_carry_contrast_and_coverage_and_old_files_still_read(tmp_path):
    well, picks = synthesize_well(3, length_m=6.0, tool="lwd")
    assert [p.contrast_sd for p in picks] == well.provenance["label_snr"]
    assert all(p.contrast_sd >= 1.5 and 0.3 <= p.coverage_frac <= 1.0 for p in picks)
    write_picks_csv(tmp_path / "W_picks.csv", picks)
    again = read_picks(tmp_path / "W_picks.csv")
    assert [(p.contrast_sd, p.coverage_frac) for p in again] == [(p.contrast_sd, p.coverage_frac) for p in picks]
    (tmp_path / "old_picks.csv").write_text("depth_m,dip_deg,azimuth_deg,type,score\n10.0,30,45,fracture,0.5\n")
    old = read_picks(tmp_path / "old_picks.csv")[0]
    assert old.score == 0.5 and old.contrast_sd is None and old.depth_err80_cm is None
    errs = [Pick(10.0, 30, 45, "fracture", score=0.9, depth_err80_cm=1.25, dip_err80_deg=2.5, azimuth_err80_deg=7.0)]
    write_picks_csv(tmp_path / "pred_picks.csv", errs)
    header = (tmp_path / "pred_picks.csv").read_text().splitlines()[0]
    assert header == "depth_m,dip_deg,azimuth_deg,type,score,depth_err80_cm,dip_err80_deg,azimuth_err80_deg"
    assert read_picks(tmp_path / "pred_picks.csv")[0].azimuth_err80_deg == 7.0


def test_evaluate_strata_prints_and_writes_the_hard_cases(tmp_path, capsys):
    well, truth = synthesize_well(5, length_m=8.0, tool="fmi", name="W")
    (tmp_path / "truth").mkdir()
    write_picks_csv(tmp_path / "truth" / "W_picks.csv", truth)
    (tmp_path / "pred").mkdir()
    write_picks_csv(tmp_path / "pred" / "W_picks.csv", [Pick(t.depth_m, t.dip_deg, t.azimuth_deg, t.type, score=0.9)
                                                       for t in truth[::2]])
    out = tmp_path / "result.json"
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "truth"), "--strata", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "hard cases at 8 cm" in printed and "faint: contrast < 3 sd" in printed
    strata = json.loads(out.read_text())["strata"]
    assert row(strata, "crossing", "both")["n_truth"] == sum(
        any(abs(t.depth_m - u.depth_m) <= 0.08 for u in truth if u is not t) for t in truth)
