"""A learned sector-noise denoiser before the shipped detector: does it rescue the `real-texture` LWD wells?
(issue 30, item 4: an experiment, nothing shipped; docs/experiments.md has the result.)

No fixed filter separates an LWD image's sector noise from its traces (scripts/real_texture_levers.py).
A trace runs on across the sectors and the noise does not, so this trains a small network to tell
them apart: a residual CNN of 3x3 convolutions dilated around the hole (wrapped; ~90 of the grid's 128
columns in view) and a little along depth, on the natural log of the image on the patch grid as the
picker puts it there (preprocess/image.py grid_image), centred on its median: the noise is additive
there and in decades whatever the well's level. Training pairs are synthetic LWD wells drawn twice from
one seed, with the `real-texture` artefacts and a sector noise of sd 0 to 0.4 decades, and with no
sector noise (the artefacts draw from a random stream of their own, so the rest stays); a quarter have
no noise at all. Squared error over the valid pixels (--fracture-weight weighs the pixels of the true
fracture traces more), random 64-row crops rolled around the hole.

Then the held-out LWD wells of scripts/evaluate_model.py (same seeds; default, `real-texture` and
`harsh` settings) and the pad-tool groups are picked by the shipped model at its thresholds, with
the image as recorded and with the network run on it before the rank normalisation; prints F1 @8 cm
(both classes, fractures, beds), F1 @3 cm and the dip error on matches. --injection-wells N also runs
injection-recovery (evaluation/injection.py, one copy) on the first N `real-texture` and default LWD
wells both ways: does it move as the real planes' F1 does?

Usage: python scripts/sector_denoiser.py --out DIR [--steps 4000] [--fracture-weight 1] [--wells-per-group 6]
       [--injection-wells 0]
       python scripts/sector_denoiser.py --weights DIR/denoiser.safetensors --out DIR2   # evaluate only
Training with the defaults takes about 28 minutes on 2 CPU cores; DIR gets denoiser.safetensors (the
recipe in its header), metrics.json (the loss every 100 steps, the squared error of 6 further wells
against their clean image, noisy and denoised) and results.md (the tables).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from evaluate_model import SEED_BASE
from real_texture_levers import smoothed_before_normalising
from geobfdt.evaluation.injection import run_injection
from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import atomic_path, write_text_atomic
from geobfdt.geometry import trace_depth_m
from geobfdt.picking.engine import load_engine
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.preprocess.image import grid_image
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.ship import GROUPS, LWD

DILATIONS = ((1, 1), (1, 2), (1, 4), (2, 8), (1, 16), (2, 8), (1, 4), (1, 2), (1, 1))  # (rows, columns)
HALO_ROWS = sum(rows for rows, _ in DILATIONS)  # rows each side that reach one output row
FORMAT_TAG = "geobfdt-sector-denoiser-experiment"


@dataclass(frozen=True)
class Recipe:
    wells: int = 64
    validation_wells: int = 6
    length_m: float = 30.0
    seed_base: int = 700_000  # below training/ship.py's validation (800,000+) and the test wells (900,000+)
    noise_sd_max: float = 0.4  # decades; `real-texture` draws 0.15-0.3
    clean_share: float = 0.25
    steps: int = 4000
    batch: int = 8
    crop_rows: int = 64
    width: int = 24
    lr: float = 2e-3
    seed: int = 0
    fracture_weight: float = 1.0  # the squared error's weight on the pixels of true fracture traces (1: none)


class SectorDenoiser(nn.Module):
    """(B, 1, rows, columns) centred log image and its validity (0/1) -> the image without sector noise."""

    def __init__(self, width: int):
        super().__init__()
        self.width = width
        channels = [2] + [width] * len(DILATIONS)
        self.convs = nn.ModuleList(nn.Conv2d(c_in, c_out, 3, dilation=d)
                                   for c_in, c_out, d in zip(channels[:-1], channels[1:], DILATIONS))
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, image: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        h = torch.cat([image, valid], 1)
        for conv, (rows, columns) in zip(self.convs, DILATIONS):
            h = F.pad(F.pad(h, (columns, columns, 0, 0), mode="circular"), (0, 0, rows, rows), mode="replicate")
            h = torch.relu(conv(h))
        return image + self.head(h)


def centred(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(the image minus its median, NaN as 0; validity as 0/1; the median): the network's input."""
    finite = np.isfinite(image)
    centre = float(np.median(image[finite])) if finite.any() else 0.0
    return np.where(finite, image - centre, 0.0).astype(np.float32), finite.astype(np.float32), centre


@torch.no_grad()
def denoise_image(model: SectorDenoiser, log_image: np.ndarray, block_rows: int = 2048) -> np.ndarray:
    """The (rows, columns) log image without its sector noise, NaN kept; in blocks of block_rows with
    HALO_ROWS of context each side, so the result does not depend on the block size."""
    x, valid, centre = centred(np.asarray(log_image, dtype=np.float32))
    out = np.empty_like(x)
    for start in range(0, x.shape[0], block_rows):
        stop = min(start + block_rows, x.shape[0])
        lo, hi = max(start - HALO_ROWS, 0), min(stop + HALO_ROWS, x.shape[0])
        block = model(torch.from_numpy(x[None, None, lo:hi]), torch.from_numpy(valid[None, None, lo:hi]))
        out[start:stop] = block[0, 0, start - lo:stop - lo].numpy()
    return np.where(valid > 0, out + centre, np.nan).astype(np.float32)


def lwd_config(variant: str) -> SynthConfig:
    base, _ = GROUPS[LWD]
    config = SynthConfig.variant(base)
    return config if variant == "default" else config.replace(**VARIANTS[variant])


def fracture_traces(on_grid, picks, half_rows: int = 1) -> np.ndarray:
    """(rows, columns) bool: the grid pixels within half_rows of a true fracture's trace."""
    mask = np.zeros(on_grid.image.shape, bool)
    fractures = [p for p in picks if p.type == "fracture"]
    if not fractures:
        return mask
    depth, dip, azimuth = (np.array([getattr(p, k) for p in fractures])[:, None] for k in ("depth_m", "dip_deg", "azimuth_deg"))
    z = trace_depth_m(depth, dip, azimuth, on_grid.radius_at(depth[:, 0])[:, None], on_grid.azimuth_deg[None, :])
    row = np.rint((z - on_grid.depth_m[0]) / (on_grid.depth_m[1] - on_grid.depth_m[0])).astype(int)
    column = np.broadcast_to(np.arange(mask.shape[1]), row.shape)
    for shift in range(-half_rows, half_rows + 1):
        inside = (row + shift >= 0) & (row + shift < mask.shape[0])
        mask[(row + shift)[inside], column[inside]] = True
    return mask


def well_pair(seed: int, recipe: Recipe, grid, noise_sd: tuple[float, float]):
    """(an LWD well's log image on the patch grid with sector noise of sd drawn from noise_sd, the same
    without it, the pixels of its true fracture traces)."""
    config = lwd_config("real-texture")
    images = []
    for sector_noise in (tuple(noise_sd), (0.0, 0.0)):
        well, truth = synthesize_well(seed, length_m=recipe.length_m,
                                      config=config.replace(lwd_sector_noise_sd=sector_noise), tool=GROUPS[LWD][1])
        on_grid = grid_image(well, grid, grid.pooling)[0]
        images.append(on_grid.image)
    return images[0], images[1], fracture_traces(on_grid, truth)


def squared_error(a: np.ndarray, b: np.ndarray) -> float:
    both = np.isfinite(a) & np.isfinite(b)
    return float(np.mean((a[both] - b[both]) ** 2))


def train(recipe: Recipe, grid, progress: bool = True) -> tuple[SectorDenoiser, dict]:
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    clean_every = round(1 / recipe.clean_share) if recipe.clean_share > 0 else 0
    noise_range = (0.0, recipe.noise_sd_max)
    pairs = [well_pair(recipe.seed_base + k, recipe, grid, (0.0, 0.0) if clean_every and k % clean_every == 0
                       else noise_range)
             for k in tqdm(range(recipe.wells), desc="training wells", unit="well", disable=not progress)]
    model = SectorDenoiser(recipe.width)
    optimiser = torch.optim.Adam(model.parameters(), recipe.lr / 2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, recipe.lr, total_steps=recipe.steps)
    losses, running, started = [], None, time.time()
    for step in tqdm(range(recipe.steps), desc="training", unit="step", disable=not progress):
        xs, ys, vs, ws = [], [], [], []
        for _ in range(recipe.batch):
            noisy, clean, traces = pairs[rng.integers(len(pairs))]
            top, roll = rng.integers(0, noisy.shape[0] - recipe.crop_rows), rng.integers(noisy.shape[1])
            crop = slice(top, top + recipe.crop_rows)
            x, valid, centre = centred(np.roll(noisy[crop], roll, axis=1))
            y = np.roll(clean[crop], roll, axis=1) - centre
            valid = valid * np.isfinite(y)
            xs.append(x), ys.append(np.where(valid > 0, y, 0.0)), vs.append(valid)
            ws.append(valid * (1.0 + (recipe.fracture_weight - 1.0) * np.roll(traces[crop], roll, axis=1)))
        x, y, valid, weight = (torch.from_numpy(np.stack(a)[:, None].astype(np.float32)) for a in (xs, ys, vs, ws))
        loss = (((model(x, valid) - y) ** 2) * weight).sum() / weight.sum().clamp(min=1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if (step + 1) % 100 == 0:
            losses.append({"step": step + 1, "loss": round(running, 6), "seconds": round(time.time() - started, 1)})
    model.eval()
    before, after = [], []
    for k in range(recipe.validation_wells):
        noisy, clean, _ = well_pair(recipe.seed_base + recipe.wells + k, recipe, grid, noise_range)
        before.append(squared_error(noisy, clean))
        after.append(squared_error(denoise_image(model, noisy), clean))
    return model, {"training": losses, "validation": {"squared_error_noisy": before, "squared_error_denoised": after},
                   "recipe": asdict(recipe), "minutes": round((time.time() - started) / 60, 1)}


def save(model: SectorDenoiser, path: Path, recipe: dict) -> None:
    from safetensors.torch import save as serialise

    data = serialise({k: v.contiguous() for k, v in model.state_dict().items()},
                     metadata={"format": FORMAT_TAG, "width": str(model.width), "recipe": json.dumps(recipe)})
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def load(path) -> SectorDenoiser:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
        if metadata.get("format") != FORMAT_TAG:
            raise SystemExit(f"{path}: not a denoiser written by this script")
        model = SectorDenoiser(int(metadata["width"]))
        model.load_state_dict({k: f.get_tensor(k) for k in f.keys()})
    return model.eval()


def figures(picks: dict, truth: dict) -> str:
    m = evaluate_wells(picks, truth, tolerances_cm=(3, 8))["micro"]
    at8 = m["8"]
    return (f"{at8['overall']['f1']:.3f} | {at8['fracture']['f1']:.3f} | {at8['bedding']['f1']:.3f} | "
            f"{m['3']['overall']['f1']:.3f} | {at8['overall']['dip_mae_deg']:.1f}")


def injection_recovery(well, pick) -> float:
    report = run_injection(well, pick)[0]
    rows = report["by_class_and_dip"]
    return sum((r["recovery"] or 0.0) * r["n"] for r in rows) / max(sum(r["n"] for r in rows), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--weights", metavar="FILE", help="evaluate this denoiser instead of training one")
    parser.add_argument("--steps", type=int, default=Recipe.steps)
    parser.add_argument("--fracture-weight", type=float, default=Recipe.fracture_weight,
                        help="weight of the true fracture traces' pixels in the squared error (default 1: none)")
    parser.add_argument("--wells-per-group", type=int, default=6, help="held-out LWD wells per setting")
    parser.add_argument("--pad-wells", type=int, default=3, help="held-out wells per pad-tool group")
    parser.add_argument("--injection-wells", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    engine, header = load_engine("default", log=lambda *a: None)
    grid = header.config.data
    if args.weights:
        model = load(args.weights)
    else:
        recipe = Recipe(steps=args.steps, fracture_weight=args.fracture_weight)
        model, metrics = train(recipe, grid, progress=not args.no_progress)
        save(model, out / "denoiser.safetensors", asdict(recipe))
        write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        v = metrics["validation"]
        print(f"further wells: squared error {np.mean(v['squared_error_noisy']):.4f} noisy, "
              f"{np.mean(v['squared_error_denoised']):.4f} denoised (log units)")

    def denoise(filled):
        return denoise_image(model, filled)

    def pick(well):
        return pick_well_detr(well, engine, header.config, header.thresholds, progress=False,
                              calibration=header.score_calibration)

    settings = [(f"LWD, {variant}", lwd_config(variant), GROUPS[LWD][1], list(GROUPS).index(LWD), args.wells_per_group)
                for variant in ("real-texture", "default", "harsh")]
    settings += [(name, SynthConfig.variant(variant), tool, g, args.pad_wells)
                 for g, (name, (variant, tool)) in enumerate(GROUPS.items()) if name != LWD]
    columns = ("F1 @8 cm", "fracture", "bedding", "F1 @3 cm", "dip MAE (deg)")
    lines = ["| held-out wells | " + " | ".join(f"recorded: {c}" for c in columns) + " | "
             + " | ".join(f"denoised: {c}" for c in columns) + " |", "|---" * (1 + 2 * len(columns)) + "|"]
    recovery = {}
    for name, config, tool, group, count in tqdm(settings, unit="setting", disable=args.no_progress):
        if not count:
            continue
        wells, truth, picks = {}, {}, {"recorded": {}, "denoised": {}}
        for k in range(count):
            seed = SEED_BASE + 100 * group + k
            wells[seed], truth[f"W{seed}"] = synthesize_well(seed, length_m=30.0, config=config, tool=tool, name=f"W{seed}")
        for way, smooth in (("recorded", None), ("denoised", denoise)):
            with smoothed_before_normalising(smooth):
                for seed, well in wells.items():
                    picks[way][f"W{seed}"] = pick(well)
                    if name in ("LWD, real-texture", "LWD, default") and seed - SEED_BASE - 100 * group < args.injection_wells:
                        recovery.setdefault((name, seed), {})[way] = injection_recovery(well, pick)
        lines.append(f"| {name} ({count}) | {figures(picks['recorded'], truth)} | {figures(picks['denoised'], truth)} |")
    if recovery:
        lines += ["", "| well | injection-recovery as recorded | denoised first |", "|---|---|---|"]
        for (name, seed), value in recovery.items():
            lines.append(f"| {name} {seed} | {value['recorded']:.2f} | {value['denoised']:.2f} |")
    text = "\n".join(lines)
    write_text_atomic(out / "results.md", text + "\n")
    print(text)


if __name__ == "__main__":
    main()
