"""Reproduce the case study's ablations: one knob at a time, several seeds, fixed test wells.

Studies: backbone (ResNet-10/14/18/34), augmentation (none / photometric /
photometric + geometric), normalisation (static / dynamic), wells (3, 6, 10, 14 training
wells, 2 of them for validation, 1 of 3). Everything else is held constant: the corpus, the test
wells, the validation split, the budget per run. Runs train from scratch, as the case
study did. The training seeds are --seed, --seed + 1 ... (--seeds of them; default from 0); the
validation split stays that of seed 0. The wells study needs a corpus with 14 wells besides the 4
test wells (the corpus it makes has them). Each study writes <study>.md (the case study's table form
plus F1 at 8 cm and dip/azimuth MAE on the test wells, mean and spread over seeds, and the command
that makes it again), <study>.json, <study>.png. A bar counts the runs done (settings x seeds), each
run's epochs have theirs, as `train`'s do; --no-progress draws none.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from geobfdt.commands import (add_deprecated_alias, add_training_options, output_folder, positive_int,
                              synthetic_length_m, training_budget, training_command_options, training_overrides)
from geobfdt.errors import OptionError
from geobfdt.files import write_text_atomic

HELP = "run one of the case study's ablations (backbone, augmentation, normalisation, wells)"

STUDIES = {
    "backbone": [("resnet10", {"model.backbone": "resnet10"}), ("resnet14", {"model.backbone": "resnet14"}),
                 ("resnet18", {"model.backbone": "resnet18"}), ("resnet34", {"model.backbone": "resnet34"})],
    "augmentation": [("none", {"data.photometric": False, "data.geometric": False}),
                     ("photometric", {"data.photometric": True, "data.geometric": False}),
                     ("photometric+geometric", {"data.photometric": True, "data.geometric": True})],
    "normalisation": [("static", {"data.normalisation": "static"}), ("dynamic", {"data.normalisation": "dynamic"})],
    "wells": [(f"{n} wells", {"wells": n}) for n in (3, 6, 10, 14)],
}
TEST_WELLS = 4
DEFAULT_MINUTES = 5.0  # training budget of each run


def add_arguments(p):
    p.add_argument("study", choices=sorted(STUDIES), help="which setting to vary (docs/ablations.md)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the runs, the table (STUDY.md, STUDY.json) "
                   "and the plot (STUDY.png)")
    p.add_argument("--seeds", type=positive_int, default=3, help="training seeds per setting (default 3)")
    p.add_argument("--corpus", metavar="DIR", help="an existing corpus from `geobfdt synth` (default: make one "
                   "in OUT/corpus: 18 wells, 14 to train from and 4 to test on)")
    p.add_argument("--length-m", type=synthetic_length_m, default=40.0,
                   help="well length when making the corpus (default 40 m, at most 1000)")
    add_training_options(p, default_minutes=DEFAULT_MINUTES)
    add_deprecated_alias(p, "--budget-minutes", "--max-minutes")
    add_deprecated_alias(p, "--budget-samples", "--max-samples", type=int)
    p.add_argument("--no-progress", action="store_true", help="no progress bars (default: one over the study's "
                   "runs, one over each run's epochs, one over the wells when making the corpus)")


def study_settings(study: str, pool_wells: int) -> list[tuple[str, dict]]:
    """The study's settings, refused before any training where the corpus has fewer wells
    besides the test wells than a setting trains on (each would train on the same few wells)."""
    settings = STUDIES[study]
    short = [label for label, setting in settings if setting.get("wells", 0) > pool_wells]
    if short:
        raise OptionError(f"the {study} study trains on up to {max(s.get('wells', 0) for _, s in settings)} wells, "
                          f"but the corpus has {pool_wells} besides the {TEST_WELLS} test wells ({', '.join(short)} "
                          f"impossible): give a larger --corpus, or none to make one")
    return settings


def training_seeds(args) -> range:
    """The --seeds training seeds, from --seed (default 0)."""
    first = 0 if args.seed is None else args.seed
    return range(first, first + args.seeds)


def ablate_command(args, cfg) -> str:
    """The command line that makes the study again, budgets and settings included."""
    import shlex

    words = ["geobfdt", "ablate", args.study, "--seeds", str(args.seeds), *training_command_options(args, cfg),
             "--out", str(args.out)]
    words += ["--corpus", str(args.corpus)] if args.corpus else ["--length-m", f"{args.length_m:g}"]
    return shlex.join(words + (["--seed", str(args.seed)] if args.seed is not None else []))


def summarise(values: list[float]) -> tuple[float, float]:
    clean = [v for v in values if v is not None and np.isfinite(v)]
    return (float(np.mean(clean)), float(np.std(clean))) if clean else (float("nan"), float("nan"))


def run(args) -> int:
    import csv

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from geobfdt.config import apply_overrides
    from geobfdt.device import choose_device
    from geobfdt.evaluation.metrics import evaluate_wells
    from geobfdt.io import read_well
    from geobfdt.io.names import safe_stem
    from geobfdt.io.picks import read_picks
    from geobfdt.model.checkpoint import load_model
    from geobfdt.patches.dataset import find_labelled_wells, load_labelled_patches
    from geobfdt.picking.whole_well import pick_well_detr
    from geobfdt.synth import synthesize_corpus
    from geobfdt.training.run import labelled_training_data, resolve_config, run_training

    output_folder(args.out)
    overrides = training_overrides(args, DEFAULT_MINUTES)
    device = choose_device(args.device)
    out = Path(args.out)
    corpus = Path(args.corpus) if args.corpus else out / "corpus"
    if not args.corpus and not (corpus / "manifest.json").is_file():
        with tqdm(total=14 + TEST_WELLS, unit="well", desc="corpus", disable=args.no_progress) as bar:
            synthesize_corpus(corpus, wells=14 + TEST_WELLS, length_m=args.length_m, seed=1234, progress=bar.update)
    pairs = find_labelled_wells([corpus])
    if len(pairs) < TEST_WELLS + 3:
        raise OptionError(f"{corpus}: the ablations need at least {TEST_WELLS + 3} labelled wells")
    test_pairs, pool = pairs[-TEST_WELLS:], pairs[:-TEST_WELLS]
    settings = study_settings(args.study, len(pool))
    base = resolve_config(args.config, overrides)  # runs train from scratch, as the case study did
    base.train.epochs = 10**6  # the budget decides
    test_wells = [read_well(p[0]) for p in test_pairs]
    truth = {w.name: read_picks(p[1]) for w, p in zip(test_wells, test_pairs)}
    rows = []
    with tqdm(total=len(settings) * args.seeds, unit="run", desc=f"ablate {args.study}",
              disable=args.no_progress) as runs:
        for label, setting in settings:
            cfg = apply_overrides(copy.deepcopy(base), {k: v for k, v in setting.items() if k != "wells"})
            wells = pool[:setting.get("wells", min(10, len(pool)))]
            by_well = load_labelled_patches(wells, cfg.data, progress=not args.no_progress)  # seeds share it
            for seed in training_seeds(args):
                cfg.train.seed = seed
                # the validation wells are fixed by split seed 0, so only the training seed varies
                data = labelled_training_data(wells, apply_overrides(copy.deepcopy(cfg), {"train.seed": 0}),
                                              2 if len(wells) > 4 else 1, by_well=by_well)
                run_dir = out / args.study / f"{safe_stem(label)}_seed{seed}"
                runs.write(f"{args.study}: {label}, seed {seed}, {len(data.train_set)} training patches")
                runs.set_postfix_str(f"{label}, seed {seed}: training")
                # each run picks at its own thresholds, tuned on its validation wells picked whole as
                # `train` does: a fixed 0.5 would score an under-confident model as if it had found nothing
                summary = run_training(copy.deepcopy(cfg), data, run_dir, device=args.device, quiet=True,
                                       progress_bar=not args.no_progress)
                best = min(csv.DictReader(open(run_dir / "metrics.csv")), key=lambda r: float(r["val_hungarian_loss"]))
                runs.set_postfix_str(f"{label}, seed {seed}: picking the test wells")
                model, header = load_model(run_dir, device)
                pred = {w.name: pick_well_detr(w, model, cfg, header.thresholds, device=device, progress=False,
                                               calibration=header.score_calibration)
                        for w in test_wells}
                rep = evaluate_wells(pred, truth, tolerances_cm=(8,))["micro"]["8"]["overall"]
                rows.append({"setting": label, "seed": seed, "hungarian_loss": float(best["val_hungarian_loss"]),
                             "param_loss": float(best["val_loss_params"]),
                             "class_error": float(best["val_class_error"]),
                             "f1_8cm": rep["f1"] or 0.0, "dip_mae_deg": rep["dip_mae_deg"],
                             "azimuth_mae_deg": rep["azimuth_mae_deg"], "epochs": summary["epoch"]})
                runs.set_postfix_str("", refresh=False)
                runs.update()
    write_study(out, args, base, rows, plt)
    return 0


def write_study(out: Path, args, cfg, rows: list[dict], plt) -> None:
    """The study's table (.md), runs and statistics (.json) and figure (.png); cfg: the runs' base
    config, whose budgets the command names."""
    from geobfdt.reports.plots import save_figure

    labels = list(dict.fromkeys(r["setting"] for r in rows))
    # epochs: how far each run got in its budget, the context every other column needs
    metrics = ("hungarian_loss", "param_loss", "class_error", "f1_8cm", "dip_mae_deg", "azimuth_mae_deg", "epochs")
    table = ["| setting | Hungarian loss | parameter loss | class error (%) | F1 @8 cm | dip MAE (deg) "
             "| azimuth MAE (deg) | epochs |", "|---|---|---|---|---|---|---|---|"]
    stats = {}
    for label in labels:
        mine = [r for r in rows if r["setting"] == label]
        stats[label] = {m: summarise([r[m] for r in mine]) for m in metrics}
        table.append(f"| {label} | " + " | ".join(f"{mean:.4g} ± {std:.2g}" for mean, std in stats[label].values()) + " |")
    command = ablate_command(args, cfg)
    text = [f"# Ablation: {args.study}", "", f"Command: `{command}`", "",
            f"Mean ± standard deviation over {args.seeds} seeds; losses and class error on the validation wells "
            f"at the best epoch, F1 and MAE on the {TEST_WELLS} test wells.", "", *table, ""]
    write_text_atomic(out / f"{args.study}.md", "\n".join(text))
    write_text_atomic(out / f"{args.study}.json", json.dumps({"command": command, "runs": rows, "stats": stats}, indent=2))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, metric in zip(axes, ("hungarian_loss", "class_error", "f1_8cm")):
        means = [stats[label][metric][0] for label in labels]
        spreads = [stats[label][metric][1] for label in labels]
        ax.bar(range(len(labels)), means, yerr=spreads, capsize=4, color="tab:blue")
        ax.set_xticks(range(len(labels)), labels, rotation=20)
        ax.set_title(metric.replace("_", " "))
    fig.suptitle(f"ablation: {args.study} ({args.seeds} seeds, {training_budget(cfg)} each)")
    fig.tight_layout()
    save_figure(fig, out / f"{args.study}.png", dpi=110)
    print("\n".join(text))
