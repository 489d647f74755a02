"""predict / train CLI: whole-well picking end to end with a tiny model, and bad inputs -> exit 2."""

import pickle

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from conftest import tiny_config, save_tiny_model
from geobfdt.model.checkpoint import save_model
from geobfdt.cli import main
from geobfdt.io import write_npz
from geobfdt.model import build_model
from geobfdt.patches.synthetic import synthetic_patchset
from geobfdt.io.picks import read_picks, write_picks_csv
from geobfdt.synth import synthesize_well


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict")
    save_tiny_model(root / "tiny.safetensors")
    for seed in (1, 2):
        well, picks = synthesize_well(seed, length_m=6.0, tool="lwd", name=f"W{seed}")
        write_npz(well, root / f"W{seed}.npz")
        write_picks_csv(root / f"W{seed}_picks.csv", picks)
    (root / "model.pt").write_bytes(pickle.dumps({"weights": np.zeros(3)}))
    with safe_open(str(root / "tiny.safetensors"), framework="pt") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    first = next(iter(tensors))
    save_file({**tensors, first: torch.zeros(7)}, str(root / "wrong_shape.safetensors"), metadata=metadata)
    save_file(tensors, str(root / "bad_config.safetensors"), metadata={**metadata, "geobfdt_config": "{oops"})
    save_file({"w": torch.zeros(3)}, str(root / "foreign.safetensors"))
    return root


def test_predict_writes_picks_for_each_well(workspace, capsys):
    out = workspace / "out"
    assert main(["predict", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--model",
                 str(workspace / "tiny.safetensors"), "--out", str(out)]) == 0
    for name in ("W1", "W2"):
        picks = read_picks(out / f"{name}_picks.csv")
        assert picks, "threshold 0 keeps every merged query"
        depths = np.array([p.depth_m for p in picks])
        assert np.all(np.diff(depths) >= 0)
        assert all(p.score is not None and p.well == name for p in picks)


def test_predict_plot_writes_the_image_and_whole_well_figures(workspace, capsys):
    out = workspace / "plotted"
    assert main(["predict", str(workspace / "W1.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--out", str(out), "--plot"]) == 0
    listed = capsys.readouterr().out
    for kind in ("picks", "tadpoles", "rose", "stereonet", "intensity"):
        assert (out / f"W1_{kind}.png").read_bytes().startswith(b"\x89PNG"), kind
        assert str(out / f"W1_{kind}.png") in listed, f"the well's line names every file written: {kind}"


def test_predict_writes_the_same_picks_in_every_exchange_format(workspace):
    out = workspace / "out_formats"
    assert main(["predict", str(workspace / "W1.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--out", str(out), "--formats", "geobfdt", "geolog", "wellcad"]) == 0
    ours, geolog, wellcad = (read_picks(out / f"W1{suffix}.csv") for suffix in ("_picks", "_picks_geolog",
                                                                                  "_picks_wellcad"))
    assert len(ours) == len(geolog) == len(wellcad) > 0
    for a, g, w in zip(ours, geolog, wellcad):
        assert g.depth_m == w.depth_m == pytest.approx(a.depth_m, abs=1e-4) and a.type == g.type == w.type
        assert (g.dip_deg, g.azimuth_deg) == pytest.approx((a.dip_deg, a.azimuth_deg), abs=1e-4)


@pytest.mark.parametrize("model, message", [
    ("missing.safetensors", "no such model"),
    ("model.pt", "not a GeoBFDT model"),
    ("foreign.safetensors", "not a GeoBFDT model"),
    ("wrong_shape.safetensors", "weights do not fit its config"),
    ("bad_config.safetensors", "damaged settings"),
])
def test_predict_refuses_bad_models(workspace, capsys, model, message):
    code = main(["predict", str(workspace / "W1.npz"), "--model", str(workspace / model), "--out",
                 str(workspace / "bad")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]
    assert not (workspace / "bad" / "W1_picks.csv").exists()


def test_uncertainty_with_a_model_holding_no_interval_fit_is_one_error_before_any_well(workspace, capsys):
    """It failed each well in turn, a table of the same failure, after loading every one."""
    code = main(["predict", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--model",
                 str(workspace / "tiny.safetensors"), "--out", str(workspace / "no_intervals"), "--uncertainty"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "tiny.safetensors: this model has no interval" in err
    assert not (workspace / "no_intervals").exists()


def test_predict_into_the_wells_folder_never_replaces_its_labels(workspace, capsys):
    """`predict W1.npz --out .` beside W1_picks.csv replaced the interpreter's picks with the model's,
    which `train .` then read as labels."""
    labels = (workspace / "W1_picks.csv").read_bytes()
    tiny = str(workspace / "tiny.safetensors")
    assert main(["predict", str(workspace / "W1.npz"), "--model", tiny, "--out", str(workspace)]) == 2
    assert "would replace W1_picks.csv" in capsys.readouterr().err
    assert main(["predict", str(workspace / "W1.npz"), "--model", tiny, "--out", str(workspace), "--formats",
                 "geolog"]) == 0
    assert (workspace / "W1_picks.csv").read_bytes() == labels and (workspace / "W1_picks_geolog.csv").is_file()


def test_predict_bad_threshold_and_bad_well(workspace, capsys):
    assert main(["predict", str(workspace / "W1.npz"), "--model", str(workspace / "tiny.safetensors"),
                 "--out", str(workspace / "o"), "--threshold", "1.5"]) == 2
    assert main(["predict", str(workspace / "W1_picks.csv"), "--model", str(workspace / "tiny.safetensors"),
                 "--out", str(workspace / "o")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_train_init_refuses_incompatible_model(workspace, capsys, tmp_path):
    other = tiny_config()
    other.model.d_model = 64
    save_model(build_model(other.model), other, tmp_path / "other.safetensors")
    config = tmp_path / "tiny.yaml"
    import yaml
    config.write_text(yaml.safe_dump(tiny_config().to_dict()))
    code = main(["train", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--out", str(tmp_path / "run"),
                 "--config", str(config), "--init", str(tmp_path / "other.safetensors"), "--epochs", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "do not fit" in err[-1]


def test_train_runs_and_writes_tuned_threshold(workspace, tmp_path, capsys):
    import yaml
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config().to_dict()))
    assert main(["train", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--out", str(tmp_path / "run"),
                 "--config", str(config), "--from-scratch", "--epochs", "1", "--val-wells", "W2"]) == 0
    for name in ("best.safetensors", "metrics.csv", "summary.json", "config.json"):
        assert (tmp_path / "run" / name).is_file()
    import json
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["thresholds_tuned_on"] == "validation wells (W2)" and summary["init_thresholds"] is None
    assert summary["score_calibration"].startswith("none, scores are raw")  # from scratch, too few picks to fit
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["lr"] == tiny_config().train.lr


def test_fine_tuning_starts_gently_and_records_the_starting_thresholds(workspace, tmp_path):
    import json

    import yaml
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config().to_dict()))
    assert main(["train", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--out", str(tmp_path / "run"),
                 "--config", str(config), "--init", str(workspace / "tiny.safetensors"), "--epochs", "1",
                 "--val-wells", "W2"]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["init_thresholds"] == [0.0, 0.0]
    train = json.loads((tmp_path / "run" / "config.json").read_text())["train"]
    assert train["lr"] == train["finetune_lr"] < tiny_config().train.lr  # fine-tuning starts gently


def test_a_model_fine_tuned_from_a_calibrated_one_scores_on_a_calibrated_scale(workspace, tmp_path):
    """A tiny untrained model finds too few validation picks to refit: the starting calibration,
    interval scale, evidence-based intervals and quality-aware scores are carried into the new
    model file, and summary.json says so."""
    import json

    import yaml
    from geobfdt.model.calibration import (INTERVAL_TERMS, QUALITY_TERMS, QUANTITIES, EvidenceIntervals,
                                           IntervalScale, QualityScores, ScoreCalibration)
    from geobfdt.model.checkpoint import load_model, read_model_header, save_model
    from geobfdt.well import PICK_TYPES

    model, header = load_model(workspace / "tiny.safetensors")
    cfg = header.config
    start = ScoreCalibration("platt", {"fracture": [2.0, 1.0], "bedding": [3.0, -0.5]})
    intervals = IntervalScale({"depth_err80_cm": [1.5, 0.3], "dip_err80_deg": [1.2, 0.5],
                               "azimuth_err80_deg": [1.1, 2.0]})
    evidence = EvidenceIntervals({q: [0.1] * len(INTERVAL_TERMS) for q in QUANTITIES}, {q: [1.0, 2.0] for q in QUANTITIES})
    quality = QualityScores({k: [1.5] + [0.1] * (len(QUALITY_TERMS) - 1) for k in PICK_TYPES})
    save_model(model, cfg, tmp_path / "calibrated.safetensors", threshold=(0.6, 0.7), calibration=start,
               intervals=intervals, evidence_intervals=evidence, quality_scores=quality)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config().to_dict()))
    assert main(["train", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--out", str(tmp_path / "run"),
                 "--config", str(config), "--init", str(tmp_path / "calibrated.safetensors"), "--epochs", "1",
                 "--val-wells", "W2"]) == 0
    header = read_model_header(tmp_path / "run")
    thresholds = header.thresholds
    assert header.score_calibration == start and header.interval_scale == intervals
    assert header.evidence_intervals == evidence and header.quality_scores == quality
    assert thresholds == pytest.approx((0.6, 0.7), abs=1e-6)  # the starting thresholds, kept and on its scale
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["score_calibration"].startswith("carried over from the starting model, not refitted: too few")
    assert summary["thresholds"]["fracture"] == pytest.approx(0.6, abs=1e-6)
    assert summary["quality_scores"].startswith("carried over from the starting model, not refitted: too few")
    assert summary["evidence_intervals"].startswith("carried over from the starting model")


def test_train_refuses_two_files_of_one_well(workspace, tmp_path, capsys):
    import shutil
    for suffix in (".npz", "_picks.csv"):
        shutil.copyfile(workspace / f"W1{suffix}", tmp_path / f"again{suffix}")
    code = main(["train", str(workspace / "W1.npz"), str(tmp_path / "again.npz"), str(workspace / "W2.npz"),
                 "--out", str(tmp_path / "run"), "--from-scratch", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "two labelled files hold well W1" in err.strip().splitlines()[-1]
    assert not (tmp_path / "run").exists()


def test_on_the_fly_patches_are_deterministic_by_seed():
    data = tiny_config().data
    a = synthetic_patchset([7, 0], 6, data, well_length_m=4.0)
    b = synthetic_patchset([7, 0], 6, data, well_length_m=4.0)
    c = synthetic_patchset([7, 1], 6, data, well_length_m=4.0)
    assert np.array_equal(a.images, b.images)
    assert all(np.array_equal(x, y) for x, y in zip(a.targets, b.targets))
    assert not np.array_equal(a.images, c.images)


def test_per_class_thresholds_filter_each_class(workspace, tmp_path):
    from geobfdt.model.checkpoint import class_thresholds
    from geobfdt.errors import GeoBFDTError

    assert class_thresholds(0.3, 2) == (0.3, 0.3)
    with pytest.raises(GeoBFDTError):
        class_thresholds([0.1, 0.2, 0.3], 2)
    cfg = tiny_config()
    save_model(build_model(cfg.model), cfg, tmp_path / "beds_only.safetensors", threshold=(1.0, 0.0))
    assert main(["predict", str(workspace / "W1.npz"), "--model", str(tmp_path / "beds_only.safetensors"),
                 "--out", str(tmp_path / "out")]) == 0
    picks = read_picks(tmp_path / "out" / "W1_picks.csv")
    assert picks and all(p.type == "bedding" for p in picks)


def test_trace_coverage_counts_measured_pixels_only():
    from geobfdt.picking.whole_well import trace_coverage

    mask = np.zeros((100, 40))
    mask[:, :10] = 1.0  # a quarter of the azimuths measured
    rows = np.array([[0.5, 0.0, 0.0], [0.5, 0.2, 90.0], [1.5, 0.0, 0.0]])
    cover = trace_coverage(rows, mask)
    assert cover[0] == pytest.approx(0.25)
    assert 0.0 < cover[1] <= 0.25
    assert cover[2] == 0.0  # outside the patch


@pytest.mark.parametrize("argv", [
    ["ablate", "wells", "--seeds", "0"],
    ["ablate", "backbone", "--max-minutes", "-1"],
    ["ablate", "backbone", "--max-samples", "0"],
    ["train", "{ws}/W1.npz", "{ws}/W2.npz", "--epochs", "0"],
    ["train", "{ws}/W1.npz", "{ws}/W2.npz", "--init", "{ws}/model.pt"],
    ["predict", "{ws}/W1.npz", "--bit-size-in", "-3"],
    ["predict", "{ws}/W1.npz", "--include-induced"],  # it only chooses what --plot draws
])
def test_bad_options_exit_2_before_writing(workspace, capsys, tmp_path, argv):
    out = tmp_path / "out"
    code = main([a.format(ws=workspace) for a in argv] + ["--out", str(out)])
    assert code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_models_thread_count_and_dropout_do_not_follow_it_into_training(tmp_path):
    from geobfdt.model.checkpoint import config_for_training, read_model_file
    from geobfdt.config import ModelConfig

    cfg = tiny_config()
    cfg.train.num_threads = 1  # what the pretraining run used on its machine
    cfg.model.dropout = 0.0  # pretraining on never-repeated patches
    save_model(build_model(cfg.model), cfg, tmp_path / "m.safetensors")
    assert read_model_file(tmp_path / "m.safetensors")[1].config.train.num_threads == 1  # the record stays
    again = config_for_training(tmp_path / "m.safetensors")
    assert again.train.num_threads is None and again.model.dropout == ModelConfig().dropout > 0
    assert again.model.same_architecture(cfg.model) and again.model != cfg.model


def test_fine_tuning_takes_the_starting_models_config_and_refuses_another_architecture(tmp_path, monkeypatch):
    import yaml

    from geobfdt.errors import GeoBFDTError
    from geobfdt.training.run import resolve_config, resolve_init

    shipped = tiny_config()
    shipped.model.dropout = 0.0
    save_model(build_model(shipped.model), shipped, tmp_path / "default.safetensors")
    monkeypatch.setattr("geobfdt.model.checkpoint.default_model_path", lambda: tmp_path / "default.safetensors")
    assert resolve_init(None) == "default" and resolve_init(None, from_scratch=True) is None
    cfg = resolve_config(None, {"model.dropout": 0.2, "train.seed": 4}, "default")
    assert cfg.model.same_architecture(shipped.model) and cfg.train.seed == 4
    assert cfg.train.lr == cfg.train.finetune_lr
    config = tmp_path / "wide.yaml"
    config.write_text(yaml.safe_dump({"model": {"d_model": shipped.model.d_model * 2}}))
    with pytest.raises(GeoBFDTError, match="another architecture"):
        resolve_config(config, {}, "default")
    with pytest.raises(GeoBFDTError, match="expected int"):
        resolve_config(None, {"model.d_model": "wide"}, "default")


def test_overlapped_chunks_give_the_same_picks_as_serial_ones():
    from geobfdt.picking.whole_well import pick_well_detr
    cfg = tiny_config()
    torch.manual_seed(0)
    model = build_model(cfg.model).eval()
    well, _ = synthesize_well(3, length_m=14.0, tool="lwd", name="W3")
    kwargs = dict(threshold=0.0, chunk_m=5.0, first_chunk_m=2.0, progress=False)
    serial = pick_well_detr(well, model, cfg, overlap=False, **kwargs)
    overlapped = pick_well_detr(well, model, cfg, overlap=True, **kwargs)
    assert serial, "an untrained model at threshold 0 still picks"
    assert [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in serial] == \
        [(p.depth_m, p.dip_deg, p.azimuth_deg, p.type) for p in overlapped]


def test_picks_do_not_depend_on_the_chunk_sizes():
    from geobfdt.picking.whole_well import pick_well_detr
    cfg = tiny_config()
    torch.manual_seed(0)
    model = build_model(cfg.model).eval()
    well, _ = synthesize_well(3, length_m=16.0, tool="lwd", name="W3")

    def pick_depths(chunk_m, first_chunk_m):
        found = pick_well_detr(well, model, cfg, threshold=0.0, batch_size=1, chunk_m=chunk_m,
                               first_chunk_m=first_chunk_m, progress=False, overlap=False)
        return np.array([p.depth_m for p in found])

    whole = pick_depths(100.0, 100.0)
    assert len(whole) > 20
    for chunk_m, first_chunk_m in ((5.0, 2.0), (3.7, 3.7)):  # chunk starts off the window grid
        chunked = pick_depths(chunk_m, first_chunk_m)
        # windows anchored per chunk gave 80 % and 35 % here; the normalisation's rank levels,
        # which see the whole chunk, still move an untrained model's picks by a few mm
        same = np.abs(chunked[:, None] - whole[None]).min(axis=1) < 0.005
        assert len(chunked) == len(whole) and same.mean() >= 0.95


def test_chunks_start_on_the_window_grid():
    from geobfdt.picking.whole_well import chunk_bounds
    well, _ = synthesize_well(4, length_m=30.0, tool="lwd")
    for top, _, first, _ in chunk_bounds(well, chunk_m=7.3, margin_m=1.1, first_chunk_m=2.9, anchor_m=1.28):
        offset = (well.depth_m[first] - well.depth_m[0]) / 1.28
        assert offset == pytest.approx(round(offset), abs=well.depth_step_m / 1.28)
        assert well.depth_m[first] <= max(top - 1.1, well.depth_m[0]) + 1e-9


def test_chunking_covers_the_well_once_and_starts_short():
    from geobfdt.picking.whole_well import chunk_bounds
    well, _ = synthesize_well(4, length_m=30.0, tool="lwd")
    chunks = list(chunk_bounds(well, chunk_m=8.0, margin_m=1.0, first_chunk_m=3.0))
    cores = [(top, bottom) for top, bottom, _, _ in chunks]
    assert cores[0][1] - cores[0][0] == pytest.approx(3.0)
    assert all(b == pytest.approx(c) for (_, b), (c, _) in zip(cores[:-1], cores[1:]))  # no gap, no overlap
    assert cores[0][0] == well.depth_m[0] and cores[-1][1] > well.depth_m[-1]
    for top, bottom, first, stop in chunks:  # each chunk's rows reach a margin beyond its core
        assert well.depth_m[first] <= max(top - 1.0, well.depth_m[0]) + 1e-9
        assert well.depth_m[stop - 1] >= min(bottom + 1.0, well.depth_m[-1]) - well.depth_step_m - 1e-9


def test_pretrain_stops_at_its_sample_budget(tmp_path, capsys):
    import json

    import yaml
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config().to_dict()))
    run = tmp_path / "run"
    assert main(["pretrain", "--out", str(run), "--config", str(config), "--max-samples", "8",
                 "--lr-drop-samples", "4", "--steps-per-epoch", "1", "--val-patches", "4", "--workers", "0"]) == 0
    progress = json.loads((run / "progress.json").read_text())
    assert progress["samples"] == 8 and progress["stop_reason"] == "sample budget" and progress["lr_dropped"]
    saved = json.loads((run / "config.json").read_text())["train"]
    assert saved["max_samples"] == 8 and saved["max_minutes"] is None  # the budget travels with the run


@pytest.mark.parametrize("argv, minutes", [
    (["pretrain", "--out", "r", "--hours", "0.5"], 30.0), (["demo", "--minutes", "4"], 4.0),
    (["ablate", "wells", "--out", "r", "--budget-minutes", "2"], 2.0)])
def test_old_budget_spellings_still_work_and_say_the_new_one(capsys, argv, minutes):
    from geobfdt.cli import build_parser

    assert build_parser().parse_args(argv).max_minutes == minutes
    assert "deprecated, use --max-minutes" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--max-minutes", "--max-samples", "--lr-drop-samples"])
def test_pretrain_refuses_non_positive_budgets(tmp_path, capsys, option):
    assert main(["pretrain", "--out", str(tmp_path / "run"), option, "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "must be positive" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_train_expands_training_patches_offline_when_configured(workspace, tmp_path, capsys):
    import yaml

    from geobfdt.patches.dataset import load_labelled_patches
    cfg = tiny_config()
    cfg.data.offline_copies = 2
    config = tmp_path / "offline.yaml"
    config.write_text(yaml.safe_dump(cfg.to_dict()))
    w1 = load_labelled_patches([(workspace / "W1.npz", workspace / "W1_picks.csv")], cfg.data)["W1"]
    expected = len(w1) + 2 * sum(len(t) > 0 for t in w1.targets)
    assert main(["train", str(workspace / "W1.npz"), str(workspace / "W2.npz"), "--out", str(tmp_path / "run"),
                 "--config", str(config), "--from-scratch", "--epochs", "1", "--val-wells", "W2"]) == 0
    assert f"training on 1 wells ({expected} patches)" in capsys.readouterr().out


def test_batches_cover_the_windows_once_in_order_and_evenly():
    from geobfdt.picking.whole_well import window_batches
    for count in (1, 7, 16, 17, 40):
        for parts in (1, 2, 3):
            batches = window_batches(count, 16, parts)
            assert [i for b in batches for i in range(b.start, b.stop)] == list(range(count))
            sizes = [b.stop - b.start for b in batches]
            assert max(sizes) <= 16 and max(sizes) - min(sizes) <= 1
            assert len(batches) % parts == 0 or count < parts


