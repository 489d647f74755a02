"""Shipping a model: a run's best model installed as the package's default, then calibrated.

The default model lives in src/geobfdt/weights/ (default.safetensors, with default_config.json,
default_metrics.csv and default_summary.json beside it). ship_run re-tunes the run's per-class
score thresholds on whole synthetic validation wells, per tool group (seeds that neither
pretraining nor the held-out test wells of scripts/evaluate_model.py draw), picked end to end
as `geobfdt predict` picks them; it refuses files over LIMIT_BYTES (what the repository accepts
for a shipped model) and, with only_if_better, a run whose fracture F1 on those wells is below
the shipped model's (recorded in default_summary.json by the same step), so whether a new
pretraining phase replaces the shipped model never looks at the held-out test wells.
calibrate_shipped then fits the score calibration and the 80% interval scale on the same
validation wells (training/calibrate.py) and writes them into the model's header: the tensors
are unchanged and the thresholds re-expressed on the calibrated scale, so the same picks pass.
It also fits the evidence-based intervals and quality-aware scores (model/calibration.py
EvidenceIntervals, QualityScores) on evidence_wells: the same validation wells under the default
and real-texture settings, plus augmented copies of them (EVIDENCE_AUGMENTATIONS: the tool's blur
scaled 1-3x, the LWD ones again at the coarsest sectors, and again at 5 or 10 cm rows), so the blur
terms see blurred and coarse images.
Never the held-out wells, nor the harsh variant (the noise model the fit never sees).
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from geobfdt.errors import GeoBFDTError, ModelFileError, OptionError
from geobfdt.files import atomic_path, write_text_atomic
from geobfdt.model.checkpoint import load_model, save_model
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.calibrate import calibrate_on_wells, fit_evidence, pick_evidence_table
from geobfdt.training.thresholds import tune_thresholds_on_wells
from geobfdt.well import PICK_TYPES

LIMIT_BYTES = 20 * 2**20
GROUPS = {  # the tool groups of the validation and held-out test wells, name: (synth config variant, tool)
    "FMI-like, vertical": ("vertical", "fmi"),
    "slim pad imager, vertical": ("vertical", "slim"),
    "LWD sectors, vertical": ("vertical", "lwd"),
    "deviated / horizontal, all tools": ("deviated", None),
}
VALIDATION_SEED_BASE = 800_000  # evaluate_model.py tests on 900_000+; pretraining draws far below both
VALIDATION_LENGTH_M = 30.0
MODEL_NAME = "default.safetensors"
LWD = "LWD sectors, vertical"
EVIDENCE_VARIANTS = ("default", "real-texture")  # what the evidence fit sees; harsh stays unseen
# name: (settings laid over the well's, the groups it applies to). The blur scale is synth/faults.py's knob with
# its own random stream: the same geology and noise, only blurrier (a known kernel); the validation LWD wells
# happen to have 32-128 sectors, so the coarse copy draws 16 or 56, where a blurred trace loses most.
EVIDENCE_AUGMENTATIONS = {"plain": ({}, tuple(GROUPS)),
                          "blurred": ({"fault_blur_scale": (1.0, 3.0)}, tuple(GROUPS)),
                          "coarse": ({"fault_blur_scale": (1.0, 3.0), "lwd_sectors": (16, 56)}, (LWD,)),
                          # rows as long as a real LWD log's (the NLOG image in ../shared/external: 10 cm)
                          "coarse-rows": (VARIANTS["long-rows"], (LWD,))}


def weights_dir() -> Path:
    """The package's model folder, where the shipped model is installed."""
    return Path(str(resources.files("geobfdt") / "weights"))


def validation_wells(per_group: int):
    """(Well, true picks) of the synthetic validation wells, per_group of each tool group."""
    for group in GROUPS:
        for k in range(per_group):
            yield validation_well(group, k)


def validation_well(group: str, k: int, variant: str = "default", augmentation: str = "plain"):
    """(Well, true picks) of the k-th validation well of a tool group under a synth variant and an
    EVIDENCE_AUGMENTATIONS entry."""
    g = list(GROUPS).index(group)
    tool_variant, tool = GROUPS[group]
    seed = VALIDATION_SEED_BASE + 100 * g + k
    config = SynthConfig.variant(tool_variant).replace(**{**VARIANTS[variant], **EVIDENCE_AUGMENTATIONS[augmentation][0]})
    return synthesize_well(seed, length_m=VALIDATION_LENGTH_M, config=config, tool=tool, name=f"VAL{seed}")


EVIDENCE_LWD_FACTOR = 6  # the LWD wells differ most from one another (16-128 sectors): the fits take this many times as many


def evidence_wells(per_group: int) -> list[tuple[str, str, str, int]]:
    """(variant, augmentation, group, k) of every well the evidence-based fits are made on: per_group of
    each tool group's, EVIDENCE_LWD_FACTOR times as many of the LWD group's."""
    return [(variant, augmentation, group, k) for variant in EVIDENCE_VARIANTS
            for augmentation, (_, groups) in EVIDENCE_AUGMENTATIONS.items() for group in groups
            for k in range(per_group * (EVIDENCE_LWD_FACTOR if group == LWD else 1))]


def _wells(per_group: int) -> list:
    return list(tqdm(validation_wells(per_group), total=len(GROUPS) * per_group, desc="validation wells",
                     unit="well"))


def _refuse_unless_better(shipped: dict | None, report: dict, per_group: int, source: Path) -> str:
    same_wells = shipped and (shipped.get("wells_per_group"), shipped.get("length_m"), shipped.get("seed_base")) == (
        per_group, VALIDATION_LENGTH_M, VALIDATION_SEED_BASE)
    if not same_wells:
        raise OptionError("--only-if-better: the shipped model has no scores on these validation wells to compare "
                          "with")
    new, old = report["fracture"]["f1"], shipped["fracture"]["f1"]
    scores = ", ".join(f"{k} {report[k]['f1']:.3f} (shipped {shipped[k]['f1']:.3f})" for k in ("overall", "bedding"))
    if new < old:
        raise GeoBFDTError(f"{source}: validation-well fracture F1 {new:.3f} is below the shipped model's {old:.3f}; "
                           f"not installed ({scores})")
    return f"validation-well fracture F1 {new:.3f} >= shipped {old:.3f} ({scores})"


def ship_run(run_dir, into: Path, tune_wells: int = 4, only_if_better: bool = False, log=print) -> Path:
    """Install RUN/best.safetensors as into/default.safetensors with thresholds tuned on
    tune_wells validation wells per tool group; the run's config, metrics and summary beside it.
    The model in place stays until the new one has passed every check."""
    source = Path(run_dir) / "best.safetensors"
    model, header = load_model(source)
    cfg = header.config
    thresholds, report = tune_thresholds_on_wells(model, cfg, _wells(tune_wells))
    target = Path(into) / MODEL_NAME
    summary_path = target.parent / "default_summary.json"
    if only_if_better:
        shipped = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
        log(_refuse_unless_better(shipped.get("val_wells_at_thresholds"), report, tune_wells, source))
    # a new run's scores are raw here: calibrate_shipped calibrates them afterwards
    info = dict(header.info, patch_thresholds=list(header.thresholds), well_thresholds=list(thresholds),
                val_wells_f1_8cm=report["overall"]["f1"])
    staged = target.with_name("default.staged.safetensors")
    save_model(model, cfg, staged, threshold=thresholds, extra=info)
    size = staged.stat().st_size
    if size > LIMIT_BYTES:
        staged.unlink()
        raise ModelFileError(f"{source}: {size / 2**20:.1f} MB is over the {LIMIT_BYTES / 2**20:g} MB limit for a "
                             f"shipped model")
    staged.replace(target)
    for extra in ("config.json", "metrics.csv", "summary.json"):
        if (Path(run_dir) / extra).is_file():
            with atomic_path(target.parent / f"default_{extra}") as tmp:
                shutil.copyfile(Path(run_dir) / extra, tmp)
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    summary["thresholds"] = dict(zip(PICK_TYPES, thresholds))
    summary["thresholds_tuned_on"] = f"{len(GROUPS) * tune_wells} whole validation wells"
    summary["val_wells_at_thresholds"] = {"wells_per_group": tune_wells, "length_m": VALIDATION_LENGTH_M,
                                          "seed_base": VALIDATION_SEED_BASE,
                                          **{k: v for k, v in report.items() if k != "raw"}}
    write_text_atomic(summary_path, json.dumps(summary, indent=2, default=float))
    log(f"shipped {source} ({size / 2**20:.1f} MB, {cfg.model.backbone}); thresholds on validation patches "
        f"{list(header.thresholds)}, on {len(GROUPS) * tune_wells} whole validation wells {list(thresholds)} "
        f"(F1 {report['overall']['f1']:.3f} at 8 cm) -> {target}")
    return target


def calibrate_shipped(into: Path, wells_per_group: int = 4, interval_wells_per_group: int = 1,
                      method: str = "auto", log=print) -> dict:
    """Fit the score calibration on wells_per_group validation wells per tool group, the
    interval scale on the first interval_wells_per_group of them (picking with the test-time
    transforms costs six forwards per window); rewrite into/default.safetensors with both in its
    header and record them in default_summary.json under score_calibration. Then the
    evidence-based intervals and scores (calibrate_shipped_evidence)."""
    target = Path(into) / MODEL_NAME
    model, header = load_model(target)
    cfg, raw_limit = header.config, header.raw_thresholds
    wells = _wells(wells_per_group)
    with tqdm(total=len(wells), unit="well", desc="calibrating") as bar:
        calibration, new_thresholds, _, report = calibrate_on_wells(model, cfg, raw_limit, wells, method,
                                                                    intervals=False, progress=bar.update)
    first = [wells[g * wells_per_group + k] for g in range(len(GROUPS)) for k in range(interval_wells_per_group)]
    with tqdm(total=len(first), unit="well", desc="interval scale") as bar:
        _, _, intervals, interval_report = calibrate_on_wells(model, cfg, raw_limit, first, calibration.method,
                                                              progress=bar.update)
    report["intervals"] = interval_report["intervals"]
    report["interval_wells"] = interval_report["wells"]
    # the header stays no larger than before: thresholds floored to 6 decimals (a floor never drops a
    # pick the exact threshold keeps) and the training record left to default_summary.json, which holds it
    floored = [float(np.floor(t * 1e6) / 1e6) for t in new_thresholds]
    save_model(model, cfg, target, threshold=floored, calibration=calibration, intervals=intervals)
    summary = {k: v for k, v in report.items() if k not in ("raw_scores", "class_id", "real", "evidence_intervals",
                                                             "quality_scores", "evidence_note")}
    summary["thresholds"] = floored
    summary.update(wells_per_group=wells_per_group, length_m=VALIDATION_LENGTH_M,
                   seed_base=VALIDATION_SEED_BASE, calibration=calibration.to_dict())
    path = target.parent / "default_summary.json"
    shipped = json.loads(path.read_text()) if path.is_file() else {}
    shipped["score_calibration"] = summary
    write_text_atomic(path, json.dumps(shipped, indent=2, default=float) + "\n")
    log(f"{calibration.method} calibration on {len(wells)} validation wells: ECE raw {report['ece_raw']:.3f} -> "
        f"{report['ece_calibrated_in_sample']:.3f} (in sample); thresholds "
        + ", ".join(f"{n} {a:.2f} -> {b:.2f}" for n, a, b in zip(PICK_TYPES, report["thresholds_raw"], floored))
        + f"; interval scale on {len(first)} wells -> {target}")
    calibrate_shipped_evidence(into, wells_per_group, log)
    return summary


def calibrate_shipped_evidence(into: Path, wells_per_group: int = 4, log=print) -> str:
    """Fit the evidence-based intervals and quality-aware scores of into/default.safetensors on
    evidence_wells(wells_per_group), picked at its thresholds with its score calibration, and
    rewrite the file with them; every other header field and the weights stay as they were.
    Returns the fit's note (also in default_summary.json under evidence_calibration)."""
    target = Path(into) / MODEL_NAME
    model, header = load_model(target)
    chosen = evidence_wells(wells_per_group)
    with tqdm(total=len(chosen), unit="well", desc="evidence intervals and scores") as bar:
        table = pick_evidence_table(model, header.config, header.raw_thresholds,
                                    (validation_well(g, k, v, a) for v, a, g, k in chosen),
                                    header.score_calibration, progress=bar.update)
    evidence = fit_evidence(table)
    if evidence["evidence_intervals"] is None:
        raise GeoBFDTError(f"{target}: evidence intervals and scores {evidence['evidence_note']}")
    save_model(model, header.config, target, threshold=header.thresholds, extra=header.info or None,
               calibration=header.score_calibration, intervals=header.interval_scale,
               evidence_intervals=evidence["evidence_intervals"], quality_scores=evidence["quality_scores"])
    path = target.parent / "default_summary.json"
    shipped = json.loads(path.read_text()) if path.is_file() else {}
    shipped["evidence_calibration"] = {
        "wells": f"{len(chosen)}: {wells_per_group} per tool group ({EVIDENCE_LWD_FACTOR * wells_per_group} LWD) under {', '.join(EVIDENCE_VARIANTS)}, plain and "
                 f"blurred 1-3x, and the LWD ones again at 16 or 56 sectors and at 5 or 10 cm rows "
                 f"(seeds {VALIDATION_SEED_BASE}+)",
        "note": evidence["evidence_note"], "evidence_intervals": evidence["evidence_intervals"].to_dict(),
        "quality_scores": evidence["quality_scores"].to_dict()}
    write_text_atomic(path, json.dumps(shipped, indent=2, default=float) + "\n")
    log(f"evidence intervals and quality-aware scores {evidence['evidence_note']} -> {target}")
    return evidence["evidence_note"]
