"""Synthesise a corpus of realistic borehole image logs with fracture and bedding picks.

Writes into OUT, per well, `<WELL>.dlis` (an oriented, vendor-style image log:
resistivity-like values, NaN / -9999 / -999.25 nulls in pad gaps, calipers, deviation
survey for deviated wells) and `<WELL>_picks.csv` (the visible fractures and bed
boundaries: depth_m, dip_deg, azimuth_deg, type, and true dip/azimuth in deviated
wells), plus `manifest.json` (seed, generator settings, per-well tool, length,
deviation, pick counts). An OUT already holding a corpus is refused unless --overwrite,
which removes that corpus first.

Tools: FMI-like 8-pad imager (192 buttons, 360 columns), slim 4-6 pad imager (176/180
columns), LWD resistivity image (16-128 sectors). Geology: bedding sequences with zones
of structural dip, fracture sets calibrated on real picks, vugs, drilling-induced
fractures and breakouts (never labelled). Same seed, same corpus.

Variants of the generator settings (--config-variant): default, shifted (another
distribution, for fine-tuning experiments), clean (no distractors, low noise),
real-texture (LWD wells with the real LWD image's sector noise, spikes and low-side
difference), vertical, deviated. See docs/synthetic.md.

Example:
  geobfdt synth corpus/ --wells 14 --length-m 60 --seed 0
"""

from __future__ import annotations

import json
from pathlib import Path

from geobfdt.commands import bounded_int, output_folder, positive_int, seed_int, synthetic_length_m
from geobfdt.errors import OptionError

HELP = "synthesise realistic image-log wells (DLIS) with fracture/bedding picks"


def add_arguments(p):
    from geobfdt.synth import VARIANTS

    p.add_argument("out", metavar="OUT", help="output folder (created if missing)")
    p.add_argument("--wells", type=positive_int, default=14, help="number of wells (default 14)")
    p.add_argument("--length-m", type=synthetic_length_m, default=60.0,
                   help="logged length per well in metres (default 60, at most 1000)")
    p.add_argument("--seed", type=seed_int, default=0, help="corpus seed; per-well seeds are spawned from it (default 0)")
    p.add_argument("--config-variant", default="default", choices=sorted(VARIANTS),
                   help="named generator settings (default: default)")
    p.add_argument("--config", metavar="JSON",
                   help="JSON file of SynthConfig overrides applied on top of the variant")
    p.add_argument("--workers", type=bounded_int(1, 256), default=2, help="worker processes (default 2)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the corpus already in OUT (its manifest.json and SYN<n> files; refused without)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _config(args):
    from geobfdt.synth import SynthConfig

    config = SynthConfig.variant(args.config_variant)
    if args.config:
        try:
            overrides = json.loads(Path(args.config).read_text())
        except (OSError, ValueError) as exc:
            raise OptionError(f"{args.config}: cannot read JSON overrides ({exc})") from None
        if not isinstance(overrides, dict):
            raise OptionError(f"{args.config}: expected a JSON object of SynthConfig fields")
        try:
            config = SynthConfig.from_dict({**config.to_dict(), **overrides})
        except TypeError as exc:
            raise OptionError(f"{args.config}: bad override ({exc})") from None
    return config


def run(args) -> int:
    from tqdm import tqdm

    from geobfdt.synth import synthesize_corpus
    from geobfdt.synth.corpus import corpus_files

    if args.workers < 1:
        raise OptionError(f"--workers must be at least 1, got {args.workers}")
    output_folder(args.out, "OUT")
    config = _config(args)
    old = corpus_files(args.out)
    if (Path(args.out) / "manifest.json") in old:
        if not args.overwrite:  # a smaller corpus would leave the old one's extra wells beside it, unlisted
            raise OptionError(f"OUT {args.out} already holds a corpus (manifest.json and {len(old) - 1} well files): "
                              "replace it with --overwrite, or choose another folder")
        for path in old:
            path.unlink()
    with tqdm(total=args.wells, unit="well", desc="synth", disable=args.no_progress) as bar:
        paths = synthesize_corpus(args.out, wells=args.wells, length_m=args.length_m, seed=args.seed,
                                  config=config, workers=args.workers, progress=bar.update)
    print(f"wrote {len(paths)} wells to {args.out} (manifest.json, <WELL>.dlis, <WELL>_picks.csv)")
    return 0
