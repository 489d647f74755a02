"""After training: choose score thresholds on validation data and record val metrics.

One threshold per class (fracture, bedding), each maximising that class's F1 at 8 cm, is
stored in the model file, so `geobfdt predict` uses what validation supports rather than a
guess (the two classes' scores are calibrated differently). With validation wells at hand the
wells are picked end to end as `geobfdt predict` does; otherwise (pretraining) the validation
patches are scored one by one, which counts picks near patch edges that whole-well picking
drops. A fine-tuned model keeps its starting model's threshold for a class unless the tuned
one beats it by more than sampling noise (min_gain): a validation well or two is too little
to re-estimate a threshold tuned on many (docs/training.md). With validation wells, the scores
are then calibrated on them (training/run.py finalise_run, through training/calibrate.py) and
the thresholds stored on that scale, so the picks of a trained model score probabilities as the
shipped model's do.
"""

from __future__ import annotations

import numpy as np
import torch

from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.model.calibration import IDENTITY_SCALE
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
    truth = {well.name: picks for well, picks in wells_and_picks}
    if loose is None:
        loose = {well.name: raw_picks(model, cfg, well, device) for well, _ in wells_and_picks}

    def report(thresholds):
        limit = dict(zip(PICK_TYPES, thresholds))
        pred = {name: [p for p in picks if p.score >= limit[p.type]] for name, picks in loose.items()}
        return evaluate_wells(pred, truth, tolerances_cm=(TOLERANCE_CM,))["micro"][str(TOLERANCE_CM)]

    return _best_thresholds(report, prior)


def raw_picks(model, cfg, well, device="cpu", uncertainty: bool = False):
    """The well's picks at the lowest threshold of the grid with raw (uncalibrated) scores and,
    with uncertainty, the raw spreads in the *_err80_* fields."""
    from geobfdt.picking.whole_well import pick_well_detr

    return pick_well_detr(well, model, cfg, min(THRESHOLDS), device=device, progress=False,
                          uncertainty=uncertainty, intervals=IDENTITY_SCALE)


def val_f1_metric(cfg, val_set: PatchSet, device):
    """Epoch callback for Trainer.fit: validation F1 at 8 cm at per-class tuned thresholds."""
    def metric(model):
        thresholds, report = tune_thresholds(model, cfg, val_set, device)
        return {"val_f1_8cm": report["overall"]["f1"] or 0.0, "val_fracture_f1_8cm": report["fracture"]["f1"] or 0.0,
                "val_bedding_f1_8cm": report["bedding"]["f1"] or 0.0,
                "val_thresholds": "/".join(f"{t:.2f}" for t in thresholds)}
    return metric
