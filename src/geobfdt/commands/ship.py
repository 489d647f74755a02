"""Install a training run's best model as the package's default model, then calibrate it.

For maintainers making a release (`make model` runs it after the pretraining recipe;
docs/model-card.md). The run's per-class thresholds are re-tuned on whole synthetic validation
wells, --tune-wells per tool group (seeds neither pretraining nor the held-out test wells
draw), picked as `geobfdt predict` picks them. Files over 20 MB are refused, and with
--only-if-better a run whose validation-well fracture F1 is below the installed model's. The
model then gets its score calibration and 80% interval scale, fitted on --calibration-wells
validation wells per group (the interval scale on the first --interval-wells of them), as
`geobfdt calibrate` does on labelled wells of your own; then the evidence-based intervals and
quality-aware scores that `predict` writes, on those wells drawn with the default and
real-texture settings and on copies of them with more blur (the LWD ones also at 16 or 56
sectors, and at 5 or 10 cm rows): 20 wells per --calibration-wells, each picked with the
test-time views.

Example:
  geobfdt ship runs/shipped/phase10 --tune-wells 4 --only-if-better
"""

from __future__ import annotations

from geobfdt.commands import bounded_int, output_folder

HELP = "install a run's model as the package's default model, thresholds tuned and calibrated (maintainers)"


def add_arguments(p):
    p.add_argument("run", metavar="RUN", help="a training run folder (its best.safetensors is installed)")
    p.add_argument("--into", metavar="DIR",
                   help="the model folder to install into (default: the package's weights folder)")
    p.add_argument("--tune-wells", type=bounded_int(1, 100), default=4, metavar="N",
                   help="validation wells per tool group to tune the thresholds on (default 4)")
    p.add_argument("--only-if-better", action="store_true",
                   help="keep the installed model unless the run's validation-well fracture F1 is at least as high")
    p.add_argument("--calibration-wells", type=bounded_int(1, 100), default=4, metavar="N",
                   help="validation wells per tool group to fit the score calibration and the evidence-based "
                   "intervals and scores on (default 4)")
    p.add_argument("--interval-wells", type=bounded_int(1, 100), default=1, metavar="N",
                   help="of those, how many per group to fit the 80%% interval scale on (default 1: six model "
                   "passes per window)")
    p.add_argument("--method", choices=["auto", "platt", "isotonic"], default="auto",
                   help="score calibration method (default auto: the lower cross-validated calibration error)")
    p.add_argument("--no-calibrate", action="store_true",
                   help="install with raw scores, without the score calibration, interval scale and evidence-based "
                   "intervals and scores")


def run(args) -> int:
    from geobfdt.errors import OptionError
    from geobfdt.training.ship import calibrate_shipped, ship_run, weights_dir

    if args.interval_wells > args.calibration_wells:
        raise OptionError(f"--interval-wells {args.interval_wells} is more than --calibration-wells "
                          f"{args.calibration_wells}")
    into = output_folder(args.into or weights_dir(), "--into")
    ship_run(args.run, into, args.tune_wells, args.only_if_better)
    if not args.no_calibrate:
        calibrate_shipped(into, args.calibration_wells, args.interval_wells, args.method)
    return 0
