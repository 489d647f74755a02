"""Benchmarks (`make bench`): print figures measured on this machine.

- training samples/s per backbone and the share of step time outside forward/backward;
- predict metres of log per second (detector and Hough) for a well at 0.1 in x 360 columns,
  and the share of detector predict time outside the model's forward pass;
- peak memory of detector predict on a 500 m well versus its decoded image size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch

from geobfdt.config import Config
from geobfdt.model import build_model
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


def make_well(length_m: float, seed: int = 0):
    from geobfdt.synth import synthesize_well
    well, _ = synthesize_well(seed, length_m=length_m, tool="fmi")
    return well


def detector():
    """The shipped model when installed (realistic pick counts), else an untrained default one."""
    from geobfdt.model.checkpoint import default_model_path, load_model
    if default_model_path().is_file():
        model, cfg, threshold = load_model("default")
        return model, cfg, threshold
    return build_model(Config().model).eval(), Config(), 0.5


def bench_predict(length_m: float = 60.0, repeats: int = 3):
    """Median of `repeats` runs, both ways of scheduling the chunks: overlapped (the default: the
    next chunk is prepared while the model runs) and serial (prepare, then run the model)."""
    from geobfdt.picking.whole_well import pick_well_detr, pick_well_hough_method
    well = make_well(length_m)
    model, cfg, threshold = detector()
    calls = {"forward": 0.0}
    original = model.predict

    def timed(images):
        t = time.perf_counter()
        out = original(images)
        calls["forward"] += time.perf_counter() - t
        return out

    model.predict = timed
    print(f"predict on a {length_m:g} m well at 0.1 in ({well.image.shape[0]} rows x {well.width} columns), "
          f"{torch.get_num_threads()} threads, median of {repeats} runs:")
    for overlap in (True, False):
        speeds, outside = [], []
        for _ in range(repeats):
            calls["forward"] = 0.0
            t = time.perf_counter()
            pick_well_detr(well, model, cfg, threshold, progress=False, overlap=overlap)
            seconds = time.perf_counter() - t
            speeds.append(length_m / seconds)
            outside.append(100 * (1 - calls["forward"] / seconds))
        name = "detector, overlapped" if overlap else "detector, serial"
        print(f"  {name:21s} {statistics.median(speeds):6.1f} m/s; outside the model forward "
              f"{statistics.median(outside):4.1f}%")
    t = time.perf_counter()
    pick_well_hough_method(well, cfg)
    hough_s = time.perf_counter() - t
    print(f"  {'hough':21s} {length_m / hough_s:6.1f} m/s")


def _status_kib(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
    raise KeyError(field)


def memory_child(path: str):
    from geobfdt.io import read_well
    from geobfdt.picking.whole_well import pick_well_detr
    model, cfg, threshold = detector()
    model_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    baseline = _status_kib("VmRSS:") * 1024
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
        f.write("5")
    well = read_well(path)
    pick_well_detr(well, model, cfg, threshold, progress=False)
    peak = _status_kib("VmHWM:") * 1024
    print(json.dumps({"image_bytes": well.image.nbytes, "model_bytes": model_bytes, "baseline": baseline,
                      "peak": peak, "length_m": float(well.depth_m[-1] - well.depth_m[0])}))


def bench_memory(length_m: float = 500.0):
    import tempfile
    from geobfdt.io import write_npz
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/long.npz"
        write_npz(make_well(length_m), path)
        out = subprocess.run([sys.executable, __file__, "--memory-child", path], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr[-1500:])
        return
    m = json.loads(out.stdout.strip().splitlines()[-1])
    used = m["peak"] - m["baseline"]
    target = 2 * m["image_bytes"] + m["model_bytes"]
    print(f"predict memory on a {m['length_m']:.0f} m well: decoded image {m['image_bytes'] / 2**20:.0f} MiB, model "
          f"{m['model_bytes'] / 2**20:.1f} MiB; peak above the runtime baseline (reading + picking) "
          f"{used / 2**20:.0f} MiB; target < 2 x image + model = {target / 2**20:.0f} MiB "
          f"({'met' if used < target else 'NOT met'})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["train", "predict", "memory"])
    parser.add_argument("--backbones", nargs="+", default=["resnet10", "resnet14", "resnet18", "resnet34"])
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.memory_child:
        memory_child(args.memory_child)
        return
    if args.only in (None, "train"):
        bench_train(args.backbones)
    if args.only in (None, "predict"):
        bench_predict()
    if args.only in (None, "memory"):
        bench_memory()
    if args.only is None:
        subprocess.run([sys.executable, "scripts/bench_preprocess.py"], check=False)


if __name__ == "__main__":
    main()
