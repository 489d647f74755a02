"""scripts/compare_scores.py: a candidate meets issue 30's goals only if every figure and stratum holds."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import compare_scores  # noqa: E402

GROUPS = ("FMI-like, vertical", "LWD sectors, vertical", "all")


def scores(f1_8, f1_3, fracture, stratum_recall):
    micro = lambda f1, frac: {"overall": {"f1": f1}, "fracture": {"f1": frac}, "bedding": {"f1": f1}}
    return {"groups": {g: {"detector": {"8": micro(f1_8, fracture), "3": micro(f1_3, fracture)}} for g in GROUPS},
            "strata": [{"wells": "all", "stratum": "faint", "class": "both", "n_truth": 40, "recall": stratum_recall}]}


def run(tmp_path, monkeypatch, capsys, base, new):
    argv = ["compare_scores.py"]
    for name in ("default", "real-texture", "harsh"):
        dirs = []
        for side, content in (("base", base), ("new", new)):
            folder = tmp_path / f"{side}_{name}"
            folder.mkdir(exist_ok=True)
            (folder / "scores.json").write_text(json.dumps(content))
            dirs.append(str(folder))
        argv += [f"--{name}", *dirs]
    monkeypatch.setattr(sys, "argv", argv)
    compare_scores.main()
    return capsys.readouterr().out


def test_a_candidate_above_every_goal_meets_them(tmp_path, monkeypatch, capsys):
    out = run(tmp_path, monkeypatch, capsys, scores(0.86, 0.8, 0.7, 0.6), scores(0.9, 0.85, 0.8, 0.6))
    assert "Every goal met: yes" in out and "default wells: none" in out


def test_a_stratum_below_the_shipped_model_fails_the_candidate(tmp_path, monkeypatch, capsys):
    out = run(tmp_path, monkeypatch, capsys, scores(0.86, 0.8, 0.7, 0.6), scores(0.9, 0.85, 0.8, 0.55))
    assert "Every goal met: no" in out
    assert "| all | faint | both | 40 | recall | 0.600 | 0.550 |" in out


def test_a_poor_depth_ratio_fails_the_candidate(tmp_path, monkeypatch, capsys):
    out = run(tmp_path, monkeypatch, capsys, scores(0.86, 0.8, 0.7, 0.6), scores(0.9, 0.7, 0.8, 0.6))
    assert "| default LWD F1 @3 / F1 @8 >= 0.8 | 0.930 | 0.778 | no |" in out and "Every goal met: no" in out
