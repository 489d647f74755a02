"""Model files: safetensors weights with the run's config in the header (never pickle).

A model is usable on its own: `model.safetensors` carries `geobfdt_config` (JSON) and
`geobfdt_threshold` in its metadata, and optionally `geobfdt_calibration` (a per-class map from
raw scores to probabilities, geobfdt.model.calibration): with one, the thresholds are on the
calibrated scale, the scale of the picks' `score` column; and optionally `geobfdt_intervals`
(the factors that turn test-time-transform spreads into 80% intervals, also
geobfdt.model.calibration); and optionally `geobfdt_evidence_intervals` and
`geobfdt_quality_scores` (issue 30: 80% intervals and scores from per-pick evidence and the
well's blur; with them `predict --uncertainty` writes those instead). The header is read into a ModelHeader, which travels beside the
torch module (load_model) or an ONNX session (picking/engine.py).
A run folder holds best.safetensors, last.safetensors, config.json, metrics.csv and
state.safetensors (weights + optimizer + progress, for --resume).
torch is imported only where tensors are: `read_model_header` (settings alone) does without,
so predicting on ONNX Runtime never loads it (picking/engine.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from safetensors import SafetensorError, safe_open

from geobfdt.config import Config, ModelConfig, TrainConfig
from geobfdt.errors import GeoBFDTError, ModelFileError, RunFolderError
from geobfdt.files import arrays_sha256, atomic_path
from geobfdt.model.calibration import EvidenceIntervals, IntervalScale, QualityScores, ScoreCalibration

FORMAT_TAG = "geobfdt-detector-1"
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class ModelHeader:
    """What a model file says besides its weights. thresholds: per class, on the calibrated
    scale when score_calibration is set; info: the free-form record of the run that made it
    (best epoch, validation F1, calibrated_on ...)."""

    path: Path
    config: Config
    thresholds: tuple[float, ...]
    info: dict
    score_calibration: ScoreCalibration | None = None
    interval_scale: IntervalScale | None = None
    evidence_intervals: EvidenceIntervals | None = None
    quality_scores: QualityScores | None = None

    @property
    def raw_thresholds(self) -> tuple[float, ...]:
        return raw_thresholds(self.thresholds, self.score_calibration)


def default_model_path() -> Path:
    return Path(str(resources.files("geobfdt") / "weights" / "default.safetensors"))


def _atomic_save(tensors: dict, path: Path, metadata: dict) -> None:
    """Serialised in memory and written through atomic_path (safetensors' save_file would add
    a temporary file of its own, `.tmpXXXX`, which a killed run leaves behind)."""
    from safetensors.torch import save

    data = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=metadata)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def class_thresholds(threshold, num_classes: int) -> tuple[float, ...]:
    """One score threshold per class from a number or a per-class sequence."""
    values = [float(t) for t in (threshold if isinstance(threshold, (list, tuple)) else [threshold] * num_classes)]
    if len(values) != num_classes:
        raise ModelFileError(f"expected {num_classes} class thresholds, got {len(values)}")
    return tuple(values)


def raw_thresholds(thresholds, calibration: ScoreCalibration | None) -> tuple[float, ...]:
    """Per-class thresholds on the raw score scale (the calibrated ones mapped back)."""
    if calibration is None:
        return tuple(thresholds)
    return tuple(calibration.raw(t, k) for k, t in enumerate(thresholds))


def save_model(model: torch.nn.Module, cfg: Config, path, threshold=DEFAULT_THRESHOLD,
               extra: dict | None = None, calibration: ScoreCalibration | None = None,
               intervals=None, evidence_intervals: EvidenceIntervals | None = None,
               quality_scores: QualityScores | None = None) -> None:
    """threshold: a number, or one per class (fracture, bedding) as tuned on validation; on the
    calibrated scale when a calibration is given."""
    compact = {"separators": (",", ":")}  # the header is read by machines; spaces only cost bytes
    metadata = {"format": FORMAT_TAG, "geobfdt_config": json.dumps(cfg.to_dict(), **compact),
                "geobfdt_threshold": json.dumps(class_thresholds(threshold, cfg.model.num_classes), **compact),
                "geobfdt_info": json.dumps(extra or {}, **compact)}
    if calibration is not None:
        metadata["geobfdt_calibration"] = json.dumps(calibration.to_dict(), **compact)
    if intervals is not None:
        metadata["geobfdt_intervals"] = json.dumps(intervals.to_dict(), **compact)
    for key, value in (("geobfdt_evidence_intervals", evidence_intervals), ("geobfdt_quality_scores", quality_scores)):
        if value is not None:
            metadata[key] = json.dumps(value.to_dict(), **compact)
    _atomic_save(model.state_dict(), Path(path), metadata)


def resolve_model_path(spec) -> Path:
    """A run folder (its best model), a model file, or 'default' (the shipped model)."""
    if spec in (None, "default"):
        path = default_model_path()
        if not path.is_file():
            raise ModelFileError("no default model is installed with this package (train one with `make model`)")
        return path
    path = Path(spec)
    if path.is_dir():
        path = path / "best.safetensors"
    if not path.is_file():
        raise ModelFileError(f"{spec}: no such model file or run folder")
    return path


def read_model_header(spec) -> ModelHeader:
    """A GeoBFDT model file's header, without its weights (no torch needed)."""
    path = resolve_model_path(spec)
    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a GeoBFDT model file (safetensors expected; pickles are refused): "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if metadata.get("format") != FORMAT_TAG:
        raise ModelFileError(f"{path}: a safetensors file, but not a GeoBFDT model")
    try:
        cfg = Config.from_dict(json.loads(metadata["geobfdt_config"]))
        threshold = class_thresholds(json.loads(metadata.get("geobfdt_threshold", str(DEFAULT_THRESHOLD))),
                                     cfg.model.num_classes)
        info = json.loads(metadata.get("geobfdt_info", "{}"))
        calibration = (ScoreCalibration.from_dict(json.loads(metadata["geobfdt_calibration"]))
                       if "geobfdt_calibration" in metadata else None)
        intervals = (IntervalScale.from_dict(json.loads(metadata["geobfdt_intervals"]))
                     if "geobfdt_intervals" in metadata else None)
        evidence = (EvidenceIntervals.from_dict(json.loads(metadata["geobfdt_evidence_intervals"]))
                    if "geobfdt_evidence_intervals" in metadata else None)
        quality = (QualityScores.from_dict(json.loads(metadata["geobfdt_quality_scores"]))
                   if "geobfdt_quality_scores" in metadata else None)
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path}: a GeoBFDT model file with damaged settings ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
    except GeoBFDTError as exc:  # settings of the wrong type, or unknown
        raise ModelFileError(f"{path}: a GeoBFDT model file with damaged settings ({exc})") from None
    if not isinstance(info, dict):
        raise ModelFileError(f"{path}: a GeoBFDT model file with damaged settings (geobfdt_info is not a JSON object)")
    return ModelHeader(path, cfg, threshold, info, calibration, intervals, evidence, quality)


def read_model_file(spec) -> tuple[dict, ModelHeader]:
    """(state_dict, header) of a GeoBFDT model file; refuses anything else."""
    from safetensors.torch import load_file

    header = read_model_header(spec)
    try:
        state = load_file(str(header.path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{header.path}: not a GeoBFDT model file (safetensors expected; pickles are refused): "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return state, header


def build_checked(model_cfg, where):
    """The detector a config describes; settings no detector can have (8 heads over 100 channels,
    an unknown backbone, sizes beyond memory) are a one-line error naming where they came from."""
    from geobfdt.model import build_model

    try:
        return build_model(model_cfg)
    except (ValueError, TypeError, KeyError, AssertionError, ZeroDivisionError, OverflowError, RuntimeError,
            MemoryError) as exc:
        raise ModelFileError(f"{where}: model settings no detector can be built from ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:160] if str(exc) else 'no detail'})") from None


def load_model(spec, device="cpu"):
    """(model in eval mode, header) from a model spec; picking applies the header's score
    calibration and interval scale (pick_well_detr's calibration and intervals)."""
    state, header = read_model_file(spec)
    model = build_checked(header.config.model, spec)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:  # weights that do not fit the architecture their own config describes
        detail = next((line.strip() for line in str(exc).splitlines()[1:] if line.strip()), "")
        raise ModelFileError(f"{spec}: damaged GeoBFDT model, its weights do not fit its config: {detail[:200]}") from None
    return model.to(device).eval(), header


def config_for_training(spec) -> Config:
    """A model's config, to fine-tune it: its architecture, loss and data settings, with the default
    dropout (pretraining on never-repeated patches runs without; a few wells need it) and the default
    training section at the gentler fine-tuning rate (train.finetune_lr), so a few wells adjust the
    pretrained weights rather than overwrite them. The budgets, schedule, seed and thread count
    of the run that made the model are settings of that run, not of the model."""
    cfg = Config.from_dict(read_model_header(spec).config.to_dict())  # a copy: the header stays as read
    cfg.model.dropout = ModelConfig().dropout
    cfg.train = TrainConfig(lr=cfg.train.finetune_lr, finetune_lr=cfg.train.finetune_lr)
    return cfg


def load_compatible_weights(model: torch.nn.Module, spec) -> tuple[float, ...]:
    """Initialise `model` from a model spec; refuses weights of another architecture. Returns the
    model file's per-class score thresholds on the raw scale (the new model starts uncalibrated)."""
    state, header = read_model_file(spec)
    cfg = header.config
    own = model.state_dict()
    mismatched = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if mismatched or missing or extra:
        detail = (f"{len(mismatched)} tensors of another shape (e.g. {mismatched[0]})" if mismatched
                  else f"{len(missing)} tensors missing (e.g. {missing[0]})" if missing
                  else f"{len(extra)} tensors this model does not have (e.g. {extra[0][:60]})")
        raise ModelFileError(f"--init {spec}: weights do not fit this model's architecture: {detail}; "
                             f"use the same model settings (backbone {cfg.model.backbone}, "
                             f"width {cfg.model.backbone_width}, d_model {cfg.model.d_model})")
    model.load_state_dict(state)
    return header.raw_thresholds


STATE_FORMAT = "geobfdt-state-3"  # -2 had no checksum of its tensors; it still resumes
STATE_FORMATS = ("geobfdt-state-2", STATE_FORMAT)


def save_state(path, optimizer: torch.optim.Optimizer, progress: dict, model: torch.nn.Module,
               averaged: torch.nn.Module | None = None) -> None:
    """Model weights, optimizer tensors, the weights' moving average where one is kept (train.ema_decay;
    torch's AveragedModel) and JSON progress (epoch, best loss, ...) in one file, for --resume: written
    at once, so the weights, the average and the optimizer always belong to the same epoch. The
    header holds the SHA-256 of the tensors' data (files.arrays_sha256): a flipped bit in the data,
    which the header checks cannot see, is refused on resume (training/run_folder.py)."""
    import torch

    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    if averaged is not None:
        tensors.update({f"ema.{k}": v for k, v in averaged.state_dict().items()})
    scalars = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"opt.{index}.{key}"] = value
            else:
                scalars[f"{index}.{key}"] = value
    progress = dict(progress, optimizer_scalars=scalars,
                    param_groups=optimizer.state_dict()["param_groups"])
    digest = arrays_sha256({name: t.detach().cpu().contiguous().numpy() for name, t in tensors.items()})
    _atomic_save(tensors, Path(path), {"format": STATE_FORMAT, "progress": json.dumps(progress),
                                       "tensors_sha256": digest})


def load_state(path, optimizer: torch.optim.Optimizer, model: torch.nn.Module,
               averaged: torch.nn.Module | None = None) -> dict:
    """Restore model, optimizer and the moving average (where kept) from save_state's file; returns the
    progress."""
    from safetensors.torch import load_file

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        if metadata.get("format") not in STATE_FORMATS:
            raise ValueError(f"format {metadata.get('format')!r}, expected {STATE_FORMAT} (an older or foreign file)")
        progress = json.loads(metadata["progress"])
        tensors = load_file(str(path))
        weights = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
        state: dict = {}
        for key, value in tensors.items():
            if key.startswith("opt."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value
        for key, value in progress.pop("optimizer_scalars").items():
            index, name = key.split(".", 1)
            state.setdefault(int(index), {})[name] = value
        model.load_state_dict(weights)
        if averaged is not None:
            averaged.load_state_dict({k.removeprefix("ema."): v for k, v in tensors.items() if k.startswith("ema.")})
        optimizer.load_state_dict({"state": state, "param_groups": progress.pop("param_groups")})
    except (SafetensorError, OSError, KeyError, TypeError, ValueError, RuntimeError, AttributeError,
            RecursionError) as exc:
        raise RunFolderError(f"--resume: {path} is damaged or not a GeoBFDT training state: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return progress
