"""Pretrain the detector on synthetic patches generated on the fly.

Every batch comes from freshly synthesised wells (all tool types, vertical and deviated,
the full range of geology and tool effects), so the model never sees a patch twice.
Validation uses fixed held-out synthetic wells; each epoch logs their F1 at 8 cm (the
learning curve). Writes the same run folder as `geobfdt train`; `--resume` continues.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from geobfdt.config import Config, load_config
from geobfdt.errors import GeoBFDTError

HELP = "pretrain the detector on on-the-fly synthetic patches"


def add_arguments(p):
    p.add_argument("--out", required=True, metavar="RUN", help="run folder")
    p.add_argument("--hours", type=float, help="training time budget in hours (default 1, or none when "
                   "--max-samples is given)")
    p.add_argument("--max-samples", type=int, metavar="N", help="stop after N training samples: a budget that "
                   "repeats exactly on any machine and under any load, unlike --hours")
    p.add_argument("--lr-drop-hours", type=float, help="divide the learning rate by 10 after this much training "
                   "time (counted over resumes)")
    p.add_argument("--lr-drop-samples", type=int, metavar="N", help="divide the learning rate by 10 after N "
                   "training samples (counted over resumes)")
    p.add_argument("--config", metavar="F", help="YAML config overlaid on the defaults")
    p.add_argument("--steps-per-epoch", type=int, default=100, help="batches between validations (default 100)")
    p.add_argument("--val-patches", type=int, default=256, help="held-out synthetic patches for validation (default 256)")
    p.add_argument("--init", metavar="MODEL", help="continue from these weights (run folder or model file)")
    p.add_argument("--seed", type=int, help="seed of the generated patches and the training "
                   "(default: the config's)")
    p.add_argument("--workers", type=int, default=1, help="processes generating patches (default 1)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")


VAL_SEED_OFFSET = 10**6  # validation wells come from seeds training never draws


def run(args) -> int:
    from geobfdt.training.thresholds import finalise_run, val_f1_metric
    from geobfdt.patches.synthetic import synthetic_epoch_loader, synthetic_patchset
    from geobfdt.training.trainer import Trainer

    for option, value in (("--hours", args.hours), ("--max-samples", args.max_samples),
                          ("--lr-drop-hours", args.lr_drop_hours), ("--lr-drop-samples", args.lr_drop_samples)):
        if value is not None and value <= 0:
            raise GeoBFDTError(f"{option} must be positive")
    budget_given = args.hours is not None or args.max_samples is not None
    if args.resume:
        saved = Path(args.out) / "config.json"
        if not saved.is_file():
            raise GeoBFDTError(f"--resume: {args.out} holds no run to resume")
        cfg = Config.from_dict(json.loads(saved.read_text()))
    else:
        cfg = load_config(args.config)
        if args.seed is not None:
            cfg.train.seed = args.seed
    if budget_given or not args.resume:  # a resumed run keeps its saved budget unless given a new one
        hours = args.hours if budget_given else 1.0
        cfg.train.max_minutes = None if hours is None else hours * 60.0
        cfg.train.max_samples = args.max_samples
    if args.lr_drop_hours is not None:
        cfg.train.lr_drop_minutes = args.lr_drop_hours * 60.0
    if args.lr_drop_samples is not None:
        cfg.train.lr_drop_samples = args.lr_drop_samples
    if cfg.train.num_threads is None:
        # the patch workers take their own cores: oversubscribed OpenMP threads spin and slow everything ~10x.
        # Set here, not in cfg: the config travels with the model and must not pin its users to 1 thread.
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - args.workers))
    cfg.train.epochs = 10**6  # the time budget and patience decide
    trainer = Trainer(cfg, args.out, device=args.device, init=args.init, resume=args.resume)
    budget = " or ".join(b for b in (cfg.train.max_minutes and f"{cfg.train.max_minutes / 60:g} h",
                                     cfg.train.max_samples and f"{cfg.train.max_samples} samples") if b)
    print(f"pretraining {cfg.model.backbone} for {budget}; {trainer.init_note}; device {trainer.device}")
    val_set = synthetic_patchset([cfg.train.seed + VAL_SEED_OFFSET], args.val_patches, cfg.data)

    def batches(epoch):
        for images, targets in synthetic_epoch_loader(cfg.train.seed, epoch, args.steps_per_epoch,
                                                      cfg.train.batch_size, cfg.data, workers=args.workers):
            yield images.to(trainer.device), [t.to(trainer.device) for t in targets]

    progress = trainer.fit(batches, val_set, args.steps_per_epoch,
                           extra_metrics=val_f1_metric(cfg, val_set, trainer.device))
    finalise_run(args.out, trainer, val_set)
    print(f"stopped after epoch {progress['epoch']} ({progress['stop_reason']}); "
          f"{progress['samples']} samples seen; model {args.out}/best.safetensors")
    return 0
