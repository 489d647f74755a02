"""Synthetic LWD images against the real one: value distribution, texture spectra, trace contrast.

    python scripts/compare_realism.py [--variant real-texture] [--wells 3] [--length-m 60] [--no-detector]
                                      [--cache runs/realism_cache] [--out docs/figures/synth_vs_real_lwd.png]

Real: the 16-sector LWD density image of NLOG well P11-A-02A (../shared/external, 10 cm rows),
1950-2686 m, near horizontal. Synthetic: horizontal LWD wells (84-90 deg, like the real interval)
with 16 sectors (the real tool's), block-averaged to the real 10 cm rows, drawn with the default
settings and with --variant (same seeds, so the same geology). Each image is put on one scale by
a robust z-score in 10 m blocks ((value - median) / (1.4826 MAD), log10 values for the
resistivity-like synthetic ones): histogram equalisation, the model's own normalisation, makes
every image uniform and so hides the differences. Panels: the value distribution; the power
spectrum along depth (Welch, per sector, averaged); the share of each row's variance in each
azimuthal harmonic; the contrast of the shipped detector's picks (mean along the trace minus the
mean 10-20 cm either side, in robust sd). Prints the summary figures docs/synthetic.md quotes.

Picking is most of the cost (the real well is 736 m); the picks of every image are cached in
--cache under a key made of the image, its depths and radius and the model file's bytes, so a
re-run reuses them only for the same image and model. --no-detector skips the picks (and the
last panel): the statistics used to fit a variant, in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import welch  # noqa: E402
from scipy.stats import kurtosis, skew  # noqa: E402

from geobfdt.geometry import trace_depth_m  # noqa: E402
from geobfdt.io import read_well  # noqa: E402
from geobfdt.io.picks import read_picks_csv, write_picks_csv  # noqa: E402
from geobfdt.model.checkpoint import load_model, resolve_model_path  # noqa: E402
from geobfdt.picking.whole_well import pick_well_detr  # noqa: E402
from geobfdt.reports.plots import save_figure  # noqa: E402
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well  # noqa: E402
from geobfdt.well import Well  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL_LAS = ROOT / "../shared/external/nlog_P11-A-02_lwd_image/P11-A-02_Composite_MEM_Image_NF.las"
STEP_M = 0.1  # the real image's row step
BLOCK_M = 10.0
SEED_BASE = 700_000  # not a seed of pretraining, validation or the held-out test wells
BAND_CYCLES_PER_M = (2.0, 5.0)  # wavelengths 20-50 cm, where the default synthetic spectrum falls away
COLOURS = ("#d7301f", "#2c7fb8", "#31a354")


def robust_z(image: np.ndarray, step_m: float) -> np.ndarray:
    out = np.full(image.shape, np.nan)
    block = max(1, int(round(BLOCK_M / step_m)))
    for top in range(0, image.shape[0], block):
        part = image[top:top + block]
        if not np.isfinite(part).any():  # a block of nulls stays null
            continue
        median = np.nanmedian(part)
        mad = 1.4826 * np.nanmedian(np.abs(part - median))
        out[top:top + block] = (part - median) / max(mad, 1e-9)
    return out


def to_real_grid(well: Well) -> tuple[np.ndarray, np.ndarray]:
    """log10 image block-averaged to 10 cm rows and 16 sectors, and its depths."""
    rows = int(round(STEP_M / well.depth_step_m))
    image = np.log10(well.image)
    n = image.shape[0] // rows * rows
    image = np.nanmean(image[:n].reshape(-1, rows, image.shape[1]), axis=1)
    image = np.nanmean(image.reshape(image.shape[0], 16, -1), axis=2)
    return image, well.depth_m[:n:rows]


def depth_spectrum(z: np.ndarray):
    spectra = []
    for column in z.T:
        finite = np.isfinite(column)
        longest = max(np.split(np.flatnonzero(finite), np.flatnonzero(np.diff(np.flatnonzero(finite)) > 1) + 1),
                      key=len)
        if longest.size >= 256:
            f, p = welch(column[longest], fs=1.0 / STEP_M, nperseg=256)
            spectra.append(p)
    return f, np.mean(spectra, axis=0)


def azimuth_spectrum(z: np.ndarray) -> np.ndarray:
    rows = z[np.isfinite(z).all(axis=1)]
    power = np.abs(np.fft.rfft(rows - rows.mean(axis=1, keepdims=True), axis=1)) ** 2
    power = power[:, 1:]
    return (power / power.sum(axis=1, keepdims=True)).mean(axis=0)


def trace_contrast(z: np.ndarray, depth_m: np.ndarray, picks, radius_m: float) -> np.ndarray:
    phi = (np.arange(16) + 0.5) * 22.5
    out = []
    for p in picks:
        trace = trace_depth_m(p.depth_m, p.dip_deg, p.azimuth_deg, radius_m, phi)
        on = np.array([np.interp(t, depth_m, z[:, j]) for j, t in enumerate(trace)])
        off = np.array([[np.interp(t + s, depth_m, z[:, j]) for s in (-0.2, -0.1, 0.1, 0.2)]
                        for j, t in enumerate(trace)])
        value = np.nanmean(on) - np.nanmean(off)
        if np.isfinite(value):
            out.append(abs(value))
    return np.array(out)


def band_power(f: np.ndarray, power: np.ndarray) -> float:
    """Mean power spectral density in BAND_CYCLES_PER_M (robust sd squared per cycle/m)."""
    return float(power[(f >= BAND_CYCLES_PER_M[0]) & (f <= BAND_CYCLES_PER_M[1])].mean())


def isolated_spikes_per_m(zs: list[np.ndarray]) -> tuple[float, float]:
    """Single-sector highs and lows per metre: pixels above (below) both neighbouring sectors by more
    than 4 robust sd of the sector-to-sector residual (value minus the mean of its two neighbours)."""
    high = low = rows = 0
    for z in zs:
        left, right = np.roll(z, 1, axis=1), np.roll(z, -1, axis=1)
        residual = z - 0.5 * (left + right)
        sd = 1.4826 * np.nanmedian(np.abs(residual - np.nanmedian(residual)))
        high += np.nansum(z - np.maximum(left, right) > 4 * sd)
        low += np.nansum(np.minimum(left, right) - z > 4 * sd)
        rows += np.isfinite(z).all(axis=1).sum()
    return float(high / (rows * STEP_M)), float(low / (rows * STEP_M))


def image_statistics(zs: list[np.ndarray]) -> dict:
    """The summary figures of robust z-scored images (pooled)."""
    values = np.concatenate([z[np.isfinite(z)] for z in zs])
    f, power = depth_spectrum(np.vstack(zs))
    harmonics = np.mean([azimuth_spectrum(z) for z in zs], axis=0)
    high, low = isolated_spikes_per_m(zs)
    metres = sum(np.isfinite(z).any(axis=1).sum() for z in zs) * STEP_M
    return {"spikes_high_per_m": high, "spikes_low_per_m": low, "beyond_4sd_percent": 100 * float(np.mean(np.abs(values) > 4)),
            "beyond_10sd_per_km": 1000 * float(np.sum(np.abs(values) > 10)) / metres,
            "values": values, "f": f, "power": power, "harmonics": harmonics,
            "skewness": float(skew(values)), "kurtosis": float(kurtosis(values)),
            "slope": float(np.polyfit(np.log(f[1:]), np.log(power[1:]), 1)[0]),
            "band_power": band_power(f, power), "harmonic1": float(harmonics[0])}


def cached_picks(well: Well, model_file: Path, cache: Path | None, pick):
    """The detector's picks of `well`, from `cache` when this image was picked by this model before."""
    if cache is None:
        return pick(well)
    key = hashlib.sha256(model_file.read_bytes())
    for array in (well.image, well.depth_m, well.radius_m):
        key.update(np.ascontiguousarray(array).tobytes())
    path = cache / f"{key.hexdigest()[:24]}_picks.csv"
    if path.is_file():
        return read_picks_csv(path)
    picks = pick(well)
    cache.mkdir(parents=True, exist_ok=True)
    write_picks_csv(path, picks)
    return picks


def synthetic_images(config: SynthConfig, wells: int, length_m: float) -> list[tuple[Well, np.ndarray, np.ndarray]]:
    """Horizontal 16-sector LWD wells: (well, robust z on the real grid, depths of its rows)."""
    horizontal = config.replace(lwd_sectors=(16,), deviated_fraction=1.0, horizontal_fraction=1.0)
    out = []
    for k in range(wells):
        well, _ = synthesize_well(SEED_BASE + k, length_m=length_m, config=horizontal, tool="lwd")
        image, depth = to_real_grid(well)
        out.append((well, robust_z(image, STEP_M), depth))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="real-texture", choices=[v for v in VARIANTS if v != "default"],
                        help="synth settings drawn beside the default ones")
    parser.add_argument("--wells", type=int, default=3, help="synthetic wells per setting")
    parser.add_argument("--length-m", type=float, default=60.0)
    parser.add_argument("--no-detector", action="store_true", help="statistics only: no picks, no contrast panel")
    parser.add_argument("--cache", default=str(ROOT / "runs/realism_cache"),
                        help="folder of cached detector picks ('' for none)")
    parser.add_argument("--out", default=str(ROOT / "docs/figures/synth_vs_real_lwd.png"))
    args = parser.parse_args()
    if args.wells < 1 or not args.length_m >= 30:
        parser.error("--wells must be at least 1 and --length-m at least 30 (the depth spectrum takes 25.6 m)")
    real = read_well(REAL_LAS, image_channel="ABDC", bit_size_in=8.5)
    sets = {"real P11-A-02A": [(real, robust_z(real.image.astype(float), STEP_M), real.depth_m)],
            "synthetic, default": synthetic_images(SynthConfig(), args.wells, args.length_m),
            f"synthetic, {args.variant}": synthetic_images(SynthConfig.variant(args.variant), args.wells, args.length_m)}
    if not args.no_detector:
        model, header = load_model("default")
        model_file, cache = resolve_model_path("default"), Path(args.cache) if args.cache else None

        def pick(well):
            return pick_well_detr(well, model, header.config, header.thresholds, progress=False,
                                  calibration=header.score_calibration)
    fig, axes = plt.subplots(1, 3 if args.no_detector else 4, figsize=(13 if args.no_detector else 17, 4))
    for (name, items), colour in zip(sets.items(), COLOURS):
        stats = image_statistics([z for _, z, _ in items])
        axes[0].hist(np.clip(stats["values"], -6, 6), bins=120, density=True, histtype="step", color=colour,
                     label=name)
        axes[1].loglog(stats["f"][1:], stats["power"][1:], color=colour, label=name)
        h = stats["harmonics"]
        axes[2].plot(np.arange(1, h.size + 1), h, marker="o", color=colour, label=name)
        line = (f"{name}: skewness {stats['skewness']:.2f}, excess kurtosis {stats['kurtosis']:.1f}, "
                f"beyond 4 sd {stats['beyond_4sd_percent']:.2f} %, beyond 10 sd {stats['beyond_10sd_per_km']:.0f} per km, "
                f"isolated spikes {stats['spikes_high_per_m']:.2f} "
                f"high / {stats['spikes_low_per_m']:.2f} low per m, "
                f"depth-spectrum slope {stats['slope']:.2f}, power at 2-5 cycles/m {stats['band_power']:.3f}, "
                f"azimuth harmonic 1 share {stats['harmonic1']:.2f}")
        if not args.no_detector:
            # the real depths are a row grid; a synthetic well's z rows sit at its own block depths
            picks = [cached_picks(well, model_file, cache, pick) for well, _, _ in items]
            contrast = np.concatenate([trace_contrast(z, depth, p, float(np.median(well.radius_m)))
                                       for (well, z, depth), p in zip(items, picks)])
            metres = sum(float(well.depth_m[-1] - well.depth_m[0]) for well, _, _ in items)
            axes[3].hist(contrast, bins=np.linspace(0, 3, 31), density=True, histtype="step", color=colour,
                         label=f"{name} ({contrast.size} picks)")
            line += (f", detector picks {sum(map(len, picks)) / metres:.2f} per m, median pick contrast "
                     f"{np.median(contrast):.2f} sd ({contrast.size} picks)")
        print(line, flush=True)
    axes[0].set(xlabel="robust z-score (10 m blocks)", ylabel="density", title="Value distribution", yscale="log")
    axes[1].set(xlabel="cycles per metre", ylabel="power", title="Texture along depth (10 cm rows)")
    axes[2].set(xlabel="azimuthal harmonic", ylabel="share of row variance", title="Texture around the hole")
    if not args.no_detector:
        axes[3].set(xlabel="|trace - band either side| (robust sd)", ylabel="density",
                    title="Contrast of detector picks")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
