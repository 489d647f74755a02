"""Install a run's best model as the package's default model (src/geobfdt/weights/default.safetensors).

Usage: python scripts/ship_model.py RUN_DIR [--tune-wells N] [--only-if-better]

The per-class score thresholds are re-tuned on N whole synthetic validation wells per tool
group (seeds that neither pretraining nor scripts/evaluate_model.py draw), picked end to end
as `geobfdt predict` picks them. Refuses files over 20 MB (the size the repository accepts for
a shipped model) and anything that is not a GeoBFDT model. With --only-if-better it installs
the run only if its fracture F1 on those validation wells is at least the shipped model's
(recorded in default_summary.json by the same script), so whether a new pretraining phase
replaces the shipped model never looks at the held-out test wells of evaluate_model.py.
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

from evaluate_model import GROUPS

from geobfdt.files import atomic_path, write_text_atomic
from geobfdt.model.checkpoint import load_model, save_model
from geobfdt.training.thresholds import tune_thresholds_on_wells
from geobfdt.synth import SynthConfig, synthesize_well
from geobfdt.well import PICK_TYPES

LIMIT_BYTES = 20 * 2**20
TARGET = Path(__file__).resolve().parents[1] / "src" / "geobfdt" / "weights" / "default.safetensors"
VALIDATION_SEED_BASE = 800_000  # evaluate_model.py tests on 900_000+; pretraining draws far below both
VALIDATION_LENGTH_M = 30.0


def validation_wells(per_group: int):
    for g, (variant, tool) in enumerate(GROUPS.values()):
        for k in range(per_group):
            seed = VALIDATION_SEED_BASE + 100 * g + k
            yield synthesize_well(seed, length_m=VALIDATION_LENGTH_M, config=SynthConfig.variant(variant), tool=tool,
                                  name=f"VAL{seed}")


def _refuse_unless_better(shipped: dict | None, report: dict, per_group: int, source: Path) -> None:
    same_wells = shipped and (shipped.get("wells_per_group"), shipped.get("length_m"), shipped.get("seed_base")) == (
        per_group, VALIDATION_LENGTH_M, VALIDATION_SEED_BASE)
    if not same_wells:
        sys.exit("--only-if-better: the shipped model has no scores on these validation wells to compare with")
    new, old = report["fracture"]["f1"], shipped["fracture"]["f1"]
    scores = ", ".join(f"{k} {report[k]['f1']:.3f} (shipped {shipped[k]['f1']:.3f})" for k in ("overall", "bedding"))
    if new < old:
        sys.exit(f"{source}: validation-well fracture F1 {new:.3f} is below the shipped model's {old:.3f}; "
                 f"not installed ({scores})")
    print(f"validation-well fracture F1 {new:.3f} >= shipped {old:.3f} ({scores})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir")
    parser.add_argument("--tune-wells", type=int, default=2, help="validation wells per tool group (default 2)")
    parser.add_argument("--only-if-better", action="store_true",
                        help="keep the shipped model unless the run's validation-well fracture F1 is at least as high")
    args = parser.parse_args()
    source = Path(args.run_dir) / "best.safetensors"
    model, header = load_model(source)
    cfg, patch_thresholds = header.config, header.thresholds
    thresholds, report = tune_thresholds_on_wells(model, cfg, list(validation_wells(args.tune_wells)))
    summary_path = TARGET.parent / "default_summary.json"
    if args.only_if_better:
        shipped = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
        _refuse_unless_better(shipped.get("val_wells_at_thresholds"), report, args.tune_wells, source)
    # a new run's scores are raw: `geobfdt calibrate` it afterwards
    info = dict(header.info, patch_thresholds=list(patch_thresholds), well_thresholds=list(thresholds),
                val_wells_f1_8cm=report["overall"]["f1"])
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    staged = TARGET.with_name("default.staged.safetensors")  # the shipped model stays until the new one passes
    save_model(model, cfg, staged, threshold=thresholds, extra=info)
    size = staged.stat().st_size
    if size > LIMIT_BYTES:
        staged.unlink()
        sys.exit(f"{source}: {size / 2**20:.1f} MB is over the 20 MB limit for a shipped model")
    staged.replace(TARGET)
    for extra in ("config.json", "metrics.csv", "summary.json"):
        if (Path(args.run_dir) / extra).is_file():
            with atomic_path(TARGET.parent / f"default_{extra}") as tmp:
                shutil.copyfile(Path(args.run_dir) / extra, tmp)
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    summary["thresholds"] = dict(zip(PICK_TYPES, thresholds))
    summary["thresholds_tuned_on"] = f"{len(GROUPS) * args.tune_wells} whole validation wells"
    summary["val_wells_at_thresholds"] = {"wells_per_group": args.tune_wells, "length_m": VALIDATION_LENGTH_M,
                                          "seed_base": VALIDATION_SEED_BASE,
                                          **{k: v for k, v in report.items() if k != "raw"}}
    write_text_atomic(summary_path, json.dumps(summary, indent=2, default=float))
    print(f"shipped {source} ({size / 2**20:.1f} MB, {cfg.model.backbone}); thresholds on validation patches "
          f"{patch_thresholds}, on {len(GROUPS) * args.tune_wells} whole validation wells {thresholds} "
          f"(F1 {report['overall']['f1']:.3f} at 8 cm) -> {TARGET}")


if __name__ == "__main__":
    main()
