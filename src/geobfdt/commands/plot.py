"""Draw an interval of an image log with picked sinusoids and a tadpole track.

WELL is a DLIS, LAS or NPZ image log. Each --picks file (GeoBFDT CSV, or a Geolog,
WellCAD or fractoolbox export) is drawn in its own style: the first solid green (truth,
say), the next dashed red with scores, and so on. --labels names them in the legend
(default: the file names). The image is normalised dynamically (sliding 0.6 m window)
unless --image static (one mapping for the whole well) or raw is asked for.

Example:
  geobfdt plot W01.dlis --picks W01_picks.csv pred/W01_picks.csv --labels truth detr \\
      --top-m 1010 --bottom-m 1016 --out W01.png
"""

from __future__ import annotations

from pathlib import Path

from geobfdt.errors import OptionError
from geobfdt.commands import add_reader_options, bounded_float, finite_float, png_file, reader_options

HELP = "draw an image log interval with pick sinusoids and tadpoles (PNG)"


def add_arguments(parser) -> None:
    parser.add_argument("well", help="image log: DLIS, LAS or NPZ")
    parser.add_argument("--picks", nargs="+", action="extend", default=[], metavar="CSV",
                        help="pick files to overlay (repeatable)")
    parser.add_argument("--labels", nargs="+", action="extend", default=[], metavar="NAME",
                        help="legend name of each pick file, in order")
    parser.add_argument("--top-m", type=finite_float, required=True, help="top of the interval, metres")
    parser.add_argument("--bottom-m", type=finite_float, required=True, help="bottom of the interval, metres")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--image", choices=("dynamic", "static", "raw"), default="dynamic",
                        help="image normalisation (default dynamic)")
    parser.add_argument("--window-m", type=bounded_float(100.0), default=0.6, help="dynamic normalisation window (default 0.6 m)")
    add_reader_options(parser)


def run(args) -> int:
    from geobfdt.api import plot, read_well
    from geobfdt.io.picks import read_picks
    from geobfdt.reports.plots import save_figure

    out = png_file(args.out)
    if args.labels and len(args.labels) != len(args.picks):
        raise OptionError(f"{len(args.labels)} labels for {len(args.picks)} pick files")
    well = read_well(args.well, **reader_options(args))
    sets = [read_picks(path) for path in args.picks]
    figure = plot(well, sets, labels=args.labels or [Path(p).stem for p in args.picks], top_m=args.top_m,
                  bottom_m=args.bottom_m, image=args.image, window_m=args.window_m)
    save_figure(figure, out, dpi=110, bbox_inches="tight")
    print(f"{well.name}: {args.top_m:g}-{args.bottom_m:g} m, {sum(map(len, sets))} picks -> {out}")
    return 0
