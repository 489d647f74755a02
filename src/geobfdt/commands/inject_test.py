"""How far to trust the picker on this well, without labels: injection-recovery.

Picks the well as `geobfdt predict` does, then implants synthetic sinusoids into a copy of its
image and picks the copy: fractures and beds (top and base, as far apart as the well's own picks
lie, 5-30 cm) alternately, one every 0.7 m and 1.3 m inside its ends; beds at least 12 cm from every pick of the well,
fractures beside one, as far from it as the well's picks lie from each other (crowded planes are harder); fracture dips
cycling through 0-30, 30-60 and 60-80 deg, azimuths uniform, 30 % of them over an arc only; beds lying as the nearest bed
pick of the well does; each with the profile across the trace of one of the well's own picks of its class, centred on its
trace (its contrast, width and blur as this tool shows them; a bed's own shape kept near its trace only, the step fitted to
it beyond; docs/model-card.md, "How far to trust it on your well"); none where the log holds no data (picking/injection.py
imaged_slots). Writes to --out:

- <STEM>_injection.json: per class and implanted dip bin, the share of implants recovered (a pick of
  the class within 8 cm) and the 50 % / 80 % quantiles of the depth (cm), dip and azimuth (deg)
  errors of the recovered ones; false picks added (neither an implant nor a pick of the well) and
  picks of the well lost, per copy; the image's log quality (image_quality: shares of pixels clipped
  at the ends of the tool's range and of pads or sectors reading one value, the noise sd, and
  off_home_ground, what of those the shipped model's scores and error bars never saw, also said on
  stderr: the implants are painted on the image as recorded, so they never meet such a fault);
  and per class by the distance to the well's nearest pick (0-5, 5-12, 12-30, 30 cm and more), the
  same figures: fractures are implanted beside the well's picks as far as those lie apart, and crowded
  planes are found less often and less well, so this says how far to trust the picks in crowded zones;
  and radius_source: the implants lie at the radius the well is read with, so where no caliper gives
  it their dip errors leave out a radius error (said on stdout; picking/radius.py); and by_depth, the
  well cut into zones of about 100 implants each (at most 10): per zone the share recovered, the
  well's picks lost and the false picks added, where in the well the picker holds up;
- <STEM>_injection.png: the same as a figure;
- <STEM>_implants.csv: the implanted planes (a pick file: `geobfdt evaluate` scores against it);
- <STEM>_picks_found_again.csv: the well's picks (a pick file, as predict picks them, without their scores:
  `predict --self-calibrate` writes both) with found_again, the share of the copies that found each
  again. A pick the copy loses, with the image changed around it, is real less often than one of the
  same score found again (docs/model-card.md, "Picks found again"): review those first.

The run costs (1 + --copies) pickings of the well: with the default one copy, about twice `predict`.
More copies (slots shifted by a quarter spacing each) give more implants for tighter figures.
A well that can hold no implant is refused (exit 2, nothing written): one too short for an implant
1.3 m inside each end (before any picking), or one whose picks crowd every slot (within 12 cm of
each, with no room beside one for a fracture; `predict --self-calibrate` warns of such a well in the
same words and keeps its intervals).

What it cannot say: the implants are copies of the planes the picker found, so they tell how planes
like those fare, not how many fainter ones it misses. On a noisy image where it finds few planes,
good recovery here still allows many missed (docs/model-card.md, "Does it tell the truth?").
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from geobfdt.commands import add_reader_options, bounded_int, output_folder, reader_options, seed_int

HELP = "injection-recovery: implant synthetic planes into a copy of a well and report how many come back, how well"


def add_arguments(p):
    p.add_argument("well", metavar="WELL", help="a well file (DLIS, LAS, NPZ)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for <STEM>_injection.json, _injection.png, _implants.csv and _picks_found_again.csv")
    p.add_argument("--model", default="default", metavar="RUN_OR_FILE",
                   help="a run folder, a .safetensors model, or 'default' (the shipped model)")
    p.add_argument("--threshold", type=float, help="one score threshold for both classes, replacing the model's "
                   "per-class thresholds (default: those, as predict)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the implants' placement, dips, azimuths and "
                   "profiles (default 0): the same well and seed give the same implants")
    p.add_argument("--copies", type=bounded_int(1, 16), default=1,
                   help="implanted copies of the well, each picked once (default 1: the run costs about twice "
                   "predict; each copy adds one picking and about one implant per 0.7 m)")
    add_reader_options(p)
    p.add_argument("--survey", metavar="CSV", help="deviation survey for wells whose file has none (it replaces a file's own, as predict)")
    p.add_argument("--engine", choices=["onnx", "torch"], default="onnx",
                   help="what runs the model (default onnx, as predict on the CPU)")


def run(args) -> int:
    from tqdm import tqdm

    from geobfdt.errors import OptionError, WellFileError
    from geobfdt.evaluation.implant_room import no_implants_reason, too_short
    from geobfdt.evaluation.injection import run_injection
    from geobfdt.io import read_well
    from geobfdt.files import write_text_atomic
    from geobfdt.io.names import input_stems, output_path
    from geobfdt.io.picks import write_picks_csv
    from geobfdt.picking.engine import load_engine
    from geobfdt.picking.picker import Picker
    from geobfdt.picking.quality import quality_message
    from geobfdt.picking.radius import RADIUS_RATIO_80, radius_dip_err80_deg, radius_is_measured
    from geobfdt.reports.plots import plot_injection

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise OptionError("--threshold must lie between 0 and 1")
    out = output_folder(args.out)
    engine, header = load_engine(args.model, args.engine, log=lambda *a: print(*a, file=sys.stderr))
    picker = Picker(model=args.model, method="detr", engine=engine, header=header)
    well = read_well(args.well, survey_csv=args.survey, **reader_options(args))
    short = too_short(well)  # refused before any picking: no room even with no picks to keep clear of
    if short:
        raise WellFileError(f"{args.well}: {short}")
    stem = input_stems([args.well])[0]
    with tqdm(total=1 + args.copies, desc=f"inject-test {stem}", unit="picking") as bar:
        report, before, implanted, _ = run_injection(
            well, lambda w: picker.positions(w, threshold=args.threshold),  # as predict picks
            seed=args.seed, copies=args.copies, progress=lambda: bar.update(1))
    if report["implants"] == 0:  # the well's own picks left no slot free: a report of nothing is no answer
        raise WellFileError(f"{args.well}: {no_implants_reason(well, before)}")
    out.mkdir(parents=True, exist_ok=True)
    report["model"], report["file"] = args.model, Path(args.well).name
    write_text_atomic(output_path(out, f"{stem}_injection.json"), json.dumps(report, indent=2))
    plot_injection(report, output_path(out, f"{stem}_injection.png"))
    write_picks_csv(output_path(out, f"{stem}_implants.csv"), implanted)
    # scored as predict scores them only where the written score chooses them (Picker.positions): not written
    write_picks_csv(output_path(out, f"{stem}_picks_found_again.csv"), [replace(p, score=None) for p in before])
    warning = quality_message(report["image_quality"]["off_home_ground"])
    if warning:
        print(f"warning: {args.well}: {warning}", file=sys.stderr)
    fmt = lambda q: "-" if q[0] is None else f"{q[0]:.1f} / {q[1]:.1f}"
    for r in report["by_class_and_dip"]:
        recovered = "-" if r["recovery"] is None else f"{r['recovery']:.2f}"
        print(f"{r['class']:9s} dip {r['dip_bin_deg']:>6s}: {r['n']:4d} implants, recovered "
              f"{recovered}; depth cm {fmt(r['depth_cm'])}, "
              f"dip deg {fmt(r['dip_deg'])}, azimuth deg {fmt(r['azimuth_deg'])} (median / 80 %)")
    for kind in dict.fromkeys(r["class"] for r in report["by_class_and_nearest_pick"]):
        cells = [f"{_span_cm(r['nearest_m'])} {'-' if r['recovery'] is None else format(r['recovery'], '.2f')} (n {r['n']})"
                 for r in report["by_class_and_nearest_pick"] if r["class"] == kind]
        print(f"{kind:9s} recovered by the distance to the well's nearest pick: {', '.join(cells)}")
    zones = report["by_depth"]
    for r in zones if len(zones) > 1 else []:  # one zone says nothing the lines above do not
        by_class = ", ".join(f"{k} {'-' if v is None else format(v, '.2f')}" for k, v in r["recovery_by_class"].items())
        recovered = "-" if r["recovery"] is None else f"{r['recovery']:.2f}"
        print(f"depth {r['top_m']:.1f}-{r['bottom_m']:.1f} m: {r['implants']} implants, recovered {recovered} "
              f"({by_class}); picks of the well lost per copy {r['picks_lost_per_copy']:g} of {r['picks']}; "
              f"false picks added {r['false_picks_added']}")
    print(f"false picks added: {report['false_picks_added']}; picks of the well lost per copy: "
          f"{report['original_picks_lost_per_copy']:g} of {report['original_picks']} (which: found_again in "
          f"{stem}_picks_found_again.csv)")
    if not radius_is_measured(well):
        off = 100 * (RADIUS_RATIO_80 - 1)
        print(f"radius from {well.radius_source.replace('_', ' ')}, no caliper: the implants lie at that radius, so "
              f"their dip errors leave out a radius error (a radius {off:.0f} % off moves a 45 deg dip by "
              f"{float(radius_dip_err80_deg(45.0)):.1f} deg)")
    return 0


def _span_cm(nearest_m) -> str:
    """[lo, hi] in m (hi None: no upper end) as "0-5 cm" or ">= 30 cm"."""
    lo, hi = nearest_m
    return f">= {100 * lo:g} cm" if hi is None else f"{100 * lo:g}-{100 * hi:g} cm"
