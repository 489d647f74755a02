"""One training job, whoever starts it: config -> data -> split -> model -> trainer -> thresholds -> run folder.

`geobfdt train`, `pretrain`, `demo`, `ablate` and the scripts all go through `resolve_config` and
`run_training`, so every run folder holds the same files: best/last.safetensors, config.json (the
resolved config), metrics.csv, summary.json, and state.safetensors with progress.json (for --resume).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from geobfdt.config import Config, apply_overrides, load_config
from geobfdt.errors import ModelFileError
from geobfdt.files import write_text_atomic
from geobfdt.patches.extract import PatchSet
from geobfdt.well import PICK_TYPES


@dataclass
class TrainingData:
    """What a run learns from and is validated on."""
    val_set: PatchSet
    train_set: PatchSet | None = None  # fixed patches of labelled wells, reshuffled every epoch
    stream: Callable[[int], Iterable] | None = None  # or: epoch -> (images, targets) batches made on the fly
    steps_per_epoch: int | None = None  # batches per epoch of a stream
    val_wells: list = field(default_factory=list)  # (Well, picks) of whole validation wells: thresholds are tuned on them
    train_names: list[str] = field(default_factory=list)
    val_names: list[str] = field(default_factory=list)


def resolve_init(init: str | None, from_scratch: bool = False) -> str | None:
    """The weights a run starts from: `init` when given, else the shipped model when it is installed
    (fine-tuning is the default: from-scratch DETR does not converge in CPU minutes), None for scratch."""
    from geobfdt.model.checkpoint import default_model_path, read_model_file

    if from_scratch:
        return None
    if init:
        read_model_file(init)  # a bad --init fails now, not after the wells are read
        return init
    return "default" if default_model_path().is_file() else None


def resolve_config(config_path=None, overrides: dict | None = None, init: str | None = None,
                   remedy: str = "pass --from-scratch or a matching --init") -> Config:
    """The one way a run's config is made. Base: the defaults, or when fine-tuning the starting model's
    own config with fine-tuning's learning rate (checkpoint.config_for_training); then the YAML file;
    then command-line settings (dotted keys). A file or setting that changes the architecture of the
    starting model is refused: its weights would not fit (remedy: what the command's options can do)."""
    from geobfdt.model.checkpoint import config_for_training

    base = config_for_training(init) if init is not None else Config()
    start = replace(base.model)  # a copy: the overlays below change base in place
    cfg = apply_overrides(load_config(config_path, base=base), overrides or {})
    if init is not None:
        if not cfg.model.same_architecture(start):
            raise ModelFileError(f"the weights of {init} do not fit this config: another architecture (theirs: "
                                 f"{start.backbone}, d_model {start.d_model}); {remedy}")
        cfg.train.lr = cfg.train.finetune_lr  # a file's train.lr is a from-scratch rate; finetune_lr sets this one
    return cfg


def labelled_training_data(pairs, cfg: Config, val_wells=None, by_well: dict | None = None,
                           **read_options) -> TrainingData:
    """Labelled wells read and patched once, split by whole well (val_wells: names, or a count drawn
    by train.seed; default train.val_wells), offline copies added to the training side."""
    from geobfdt.patches.dataset import (expand_offline_patchset, labelled_wells, load_labelled_patches,
                                         split_by_well)

    if by_well is None:
        by_well = load_labelled_patches(pairs, cfg.data, **read_options)
    train_set, val_set, train_names, val_names = split_by_well(
        by_well, val_wells if val_wells is not None else cfg.train.val_wells, cfg.train.seed)
    if cfg.data.offline_copies:
        train_set = expand_offline_patchset(train_set, cfg.data, cfg.train.seed)
    return TrainingData(val_set=val_set, train_set=train_set,
                        val_wells=labelled_wells(pairs, by_well, val_names, **read_options),
                        train_names=train_names, val_names=val_names)


def run_training(cfg: Config, data: TrainingData, out, *, init: str | None = None, resume=None,
                 device="auto", log=print, quiet: bool = False, progress_bar: bool = True) -> dict:
    """Train into the run folder `out` and tune its score thresholds; returns summary.json's content
    (on the main rank; {} on the others of a torchrun job). resume: the checked run folder to continue
    (training/run_folder.py read_run_folder), or None for a new run. quiet: no log lines;
    progress_bar: the epochs' bars."""
    from geobfdt.training.thresholds import val_f1_metric
    from geobfdt.training.trainer import Trainer, patchset_batches

    trainer = Trainer(cfg, out, device=device, init=init, resume=resume, log=(lambda *_: None) if quiet else log,
                      progress_bar=progress_bar)
    if data.stream is not None:
        def batches(epoch):
            for images, targets in data.stream(epoch):
                yield images.to(trainer.device), [t.to(trainer.device) for t in targets]
        steps = data.steps_per_epoch
        what = "synthetic patches made on the fly"
    else:
        batches = patchset_batches(data.train_set, cfg, trainer.device, trainer.dist)
        steps = -(-len(data.train_set) // cfg.train.batch_size)
        what = f"{len(data.train_names)} wells ({len(data.train_set)} patches)"
    if trainer.dist.main and not quiet:
        val = f"{', '.join(data.val_names)} ({len(data.val_set)} patches)" if data.val_names \
            else f"{len(data.val_set)} patches"
        log(f"training on {what}, validating on {val}; {trainer.init_note}; device {trainer.device}")
    progress = trainer.fit(batches, data.val_set, steps,
                           extra_metrics=val_f1_metric(cfg, data.val_set, trainer.device) if trainer.dist.main else None)
    if not trainer.dist.main:
        return {}
    summary = finalise_run(out, trainer, data.val_set, val_wells=data.val_wells, init=init,
                           log=(lambda *_: None) if quiet else log)
    if not quiet:
        log(f"stopped after epoch {progress['epoch']} ({progress['stop_reason']}); best epoch "
            f"{progress['best_epoch']}; model {out}/best.safetensors")
    return summary


def finalise_run(run_dir, trainer, val_set: PatchSet, val_wells=None, init=None, log=print) -> dict:
    """Thresholds and the score calibration into best.safetensors, summary.json beside it.
    val_wells: (Well, picks) of the validation wells, to tune on whole wells and calibrate the
    scores on (training/calibrate.py calibrate_run); without them (pretraining) the validation
    patches are used and the scores stay raw. init: the model the run started from."""
    from geobfdt.model.checkpoint import load_model, read_model_header, save_model
    from geobfdt.training.calibrate import calibrate_run
    from geobfdt.training.thresholds import raw_picks, tune_thresholds, tune_thresholds_on_wells

    run_dir = Path(run_dir)
    # thresholds are tuned on the raw scale; a resumed run's old calibration is refitted
    model, header = load_model(run_dir / "best.safetensors", trainer.device)
    cfg = header.config
    prior = trainer.progress.get("init_thresholds")
    calibration, carried, notes = None, {}, {"score_calibration": "none, scores are raw: no validation wells "
                                                                       "(fit one with geobfdt calibrate)"}
    if val_wells:
        loose = {well.name: raw_picks(model, cfg, well, trainer.device) for well, _ in val_wells}
        raw_limit, report = tune_thresholds_on_wells(model, cfg, val_wells, trainer.device, prior=prior, loose=loose)
        where = f"validation wells ({', '.join(well.name for well, _ in val_wells)})"
        start = read_model_header(init) if init is not None else None
        calibration, thresholds, carried, notes = calibrate_run(model, cfg, raw_limit, val_wells, loose, start)
    else:
        raw_limit, report = tune_thresholds(model, cfg, val_set, trainer.device, prior=prior)
        thresholds = raw_limit
        where = "validation patches"
    summary = {"thresholds": dict(zip(PICK_TYPES, thresholds)), "thresholds_raw": dict(zip(PICK_TYPES, raw_limit)),
               "thresholds_tuned_on": where, **notes, **trainer.progress,
               "val_at_thresholds": {k: v for k, v in report.items() if k != "raw"}}
    save_model(model, cfg, run_dir / "best.safetensors", threshold=thresholds, calibration=calibration, **carried,
               extra={"best_epoch": trainer.progress["best_epoch"], "val_f1_8cm": report["overall"]["f1"]})
    write_text_atomic(run_dir / "summary.json", json.dumps(summary, indent=2, default=float))
    overall = report["overall"]
    log(f"{where} at thresholds {', '.join(f'{n} {t:.2f}' for n, t in zip(PICK_TYPES, thresholds))}: "
        f"F1 {overall['f1'] or 0:.3f} at 8 cm (precision {overall['precision'] or 0:.3f}, "
        f"recall {overall['recall'] or 0:.3f}; fracture {report['fracture']['f1'] or 0:.3f}, "
        f"bedding {report['bedding']['f1'] or 0:.3f}); score calibration: {notes['score_calibration']}")
    return summary
