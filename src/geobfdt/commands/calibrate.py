"""Calibrate a model's scores on labelled wells, so a pick's score is the probability that it is real.

Picks the wells end to end with the raw scores, compares every pick with the true picks
(real: a true pick of its class within 8 cm that no better-scoring pick took first), fits a
per-class map raw score -> probability (platt: a sigmoid of the logit; isotonic: a monotone
step curve; auto: the one with the lower expected calibration error across the wells, each
well scored by a map fitted on the others) and writes a copy of the model with that map and
its thresholds re-expressed on the calibrated scale (the same picks pass them). It also fits
the factors that turn the spread of each pick under test-time transforms into 80% intervals
of depth, dip and azimuth (for `predict --uncertainty`), and from the same picks the
quality-aware scores that `predict` writes and the evidence-based intervals of `predict --uncertainty`
(per-pick evidence and the well's blur: docs/model-card.md, "Error bars"); that picks every well
six times over, --no-intervals skips it. The weights are not changed. Definitions: docs/evaluation.md.

Example:
  geobfdt calibrate mywells/*.dlis --truth mywells/ --out calibrated.safetensors --plot reliability.png
"""

from __future__ import annotations

from pathlib import Path

from geobfdt.commands import add_device_option, add_reader_options, output_file, png_file, reader_options, well_paths
from geobfdt.errors import OptionError, PickFileError

HELP = "fit a model's score calibration on labelled wells (scores become probabilities)"


def add_arguments(p):
    p.add_argument("wells", nargs="+", metavar="WELL", help="labelled well files (DLIS, LAS, NPZ), or folders of them")
    p.add_argument("--truth", required=True, metavar="PICKS",
                   help="their true picks: a file or a folder of <WELL>_picks.csv (any format `evaluate` reads)")
    p.add_argument("--out", required=True, metavar="FILE", help="the calibrated model file to write (.safetensors)")
    p.add_argument("--model", default="default", metavar="RUN_OR_FILE",
                   help="a run folder, a .safetensors model, or 'default' (the shipped model)")
    p.add_argument("--method", choices=["auto", "platt", "isotonic"], default="auto",
                   help="auto (default): the lower cross-validated calibration error; needs 2 or more wells")
    p.add_argument("--no-intervals", action="store_true",
                   help="fit the score calibration only, not the quality-aware scores and the evidence-based "
                   "80%% intervals (6x faster)")
    p.add_argument("--plot", metavar="PNG", help="also write a reliability diagram, raw and calibrated")
    add_reader_options(p)
    add_device_option(p)


def run(args) -> int:
    from tqdm import tqdm

    from geobfdt.io.pick_sets import load_picks_by_well
    from geobfdt.device import choose_device
    from geobfdt.io import read_well
    from geobfdt.model.checkpoint import load_model, save_model
    from geobfdt.picking.radius import FITTED_UNMEASURED_KEY, unmeasured_share
    from geobfdt.training.calibrate import calibrate_on_wells

    out = Path(args.out)
    if out.suffix != ".safetensors":
        raise OptionError(f"--out {out}: the model file must end in .safetensors")
    output_file(out)
    if args.plot:
        png_file(args.plot, "--plot")
    paths = well_paths(args.wells)
    if args.method == "auto" and len(paths) < 2:  # said now, not after picking the well
        raise OptionError("--method auto chooses by cross-validation across wells and needs 2 or more wells: "
                          "give more wells, or --method platt or isotonic")
    device = choose_device(args.device)
    model, header = load_model(args.model, device)
    cfg = header.config
    truth, _ = load_picks_by_well(args.truth)
    wells = [read_well(path, **reader_options(args)) for path in paths]
    if len(wells) == 1 and len(truth) == 1 and wells[0].name not in truth:
        truth = {wells[0].name: next(iter(truth.values()))}
    missing = [w.name for w in wells if w.name not in truth]
    if missing:
        raise PickFileError(f"no true picks for well(s) {', '.join(missing)} in {args.truth}")
    with tqdm(total=len(wells), unit="well", desc="picking") as bar:
        calibration, new_thresholds, intervals, report = calibrate_on_wells(
            model, cfg, header.raw_thresholds, [(w, truth[w.name]) for w in wells], args.method, device,
            intervals=not args.no_intervals, progress=bar.update)
    info = dict(header.info, calibrated_on=report["wells"])
    if report.get("evidence_intervals") is not None:  # fitted on these wells: their radius errors are in them
        info[FITTED_UNMEASURED_KEY] = unmeasured_share(wells)
    save_model(model, cfg, out, threshold=new_thresholds, calibration=calibration, intervals=intervals,
               extra=info,
               evidence_intervals=report.get("evidence_intervals"), quality_scores=report.get("quality_scores"))
    cv = ", ".join(f"{m} {e:.3f}" for m, e in report["cv_ece"].items()) or "not cross-validated (one well)"
    print(f"{report['method']} calibration on {len(wells)} well(s), {report['n_picks']} picks at the thresholds: "
          f"ECE raw {report['ece_raw']:.3f} -> {report['ece_calibrated_in_sample']:.3f} (in sample; "
          f"cross-validated: {cv}); thresholds "
          + ", ".join(f"{n} {a:.2f} -> {b:.2f}" for n, a, b in zip(("fracture", "bedding"), report["thresholds_raw"],
                                                              report["thresholds"]))
          + (f"; evidence intervals and quality-aware scores {report['evidence_note']}" if "evidence_note" in report
             else "") + f" -> {out}")
    if args.plot:
        from geobfdt.reports.plots import plot_reliability

        raw, real, class_id = report["raw_scores"], report["real"], report["class_id"]
        plot_reliability({"raw": (raw, real), "calibrated": (calibration.probability(raw, class_id), real)},
                         args.plot, title=f"Reliability on {len(wells)} labelled well(s), all candidate picks")
    return 0
