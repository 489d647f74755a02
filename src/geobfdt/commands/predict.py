"""Pick fractures and bedding planes in whole wells.

Writes <WELL>_picks.csv per well (depth_m, dip_deg, azimuth_deg, type, score, plus
dip_true_deg / azimuth_true_deg when the file has a deviation survey, and with --uncertainty
the 80% interval half-widths depth_err80_cm, dip_err80_deg, azimuth_err80_deg). With a
calibrated model (the shipped one is) the score is the probability that the pick is real,
a true plane of its class within 8 cm (docs/evaluation.md). --formats adds
Geolog and WellCAD exchange files. The detector slides overlapping windows down the well in
batches and merges duplicates; `--method hough` runs the classical Hough-transform picker
instead. Without --model the shipped model is used.
"""

from __future__ import annotations

from pathlib import Path

from geobfdt.errors import GeoBFDTError
from geobfdt.commands import add_reader_options

HELP = "pick whole wells with the detector (or the Hough baseline)"


def add_arguments(p):
    p.add_argument("wells", nargs="+", metavar="WELL", help="well files (DLIS, LAS, NPZ)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for <WELL>_picks.csv (and plots)")
    p.add_argument("--model", default="default", metavar="RUN_OR_FILE",
                   help="a run folder, a .safetensors model, or 'default' (the shipped model)")
    p.add_argument("--method", choices=["detr", "hough"], default="detr",
                   help="detr: the detector (default); hough: the classical Hough-transform picker, no model")
    p.add_argument("--threshold", type=float, help="one score threshold for both classes, replacing the model's "
                   "per-class thresholds tuned on validation (default: those); detr only")
    add_reader_options(p)
    p.add_argument("--survey", metavar="CSV", help="deviation survey (DEPTH in m MD, DEVI and AZIM in degrees) "
                   "for wells whose file has none; adds true dip/azimuth columns")
    p.add_argument("--uncertainty", action="store_true",
                   help="add depth_err80_cm, dip_err80_deg, azimuth_err80_deg: half-widths of 80%% intervals from "
                   "the spread of each pick under azimuth rolls and flips (six model passes per window instead of "
                   "one); detr only, with a model whose file holds the interval calibration (the shipped one does)")
    p.add_argument("--batch-size", type=int, default=16,
                   help="windows per model call (default 16: with the next chunk prepared meanwhile, 32 raised the peak memory ~40 MiB for no speed)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda ...")
    p.add_argument("--plot", action="store_true", help="also write per well <WELL>_picks.png (the first 10 m of the image with "
                   "the picks; `geobfdt plot` draws any interval) and whole-well <WELL>_tadpoles.png, _rose.png, "
                   "_stereonet.png (true orientation where the well has a survey) and _intensity.png (P10)")
    p.add_argument("--formats", nargs="+", choices=["geobfdt", "geolog", "wellcad"], default=["geobfdt"],
                   help="pick files to write per well: geobfdt <WELL>_picks.csv (default), geolog "
                   "<WELL>_picks_geolog.csv, wellcad <WELL>_picks_wellcad.csv (the exchange columns those "
                   "packages import)")


def run(args) -> int:
    from geobfdt.model.checkpoint import load_model
    from geobfdt.config import Config
    from geobfdt.io import read_well
    from geobfdt.io.picks import PICK_WRITERS
    from geobfdt.picking.whole_well import pick_well_detr, pick_well_hough_method
    from geobfdt.device import choose_device

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise GeoBFDTError("--threshold must lie between 0 and 1")
    device = choose_device(args.device)
    if args.method == "detr":
        model, cfg, threshold = load_model(args.model, device)
        threshold = args.threshold if args.threshold is not None else threshold
    else:
        cfg, threshold = Config(), None
    out = Path(args.out)
    wells = [read_well(path, image_channel=args.image_channel, bit_size_in=args.bit_size_in, survey_csv=args.survey)
             for path in args.wells]
    for well in wells:
        if args.method == "detr":
            picks = pick_well_detr(well, model, cfg, threshold, args.batch_size, device, uncertainty=args.uncertainty)
        else:
            picks = pick_well_hough_method(well, cfg)
        paths = []
        for fmt in dict.fromkeys(args.formats):
            suffix, write = PICK_WRITERS[fmt]
            paths.append(out / f"{well.name}{suffix}")
            write(paths[-1], picks)
        counts = {t: sum(p.type == t for p in picks) for t in ("fracture", "bedding")}
        print(f"{well.name}: {counts['fracture']} fractures, {counts['bedding']} bedding planes -> "
              f"{', '.join(map(str, paths))}")
        if args.plot:
            from geobfdt.reports.plots import plot_pick_summary, plot_well
            bottom = min(well.depth_m[-1], well.depth_m[0] + 10.0)
            plot_well(well, [(args.method, picks)], well.depth_m[0], bottom, out / f"{well.name}_picks.png")
            plot_pick_summary(well, picks, out, well.name)
    return 0
