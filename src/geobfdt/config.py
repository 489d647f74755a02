"""Run configuration: one YAML/JSON document with model, loss, data and training sections.

`load_config(path)` overlays a file on the defaults; every run writes the resolved config
beside its model so any figure can be reproduced.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path

import yaml

from geobfdt.errors import OptionError, RunFolderError


@dataclass
class ModelConfig:
    backbone: str = "resnet10"  # resnet10 | resnet14 | resnet18 | resnet34
    backbone_width: int = 32  # channels of the first stage (64 = the standard ResNet)
    in_channels: int = 2  # normalised image + validity mask
    d_model: int = 128
    nhead: int = 8
    enc_layers: int = 4
    dec_layers: int = 4
    dim_feedforward: int = 512
    dropout: float = 0.1
    num_queries: int = 64  # the densest 2.56 m window of the synthetic corpus held 47 picks
    num_classes: int = 2  # fracture, bedding (no-object is a low sigmoid score)
    two_stage: bool = True  # initial reference sinusoids from a dense proposal head
    sample_azimuths: int = 32  # points sampled along each query's reference sinusoid
    sample_offsets: int = 5  # rows sampled above/below the curve at each azimuth
    trace_head: bool = True  # dense per-cell trace map on the stride-8 features (auxiliary supervision)
    dn_groups: int = 1  # query-denoising groups during training (0 = off)
    proposals_per_row: int = 6  # two-stage candidates per stride-8 row (rows x this must be >= num_queries)

    def same_architecture(self, other: "ModelConfig") -> bool:
        """Whether weights fit both: every setting but dropout, which no weight depends on."""
        return replace(self, dropout=0.0) == replace(other, dropout=0.0)


@dataclass
class LossConfig:
    # The case study weighted focal x5 and L1 x1 (configs/paper.yaml). On CPU budgets geometry
    # learns faster with Deformable-DETR-like weights (docs/training.md has the measurement).
    class_weight: float = 2.0  # focal loss
    param_weight: float = 5.0  # L1 on depth, amplitude, azimuth
    curve_weight: float = 5.0  # mean vertical gap between predicted and true traces
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    aux_loss: bool = True  # supervise every decoder layer and the proposals
    trace_weight: float = 2.0  # dense trace-map focal loss: teaches the backbone where traces are from step one
    # Matching costs are separate from loss weights, as in DETR (set_cost_*): geometry has to
    # dominate the assignment, or early on queries are matched by their (uninformative) scores.
    match_class: float = 2.0
    match_param: float = 5.0
    match_curve: float = 5.0


@dataclass
class PatchGrid:
    """The canonical grid patches are cut on: rows of row_step_m, equal azimuth columns from 0 deg,
    a new patch every stride_rows rows."""
    rows: int = 256  # 2.56 m at 1 cm rows (2 cm rows lose thin fractures: docs/training.md)
    row_step_m: float = 0.01
    columns: int = 128
    stride_rows: int = 128

    @property
    def height_m(self) -> float:
        return self.rows * self.row_step_m


@dataclass
class DataConfig(PatchGrid):
    """The patch grid plus how images are normalised and augmented."""
    pooling: str = "extreme"  # keep thin traces at full contrast when coarsening (preprocess.extreme_pool)
    normalisation: str = "dynamic"  # dynamic | static
    window_m: float = 0.6
    photometric: bool = True
    geometric: bool = True
    offline_copies: int = 0  # `train` adds this many augmented copies of each patch with a sinusoid (case study: 10)


@dataclass
class TrainConfig:
    lr: float = 4e-4
    # fine-tuning a pretrained model (train --init, the default) starts at the rate pretraining ended at
    # (docs/training.md: 4-minute 3-well fine-tune, F1 0.738 at 2e-5 vs 0.703 at 2e-4 on held-out wells)
    finetune_lr: float = 2e-5
    weight_decay: float = 1e-4
    batch_size: int = 32
    micro_batch: int = 32  # gradient accumulation reaches batch_size on small memory
    epochs: int = 200
    patience: int = 40  # epochs without validation improvement before stopping
    clip_norm: float = 0.1
    max_minutes: float | None = None
    max_samples: int | None = None  # a budget in training samples: unlike minutes, the same on any machine or load
    lr_drop_minutes: float | None = None  # lr x 0.1 once, after this much training time (DETR's step schedule)
    lr_drop_samples: int | None = None  # or after this many training samples, whichever comes first
    seed: int = 0
    val_wells: int = 2  # held out by well when --val-wells is not given
    num_threads: int | None = None
    # comma-separated prefixes of the parameter names to train, the rest frozen (None: all), e.g.
    # "decoder.class_heads": re-score the detector's own candidates without moving its geometry
    trainable: str | None = None
    # exponential moving average of the weights, updated every step (None: off). Validation, best and
    # last use the average: it smooths the swings of a small-batch run from one epoch to the next, as
    # RT-DETR and YOLO train. 0.998 averages over about the last 500 steps.
    ema_decay: float | None = field(default=None, metadata={"open_range": (0.0, 1.0)})


def is_trainable(name: str, trainable: str | None) -> bool:
    """Whether the parameter called `name` trains under train.trainable (comma-separated name
    prefixes; None: every parameter)."""
    return trainable is None or any(name.startswith(prefix.strip()) for prefix in trainable.split(",") if prefix.strip())


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        return _overlay(cls(), data or {}, "config")

    def save_json(self, path) -> None:
        from geobfdt.files import write_text_atomic

        write_text_atomic(path, json.dumps(self.to_dict(), indent=2))


_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None)}


def _checked(value, annotation: str, where: str):
    """value if it fits the field's annotation ("float | None", ...); ints are taken for floats."""
    allowed = [_TYPES[name.strip()] for name in annotation.split("|")]
    if float in allowed and int not in allowed and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) in allowed:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 <= value < float("inf"):
            raise OptionError(f"{where}: must be a finite number, not negative, got {value!r}")  # no setting is
        return value
    raise OptionError(f"{where}: expected {annotation}, got {type(value).__name__} {str(value)[:40]!r}")


def _overlay(obj, data: dict, where: str):
    if not isinstance(data, dict):
        raise OptionError(f"{where}: expected a mapping, got {type(data).__name__}")
    known = {f.name: f for f in fields(obj)}
    for key, value in data.items():
        if key not in known:
            raise OptionError(f"{where}: unknown setting {str(key)[:40]!r} (known: {', '.join(known)})")
        current = getattr(obj, key)
        if is_dataclass(current):
            _overlay(current, value, f"{where}.{key}")
        else:
            value = _checked(value, known[key].type, f"{where}.{key}")
            bounds = known[key].metadata.get("open_range")
            if bounds is not None and value is not None and not bounds[0] < value < bounds[1]:
                raise OptionError(f"{where}.{key}: must lie between {bounds[0]:g} and {bounds[1]:g}, got {value:g}")
            setattr(obj, key, value)
    return obj


def read_config_json(path) -> Config:
    """A run's saved config.json (train/pretrain --resume), or a one-line error if it is damaged."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RunFolderError(f"{path}: damaged run settings ({type(exc).__name__}: "
                             f"{(str(exc).splitlines() or ['no detail'])[0]})") from None
    try:
        return Config.from_dict(data)
    except OptionError as exc:
        raise RunFolderError(f"{path}: damaged run settings ({exc})") from None


def apply_overrides(cfg: Config, overrides: dict) -> Config:
    """Dotted settings ({"train.seed": 3, "model.backbone": "resnet14"}) over cfg, type-checked."""
    nested: dict = {}
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        if not name:
            raise OptionError(f"setting {key!r}: expected SECTION.NAME (sections: model, loss, data, train)")
        nested.setdefault(section, {})[name] = value
    return _overlay(cfg, nested, "config")


def parse_set_option(items) -> dict:
    """`--set KEY=VALUE` strings -> {KEY: value}, values read as YAML scalars (3, 0.1, true, null, text)."""
    out = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"--set {item!r}: expected KEY=VALUE, e.g. train.lr=1e-4")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        if isinstance(value, str) and text.strip():
            try:  # YAML reads 1e-4 as text
                value = float(text)
            except ValueError:
                pass
        out[key.strip()] = value
    return out


def load_config(path=None, base: Config | None = None) -> Config:
    """base (default: the defaults) overlaid with a YAML or JSON file (None = nothing to overlay)."""
    cfg = Config() if base is None else base
    if path is None:
        return cfg
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError) as exc:
        raise OptionError(f"cannot read config {path}: {(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
    if data is None:
        return cfg
    if not isinstance(data, dict):
        raise OptionError(f"config {path}: expected a mapping at the top level")
    return _overlay(cfg, data, f"config {path.name}")
