"""Resume you can trust: a run folder records what made it, and --resume refuses anything else.

RUN/run.json holds the resolved config (seed, epochs, model shape, ...), every data file by
name, size and SHA-256, the starting model (its file's SHA-256 and its weights'), and the command
settings that shape the data: it
is the one source of a run's settings. `--resume` rebuilds that record from its own command line
and refuses any difference, naming it (training/run_folder.py reads and checks the folder); only
the settings in MAY_CHANGE may differ (budgets, learning-rate drop, thread count), and those
keep the run's values unless given again. A new run into a folder that holds one
is refused unless --overwrite, which first removes the old run's files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from geobfdt.errors import RunFolderError
from geobfdt.files import arrays_sha256, file_sha256, write_text_atomic

RECORD = "run.json"
MAY_CHANGE = ("train.max_minutes", "train.max_samples", "train.lr_drop_minutes", "train.lr_drop_samples",
              "train.num_threads")
RUN_FILES = ("config.json", RECORD, "state.safetensors", "last.safetensors", "best.safetensors", "metrics.csv",
             "progress.json", "summary.json")


def run_record(cfg, sources=(), init=None, settings: dict | None = None) -> dict:
    """What a run is made of. sources: data files; init: the starting model spec (or None)."""
    from geobfdt.model.checkpoint import resolve_model_path

    files = [{"file": Path(p).name, "bytes": Path(p).stat().st_size, "sha256": file_sha256(p)} for p in sources]
    start = None
    if init is not None:
        path = resolve_model_path(init)
        start = {"spec": str(init), "sha256": file_sha256(path), "weights_sha256": weights_sha256(path)}
    return {"config": cfg.to_dict(), "data": files, "init": start, "settings": settings or {}}


def weights_sha256(path) -> str:
    """files.arrays_sha256 of a model file's tensors: what a run starts from. A header refit (new score
    calibration or intervals, the same weights) leaves it unchanged, so a run from the shipped model
    still resumes after one."""
    from safetensors import SafetensorError, safe_open

    from geobfdt.errors import ModelFileError
    from geobfdt.files import one_line

    try:
        with safe_open(str(path), framework="numpy") as f:
            return arrays_sha256({name: f.get_tensor(name) for name in f.keys()})
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: cannot read its weights ({one_line(exc)})") from None


def flat_settings(value, prefix="") -> dict:
    """{"train.seed": 3, ...} of nested settings."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat_settings(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def differences(saved: dict, current: dict) -> list[str]:
    """'key: now X, the run had Y' for every setting that differs, MAY_CHANGE left out."""
    out = []
    old_init, new_init = dict(saved.get("init") or {}), dict(current.get("init") or {})
    if "weights_sha256" in old_init and "weights_sha256" in new_init:  # the weights decide, not the header
        old_init.pop("sha256", None), new_init.pop("sha256", None)
    else:  # a run.json from before the weights were recorded: its file's SHA-256, as then
        old_init.pop("weights_sha256", None), new_init.pop("weights_sha256", None)
    for section in ("config", "settings", "init"):
        old, new = ((old_init, new_init) if section == "init"
                    else (saved.get(section) or {}, current.get(section) or {}))
        old, new = flat_settings(old), flat_settings(new)
        for key in sorted(set(old) | set(new)):
            if section == "config" and key in MAY_CHANGE:
                continue
            if old.get(key) != new.get(key):
                name = key if section == "config" else f"{section} {key}"
                out.append(f"{name}: now {new.get(key)!r}, the run had {old.get(key)!r}")
    old_data = {(f["file"], f["sha256"]) for f in saved.get("data", [])}
    new_data = {(f["file"], f["sha256"]) for f in current.get("data", [])}
    old_names, new_names = {n for n, _ in old_data}, {n for n, _ in new_data}
    for name, _ in sorted(new_data - old_data):
        out.append(f"data {name}: its content changed since the run (SHA-256 differs)" if name in old_names
                   else f"data {name}: not in the run")
    for name, _ in sorted(old_data - new_data):
        if name not in new_names:
            out.append(f"data {name}: in the run, missing now")
    return out


def _main_rank() -> bool:
    """Under torchrun only rank 0 owns the run folder (the others would see its new run.json)."""
    return os.environ.get("RANK", "0") == "0"


def refuse_existing_run(run_dir, overwrite: bool = False) -> list[str]:
    """The run files already in run_dir; refused unless overwrite."""
    if not _main_rank():
        return []
    old = [name for name in RUN_FILES if (Path(run_dir) / name).exists()]
    if old and not overwrite:
        raise RunFolderError(f"{run_dir} already holds a run ({', '.join(old[:3])}): continue it with --resume, "
                             "or replace it with --overwrite")
    return old


def start_run(run_dir, record: dict, overwrite: bool = False) -> None:
    """A new run: the old run's files removed (with overwrite), so a later --resume cannot pick
    up its state; then the record, before any other file of the new run."""
    if not _main_rank():
        return
    for name in refuse_existing_run(run_dir, overwrite):
        (Path(run_dir) / name).unlink()
    write_text_atomic(Path(run_dir) / RECORD, json.dumps(record, indent=1))


def continue_run(run_dir, record: dict) -> None:
    """A resumed run: its record rewritten with the budgets given again (run_folder.ResumedRun.record),
    so a later --resume without them keeps these, as config.json's copy will."""
    if _main_rank():
        write_text_atomic(Path(run_dir) / RECORD, json.dumps(record, indent=1))
