"""Pick fractures and bedding planes in whole wells.

Writes <STEM>_picks.csv per well (depth_m, dip_deg, azimuth_deg, type, score, well, plus
dip_true_deg / azimuth_true_deg when the file has a deviation survey, and with --uncertainty
the 80% interval half-widths depth_err80_cm, dip_err80_deg, azimuth_err80_deg). With a
calibrated model (the shipped one is) the score is the probability that the pick is real,
a true plane of its class within 8 cm (docs/evaluation.md); with a model file holding quality-aware
scores and evidence-based intervals (the shipped one does), that probability, and with --uncertainty
the intervals, also weigh the trace's contrast and the image's resolution and blur (the same score
with or without --uncertainty), the picks themselves staying those of the model's thresholds
(docs/model-card.md, "Scores are probabilities", "Error bars"). Where no caliper gives the hole's
radius (a bit size does, or --bit-size-in), the dip intervals also allow for a radius 25 % off either
way: dips scale with it (picking/radius.py).
--formats adds Geolog and
WellCAD exchange files; --features adds vugs, breakouts and induced fractures (as `geobfdt
features`, with vugs kept off the picked traces and picks on induced fractures flagged).
--uncertainty also self-calibrates the intervals on the well's own injection-recovery (as `geobfdt
inject-test`; --no-self-calibrate skips it, --self-calibrate without --uncertainty writes only the
report and found_again): it fits on the implants a factor per interval quantity for this well
(evaluation/self_calibration.py; scores are left as predicted), writing <STEM>_injection.json with them
beside the picks. A well no factor can be fitted on (too short for an implant, as inject-test refuses it;
none recovered; no --uncertainty) keeps the model file's intervals: its report says "fitted": false
with the reason, and a warning line on stderr names the well. So does one for an image with faults the shipped model's scores and
error bars never saw (pixels clipped at the ends of the tool's range, pads or sectors reading one
value: `geobfdt info` shows the log quality; docs/model-card.md, "Off home ground"); its picks are
written all the same.
STEM is the input file's name without its extension, with every character outside [A-Za-z0-9._-] replaced by `_` (io/names.py); two inputs with the same
stem get `-2`, `-3` ... in input order, said on stderr. The well name found inside the file
stays in the `well` column and never chooses where a file is written. An --out that is the folder of an
input well and holds its labels under a name predict would write (<STEM>_picks.csv, which train reads,
or a synthetic corpus's truth files with --features) is refused before any work.

The detector slides overlapping windows down the well in batches and merges duplicates;
`--method hough` runs the classical Hough-transform picker instead. Without --model the
shipped model is used.

On the CPU the model runs on ONNX Runtime (exported once per model file, beside it;
`--engine torch` runs it in torch instead). Many wells (files or folders of them) can run side
by side on Dask: `--workers N` starts a local cluster of N processes, `--scheduler ADDRESS`
uses an existing one. A well that fails is reported and the others finish; a table of every
well (length, picks, seconds, status) ends the run, which exits with 2 when any well failed
on its input, and with 70 when a well met a bug in GeoBFDT (its traceback log is named).
docs/scaling.md has the figures.
"""

from __future__ import annotations

import argparse

from geobfdt.errors import OptionError
from geobfdt.commands import (add_device_option, add_reader_options, bounded_int, field_exit, output_folder,
                              reader_options, refuse_replacing_labels, well_paths)
from geobfdt.commands.features import add_feature_option

HELP = "pick whole wells with the detector (or the Hough baseline)"


def add_arguments(p):
    p.add_argument("wells", nargs="+", metavar="WELL", help="well files (DLIS, LAS, NPZ), or folders of them")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for <STEM>_picks.csv (and plots); STEM is the input file's stem "
                   "made safe (docs/formats.md)")
    p.add_argument("--model", default="default", metavar="RUN_OR_FILE",
                   help="a run folder, a .safetensors model, or 'default' (the shipped model)")
    p.add_argument("--method", choices=["detr", "hough"], default="detr",
                   help="detr: the detector (default); hough: the classical Hough-transform picker, no model")
    p.add_argument("--threshold", type=float, help="one score threshold for both classes, replacing the model's "
                   "per-class thresholds tuned on validation (default: those); detr only")
    add_reader_options(p)
    p.add_argument("--survey", metavar="CSV", help="deviation survey (DEPTH in m MD, DEVI and AZIM in degrees) "
                   "for wells whose file has none (it replaces a file's own); adds true dip/azimuth columns")
    p.add_argument("--uncertainty", action="store_true",
                   help="add depth_err80_cm, dip_err80_deg, azimuth_err80_deg: half-widths of 80%% intervals from "
                   "the spread of each pick under azimuth rolls and flips (six model passes per window instead of "
                   "one) and, where the model file holds the fit (the shipped one does), from the image's evidence "
                   "and blur; where no caliper gives the hole's radius (a bit size does), the dip intervals also "
                   "allow for a radius 25%% off either way; then widened by the well's own injection-recovery "
                   "(--self-calibrate, on by default with it); detr only, with a model whose file holds the "
                   "interval calibration")
    p.add_argument("--self-calibrate", action=argparse.BooleanOptionalAction, default=None,
                   help="calibrate the picks on this well's own injection-recovery (on by default with --uncertainty: "
                   "the model file's intervals were fitted on synthetic wells, and a real well is widened by what "
                   "its own implants show): implant planes into --copies copies of the image, pick them as the "
                   "well, and from the implants found widen the 80%% intervals (scores stay as predicted); writes "
                   "<STEM>_injection.json beside the picks (as inject-test) and a found_again column (a well it "
                   "cannot calibrate, e.g. too short for an implant 1.3 m inside each end, keeps its intervals, with "
                   "a warning). The picks kept are the same; costs 1 + --copies pickings, about 2x predict "
                   "--uncertainty with one copy (docs/model-card.md, \"Self-calibration on your well\"); "
                   "--no-self-calibrate keeps the model file's intervals and halves the time; detr only")
    p.add_argument("--copies", type=bounded_int(1, 16),
                   help="implanted copies for --self-calibrate (default 1; each adds one picking and about one "
                   "implant per 0.7 m)")
    p.add_argument("--batch-size", type=bounded_int(1, 1024), default=16,
                   help="windows per model call (default 16: with the next chunk prepared meanwhile, 32 raised the peak memory ~40 MiB for no speed)")
    add_device_option(p)
    p.add_argument("--engine", choices=["onnx", "torch"],
                   help="what runs the model: onnx (ONNX Runtime, the default on the CPU: same picks as torch, "
                   "starts 2 s sooner as torch is not loaded) or torch (the default on a GPU)")
    parallel = p.add_mutually_exclusive_group()
    parallel.add_argument("--workers", type=int, metavar="N",
                          help="run the wells on a local Dask cluster of N worker processes (default: in this process)")
    parallel.add_argument("--scheduler", metavar="ADDRESS",
                          help="run the wells on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (its workers "
                          "need geobfdt and the files at the same paths)")
    p.add_argument("--plot", action="store_true", help="also write per well <STEM>_picks.png (the first 10 m of the image with "
                   "the picks; `geobfdt plot` draws any interval) and whole-well <STEM>_tadpoles.png, _rose.png, "
                   "_stereonet.png (true orientation where the well has a survey) and _intensity.png (P10)")
    p.add_argument("--formats", nargs="+", choices=["geobfdt", "geolog", "wellcad"], default=["geobfdt"],
                   help="pick files to write per well: geobfdt <STEM>_picks.csv (default), geolog "
                   "<STEM>_picks_geolog.csv, wellcad <STEM>_picks_wellcad.csv (the exchange columns those "
                   "packages import)")
    add_feature_option(p)
    p.add_argument("--include-induced", action="store_true",
                   help="keep fracture picks lying on drilling-induced fractures (flagged by --features breakouts, "
                   "column induced) in the tadpole, rose, stereonet and intensity figures (default: left out)")


def run(args) -> int:
    from geobfdt.picking.field import PredictSettings, _picker, run_wells, summary_table
    from geobfdt.picking.picker import check_pick_options, default_engine, resolve_device, self_calibrates
    from geobfdt.io.names import input_stems
    from geobfdt.synth.truth import TRUTH_SUFFIXES

    self_calibrate = self_calibrates(args.uncertainty, args.self_calibrate)
    check_pick_options(args.method, args.threshold, args.uncertainty, self_calibrate)
    if args.copies is not None and not self_calibrate:
        raise OptionError("--copies is for --self-calibrate (on by default with --uncertainty)")
    if args.include_induced and not args.plot:  # it chooses what the figures draw, and only they
        raise OptionError("--include-induced is for --plot (the pick files keep every pick, flagged in column "
                          "induced)")
    output_folder(args.out)
    device = resolve_device(args.device)
    settings = PredictSettings(
        out=args.out, model=args.model, method=args.method, engine=args.engine or default_engine(device),
        device=device, threshold=args.threshold, read_options=reader_options(args), survey=args.survey,
        uncertainty=args.uncertainty, batch_size=args.batch_size, formats=tuple(args.formats), plot=args.plot,
        features=tuple(args.features or ()), include_induced=args.include_induced,
        self_calibrate=self_calibrate, copies=args.copies or 1)
    # a bad model fails here, once, before any well; the ONNX export is made once
    _picker(settings).check_uncertainty(args.uncertainty)
    paths = well_paths(args.wells)
    stems = input_stems(paths)
    refuse_replacing_labels(paths, stems, args.out, (("_picks.csv",) if "geobfdt" in args.formats else ())
                            + (TRUTH_SUFFIXES if args.features else ()))
    results = run_wells(paths, stems, settings, workers=args.workers, scheduler=args.scheduler)
    if len(results) > 1:
        print(summary_table(results))
    return field_exit(results, "predict")
