"""Benchmarks (`make bench`): print figures measured on this machine.

- training samples/s per backbone and the share of step time outside forward/backward;
- `geobfdt predict` end to end as a user runs it (a fresh process per run, from its start to
  its exit: import, read, normalise, model, merge, write), FMI-like synthetic wells of 120 m and
  600 m at 0.1 in x 360 columns (NPZ): metres of log per second and peak resident memory, for
  the detector on ONNX Runtime (the default on the CPU) and on torch, and for the Hough picker;
- many wells: `geobfdt predict` over a folder of wells in this process, and on a local Dask
  cluster of 1 and 2 workers, with the speed-up over 1 worker;
- evidence (`--only evidence`): what `predict` adds per well with a model holding quality-aware
  scores and evidence-based intervals (picking/trust.py), on the 600 m well: the well's blur (picking/blur.py)
  and the evidence of its picks (picking/evidence.py), and the log quality check of every detector
  pick (picking/quality.py): seconds, best of --repeats, in this process, and the most memory each
  holds beyond the well;
- memory (`--only memory`): `geobfdt predict` with the image in memory and with a small
  --ram-image-gib that sends it to a temporary file on disk, per well length: seconds, m/s and
  peak resident memory, which on the disk path must stay flat as the well grows.
Timings are best of --repeats with the 1-minute load average beside them: on a shared machine
they move with what else runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from geobfdt.config import Config
from geobfdt.training.trainer import Trainer

INCH_M = 0.0254


def synthetic_batch(cfg: Config, n: int, seed: int = 0):
    from geobfdt.patches.synthetic import synthetic_patchset
    patches = synthetic_patchset([seed], n, cfg.data)
    return torch.from_numpy(patches.images), [torch.from_numpy(t) for t in patches.targets]


def bench_train(backbones, steps: int = 4):
    print("training throughput (batch 32, CPU default config, 2 threads)")
    cfg0 = Config()
    images, targets = synthetic_batch(cfg0, cfg0.train.batch_size)
    for backbone in backbones:
        cfg = Config()
        cfg.model.backbone = backbone
        trainer = Trainer(cfg, f"/tmp/geobfdt_bench_{backbone}", device="cpu", log=lambda *_: None)
        generator = torch.Generator().manual_seed(0)
        trainer.train_step(images, targets, generator)  # warm-up
        inside = total = 0.0
        for _ in range(steps):
            t0 = time.perf_counter()
            from geobfdt.preprocess.augment import augment_batch
            aug_images, aug_targets = augment_batch(images, targets, trainer.augment, generator)
            t1 = time.perf_counter()
            trainer.optimizer.zero_grad()
            losses = trainer.criterion(trainer.model(aug_images, aug_targets), aug_targets)
            losses["loss"].backward()
            t2 = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(trainer.module.parameters(), cfg.train.clip_norm)
            trainer.optimizer.step()
            t3 = time.perf_counter()
            inside += t2 - t1
            total += t3 - t0
        n = steps * len(images)
        print(f"  {backbone}: {n / total:6.1f} samples/s; outside forward/backward {100 * (1 - inside / total):4.1f}% "
              f"of step time")


INCH_STEP_M = 0.1 * INCH_M
WELLS_DIR = Path(tempfile.gettempdir()) / "geobfdt_bench_wells"  # kept between runs: a 600 m well takes a minute


def well_file(length_m: float, seed: int = 0) -> Path:
    """An FMI-like synthetic well (0.1 in rows, 360 columns) as NPZ, made once."""
    path = WELLS_DIR / f"fmi_{length_m:g}m_seed{seed}.npz"
    if not path.is_file():
        from geobfdt.io import write_npz
        from geobfdt.synth import synthesize_well
        well, _ = synthesize_well(seed, length_m=length_m, tool="fmi", name=f"BENCH{seed}")
        write_npz(well, path)
    return path


def dlis_well_file(length_m: float) -> Path:
    """well_file's well as DLIS, made once."""
    path = WELLS_DIR / f"fmi_{length_m:g}m_seed0.dlis"
    if not path.is_file():
        from geobfdt.io import read_well, write_dlis
        write_dlis(read_well(well_file(length_m)), path)
    return path


# A child's ru_maxrss starts from its parent's resident size (exec keeps the larger of the two),
# and this process holds torch and whatever it has read: each run is started from a small Python
# that times it and reports the peak of its own child alone.
MEASURE = ("import resource, subprocess, sys, time\n"
           "start = time.perf_counter()\n"
           "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
           "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
           "sys.exit(code)")


def run_measured(argv: list[str]) -> tuple[float, float]:
    """(wall seconds from process start to exit, peak resident MiB) of a child process."""
    run = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {run.stderr[-1500:]}")
    seconds, peak_kib = run.stdout.split()
    return float(seconds), int(peak_kib) / 1024  # ru_maxrss is in KiB on Linux


def predict_argv(wells, out, *options) -> list[str]:
    return [sys.executable, "-m", "geobfdt.cli", "predict", *map(str, wells), "--out", str(out), *options]


def bench_predict(lengths_m=(120.0, 600.0), repeats: int = 3):
    """End to end per well length and method: best wall time of `repeats` runs and its peak memory."""
    from geobfdt.model.checkpoint import default_model_path
    model_mib = default_model_path().stat().st_size / 2**20
    print(f"geobfdt predict end to end (fresh process, best of {repeats}; 0.1 in x 360 columns, NPZ):")
    print(f"  {'well':>6s}  {'method':12s} {'m/s':>6s} {'seconds':>8s} {'peak MiB':>9s} {'target MiB':>10s}  "
          f"{'vs torch':>8s}  load")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(predict_argv([well_file(lengths_m[0])], out), check=True, capture_output=True)  # the export
        for length_m in lengths_m:
            path = well_file(length_m)
            image_mib = round(length_m / INCH_STEP_M) * 360 * 4 / 2**20
            target = 2 * image_mib + model_mib
            seconds = {}
            for method, options in (("detr torch", ["--engine", "torch"]), ("detr onnx", ["--engine", "onnx"]),
                                    ("hough", ["--method", "hough"])):
                runs = [run_measured(predict_argv([path], out, *options)) for _ in range(repeats if method != "hough" else 1)]
                best, peak = min(runs)
                seconds[method] = best
                ratio = f"{seconds['detr torch'] / best:7.2f}x" if "detr torch" in seconds else "        "
                print(f"  {length_m:5.0f}m  {method:12s} {length_m / best:6.1f} {best:8.2f} {peak:9.0f} {target:10.0f}  "
                      f"{ratio}  {os.getloadavg()[0]:.1f}", flush=True)


def bench_evidence(length_m: float = 600.0, repeats: int = 3):
    """What `predict` adds per well with a model holding quality-aware scores and evidence-based
    intervals (picking/trust.py): image_blur once, and pick_evidence of its picks (stand-ins: one plane every
    0.5 m, dips 5-75 deg), on an FMI-like well of length_m; and the log quality check every detector
    pick runs, and the sector-image check and azimuthal noise share of the score map (picking/quality.py; the share is
    read on sector images only, timed here on the same image for its cost per pixel). Seconds (best of repeats) and the most
    memory each holds beyond the well (tracemalloc: numpy's arrays are counted)."""
    import tracemalloc

    import numpy as np

    from geobfdt.io import read_well
    from geobfdt.picking.blur import image_blur
    from geobfdt.picking.evidence import pick_evidence
    from geobfdt.picking.quality import azimuthal_noise_share, image_quality, is_sector_image
    from geobfdt.well import Pick

    well = read_well(well_file(length_m))
    rng = np.random.default_rng(0)
    depths = np.arange(well.depth_m[0] + 1.0, well.depth_m[-1] - 1.0, 0.5)
    picks = [Pick(float(d), float(rng.uniform(5, 75)), float(rng.uniform(0, 360)), "bedding") for d in depths]
    for name, work in (("well blur (picking/blur.py)", lambda: image_blur(well)),
                       (f"pick evidence of {len(picks)} picks (picking/evidence.py)", lambda: pick_evidence(well, picks)),
                       ("log quality (picking/quality.py)", lambda: image_quality(well)),
                       ("sector-image check (picking/quality.py)", lambda: is_sector_image(well)),
                       ("azimuthal noise share (picking/quality.py)", lambda: azimuthal_noise_share(well))):
        runs = []
        for _ in range(repeats):
            tracemalloc.start()
            start = time.perf_counter()
            work()
            runs.append(time.perf_counter() - start)
            peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        print(f"{name}, {length_m:.0f} m, {well.image.shape[0]} x {well.image.shape[1]} pixels: {min(runs):.2f} s "
              f"(best of {repeats}), {peak_mib:.0f} MiB at most beyond the well; load {os.getloadavg()[0]:.1f}",
              flush=True)


BASELINE_M = 10.0


def bench_memory(lengths_m=(120.0, 600.0), repeats: int = 2, ram_image_gib: float = 0.05):
    """Detector predict (ONNX Runtime) with the decoded image in memory, then on disk, from NPZ and DLIS."""
    print(f"geobfdt predict, image in memory vs on disk (--ram-image-gib {ram_image_gib:g}; fresh process, best of "
          f"{repeats}; 0.1 in x 360 columns; temp folder {tempfile.gettempdir()}):")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(predict_argv([well_file(lengths_m[0])], out), check=True, capture_output=True)  # the export
        _, start_peak = run_measured(predict_argv([well_file(BASELINE_M)], out))
        print(f"  baseline: {start_peak:.0f} MiB peak on a {BASELINE_M:g} m well (start-up, model, one chunk)")
        print(f"  {'well':>6s}  {'file':4s}  {'image':9s} {'m/s':>6s} {'seconds':>8s} {'peak MiB':>9s} "
              f"{'image MiB':>9s}  load")
        for length_m in lengths_m:
            image_mib = round(length_m / INCH_STEP_M) * 360 * 4 / 2**20
            for path in (well_file(length_m), dlis_well_file(length_m)):
                picks = []
                for where, options in (("in memory", []), ("on disk", ["--ram-image-gib", str(ram_image_gib)])):
                    folder = Path(out) / where.replace(" ", "_")
                    best, peak = min(run_measured(predict_argv([path], folder, *options)) for _ in range(repeats))
                    picks.append((folder / f"{path.stem}_picks.csv").read_bytes())
                    print(f"  {length_m:5.0f}m  {path.suffix[1:]:4s}  {where:9s} {length_m / best:6.1f} {best:8.2f} "
                          f"{peak:9.0f} {image_mib:9.0f}  {os.getloadavg()[0]:.1f}", flush=True)
                print(f"  {length_m:5.0f}m  {path.suffix[1:]:4s}  picks "
                      f"{'identical' if picks[0] == picks[1] else 'DIFFERENT'} in memory and on disk")


def bench_field(wells: int = 4, length_m: float = 30.0, repeats: int = 2):
    """A folder of wells: in this process, and on a local Dask cluster of 1 and 2 workers."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "wells"
        folder.mkdir()
        for seed in range(wells):
            shutil.copy(well_file(length_m, seed), folder / f"W{seed}.npz")
        print(f"many wells: {wells} wells of {length_m:g} m (NPZ), detector on ONNX Runtime, best of {repeats}:")
        times = {}
        for name, options in (("in-process", []), ("--workers 1", ["--workers", "1"]),
                              ("--workers 2", ["--workers", "2"])):
            best = min(run_measured(predict_argv([folder], Path(tmp) / "out", *options))[0] for _ in range(repeats))
            times[name] = best
            ratio = f"{times['--workers 1'] / best:5.2f}x vs 1 worker" if "--workers 1" in times else ""
            print(f"  {name:12s} {best:7.2f} s  {wells * length_m / best:6.1f} m/s  {ratio}  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["train", "predict", "field", "memory", "evidence"])
    parser.add_argument("--backbones", nargs="+", default=["resnet10", "resnet14", "resnet18", "resnet34"])
    parser.add_argument("--lengths-m", type=float, nargs="+", default=[120.0, 600.0], help="predict well lengths")
    parser.add_argument("--repeats", type=int, default=3, help="runs per predict figure (the best is shown)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f} (1-minute average) at start")
    if args.only in (None, "predict"):
        bench_predict(args.lengths_m, args.repeats)
    if args.only in (None, "evidence"):
        bench_evidence(max(args.lengths_m), args.repeats)
    if args.only in (None, "memory"):
        bench_memory(args.lengths_m, max(1, args.repeats - 1))
    if args.only in (None, "field"):
        bench_field(repeats=max(1, args.repeats - 1))
    if args.only in (None, "train"):
        bench_train(args.backbones)
    if args.only is None:
        subprocess.run([sys.executable, "scripts/bench_preprocess.py"], check=False)


if __name__ == "__main__":
    main()
