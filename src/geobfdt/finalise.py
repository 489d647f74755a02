"""After training: choose the score threshold on validation patches and record val metrics.

The threshold maximising F1 at 8 cm over the validation wells' patches is stored in the
model file, so `geobfdt predict` uses what validation supports rather than a guess.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .checkpoint import load_model, save_model
from .evaluate import evaluate_wells
from .patches import PatchSet, targets_to_picks
from .dataset import grid_of

THRESHOLDS = tuple(np.round(np.arange(0.05, 0.81, 0.05), 2))


@torch.no_grad()
def patch_level_scores(model, cfg, patches: PatchSet, device, batch_size: int = 32) -> dict:
    """F1 at 8 cm per threshold, with every validation patch treated as a small well."""
    grid = grid_of(cfg.data)
    rows = []
    for start in range(0, len(patches), batch_size):
        rows.extend(model.predict(torch.from_numpy(patches.images[start:start + batch_size]).to(device)))
    truth = {str(i): targets_to_picks(t, patches.top_m[i], patches.radius_m[i], grid) for i, t in enumerate(patches.targets)}
    results = {}
    for threshold in THRESHOLDS:
        pred = {}
        for i, r in enumerate(rows):
            r = r[r[:, 4] >= threshold]
            pred[str(i)] = targets_to_picks(r[:, :4], patches.top_m[i], patches.radius_m[i], grid, r[:, 4])
        results[float(threshold)] = evaluate_wells(pred, truth, tolerances_cm=(8,))
    return results


def f1_at_8cm(report: dict) -> float:
    return report["micro"]["8"]["overall"]["f1"] or 0.0


def best_threshold(results: dict) -> float:
    return max(results, key=lambda t: f1_at_8cm(results[t]))


def finalise_run(run_dir, trainer, val_set: PatchSet) -> dict:
    run_dir = Path(run_dir)
    model, cfg, _ = load_model(run_dir / "best.safetensors", trainer.device)
    results = patch_level_scores(model, cfg, val_set, trainer.device)
    threshold = best_threshold(results)
    at_threshold = results[threshold]["micro"]["8"]
    summary = {"threshold": threshold, "val_patches_at_threshold": at_threshold, **trainer.progress}
    save_model(model, cfg, run_dir / "best.safetensors", threshold=threshold,
               extra={"best_epoch": trainer.progress["best_epoch"], "val_f1_8cm": f1_at_8cm(results[threshold])})
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    overall = at_threshold["overall"]
    print(f"validation patches at threshold {threshold:.2f}: F1 {overall['f1'] or 0:.3f} at 8 cm "
          f"(precision {overall['precision'] or 0:.3f}, recall {overall['recall'] or 0:.3f})")
    return summary


def val_f1_metric(cfg, val_set: PatchSet, device):
    """Epoch callback for Trainer.fit: validation F1 at 8 cm at its best threshold."""
    def metric(model):
        results = patch_level_scores(model, cfg, val_set, device)
        threshold = best_threshold(results)
        return {"val_f1_8cm": f1_at_8cm(results[threshold]), "val_threshold": threshold}
    return metric
