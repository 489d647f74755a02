"""One module per `geobfdt` subcommand (HELP, add_arguments, run), and what they share: the
options, argument types that refuse impossible values at parse time, and checks on --out."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from geobfdt.errors import OptionError

MAX_SEED = 2**32 - 1  # numpy's and torch's seeds are unsigned 32-bit words or wider


def bounded_int(low: int, high: int | None = None):
    """An argparse type: an integer in [low, high]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else "positive" if low == 1 else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value
    parse.__name__ = "whole number"
    return parse


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value


def bounded_float(high: float):
    """An argparse type: a positive finite number no larger than `high`."""
    def parse(text: str) -> float:
        value = positive_float(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


positive_int = bounded_int(1)
seed_int = bounded_int(0, MAX_SEED)
# synthetic wells are generated whole at 2.5 mm rows: 1000 m is ~0.6 GB of image per well
synthetic_length_m = bounded_float(1000.0)


def _existing_ancestor(path: Path, option: str) -> Path:
    """The deepest part of `path` that exists; refuses a path that runs through a file."""
    for part in [path, *path.parents]:
        if part.exists():
            if not part.is_dir():
                where = "" if part == path else f" lies under {part}, which"
                raise OptionError(f"{option} {path}{where} is a file, not a folder")
            return part
    return Path(".")


def output_folder(path, option: str = "--out") -> Path:
    """Check, before any work, that `path` can be (or is) a folder this user may write into."""
    path = Path(path)
    if not str(path).strip():
        raise OptionError(f"{option}: an empty folder name")
    base = _existing_ancestor(path, option)
    if not os.access(base, os.W_OK | os.X_OK):
        raise OptionError(f"{option} {path}: {base} is not writable")
    return path


def output_file(path, option: str = "--out") -> Path:
    """As output_folder, for an option naming a file: not a folder, in a writable folder."""
    path = Path(path)
    if path.is_dir() or not path.name:
        raise OptionError(f"{option} {path}: is a folder, not a file name")
    output_folder(path.parent, option)
    return path


def png_file(path, option: str = "--out") -> Path:
    """As output_file, for a figure: named *.png, the format written (checked before any work,
    where another suffix would fail only once the figure is drawn)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise OptionError(f"{option} {path}: the figure is a PNG file (name it *.png)")
    return output_file(path, option)


def add_reader_options(p) -> None:
    """The options every command that reads well files shares, worded once."""
    p.add_argument("--image-channel", metavar="NAME",
                   help="image to read: a DLIS channel name, or in LAS a sector-curve prefix (e.g. ABDC) or an "
                        "array curve (default: found automatically; `geobfdt info` lists the candidates)")
    p.add_argument("--bit-size-in", type=positive_float, metavar="INCHES",
                   help="bit (hole) diameter in inches, e.g. 8.5, for files with neither caliper nor bit size")
    p.add_argument("--investigation-depth-in", type=float, metavar="INCHES",
                   help="how far into the wall the image reads, in inches (an LWD resistivity image's depth of "
                        "investigation): dips are computed at the hole's radius plus this (default 0, the wall "
                        "itself, as a pad tool images it)")
    p.add_argument("--max-image-gib", type=positive_float, metavar="GIB",
                   help="largest image to decode, in GiB as float32 (default 4, or the GEOBFDT_MAX_IMAGE_GIB "
                        "environment variable): a file asking for more is refused before any memory is taken")
    p.add_argument("--ram-image-gib", type=positive_float, metavar="GIB",
                   help="largest image held in memory, in GiB as float32 (default 2, or the GEOBFDT_RAM_IMAGE_GIB "
                        "environment variable): a larger one (up to --max-image-gib) is decoded into a temporary "
                        "file in TMPDIR and read chunk by chunk, so a well larger than memory can be picked")


def reader_options(args) -> dict:
    """The add_reader_options values as read_well keyword arguments."""
    return {"image_channel": args.image_channel, "bit_size_in": args.bit_size_in,
            "max_image_gib": args.max_image_gib, "ram_image_gib": args.ram_image_gib,
            "investigation_depth_in": args.investigation_depth_in}


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
    p.add_argument("--seed", type=seed_int, help="seed of the data split, initialisation and augmentation "
                   "(default: train.seed of the config)")
    p.add_argument("--max-minutes", type=positive_float, metavar="MIN",
                   help="training time budget in minutes" + (f" (default {default_minutes:g})" if default_minutes else ""))
    p.add_argument("--max-samples", type=positive_int, metavar="N", help="stop after N training samples: a budget that "
                   "repeats exactly on any machine and under any load, unlike --max-minutes")
    p.add_argument("--lr-drop-minutes", type=positive_float, metavar="MIN",
                   help="divide the learning rate by 10 after this much training time (counted over resumes)")
    p.add_argument("--lr-drop-samples", type=positive_int, metavar="N",
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
                raise OptionError(f"--seed must be 0 or more, got {value}")
        elif not value > 0:
            raise OptionError(f"{option} must be positive, got {value:g}")
        overrides[key] = value
    if default_minutes is not None and args.max_minutes is None and args.max_samples is None:
        overrides.setdefault("train.max_minutes", default_minutes)
    return overrides


def training_budget(cfg) -> str:
    """The training budget in words: the minutes and/or samples that stop it."""
    parts = [f"{cfg.train.max_minutes:g} min" if cfg.train.max_minutes is not None else "",
             f"{cfg.train.max_samples} samples" if cfg.train.max_samples is not None else ""]
    return " or ".join(p for p in parts if p) or "no"


def training_command_options(args, cfg) -> list[str]:
    """The training options of a command line that makes a run again (a report's command): --config
    and --set as given, then the budgets the run had, defaults included, which override them."""
    words = ["--config", str(args.config)] if args.config else []
    for setting in args.set:
        words += ["--set", setting]
    for option, value in (("--max-minutes", cfg.train.max_minutes), ("--max-samples", cfg.train.max_samples),
                          ("--lr-drop-minutes", cfg.train.lr_drop_minutes),
                          ("--lr-drop-samples", cfg.train.lr_drop_samples)):
        if value is not None:
            words += [option, f"{value:g}" if isinstance(value, float) else str(value)]
    return words


WELL_SUFFIXES = {".dlis", ".las", ".npz"}


def refuse_replacing_labels(paths, stems, out, suffixes) -> None:
    """Before any work: --out the folder of an input well that holds, under a name this run writes
    (<STEM> + suffix), that well's labels (<STEM>_picks.csv, which train and evaluate read as its truth;
    a synthetic corpus's truth files) is refused: the run would replace them with its output."""
    out = Path(out).resolve()
    for path, stem in zip(paths, stems):
        if Path(path).resolve().parent != out:
            continue
        for suffix in suffixes:
            if (out / f"{stem}{suffix}").is_file():
                raise OptionError(f"--out {out} is the folder of {Path(path).name}: writing there would replace "
                                  f"{stem}{suffix}, the labels beside it (what train and evaluate read as truth); "
                                  "choose another --out")


def field_exit(results, command: str) -> int:
    """The exit of a run over wells (picking/field.py WellResults, their table already printed):
    70 when a well met a bug in GeoBFDT (each traceback log is named in its status), which outranks
    bad input; a one-line error (exit 2) when a well failed on its input (a lone well's own reason)."""
    from geobfdt.errors import EX_SOFTWARE, GeoBFDTError

    bugs = [r for r in results if r.bug]
    if bugs:
        print(f"geobfdt {command}: {bugs[0].status}" if len(results) == 1 else
              f"geobfdt {command}: internal error (a bug in GeoBFDT, not a problem with your input) in {len(bugs)} of "
              f"{len(results)} wells; each traceback log is named in the table; please report it", file=sys.stderr)
        return EX_SOFTWARE
    failed = [r for r in results if not r.ok]
    if failed:
        if len(results) == 1:
            raise GeoBFDTError(failed[0].status.removeprefix("failed: "))
        raise GeoBFDTError(f"{len(failed)} of {len(results)} wells failed (see the table)")
    return 0


def well_paths(specs) -> list[str]:
    """Files as given; folders expanded to the well files they hold (by suffix, sorted)."""
    paths = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WELL_SUFFIXES)
            if not found:
                raise OptionError(f"{path}: no .dlis, .las or .npz files in this folder")
            paths.extend(map(str, found))
        else:
            paths.append(str(path))
    return paths
