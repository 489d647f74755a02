"""After training: choose score thresholds on validation data and record val metrics.

One threshold per class (fracture, bedding), each maximising that class's F1 at 8 cm, is
stored in the model file, so `geobfdt predict` uses what validation supports rather than a
guess (the two classes' scores are calibrated differently). With validation wells at hand the
wells are picked end to end as `geobfdt predict` does; otherwise (pretraining) the validation
patches are scored one by one, which counts picks near patch edges that whole-well picking
drops. A fine-tuned model keeps its starting model's threshold for a class unless the tuned
one beats it by more than sampling noise (min_gain): a validation well or two is too little
to re-estimate a threshold tuned on many (docs/training.md). With validation wells, the scores
are then calibrated on them (training/calibrate.py calibrate_run) and the thresholds stored on
that scale, so the picks of a trained model score probabilities as the shipped model's do.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from geobfdt.model.checkpoint import load_model, save_model
from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import write_text_atomic
from geobfdt.patches.extract import PatchSet, targets_to_picks
from geobfdt.well import PICK_TYPES

THRESHOLDS = tuple(np.round(np.arange(0.05, 0.81, 0.05), 2))
TOLERANCE_CM = 8


@torch.no_grad()
def patch_predictions(model, patches: PatchSet, device, batch_size: int = 32) -> list[np.ndarray]:
    rows = []
    for start in range(0, len(patches), batch_size):
        rows.extend(model.predict(torch.from_numpy(patches.images[start:start + batch_size]).to(device)))
    return rows


def score_at(rows, patches: PatchSet, grid, thresholds) -> dict:
    """Micro-averaged report at 8 cm with every validation patch treated as a small well."""
    per_class = np.asarray(thresholds, dtype=np.float32)
    truth, pred = {}, {}
    for i, r in enumerate(rows):
        truth[str(i)] = targets_to_picks(patches.targets[i], patches.top_m[i], patches.radius_m[i], grid)
        r = r[r[:, 4] >= per_class[r[:, 3].astype(int)]]
        pred[str(i)] = targets_to_picks(r[:, :4], patches.top_m[i], patches.radius_m[i], grid, r[:, 4])
    return evaluate_wells(pred, truth, tolerances_cm=(TOLERANCE_CM,))["micro"][str(TOLERANCE_CM)]


def tune_thresholds(model, cfg, patches: PatchSet, device, prior=None) -> tuple[tuple[float, ...], dict]:
    """Per-class thresholds maximising each class's F1 at 8 cm (a class's F1 depends on its own
    predictions only), and the report at those thresholds. prior: per-class thresholds kept for
    a class unless the tuned one raises its F1 by min_gain."""
    grid = cfg.data
    rows = patch_predictions(model, patches, device)
    return _best_thresholds(lambda thresholds: score_at(rows, patches, grid, thresholds), prior)


def min_gain(n_truth: int) -> float:
    """F1 a tuned threshold must add before it replaces the starting model's: 1 / sqrt(n), twice
    the largest sampling error of an F1 over n true picks (sqrt(F1 (1 - F1) / n) <= 0.5 / sqrt(n)).
    One 40 m well (~100 fractures) asks for 0.1; 16 wells (~1,500) for 0.026."""
    return 1.0 / np.sqrt(max(n_truth, 1))


def _best_thresholds(report_at, prior=None) -> tuple[tuple[float, ...], dict]:
    """Per-class argmax of F1 over THRESHOLDS (report_at(thresholds) -> report); with a prior,
    a class keeps the prior's threshold unless the tuned one beats it by min_gain."""
    reports = {t: report_at((t,) * len(PICK_TYPES)) for t in THRESHOLDS}
    chosen = [float(max(THRESHOLDS, key=lambda t: reports[t][name]["f1"] or 0.0)) for name in PICK_TYPES]
    if prior is not None:
        at_prior = report_at(tuple(prior))
        for k, name in enumerate(PICK_TYPES):
            gain = (reports[chosen[k]][name]["f1"] or 0.0) - (at_prior[name]["f1"] or 0.0)
            if gain < min_gain(at_prior[name]["n_truth"]):
                chosen[k] = float(prior[k])
    return tuple(chosen), report_at(tuple(chosen))


def tune_thresholds_on_wells(model, cfg, wells_and_picks, device="cpu", prior=None,
                             loose: dict | None = None) -> tuple[tuple[float, ...], dict]:
    """Per-class thresholds maximising each class's F1 at 8 cm over whole wells picked end to end
    (streamed windows, central-half keep, coverage rule, merging): what `geobfdt predict` does,
    so the thresholds fit it better than patch-level ones. Wells are picked once at the lowest
    threshold with raw scores (loose: those picks by well name, when already made); higher
    thresholds only drop picks (merging keeps the best-scoring of duplicates, so its result on
    the survivors is the same). prior: as in tune_thresholds."""
    from geobfdt.training.calibrate import raw_picks

    truth = {well.name: picks for well, picks in wells_and_picks}
    if loose is None:
        loose = {well.name: raw_picks(model, cfg, well, device) for well, _ in wells_and_picks}

    def report(thresholds):
        limit = dict(zip(PICK_TYPES, thresholds))
        pred = {name: [p for p in picks if p.score >= limit[p.type]] for name, picks in loose.items()}
        return evaluate_wells(pred, truth, tolerances_cm=(TOLERANCE_CM,))["micro"][str(TOLERANCE_CM)]

    return _best_thresholds(report, prior)


def finalise_run(run_dir, trainer, val_set: PatchSet, val_wells=None, init=None, log=print) -> dict:
    """Thresholds and the score calibration into best.safetensors, summary.json beside it.
    val_wells: (Well, picks) of the validation wells, to tune on whole wells and calibrate the
    scores on (training/calibrate.py calibrate_run); without them (pretraining) the validation
    patches are used and the scores stay raw. init: the model the run started from."""
    from geobfdt.model.checkpoint import read_model_header
    from geobfdt.training.calibrate import calibrate_run, raw_picks

    run_dir = Path(run_dir)
    # thresholds are tuned on the raw scale; a resumed run's old calibration is refitted
    model, header = load_model(run_dir / "best.safetensors", trainer.device)
    cfg = header.config
    prior = trainer.progress.get("init_thresholds")
    calibration, intervals, notes = None, None, {"score_calibration": "none, scores are raw: no validation wells "
                                                                       "(fit one with geobfdt calibrate)"}
    if val_wells:
        loose = {well.name: raw_picks(model, cfg, well, trainer.device) for well, _ in val_wells}
        raw_limit, report = tune_thresholds_on_wells(model, cfg, val_wells, trainer.device, prior=prior, loose=loose)
        where = f"validation wells ({', '.join(well.name for well, _ in val_wells)})"
        start = read_model_header(init) if init is not None else None
        calibration, thresholds, intervals, notes = calibrate_run(model, cfg, raw_limit, val_wells, loose, start)
    else:
        raw_limit, report = tune_thresholds(model, cfg, val_set, trainer.device, prior=prior)
        thresholds = raw_limit
        where = "validation patches"
    summary = {"thresholds": dict(zip(PICK_TYPES, thresholds)), "thresholds_raw": dict(zip(PICK_TYPES, raw_limit)),
               "thresholds_tuned_on": where, **notes, **trainer.progress,
               "val_at_thresholds": {k: v for k, v in report.items() if k != "raw"}}
    save_model(model, cfg, run_dir / "best.safetensors", threshold=thresholds, calibration=calibration,
               intervals=intervals,
               extra={"best_epoch": trainer.progress["best_epoch"], "val_f1_8cm": report["overall"]["f1"]})
    write_text_atomic(run_dir / "summary.json", json.dumps(summary, indent=2, default=float))
    overall = report["overall"]
    log(f"{where} at thresholds {', '.join(f'{n} {t:.2f}' for n, t in zip(PICK_TYPES, thresholds))}: "
        f"F1 {overall['f1'] or 0:.3f} at 8 cm (precision {overall['precision'] or 0:.3f}, "
        f"recall {overall['recall'] or 0:.3f}; fracture {report['fracture']['f1'] or 0:.3f}, "
        f"bedding {report['bedding']['f1'] or 0:.3f}); score calibration: {notes['score_calibration']}")
    return summary


def val_f1_metric(cfg, val_set: PatchSet, device):
    """Epoch callback for Trainer.fit: validation F1 at 8 cm at per-class tuned thresholds."""
    def metric(model):
        thresholds, report = tune_thresholds(model, cfg, val_set, device)
        return {"val_f1_8cm": report["overall"]["f1"] or 0.0, "val_fracture_f1_8cm": report["fracture"]["f1"] or 0.0,
                "val_bedding_f1_8cm": report["bedding"]["f1"] or 0.0,
                "val_thresholds": "/".join(f"{t:.2f}" for t in thresholds)}
    return metric
