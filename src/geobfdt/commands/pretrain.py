"""Pretrain the detector on synthetic patches generated on the fly.

Every batch comes from freshly synthesised wells (all tool types, vertical and deviated,
the full range of geology and tool effects), so the model never sees a patch twice.
Validation uses fixed held-out synthetic wells; each epoch logs their F1 at 8 cm (the
learning curve). Writes the same run folder as `geobfdt train`; `--resume` continues, refused
like train's if the command differs from the run's in more than a budget.

`--recipe FILE` runs a sequence of phases instead (configs/shipped_model.yaml is the
shipped model's): each phase is a run folder OUT/<phase>, started from an earlier phase's
weights (or the shipped model's, `init: default`); a finished phase is skipped and an interrupted one resumed, so the same command
continues a recipe after a stop.
"""

from __future__ import annotations

import os
from pathlib import Path

from geobfdt.commands import (add_deprecated_alias, add_training_options, bounded_int, output_folder, positive_int,
                              training_overrides)
from geobfdt.errors import GeoBFDTError, OptionError, RunFolderError
from geobfdt.synth.config import TOOLS

HELP = "pretrain the detector on on-the-fly synthetic patches"
DEFAULT_MINUTES = 60.0
VAL_SEED_OFFSET = 10**6  # validation wells come from seeds training never draws


def add_arguments(p):
    p.add_argument("--out", required=True, metavar="RUN", help="run folder (with --recipe: a folder of phase runs)")
    add_training_options(p)
    add_deprecated_alias(p, "--hours", "--max-minutes", scale=60.0)
    add_deprecated_alias(p, "--lr-drop-hours", "--lr-drop-minutes", scale=60.0)
    p.add_argument("--steps-per-epoch", type=positive_int, default=100, help="batches between validations (default 100)")
    p.add_argument("--val-patches", type=bounded_int(1, 4096), default=256,
                   help="held-out synthetic patches for validation (default 256, at most 4096: ~1 GB)")
    p.add_argument("--init", metavar="MODEL", help="continue from these weights (run folder or model file)")
    p.add_argument("--synth-variant", default="default", metavar="NAME[:W,...]",
                   help="generator settings of the training wells: a variant of docs/synthetic.md (default; "
                        "real-texture: LWD images with the real tool's noise and spikes; harsh: acquisition faults), "
                        "or a mix that each well draws its variant from, e.g. default:0.2,real-texture:0.5,harsh:0.3 "
                        "(weights normalised); validation stays on default")
    p.add_argument("--tool", choices=TOOLS, help="draw every training and validation well with this tool (default: "
                   "the generator's mix of FMI-like, slim pad and LWD tools), e.g. lwd for a model of LWD images")
    p.add_argument("--workers", type=bounded_int(0, 256), default=1, help="processes generating patches (default 1; 0 makes them "
                   "in the training process)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted run in --out (the same "
                       "command; only the budgets and thread count may change)")
    again.add_argument("--overwrite", action="store_true", help="replace the run already in --out (refused without)")
    p.add_argument("--recipe", metavar="FILE", help="run the phases of a recipe file (YAML) into OUT/<phase>")


def pretrain_once(args, out: Path, config_path, overrides: dict, init, resume: bool, overwrite: bool = False) -> dict:
    from geobfdt.patches.synthetic import synthetic_epoch_loader, synthetic_patchset
    from geobfdt.training.resume import continue_run, run_record, start_run
    from geobfdt.training.run_folder import read_run_folder
    from geobfdt.synth import format_variant_mix, parse_variant_mix
    from geobfdt.training.run import TrainingData, resolve_config, run_training

    # the defaults, not --init's config: pretraining continues a model at the pretraining rate
    cfg = resolve_config(config_path, overrides)
    cfg.train.epochs = 10**6  # the time budget and patience decide
    mix = parse_variant_mix(args.synth_variant)
    spelling = format_variant_mix(mix)  # one spelling per mix, so --resume compares like with like
    # recorded only when not the default, so runs made before the option existed still resume
    variant = {} if spelling == "default" else {"synth_variant": spelling}
    tool = {} if args.tool is None else {"tool": args.tool}
    record = run_record(cfg, init=init, settings={"steps_per_epoch": args.steps_per_epoch, **variant, **tool,
                                                  "val_patches": args.val_patches})
    resumed = None
    if resume:  # every file of the run checked; it keeps its saved budget unless given a new one
        resumed = read_run_folder(out, record, overrides)
        cfg = resumed.config
        continue_run(out, resumed.record)
    else:
        start_run(out, record, overwrite)
    if cfg.train.num_threads is None:
        # the patch workers take their own cores: oversubscribed OpenMP threads spin and slow everything ~10x.
        # Set here, not in cfg: the config travels with the model and must not pin its users to 1 thread.
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - args.workers))
    budget = " or ".join(b for b in (cfg.train.max_minutes and f"{cfg.train.max_minutes:g} min",
                                     cfg.train.max_samples and f"{cfg.train.max_samples} samples") if b)
    print(f"pretraining {cfg.model.backbone} into {out} for {budget}")
    data = TrainingData(
        val_set=synthetic_patchset([cfg.train.seed + VAL_SEED_OFFSET], args.val_patches, cfg.data, tool=args.tool),
        stream=lambda epoch: synthetic_epoch_loader(cfg.train.seed, epoch, args.steps_per_epoch, cfg.train.batch_size,
                                                    cfg.data, mix, workers=args.workers, tool=args.tool),
        steps_per_epoch=args.steps_per_epoch)
    return run_training(cfg, data, out, init=init, resume=resumed, device=args.device)


def read_recipe(path: Path, out: Path) -> list[dict]:
    """The phases of a recipe, each checked before any runs (a typo in phase 7 must not wait 6 phases):
    its own settings over the recipe's defaults; `init: PHASE` (best weights), PHASE/last, or default
    (the shipped model)."""
    import yaml

    from geobfdt.config import Config, apply_overrides

    try:
        recipe = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OptionError(f"cannot read recipe {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(recipe, dict) or not isinstance(recipe.get("phases"), list) or not recipe["phases"]:
        raise OptionError(f"recipe {path}: expected a mapping with a non-empty list `phases`")
    defaults = recipe.get("defaults") or {}
    phases, names = [], []
    for number, phase in enumerate(recipe["phases"], 1):
        if not isinstance(phase, dict) or not isinstance(defaults, dict):
            raise OptionError(f"recipe {path}: phase {number} and the defaults must be mappings")
        phase = {**defaults, **phase}
        name = str(phase.pop("name", ""))
        if not name.replace("_", "").isalnum() or not name.isascii() or name in names:
            raise OptionError(f"recipe {path}: phase {number} needs a new name of letters, digits and _")
        init = phase.pop("init", None)
        if init == "default":  # the shipped model, as `--init default`
            pass
        elif init is not None:
            source, _, which = str(init).partition("/")
            if source not in names or which not in ("", "best", "last"):
                raise OptionError(f"recipe {path}: phase {name} starts from {init!r}, not an earlier phase "
                                  "(PHASE or PHASE/last)")
            init = out / source / f"{which or 'best'}.safetensors"
        config = phase.pop("config", None)
        if config is not None and not (path.parent / str(config)).is_file():
            raise OptionError(f"recipe {path}: phase {name}: no config file {config} beside the recipe")
        settings = {k: phase.pop(k) for k in ("steps_per_epoch", "val_patches", "synth_variant", "tool") if k in phase}
        if "tool" in settings and settings["tool"] not in TOOLS:
            raise OptionError(f"recipe {path}: phase {name}: tool must be one of {', '.join(TOOLS)}")
        if "synth_variant" in settings:
            from geobfdt.synth import parse_variant_mix

            try:
                parse_variant_mix(str(settings["synth_variant"]))
            except GeoBFDTError as exc:
                raise OptionError(f"recipe {path}: phase {name}: {exc}") from None
        apply_overrides(Config(), {f"train.{k}": v for k, v in phase.items()})  # unknown or mistyped settings fail now
        names.append(name)
        phases.append({"name": name, "init": init, "config": None if config is None else path.parent / str(config),
                       "settings": settings, "overrides": {f"train.{k}": v for k, v in phase.items()}})
    return phases


def run_recipe(args, overrides: dict) -> int:
    out = Path(args.out)
    phases = read_recipe(Path(args.recipe), out)
    for number, phase in enumerate(phases, 1):
        run_dir = out / phase["name"]
        if (run_dir / "summary.json").is_file():
            print(f"phase {number}/{len(phases)} {phase['name']}: done, skipped")
            continue
        print(f"phase {number}/{len(phases)} {phase['name']}")
        resume = (run_dir / "state.safetensors").is_file()
        # the recipe owns its phase folders: one without state is started afresh
        pretrain_once(type(args)(**{**vars(args), **phase["settings"]}), run_dir, phase["config"],
                      {**phase["overrides"], **overrides}, phase["init"], resume=resume, overwrite=True)
    return 0


def run(args) -> int:
    from geobfdt.synth import parse_variant_mix

    parse_variant_mix(args.synth_variant)  # an unknown name or bad weight fails before any folder is made
    overrides = training_overrides(args, None if args.resume or args.recipe else DEFAULT_MINUTES)
    from geobfdt.device import choose_device

    out = output_folder(args.out)
    choose_device(args.device)
    if args.recipe:
        if args.resume or args.init or args.config:
            raise OptionError("--recipe sets each phase's config, init and resumption itself")
        return run_recipe(args, overrides)
    if args.resume and not (out / "config.json").is_file():
        raise RunFolderError(f"--resume: {args.out} holds no run to resume")
    pretrain_once(args, out, args.config, overrides, args.init, args.resume, args.overwrite)
    return 0
