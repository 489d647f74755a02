"""Fine-tuning vs from scratch vs the pretrained model unchanged, on a corpus made with other
generator settings than pretraining used (SynthConfig variant "shifted").

Usage: python scripts/finetune_experiment.py --out runs/finetune --max-minutes 5 [--wells 3 10]
       [--model default] [--finetune-lr LR] [--no-scratch]
Writes OUT/finetune.json and OUT/finetune.md (the table in docs/training.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

from geobfdt.files import write_text_atomic
from geobfdt.commands.demo import held_out_wells
from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.model.checkpoint import load_model
from geobfdt.io import read_well
from geobfdt.io.picks import read_picks
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import SynthConfig, synthesize_corpus
from geobfdt.training.run import labelled_training_data, resolve_config, run_training


def score(model, cfg, threshold, wells, truth) -> dict:
    pred = {w.name: pick_well_detr(w, model, cfg, threshold, progress=False) for w in wells}
    rep = evaluate_wells(pred, truth, tolerances_cm=(8,))["micro"]["8"]
    return {"f1": rep["overall"]["f1"] or 0.0, "fracture_f1": rep["fracture"]["f1"] or 0.0,
            "bedding_f1": rep["bedding"]["f1"] or 0.0, "dip_mae_deg": rep["overall"]["dip_mae_deg"],
            "azimuth_mae_deg": rep["overall"]["azimuth_mae_deg"]}


def minutes_to_best(run_dir: Path) -> float:
    rows = list(csv.DictReader(open(run_dir / "metrics.csv")))
    best = min(rows, key=lambda r: float(r["val_hungarian_loss"]))
    return float(best["seconds"]) / 60.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/finetune")
    parser.add_argument("--max-minutes", type=float, default=5.0, help="training budget of each run")
    parser.add_argument("--wells", type=int, nargs="+", default=[3, 10])
    parser.add_argument("--length-m", type=float, default=40.0)
    parser.add_argument("--model", default="default", help="the pretrained model (default: the shipped one)")
    parser.add_argument("--finetune-lr", type=float, help="fine-tuning learning rate (default: train.finetune_lr)")
    parser.add_argument("--no-scratch", action="store_true", help="skip the from-scratch arm")
    args = parser.parse_args()
    out = Path(args.out)
    corpus = out / "corpus"
    if not (corpus / "manifest.json").is_file():
        synthesize_corpus(corpus, wells=14, length_m=args.length_m, seed=777, config=SynthConfig.variant("shifted"))
    manifest = json.loads((corpus / "manifest.json").read_text())
    test_names = held_out_wells(manifest, 4)
    pool = [(corpus / f"{w['name']}.dlis", corpus / f"{w['name']}_picks.csv") for w in manifest["wells"]
            if w["name"] not in test_names]
    test_wells = [read_well(corpus / f"{n}.dlis") for n in test_names]
    truth = {n: read_picks(corpus / f"{n}_picks.csv") for n in test_names}

    pretrained, cfg_pre, threshold_pre = load_model(args.model)
    options = "".join(f" {flag} {value}" for flag, value in (("--model", args.model), ("--finetune-lr", args.finetune_lr))
                      if value not in (None, "default")) + (" --no-scratch" if args.no_scratch else "")
    results = {"command": f"python scripts/finetune_experiment.py --out {args.out} --max-minutes {args.max_minutes:g} "
                          f"--wells {' '.join(map(str, args.wells))}{options}",
               "test_wells": test_names, "rows": []}
    results["rows"].append({"setting": "pretrained, unchanged", "wells": 0, "minutes": 0.0,
                            **score(pretrained, cfg_pre, threshold_pre, test_wells, truth)})
    for n in args.wells:
        for label, init in (("fine-tuned", args.model), ("from scratch", None))[:1 if args.no_scratch else 2]:
            overrides = {"train.max_minutes": args.max_minutes, "train.epochs": 10**6, "train.seed": 0}
            if init is not None and args.finetune_lr is not None:
                overrides["train.finetune_lr"] = args.finetune_lr
            cfg = resolve_config(None, overrides, init)
            run_dir = out / f"{label.replace(' ', '_')}_{n}wells"
            started = time.monotonic()
            run_training(cfg, labelled_training_data(pool[:n], cfg, 1), run_dir, init=init, quiet=True)
            model, cfg, threshold = load_model(run_dir)
            row = {"setting": label, "wells": n, "minutes": round((time.monotonic() - started) / 60.0, 1),
                   "minutes_to_best": round(minutes_to_best(run_dir), 1), **score(model, cfg, threshold, test_wells, truth)}
            results["rows"].append(row)
            print(row, flush=True)
    write_text_atomic(out / "finetune.json", json.dumps(results, indent=2))
    lines = [f"Command: `{results['command']}`; held-out wells {', '.join(test_names)}.", "",
             "| model | labelled wells | training min (to best) | F1 @8 cm | fracture F1 | bedding F1 | dip MAE | azimuth MAE |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        mae = lambda v: "-" if v is None else f"{v:.1f}"
        lines.append(f"| {r['setting']} | {r['wells']} | {r['minutes']:g} ({r.get('minutes_to_best', 0):g}) | {r['f1']:.3f} "
                     f"| {r['fracture_f1']:.3f} | {r['bedding_f1']:.3f} | {mae(r['dip_mae_deg'])} | {mae(r['azimuth_mae_deg'])} |")
    write_text_atomic(out / "finetune.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
