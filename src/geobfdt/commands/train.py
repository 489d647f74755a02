"""Train the detector on labelled wells.

DATA are well files (DLIS, LAS, NPZ) or folders; each image file pairs with
<stem>_reviewed.csv beside it (a `geobfdt review` file: its accepted, edited and manual picks
are the labels, and only patches inside its reviewed intervals are used; docs/review.md) or
else <stem>_picks.csv. Validation is split by well. By default training starts from
the shipped pretrained model (`--init default`): from-scratch DETR training on a few wells
does not converge in CPU minutes, while fine-tuning does. `--from-scratch` reproduces the
case study's setting. The config is the defaults (or the starting model's), then --config,
then --set and the named options; the resolved config is written to RUN/config.json. The
run folder gets best/last.safetensors, config.json, metrics.csv, summary.json, and
state.safetensors with progress.json (for --resume), and run.json: what made the run (config,
data files with their SHA-256, starting weights), the one source of its settings. `--resume`
repeats the run's command and is refused if anything but a budget differs (training/resume.py),
or if a file of the run is damaged or disagrees with run.json (training/run_folder.py); a
folder holding a run is refused without --resume or --overwrite.
"""

from __future__ import annotations

from geobfdt.commands import (add_reader_options, add_training_options, output_folder, positive_int, reader_options,
                              training_overrides)

HELP = "train or fine-tune the detector on labelled wells"


def add_arguments(p):
    p.add_argument("data", nargs="+", metavar="DATA", help="well files or folders with <stem>_picks.csv (or a review file, "
                   "<stem>_reviewed.csv) beside each well")
    p.add_argument("--out", required=True, metavar="RUN", help="run folder for models, config and metrics")
    add_training_options(p)
    p.add_argument("--backbone", choices=["resnet10", "resnet14", "resnet18", "resnet34"],
                   help="backbone depth (default resnet10, the shipped model's; another needs --from-scratch)")
    p.add_argument("--epochs", type=positive_int, help="maximum epochs")
    p.add_argument("--val-wells", nargs="+", metavar="W", help="well names held out for validation "
                   "(default: train.val_wells wells drawn by seed)")
    init = p.add_mutually_exclusive_group()
    init.add_argument("--init", metavar="MODEL", help="start from these weights: a run folder, a model file, "
                      "or 'default' (the shipped model: the default, unless --config or --backbone asks for another "
                      "architecture, which then needs --from-scratch or a matching --init). Fine-tuning runs at "
                      "train.finetune_lr (2e-5) and keeps the model's score thresholds unless the validation wells "
                      "show a gain beyond sampling noise")
    init.add_argument("--from-scratch", action="store_true", help="random initialisation (the case study's setting)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted run in --out: the same "
                       "command (data, config, seed, epochs, init) plus --resume; only the budgets (--max-minutes, "
                       "--max-samples, --lr-drop-*) and the thread count may change, anything else is refused")
    again.add_argument("--overwrite", action="store_true", help="replace the run already in --out (refused without)")
    add_reader_options(p)


def overrides_of(args) -> dict:
    overrides = training_overrides(args)
    if args.backbone:
        overrides["model.backbone"] = args.backbone
    if args.epochs is not None:
        overrides["train.epochs"] = args.epochs
    return overrides


def run(args) -> int:
    from geobfdt.device import choose_device
    from geobfdt.patches.dataset import find_labelled_wells
    from geobfdt.training.resume import continue_run, refuse_existing_run, run_record, start_run
    from geobfdt.training.run_folder import read_run_folder
    from geobfdt.training.run import labelled_training_data, resolve_config, resolve_init, run_training

    output_folder(args.out)
    choose_device(args.device)
    overrides = overrides_of(args)
    init = resolve_init(args.init, args.from_scratch)
    cfg = resolve_config(args.config, overrides, init)
    pairs = find_labelled_wells(args.data)
    # the imaged radius shapes the labels' dips: recorded where given, so runs from before it still resume
    imaged = {"investigation_depth_in": args.investigation_depth_in} if args.investigation_depth_in else {}
    record = run_record(cfg, [f for pair in pairs for f in pair], init,
                        {"val_wells": args.val_wells, "image_channel": args.image_channel,
                         "bit_size_in": args.bit_size_in, **imaged})
    resumed = None
    if args.resume:  # every file of the run checked now, before any work
        resumed = read_run_folder(args.out, record, overrides)
        cfg = resumed.config
    else:
        refuse_existing_run(args.out, args.overwrite)
    data = labelled_training_data(pairs, cfg, args.val_wells, **reader_options(args))
    if resumed is not None:
        continue_run(args.out, resumed.record)
    else:  # the wells read: only now the old run's files go
        start_run(args.out, record, args.overwrite)
    run_training(cfg, data, args.out, init=None if args.resume else init, resume=resumed, device=args.device)
    return 0
