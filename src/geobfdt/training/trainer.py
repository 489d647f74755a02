"""The training loop, top to bottom: data in, AdamW steps, validation, checkpoints.

Used by `geobfdt train` (labelled wells) and `geobfdt pretrain` (patches synthesised on
the fly). Deterministic by seed; resumable from the run folder; DDP when launched with
torchrun (each rank takes its share of every batch, gradients are averaged).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from geobfdt.preprocess.augment import AugmentConfig, augment_batch
from geobfdt.model.checkpoint import load_compatible_weights, load_state, save_model, save_state
from geobfdt.config import Config, is_trainable
from geobfdt.errors import OptionError
from geobfdt.patches.dataset import batch_tensors
from geobfdt.device import choose_device
from geobfdt.files import atomic_path, write_text_atomic
from geobfdt.model import build_criterion, build_model
from geobfdt.patches.extract import PatchSet
from geobfdt.training.run_folder import ResumedRun

METRIC_KEYS = ("loss", "hungarian_loss", "loss_class", "loss_params", "loss_curve")


@dataclass
class Distributed:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: torch.device) -> Distributed:
    """torchrun sets WORLD_SIZE/RANK; gloo on CPU, nccl on CUDA."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Distributed()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Distributed(rank=dist.get_rank(), world=dist.get_world_size())


class MetricAverager:
    """Sums of per-batch metrics; class error weighted by matched predictions (DETR's sense)."""

    def __init__(self):
        self.sums = dict.fromkeys(METRIC_KEYS, 0.0)
        self.batches = 0
        self.wrong = 0.0
        self.matched = 0.0

    def add(self, losses: dict) -> None:
        for key in METRIC_KEYS:
            self.sums[key] += float(losses[key])
        self.batches += 1
        matched = float(losses["num_matched"])
        self.matched += matched
        self.wrong += float(losses["class_error"]) / 100.0 * matched

    def result(self, prefix: str) -> dict:
        out = {f"{prefix}_{k}": v / max(self.batches, 1) for k, v in self.sums.items()}
        out[f"{prefix}_class_error"] = 100.0 * self.wrong / self.matched if self.matched else float("nan")
        return out


@torch.no_grad()
def validate(model, criterion, patches: PatchSet, batch_size: int, device) -> dict:
    model.eval()
    averager = MetricAverager()
    for start in range(0, len(patches), batch_size):
        images, targets = batch_tensors(patches, np.arange(start, min(start + batch_size, len(patches))), device)
        averager.add(criterion(model(images), targets))
    return averager.result("val")


def trainable_parameters(module: torch.nn.Module, prefixes: str | None) -> list[torch.nn.Parameter]:
    """The parameters to train: all (prefixes None), or those whose name starts with one of the
    comma-separated prefixes, the rest frozen (requires_grad off, so no gradient is computed for them)."""
    if prefixes is None:
        return list(module.parameters())
    chosen = []
    for name, parameter in module.named_parameters():
        parameter.requires_grad_(is_trainable(name, prefixes))
        if parameter.requires_grad:
            chosen.append(parameter)
    if not chosen:
        raise OptionError(f"train.trainable {prefixes!r} names no parameter of the model "
                          f"(its parameters start with {', '.join(sorted({n.split('.')[0] for n, _ in module.named_parameters()}))})")
    return chosen


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


class Trainer:
    """Owns model, optimizer and run folder; `fit` runs epochs until patience, epochs or time run out."""

    def __init__(self, cfg: Config, run_dir, device=None, init=None, resume: ResumedRun | None = None, log=print,
                 progress_bar: bool = True):
        """resume: the checked run folder (training/run_folder.py read_run_folder) to continue, or None;
        progress_bar: each epoch's bar over its batches (on the main rank)."""
        self.cfg, self.run_dir, self.log, self.progress_bar = cfg, Path(run_dir), log, progress_bar
        self.device = choose_device(device)
        self.dist = setup_distributed(self.device)
        torch.manual_seed(cfg.train.seed)
        if cfg.train.num_threads:
            torch.set_num_threads(cfg.train.num_threads)
        self.model = build_model(cfg.model).to(self.device)
        self.criterion = build_criterion(cfg.loss, cfg.model.num_classes)
        self.init_note = "from scratch"
        init_thresholds = None
        if init is not None and resume is None:
            init_thresholds = list(load_compatible_weights(self.model, init))
            self.init_note = f"initialised from {init}"
        self.module = self.model
        if self.dist.world > 1:
            self.model = torch.nn.parallel.DistributedDataParallel(self.module)
        self.optimizer = torch.optim.AdamW(trainable_parameters(self.module, cfg.train.trainable), lr=cfg.train.lr,
                                           weight_decay=cfg.train.weight_decay)
        self.averaged = None  # the weights' moving average (train.ema_decay), a copy beside the trained ones
        if cfg.train.ema_decay is not None:
            self.averaged = AveragedModel(self.module, multi_avg_fn=get_ema_multi_avg_fn(cfg.train.ema_decay),
                                          use_buffers=True)
        self.augment = AugmentConfig(photometric=cfg.data.photometric, geometric=cfg.data.geometric)
        # init_thresholds: the starting model's score thresholds, kept unless validation shows better ones
        self.progress = {"epoch": 0, "best_val": math.inf, "best_epoch": -1, "samples": 0, "seconds": 0.0,
                         "init_thresholds": init_thresholds}
        self.metrics_rows: list[dict] = []  # metrics.csv, held here: never read back after an epoch
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if resume is not None:
            self._resume(resume)
        if self.dist.main:  # the resolved config (a resume may extend the budget or schedule)
            cfg.save_json(self.run_dir / "config.json")

    def _resume(self, run: ResumedRun):
        """Weights and optimizer from state.safetensors (one file, one epoch); progress and metrics
        from the checked run folder. The files written after the state (best, last, metrics.csv)
        are written again from it, so a kill after the state lost none of its epoch."""
        self.progress = dict(run.progress)
        self.metrics_rows = list(run.metrics)
        load_state(self.run_dir / "state.safetensors", self.optimizer, self.module, self.averaged)
        if self.dist.main:
            self._write_after_state(self.progress["best_epoch"] == self.progress["epoch"])
        self.init_note = f"resumed at epoch {self.progress['epoch']}"

    @property
    def evaluated(self) -> torch.nn.Module:
        """The weights validated and written as best and last: the moving average when train.ema_decay
        is set, else the trained ones."""
        return self.module if self.averaged is None else self.averaged.module

    def train_step(self, images: torch.Tensor, targets: list[torch.Tensor], generator) -> dict:
        """One optimizer step over a batch, accumulated in micro-batches."""
        self.model.train()
        images, targets = augment_batch(images, targets, self.augment, generator)
        micro = max(1, min(self.cfg.train.micro_batch, len(images)))
        self.optimizer.zero_grad(set_to_none=True)
        averager = MetricAverager()
        for start in range(0, len(images), micro):
            part = slice(start, start + micro)
            losses = self.criterion(self.model(images[part], targets[part]), targets[part])
            (losses["loss"] * (len(images[part]) / len(images))).backward()
            averager.add({k: v.detach() if torch.is_tensor(v) else v for k, v in losses.items()})
        torch.nn.utils.clip_grad_norm_([p for p in self.module.parameters() if p.requires_grad], self.cfg.train.clip_norm)
        self.optimizer.step()
        if self.averaged is not None:
            self.averaged.update_parameters(self.module)
        return averager

    def fit(self, batches_for_epoch, val_set: PatchSet, steps_per_epoch: int | None = None,
            extra_metrics=None) -> dict:
        """batches_for_epoch(epoch) yields (images, targets) tensors for this rank;
        extra_metrics(model) -> dict adds columns (e.g. validation F1) to each epoch's row."""
        cfg = self.cfg.train
        started = time.monotonic() - self.progress["seconds"]
        budget_s = None if cfg.max_minutes is None else cfg.max_minutes * 60.0
        generator = torch.Generator(device="cpu")
        stop_reason = "epochs"
        while self.progress["epoch"] < cfg.epochs:
            epoch = self.progress["epoch"]
            generator.manual_seed(cfg.seed * 100003 + epoch * 1009 + self.dist.rank)
            torch.manual_seed(cfg.seed * 100003 + epoch * 1009 + self.dist.rank)  # dropout, DN noise: resumable
            averagers = []
            bar = tqdm(batches_for_epoch(epoch), total=steps_per_epoch, desc=f"epoch {epoch + 1}",
                       unit="batch", leave=False, disable=not (self.dist.main and self.progress_bar))
            out_of_budget = False
            for images, targets in bar:
                self._maybe_drop_lr(time.monotonic() - started, self.progress["samples"])
                averager = self.train_step(images, targets, generator)
                averagers.append(averager)
                self.progress["samples"] += len(images) * self.dist.world
                bar.set_postfix(loss=f"{averager.sums['loss'] / averager.batches:.3f}")
                if budget_s is not None and time.monotonic() - started > budget_s:
                    out_of_budget, stop_reason = True, "time budget"
                    break
                if cfg.max_samples is not None and self.progress["samples"] >= cfg.max_samples:
                    out_of_budget, stop_reason = True, "sample budget"
                    break
            row = {"epoch": epoch + 1, **self._merge(averagers, "train"),
                   **validate(self.evaluated, self.criterion, val_set, self.cfg.train.micro_batch, self.device)}
            if extra_metrics is not None:
                row.update(extra_metrics(self.evaluated))
            self.progress["epoch"] = epoch + 1
            self.progress["seconds"] = time.monotonic() - started
            row.update(seconds=round(self.progress["seconds"], 1), samples=self.progress["samples"])
            improved = row["val_hungarian_loss"] < self.progress["best_val"]
            if improved:
                self.progress.update(best_val=row["val_hungarian_loss"], best_epoch=epoch + 1)
            if self.dist.main:
                self._log_epoch(row, improved)
            if out_of_budget:
                break
            if epoch + 1 - self.progress["best_epoch"] >= cfg.patience:
                stop_reason = f"no validation improvement for {cfg.patience} epochs"
                break
        self.progress["stop_reason"] = stop_reason
        if self.dist.main:
            write_text_atomic(self.run_dir / "progress.json", json.dumps(self.progress, indent=2))
        return self.progress

    def _maybe_drop_lr(self, elapsed_s: float, samples: int) -> None:
        cfg = self.cfg.train
        due = ((cfg.lr_drop_minutes is not None and elapsed_s >= cfg.lr_drop_minutes * 60.0)
               or (cfg.lr_drop_samples is not None and samples >= cfg.lr_drop_samples))
        if due and not self.progress.get("lr_dropped"):
            for group in self.optimizer.param_groups:
                group["lr"] *= 0.1
            self.progress["lr_dropped"] = True
            self.log(f"learning rate dropped to {self.optimizer.param_groups[0]['lr']:.2e}")

    @staticmethod
    def _merge(averagers, prefix) -> dict:
        total = MetricAverager()
        for a in averagers:
            for key in METRIC_KEYS:
                total.sums[key] += a.sums[key]
            total.batches += a.batches
            total.wrong += a.wrong
            total.matched += a.matched
        return total.result(prefix)

    def _log_epoch(self, row: dict, improved: bool) -> None:
        text = {k: (f"{v:.5g}" if isinstance(v, float) else v) for k, v in row.items()}
        # first the state, with the epoch's metrics row: from here on the epoch is kept, whatever fails
        save_state(self.run_dir / "state.safetensors", self.optimizer, {**self.progress, "row": text}, self.module,
                   self.averaged)
        self.metrics_rows = [r for r in self.metrics_rows if int(r["epoch"]) < row["epoch"]] + [text]
        self._write_after_state(improved)
        self.log(f"epoch {row['epoch']:3d}  train loss {row['train_loss']:.3f}  "
                 f"val hungarian {row['val_hungarian_loss']:.4f}  params {row['val_loss_params']:.4f}  "
                 f"class error {row['val_class_error']:.2f}%"
                 + (f"  F1@8cm {row['val_f1_8cm']:.3f}" if "val_f1_8cm" in row else "")
                 + f"  {row['seconds']:.0f}s" + ("  *best" if improved else ""))

    def _write_after_state(self, improved: bool) -> None:
        """best (when this epoch is the best), last and metrics.csv: what the state already holds."""
        epoch = self.progress["epoch"]
        if improved:
            save_model(self.evaluated, self.cfg, self.run_dir / "best.safetensors",
                       extra={"epoch": epoch, "val_hungarian_loss": self.progress["best_val"]})
        save_model(self.evaluated, self.cfg, self.run_dir / "last.safetensors", extra={"epoch": epoch})
        columns = list(dict.fromkeys(key for r in self.metrics_rows for key in r))  # a resume may log more columns
        with atomic_path(self.run_dir / "metrics.csv") as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.metrics_rows)


def patchset_batches(patches: PatchSet, cfg: Config, device, dist_info: Distributed):
    """Epoch -> iterator of this rank's share of shuffled batches of a fixed PatchSet."""
    def batches(epoch):
        for index in epoch_batches(len(patches), cfg.train.batch_size, cfg.train.seed, epoch):
            share = index[dist_info.rank::dist_info.world]
            if len(share):
                yield batch_tensors(patches, share, device)
    return batches
