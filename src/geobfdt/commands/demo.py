"""The whole pipeline on built-in synthetic wells, in one command (`make demo`).

1. synthesise a 14-well corpus (DLIS + picks CSV per well);
2. train the ResNet-10 detector on 10 wells (2 of them for validation) within a CPU
   budget, fine-tuning the shipped pretrained model when it exists (--from-scratch for the
   case study's setting);
3. pick the 4 held-out wells with the detector and with the Hough baseline, and run the detector's
   injection-recovery on each (as `geobfdt inject-test`: what a user learns without labels, set beside
   what the wells' labels say);
4. evaluate both and write report.md with metrics tables, comparison and plots.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

from geobfdt.commands import (add_deprecated_alias, add_training_options, output_folder, positive_int,
                              synthetic_length_m, training_budget, training_command_options, training_overrides)
from geobfdt.errors import OptionError

HELP = "synthesise wells, train, pick held-out wells, evaluate, report"
DEFAULT_MINUTES = 10.0  # training budget


def add_arguments(p):
    p.add_argument("--out", default="demo_out", metavar="DIR", help="output folder (default demo_out)")
    p.add_argument("--wells", type=positive_int, default=14, help="wells in the corpus (default 14; 4 are held out)")
    p.add_argument("--length-m", type=synthetic_length_m, default=60.0,
                   help="length of each well (default 60 m, at most 1000)")
    add_training_options(p, default_minutes=DEFAULT_MINUTES)
    add_deprecated_alias(p, "--minutes", "--max-minutes")
    p.add_argument("--from-scratch", action="store_true", help="train from random weights instead of fine-tuning "
                   "the shipped model")


def held_out_wells(manifest: dict, count: int = 4) -> list[str]:
    """One well of each tool type first, then the last wells, so every tool is tested."""
    wells = manifest["wells"]
    chosen = []
    for tool in sorted({w["tool"] for w in wells}):
        chosen.append([w["name"] for w in wells if w["tool"] == tool][-1])
    for w in reversed(wells):
        if len(chosen) >= count:
            break
        if w["name"] not in chosen:
            chosen.append(w["name"])
    return sorted(chosen[:count])


def demo_command(args, cfg) -> str:
    """The command line that makes this demo again: every option that shapes its result, with the
    seed and the budgets the run had (the report's first line)."""
    import shlex

    words = ["geobfdt", "demo", "--out", str(args.out), "--wells", str(args.wells), "--length-m", f"{args.length_m:g}",
             "--seed", str(cfg.train.seed), *training_command_options(args, cfg)]
    return shlex.join(words + (["--from-scratch"] if args.from_scratch else []))


def run(args) -> int:
    from geobfdt.device import choose_device
    from geobfdt.evaluation.injection import recovery_against_truth, run_injection
    from geobfdt.files import write_text_atomic
    from geobfdt.model.checkpoint import load_model
    from geobfdt.io import read_well
    from geobfdt.io.names import output_path, safe_stem
    from geobfdt.io.picks import read_picks, write_picks_csv
    from geobfdt.picking.picker import Picker
    from geobfdt.picking.whole_well import pick_well_hough_method
    from geobfdt.reports.markdown import write_report
    from geobfdt.synth import synthesize_corpus
    from geobfdt.training.run import labelled_training_data, resolve_config, resolve_init, run_training

    if args.wells < 4:
        raise OptionError("--wells must be at least 4 (1 train, 1 validation, 2 test)")
    out = output_folder(args.out)
    choose_device(args.device)
    started = time.monotonic()
    init = resolve_init(None, args.from_scratch)
    cfg = resolve_config(args.config, training_overrides(args, DEFAULT_MINUTES), init,
                         remedy="pass --from-scratch (the demo has no --init)")
    seed = cfg.train.seed  # of the corpus and the training
    corpus = out / "corpus"
    print(f"[1/4] synthesising {args.wells} wells x {args.length_m:g} m -> {corpus}")
    synthesize_corpus(corpus, wells=args.wells, length_m=args.length_m, seed=seed)
    manifest = json.loads((corpus / "manifest.json").read_text())
    test_names = held_out_wells(manifest, min(4, args.wells - 2))
    pairs = [(corpus / f"{w['name']}.dlis", corpus / f"{w['name']}_picks.csv") for w in manifest["wells"]]
    train_pairs = [p for p in pairs if p[0].stem not in test_names]

    print(f"[2/4] training on {len(train_pairs)} wells ({'fine-tuning the shipped model' if init else 'from scratch'}"
          f", {training_budget(cfg)} budget); held out: {', '.join(test_names)}")
    data = labelled_training_data(train_pairs, cfg, 2)
    summary = run_training(cfg, data, out / "run", init=init, device=args.device)
    device = choose_device(args.device)

    print("[3/4] picking the held-out wells with the detector and the Hough baseline; the detector's injection-recovery "
          "on each")
    model, header = load_model(out / "run", device)
    picker = Picker(model=str(out / "run"), method="detr", device=device, engine=model, header=header)
    train_cfg, cfg = cfg, header.config
    wells, truth, predictions = [], {}, {"detector": {}, "hough": {}}
    for name in test_names:
        well = read_well(corpus / f"{name}.dlis")
        wells.append(well)
        truth[name] = read_picks(corpus / f"{name}_picks.csv")
        predictions["detector"][name] = picker.pick(well)  # as predict picks and scores them
        predictions["hough"][name] = pick_well_hough_method(well, cfg)
        for method, by_well in predictions.items():
            write_picks_csv(output_path(out / "picks" / method, f"{safe_stem(name)}_picks.csv"), by_well[name])

    injection = {}  # each held-out well's own injection-recovery, as inject-test runs it, against its labels
    for well in wells:
        picks = [replace(p) for p in predictions["detector"][well.name]]  # run_injection marks its picks found again
        report, _, _, pooled = run_injection(well, picker.positions, seed=seed, before=picks)
        injection[well.name] = {"report": report,
                                "against_truth": recovery_against_truth(pooled, truth[well.name], picks)}
        write_text_atomic(output_path(out / "injection", f"{safe_stem(well.name)}_injection.json"),
                          json.dumps(report, indent=2))

    print("[4/4] evaluating and writing the report")
    header = [f"Corpus: {args.wells} synthetic wells x {args.length_m:g} m, seed {seed} "
              f"(`{demo_command(args, train_cfg)}`).",
              f"Detector: {cfg.model.backbone}, {'fine-tuned from the shipped model' if init else 'from scratch'}, "
              f"{training_budget(cfg)} budget, validation wells {', '.join(data.val_names)}, "
              f"score thresholds {header.thresholds[0]:.2f} (fracture) / "
              f"{header.thresholds[1]:.2f} (bedding), chosen on the validation wells"
              + (" (a fine-tuned model keeps its starting thresholds unless they show a gain beyond sampling noise)"
                 if init else "") + "; score calibration: "
              f"{summary['score_calibration']}; quality-aware scores: "
              f"{summary.get('quality_scores', 'none (a model trained from scratch)')}.",
              f"Held-out test wells: {', '.join(f'{w.name} ({w.tool})' for w in wells)}.",
              f"Total demo time: {(time.monotonic() - started) / 60:.1f} min."]
    report = write_report(out, wells, truth, predictions, header, injection=injection)
    table = [line for line in report.read_text().splitlines() if line.startswith(("| method", "| detector", "| hough"))]
    print("\n".join(table[:7]))
    print(f"report: {report}")
    return 0
