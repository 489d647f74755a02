"""One module per `geobfdt` subcommand (HELP, add_arguments, run), and the options they share."""

from __future__ import annotations

import argparse
import sys

from geobfdt.errors import GeoBFDTError


def add_reader_options(p) -> None:
    """The options every command that reads well files shares, worded once."""
    p.add_argument("--image-channel", metavar="NAME",
                   help="image to read: a DLIS channel name, or in LAS a sector-curve prefix (e.g. ABDC) or an "
                        "array curve (default: found automatically; `geobfdt info` lists the candidates)")
    p.add_argument("--bit-size-in", type=float, metavar="INCHES",
                   help="bit (hole) diameter in inches, e.g. 8.5, for files with neither caliper nor bit size")
    p.add_argument("--max-image-gib", type=float, metavar="GIB",
                   help="largest image to decode, in GiB as float32 (default 4, or the GEOBFDT_MAX_IMAGE_GIB "
                        "environment variable): a file asking for more is refused before any memory is taken")


def reader_options(args) -> dict:
    """The add_reader_options values as read_well keyword arguments."""
    return {"image_channel": args.image_channel, "bit_size_in": args.bit_size_in,
            "max_image_gib": args.max_image_gib}


def add_device_option(p) -> None:
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")


class _Deprecated(argparse.Action):
    """An old spelling kept for one release: warns, converts (hours -> minutes) and sets the new option."""

    def __init__(self, option_strings, dest, new: str, scale: float = 1.0, **kwargs):
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)
        self.new, self.scale = new, scale

    def __call__(self, parser, namespace, value, option_string=None):
        note = f" (x {self.scale:g})" if self.scale != 1 else ""
        print(f"geobfdt: {option_string} is deprecated, use {self.new}{note}", file=sys.stderr)
        setattr(namespace, self.new.lstrip("-").replace("-", "_"), value * self.scale)


def add_deprecated_alias(p, old: str, new: str, scale: float = 1.0, type=float) -> None:
    p.add_argument(old, dest="_deprecated_" + old.lstrip("-").replace("-", "_"), action=_Deprecated, new=new,
                   scale=scale, type=type, metavar="X")


def add_training_options(p, default_minutes: float | None = None) -> None:
    """The settings every training command takes, spelled once: config file, --set, seed, budgets."""
    p.add_argument("--config", metavar="FILE", help="YAML config over the defaults (see configs/); when fine-tuning, "
                   "over the starting model's config")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="one setting over the config, e.g. --set train.lr=1e-4 --set data.photometric=false "
                        "(repeatable; every setting is in config.py and written to the run's config.json)")
    p.add_argument("--seed", type=int, help="seed of the data split, initialisation and augmentation "
                   "(default: train.seed of the config)")
    p.add_argument("--max-minutes", type=float, metavar="MIN",
                   help="training time budget in minutes" + (f" (default {default_minutes:g})" if default_minutes else ""))
    p.add_argument("--max-samples", type=int, metavar="N", help="stop after N training samples: a budget that "
                   "repeats exactly on any machine and under any load, unlike --max-minutes")
    p.add_argument("--lr-drop-minutes", type=float, metavar="MIN",
                   help="divide the learning rate by 10 after this much training time (counted over resumes)")
    p.add_argument("--lr-drop-samples", type=int, metavar="N",
                   help="divide the learning rate by 10 after N training samples (counted over resumes)")
    add_device_option(p)


def training_overrides(args, default_minutes: float | None = None) -> dict:
    """Command-line settings as dotted config keys (--set first, named options over it); a command's
    default time budget applies when neither budget is given."""
    from geobfdt.config import parse_set_option

    overrides = parse_set_option(args.set)
    named = {"train.seed": ("--seed", args.seed), "train.max_minutes": ("--max-minutes", args.max_minutes),
             "train.max_samples": ("--max-samples", args.max_samples),
             "train.lr_drop_minutes": ("--lr-drop-minutes", args.lr_drop_minutes),
             "train.lr_drop_samples": ("--lr-drop-samples", args.lr_drop_samples)}
    for key, (option, value) in named.items():
        if value is None:
            continue
        if key == "train.seed":
            if value < 0:
                raise GeoBFDTError(f"--seed must be 0 or more, got {value}")
        elif not value > 0:
            raise GeoBFDTError(f"{option} must be positive, got {value:g}")
        overrides[key] = value
    if default_minutes is not None and args.max_minutes is None and args.max_samples is None:
        overrides.setdefault("train.max_minutes", default_minutes)
    return overrides
