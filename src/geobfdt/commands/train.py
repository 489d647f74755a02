"""Train the detector on labelled wells.

DATA are well files (DLIS, LAS, NPZ) or folders; each image file pairs with
<stem>_reviewed.csv beside it (a `geobfdt review` file: accepted, edited and manual picks are
the labels, only reviewed intervals are used) or else <stem>_picks.csv. Validation is split by well. By default training starts from
the shipped pretrained model (`--init default`): from-scratch DETR training on a few wells
does not converge in CPU minutes, while fine-tuning does. `--from-scratch` reproduces the
case study's setting. The run folder gets best/last.safetensors, config.json, metrics.csv,
summary.json, and state.safetensors with progress.json (for --resume).
"""

from __future__ import annotations

import json
from pathlib import Path

from geobfdt.config import Config, load_config
from geobfdt.errors import GeoBFDTError
from geobfdt.commands import add_reader_options

HELP = "train or fine-tune the detector on labelled wells"


def add_arguments(p):
    p.add_argument("data", nargs="+", metavar="DATA", help="well files or folders with <stem>_picks.csv (or a review file, "
                   "<stem>_reviewed.csv) beside each well")
    p.add_argument("--out", required=True, metavar="RUN", help="run folder for models, config and metrics")
    p.add_argument("--config", metavar="F", help="YAML config overlaid on the defaults (see configs/)")
    p.add_argument("--backbone", choices=["resnet10", "resnet14", "resnet18", "resnet34"],
                   help="backbone depth (default resnet10, the shipped model's; another needs --from-scratch)")
    p.add_argument("--epochs", type=int, help="maximum epochs")
    p.add_argument("--max-minutes", type=float, help="stop after this much training time")
    p.add_argument("--val-wells", nargs="+", metavar="W", help="well names held out for validation "
                   "(default: train.val_wells wells drawn by seed)")
    p.add_argument("--seed", type=int, help="seed of the validation split, initialisation and augmentation "
                   "(default: train.seed of the config)")
    init = p.add_mutually_exclusive_group()
    init.add_argument("--init", metavar="MODEL", help="start from these weights: a run folder, a model file, "
                      "or 'default' (the shipped model: the default, unless --config or --backbone asks for another "
                      "architecture, which then needs --from-scratch or a matching --init). Fine-tuning runs at "
                      "train.finetune_lr (2e-5) and keeps the model's score thresholds unless the validation wells "
                      "show a gain beyond sampling noise")
    init.add_argument("--from-scratch", action="store_true", help="random initialisation (the case study's setting)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    add_reader_options(p)


def resolve_init(args, cfg):
    """Which weights to start from; the shipped model when nothing is said and it fits."""
    from geobfdt.model.checkpoint import default_model_path, read_model_file

    if args.from_scratch or args.resume:
        return None
    if args.init:
        read_model_file(args.init)  # a bad --init fails now, not after the wells are read
        return args.init
    if not default_model_path().is_file():
        return None
    _, shipped, _, _ = read_model_file("default")
    if not shipped.model.same_architecture(cfg.model):
        raise GeoBFDTError("the shipped model has another architecture than this config "
                           f"(shipped backbone {shipped.model.backbone}); pass --from-scratch or --init MODEL")
    return "default"


def configure(args):
    cfg = load_config(args.config)
    if args.backbone:
        cfg.model.backbone = args.backbone
    if args.epochs is not None:
        if args.epochs < 1:
            raise GeoBFDTError(f"--epochs must be at least 1, got {args.epochs}")
        cfg.train.epochs = args.epochs
    if args.max_minutes is not None:
        if not args.max_minutes > 0:
            raise GeoBFDTError(f"--max-minutes must be positive, got {args.max_minutes:g}")
        cfg.train.max_minutes = args.max_minutes
    if args.seed is not None:
        cfg.train.seed = args.seed
    return cfg


def run(args) -> int:
    from geobfdt.model.checkpoint import fine_tuning
    from geobfdt.patches.dataset import (expand_offline_patchset, find_labelled_wells, labelled_wells, load_labelled_patches,
                           split_by_well)
    from geobfdt.training.trainer import Trainer, patchset_batches

    cfg = configure(args)
    if args.resume:
        saved = Path(args.out) / "config.json"
        if not saved.is_file():
            raise GeoBFDTError(f"--resume: {args.out} holds no run to resume")
        cfg = Config.from_dict(json.loads(saved.read_text()))
        if args.max_minutes is not None:
            cfg.train.max_minutes = args.max_minutes
    init = resolve_init(args, cfg)
    if init is not None:
        fine_tuning(cfg)
    pairs = find_labelled_wells(args.data)
    by_well = load_labelled_patches(pairs, cfg.data, image_channel=args.image_channel, bit_size_in=args.bit_size_in)
    train_set, val_set, train_names, val_names = split_by_well(by_well, args.val_wells or cfg.train.val_wells,
                                                               cfg.train.seed)
    if cfg.data.offline_copies:
        train_set = expand_offline_patchset(train_set, cfg.data, cfg.train.seed)
    trainer = Trainer(cfg, args.out, device=args.device, init=init, resume=args.resume)
    if trainer.dist.main:
        print(f"training on {len(train_names)} wells ({len(train_set)} patches), validating on "
              f"{', '.join(val_names)} ({len(val_set)} patches); {trainer.init_note}; device {trainer.device}")
    steps = -(-len(train_set) // cfg.train.batch_size)
    from geobfdt.training.thresholds import finalise_run, val_f1_metric
    progress = trainer.fit(patchset_batches(train_set, cfg, trainer.device, trainer.dist), val_set, steps,
                           extra_metrics=val_f1_metric(cfg, val_set, trainer.device) if trainer.dist.main else None)
    if trainer.dist.main:
        finalise_run(args.out, trainer, val_set,
                     val_wells=labelled_wells(pairs, by_well, val_names, image_channel=args.image_channel,
                                              bit_size_in=args.bit_size_in))
        print(f"stopped after epoch {progress['epoch']} ({progress['stop_reason']}); best epoch "
              f"{progress['best_epoch']}; model {args.out}/best.safetensors")
    return 0
