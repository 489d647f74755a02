"""A run folder read as untrusted input: every file `--resume` reads, checked once, before any work.

`read_run_folder` reads run.json, config.json, the progress in state.safetensors' header,
metrics.csv and best.safetensors' header, checks each (size, JSON depth, the type and range of
every field, the table's rows and columns) and refuses the first problem with one line
(RunFolderError) naming the file, before the wells are read or an epoch trained. The run's
settings come from one place, run.json: the command line must agree with it (training/resume.py
`differences`), and so must config.json, which is a copy written for people and tools (a
hand-edited seed there is refused, naming it, rather than silently used). What the trainer
needs later (settings, progress, the metrics rows) is handed over in memory, so nothing is read
from the folder again after an epoch is trained.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from geobfdt.config import Config, apply_overrides, is_trainable
from geobfdt.errors import GeoBFDTError, RunFolderError
from geobfdt.files import arrays_sha256
from geobfdt.io.bounded_json import loads_bounded, read_json_bounded
from geobfdt.io.limits import MIB
from geobfdt.training.resume import MAY_CHANGE, RECORD, differences, flat_settings

MAX_JSON_BYTES = 16 * MIB  # run.json of ~100k data files; GeoBFDT's own are a few KiB
MAX_METRICS_BYTES = 64 * MIB  # ~100k epochs
TEXT_COLUMNS = ("val_thresholds",)  # every other metrics.csv column is a number


@dataclass
class ResumedRun:
    """What a resumed run continues from, every part checked."""
    record: dict  # run.json, its config with the budgets given again on the command line
    config: Config  # the run's settings (from run.json)
    progress: dict  # epoch, best_val, best_epoch, samples, seconds, init_thresholds (, lr_dropped)
    metrics: list[dict]  # metrics.csv rows of the epochs done, the state's own epoch last


def _refuse(path, reason: str):
    return RunFolderError(f"--resume: {path} is damaged: {reason}; repair it, or start the run afresh with "
                          "--overwrite")


def _read_json(path: Path):
    try:
        return read_json_bounded(path, MAX_JSON_BYTES)
    except FileNotFoundError:
        why = " (a run made before resumes were checked)" if path.name == RECORD else ""
        raise RunFolderError(f"--resume: {path.parent} has no {path.name}{why}; start it afresh with --overwrite") \
            from None
    except OSError as exc:
        raise RunFolderError(f"--resume: cannot read {path} ({exc.strerror})") from None
    except ValueError as exc:
        raise _refuse(path, str(exc)) from None


def _config(data, path: Path) -> Config:
    if not isinstance(data, dict):
        raise _refuse(path, "its settings are not a JSON object")
    try:
        return Config.from_dict(data)
    except GeoBFDTError as exc:
        raise _refuse(path, str(exc)) from None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _check_record(saved, path: Path) -> dict:
    """run.json's shape: config and settings mappings, data a list of files, init a spec or null."""
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise _refuse(path, "expected a JSON object with a config mapping")
    if not isinstance(saved.get("settings", {}), dict):
        raise _refuse(path, "settings is not a mapping")
    data = saved.get("data", [])
    if not isinstance(data, list) or not all(
            isinstance(f, dict) and isinstance(f.get("file"), str) and isinstance(f.get("sha256"), str)
            and _is_count(f.get("bytes")) for f in data):
        raise _refuse(path, "data is not a list of files (file, bytes, sha256)")
    init = saved.get("init")
    if init is not None and not (isinstance(init, dict) and isinstance(init.get("spec"), str)
                                 and isinstance(init.get("sha256"), str)
                                 and isinstance(init.get("weights_sha256", ""), str)
                                 and set(init) <= {"spec", "sha256", "weights_sha256"}):
        raise _refuse(path, "init is neither null nor a model (spec, sha256, weights_sha256)")
    unknown = set(saved) - {"config", "data", "init", "settings"}
    if unknown:
        raise _refuse(path, f"unknown entry {sorted(unknown)[0][:40]!r}")
    return saved


def _check_copy(run_cfg: Config, copy_path: Path) -> None:
    """config.json must say what run.json says (budgets aside: run.json holds the latest ones)."""
    copy, own = flat_settings(_config(_read_json(copy_path), copy_path).to_dict()), flat_settings(run_cfg.to_dict())
    changed = [key for key in own if key not in MAY_CHANGE and copy.get(key) != own[key]]
    if changed:
        key = changed[0]
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise RunFolderError(f"--resume: {copy_path} disagrees with {RECORD}, which holds the run's settings: "
                             f"{key}: {RECORD} says {own[key]!r}, config.json says {copy[key]!r}{more}; undo the "
                             "edit (a changed setting is a new run: --overwrite, or another --out)")


# the AdamW settings a step reads; newer torch settings may be absent from an older state
OPTIMIZER_SETTINGS = ("lr", "betas", "eps", "weight_decay", "amsgrad")
ADAMW_STATE = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")  # per parameter


def _default_param_group() -> dict:
    import torch

    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))]).param_groups[0]


def _check_param_groups(groups, path: Path) -> None:
    """One AdamW group whose settings have the types torch's own have (an lr of "x" fails mid-step)."""
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
        raise _refuse(path, "the optimizer state is not one parameter group")
    group = groups[0]
    params = group.get("params")
    if not isinstance(params, list) or not all(_is_count(p) for p in params) or len(set(params)) != len(params):
        raise _refuse(path, "the optimizer's params are not distinct whole numbers")
    defaults = _default_param_group()
    unknown = sorted(set(group) - set(defaults))
    if unknown:
        raise _refuse(path, f"unknown optimizer setting {unknown[0][:40]!r}")
    missing = [key for key in OPTIMIZER_SETTINGS if key not in group]
    if missing:  # torch would fail on them mid-step
        raise _refuse(path, f"the optimizer setting {missing[0]} is missing")
    for key, default in defaults.items():
        if key == "params" or key not in group:
            continue
        value = group[key]
        if isinstance(default, bool) or default is None:
            ok = value is None or isinstance(value, bool)
        elif isinstance(default, tuple):
            ok = isinstance(value, list) and len(value) == len(default) and all(  # betas: 1 divides by zero
                _is_number(v) and 0 <= v < 1 for v in value)
        else:
            ok = _is_number(value) and math.isfinite(value) and value >= 0
        if not ok:
            raise _refuse(path, f"optimizer setting {key} is {str(value)[:40]!r}")


def _check_progress(progress, path: Path, num_classes: int) -> tuple[dict, dict | None]:
    """The progress saved with the weights: (progress, the epoch's metrics row or None)."""
    if not isinstance(progress, dict):
        raise _refuse(path, "its progress is not a JSON object")
    progress = dict(progress)
    _check_param_groups(progress.pop("param_groups", None), path)
    scalars = progress.pop("optimizer_scalars", None)
    if not isinstance(scalars, dict) or not all(
            _whole(key.partition(".")[0]) and key.partition(".")[2] and _is_number(v) and math.isfinite(v)
            for key, v in scalars.items()):
        raise _refuse(path, "its optimizer scalars are not numbers by parameter")
    row = progress.pop("row", None)
    epoch = progress.get("epoch")
    checks = {"epoch": _is_count(epoch, 1),
              "best_epoch": _is_count(progress.get("best_epoch"), -1) and progress["best_epoch"] != 0
                            and progress["best_epoch"] <= (epoch if _is_count(epoch, 1) else 0),  # -1: none yet
              "samples": _is_count(progress.get("samples")),
              "seconds": _is_number(progress.get("seconds")) and 0 <= progress["seconds"] < math.inf,
              "best_val": _is_number(progress.get("best_val")),
              "init_thresholds": progress.get("init_thresholds") is None or (
                  isinstance(progress["init_thresholds"], list) and len(progress["init_thresholds"]) == num_classes
                  and all(_is_number(t) and 0 <= t <= 1 for t in progress["init_thresholds"])),
              "lr_dropped": isinstance(progress.get("lr_dropped", False), bool)}
    for key, ok in checks.items():
        if not ok:
            raise _refuse(path, f"progress {key} is {str(progress.get(key))[:40]!r}")
    unknown = set(progress) - set(checks)
    if unknown:
        raise _refuse(path, f"unknown progress entry {sorted(unknown)[0][:40]!r}")
    if row is not None and not (isinstance(row, dict) and _is_count(row.get("epoch")) and row["epoch"] == epoch
                                and all(_is_number(v) or isinstance(v, str) for v in row.values())
                                and _bad_cell(row) is None):
        raise _refuse(path, "its metrics row is not a row of numbers of this epoch")
    return progress, row


def _check_tensors(path: Path, shapes: dict, model_cfg, listed_params: list, trainable: str | None = None,
                   averaged: bool = False) -> None:
    """The state's tensors are this run's model, its moving average where the run keeps one
    (train.ema_decay) and an AdamW state of its trained parameters (train.trainable), by name and shape
    (a damaged name or shape would otherwise fail only once the wells are read)."""
    import torch

    from geobfdt.model import build_model

    with torch.device("meta"):  # shapes without memory or initialisation cost
        model = build_model(model_cfg)
    weights = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    expected = {f"model.{name}": shape for name, shape in weights.items()}
    if averaged:  # torch's AveragedModel: the model under "module." and its update count
        expected.update({f"ema.module.{name}": shape for name, shape in weights.items()})
        expected["ema.n_averaged"] = ()
    params = [tuple(p.shape) for name, p in model.named_parameters() if is_trainable(name, trainable)]
    if sorted(listed_params) != list(range(len(params))):
        raise _refuse(path, f"its optimizer lists {len(listed_params)} parameters, the run's model has {len(params)}")
    for name in sorted(set(expected) | {k for k in shapes if k.startswith(("model.", "ema."))}):
        if shapes.get(name) != expected.get(name):
            what = "missing" if name not in shapes else "not of this run's model" if name not in expected else \
                f"of shape {list(shapes[name])}, the run's model has {list(expected[name])}"
            raise _refuse(path, f"tensor {name[:60]!r} is {what}")
    for name, shape in shapes.items():
        if name.startswith(("model.", "ema.")):
            continue
        prefix, _, rest = name.partition(".")
        index, _, kind = rest.partition(".")
        if prefix != "opt" or kind not in ADAMW_STATE or not _whole(index) or int(index) >= len(params) or \
                shape != (() if kind == "step" else params[int(index)]):
            raise _refuse(path, f"tensor {name[:60]!r} is not an optimizer state of this run's parameters")


def _read_progress(path: Path, model_cfg, trainable: str | None = None,
                   averaged: bool = False) -> tuple[dict, dict | None]:
    from safetensors import SafetensorError, safe_open

    from geobfdt.model.checkpoint import STATE_FORMAT, STATE_FORMATS

    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            shapes = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
            # the data's checksum: one read of the state (its size is already bounded)
            digest = arrays_sha256({name: f.get_tensor(name) for name in f.keys()}) \
                if metadata.get("format") == STATE_FORMAT else None
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise _refuse(path, f"not a safetensors file ({detail})") from None
    if metadata.get("format") not in STATE_FORMATS:
        raise _refuse(path, f"format {str(metadata.get('format'))[:40]!r}, expected {STATE_FORMAT}")
    if digest is not None and metadata.get("tensors_sha256") != digest:
        raise _refuse(path, "its tensor data does not match the checksum in its header (damaged on disk)")
    try:
        progress = loads_bounded(metadata.get("progress", ""), MAX_JSON_BYTES)
    except ValueError as exc:
        raise _refuse(path, f"its progress: {exc}") from None
    checked = _check_progress(progress, path, model_cfg.num_classes)
    _check_tensors(path, shapes, model_cfg, progress["param_groups"][0]["params"], trainable, averaged)
    return checked


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _bad_cell(values: dict) -> str | None:
    """The first column of a metrics row whose cell is not a number (as a number or as text)."""
    for key, value in values.items():
        if key in TEXT_COLUMNS or _is_number(value) or not value:
            continue
        try:
            float(value)
        except ValueError:
            return key
    return None


def _read_metrics(path: Path, epoch: int, row: dict | None) -> list[dict]:
    """The table's rows of the epochs before the state's (and the state's own, from the state when
    it carries it): epochs 1, 2, ... in order, every cell there, numbers where numbers belong."""
    keep = epoch - 1 if row is not None else epoch
    if keep == 0:  # the state carries the only row needed
        return [row]
    try:
        if path.stat().st_size > MAX_METRICS_BYTES:
            raise _refuse(path, f"{path.stat().st_size} bytes, above the limit of {MAX_METRICS_BYTES}")
        text = path.read_bytes().decode("utf-8")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = reader.fieldnames or []
        rows = list(reader)
    except FileNotFoundError:
        raise RunFolderError(f"--resume: {path.parent} has no {path.name}, which holds epochs 1 to {keep}; start "
                             "the run afresh with --overwrite") from None
    except OSError as exc:
        raise RunFolderError(f"--resume: cannot read {path} ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _refuse(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if "epoch" not in columns or len(set(columns)) != len(columns) or not all(columns):
        raise _refuse(path, "its header is not a table of metrics by epoch (named, distinct columns, epoch one)")
    for line, values in enumerate(rows, 2):
        if None in values or any(v is None for v in values.values()):
            raise _refuse(path, f"line {line} has {'more' if None in values else 'fewer'} cells than columns")
        bad = "epoch" if not _whole(values["epoch"]) else _bad_cell(values)
        if bad is not None:
            raise _refuse(path, f"line {line}: {bad} is {values[bad][:40]!r}, not a number")
    epochs = [int(values["epoch"]) for values in rows]
    if epochs[:keep] != list(range(1, keep + 1)):
        raise _refuse(path, f"it holds epochs {epochs[:8]}{'...' if len(epochs) > 8 else ''}, the state needs "
                            f"1 to {keep} in order")
    return rows[:keep] + ([row] if row is not None else [])


def _check_best(path: Path, run_cfg: Config, progress: dict) -> None:
    """best.safetensors, which the thresholds are tuned on at the end: a model of this run's shape.
    When the state's own epoch is the best one, the resume writes it from the state instead."""
    from geobfdt.model.checkpoint import read_model_header

    if progress["best_epoch"] in (-1, progress["epoch"]):
        return
    if not path.is_file():
        raise _refuse(path, f"missing, and the best epoch ({progress['best_epoch']}) is not the state's")
    try:
        cfg = read_model_header(path).config
    except GeoBFDTError as exc:
        raise _refuse(path, str(exc).removeprefix(f"{path}: ")) from None
    if cfg.model != run_cfg.model:
        raise _refuse(path, "a model of another shape than this run's")


def read_run_folder(run_dir, record: dict, overrides: dict) -> ResumedRun:
    """Everything --resume continues from, checked against the command's own `record`
    (resume.run_record) and the folder's files against each other; RunFolderError otherwise.
    overrides: the command line's settings, of which only the MAY_CHANGE ones are taken."""
    run_dir = Path(run_dir)
    state_path = run_dir / "state.safetensors"
    if not state_path.is_file():
        raise RunFolderError(f"--resume: {run_dir} holds no training state to resume from")
    saved = _check_record(_read_json(run_dir / RECORD), run_dir / RECORD)
    run_cfg = _config(saved["config"], run_dir / RECORD)
    found = differences(saved, record)
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        data = ("; other data makes a new run: give the run's files back, or train anew (--overwrite, or "
                "another --out)") if any(line.startswith("data ") for line in found) else ""
        raise RunFolderError(f"--resume: this command differs from the run in {run_dir} (its {RECORD}): "
                             f"{'; '.join(found[:3])}{more}. "
                             f"Only {', '.join(k.split('.')[1] for k in MAY_CHANGE)} may change on resume{data}")
    _check_copy(run_cfg, run_dir / "config.json")
    cfg = apply_overrides(run_cfg, {k: v for k, v in overrides.items() if k in MAY_CHANGE})
    progress, row = _read_progress(state_path, cfg.model, cfg.train.trainable, cfg.train.ema_decay is not None)
    metrics = _read_metrics(run_dir / "metrics.csv", progress["epoch"], row)
    _check_best(run_dir / "best.safetensors", cfg, progress)
    return ResumedRun(record={**saved, "config": cfg.to_dict()}, config=cfg, progress=progress, metrics=metrics)

