"""Synthetic LWD images against the real one: value distribution, texture spectra, trace contrast.

    python scripts/compare_realism.py [--wells 3] [--out docs/figures/synth_vs_real_lwd.png]

Real: the 16-sector LWD density image of NLOG well P11-A-02A (../shared/external, 10 cm rows),
1950-2686 m. Synthetic: LWD wells of the generator's default settings with 16 sectors (the real
tool's), block-averaged to the real 10 cm rows. Each image is put on one scale by a robust
z-score in 10 m blocks ((value - median) / (1.4826 MAD), log10 values for the resistivity-like
synthetic ones): histogram equalisation, the model's own normalisation, makes every image
uniform and so hides the differences. Panels: the value distribution; the power spectrum along
depth (Welch, per sector, averaged); the share of each row's variance in each azimuthal
harmonic; the contrast of the detector's picks (mean along the trace minus the mean 10-20 cm
either side, over the block's sd), for the real image and for the synthetic ones. Prints the
summary figures docs/synthetic.md quotes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import welch  # noqa: E402
from scipy.stats import kurtosis, skew  # noqa: E402

from geobfdt.geometry import trace_depth_m  # noqa: E402
from geobfdt.io import read_well  # noqa: E402
from geobfdt.model.checkpoint import load_model  # noqa: E402
from geobfdt.picking.whole_well import pick_well_detr  # noqa: E402
from geobfdt.reports.plots import save_figure  # noqa: E402
from geobfdt.synth import SynthConfig, synthesize_well  # noqa: E402
from geobfdt.well import Well  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL_LAS = ROOT / "../shared/external/nlog_P11-A-02_lwd_image/P11-A-02_Composite_MEM_Image_NF.las"
STEP_M = 0.1  # the real image's row step
BLOCK_M = 10.0
SEED_BASE = 700_000  # not a seed of pretraining, validation or the held-out test wells


def robust_z(image: np.ndarray, step_m: float) -> np.ndarray:
    out = np.full(image.shape, np.nan)
    block = max(1, int(round(BLOCK_M / step_m)))
    for top in range(0, image.shape[0], block):
        part = image[top:top + block]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells", type=int, default=3)
    parser.add_argument("--length-m", type=float, default=60.0)
    parser.add_argument("--out", default=str(ROOT / "docs/figures/synth_vs_real_lwd.png"))
    args = parser.parse_args()
    model, cfg, thresholds = load_model("default")
    real = read_well(REAL_LAS, image_channel="ABDC", bit_size_in=8.5)
    images = {"real P11-A-02A": (robust_z(real.image.astype(float), STEP_M), real.depth_m,
                                 pick_well_detr(real, model, cfg, thresholds, progress=False),
                                 float(np.median(real.radius_m)))}
    lwd16 = SynthConfig().replace(lwd_sectors=(16,))
    synthetic = [], [], [], []
    for k in range(args.wells):
        well, _ = synthesize_well(SEED_BASE + k, length_m=args.length_m, config=lwd16, tool="lwd")
        image, depth = to_real_grid(well)
        synthetic[0].append(robust_z(image, STEP_M))
        synthetic[1].append(depth)
        synthetic[2].append(pick_well_detr(well, model, cfg, thresholds, progress=False))
        synthetic[3].append(float(np.median(well.radius_m)))
    fig, axes = plt.subplots(1, 4, figsize=(17, 4))
    for name, colour in (("real P11-A-02A", "#d7301f"), ("synthetic LWD, 16 sectors", "#2c7fb8")):
        if name.startswith("real"):
            z, depth, picks, radius = images[name]
            zs, contrast = [z], trace_contrast(z, depth, picks, radius)
        else:
            zs = synthetic[0]
            contrast = np.concatenate([trace_contrast(z, d, p, r) for z, d, p, r in zip(*synthetic)])
        values = np.concatenate([z[np.isfinite(z)] for z in zs])
        axes[0].hist(np.clip(values, -6, 6), bins=120, density=True, histtype="step", color=colour, label=name)
        f, power = depth_spectrum(np.vstack(zs))
        axes[1].loglog(f[1:], power[1:], color=colour, label=name)
        harmonics = np.mean([azimuth_spectrum(z) for z in zs], axis=0)
        axes[2].plot(np.arange(1, harmonics.size + 1), harmonics, marker="o", color=colour, label=name)
        axes[3].hist(contrast, bins=np.linspace(0, 6, 31), density=True, histtype="step", color=colour,
                     label=f"{name} ({contrast.size} picks)")
        print(f"{name}: skewness {skew(values):.2f}, excess kurtosis {kurtosis(values):.2f}, "
              f"depth-spectrum slope {np.polyfit(np.log(f[1:]), np.log(power[1:]), 1)[0]:.2f}, "
              f"azimuth harmonic 1 share {harmonics[0]:.2f}, median pick contrast {np.median(contrast):.2f} sd "
              f"({contrast.size} picks)")
    axes[0].set(xlabel="robust z-score (10 m blocks)", ylabel="density", title="Value distribution")
    axes[1].set(xlabel="cycles per metre", ylabel="power", title="Texture along depth (10 cm rows)")
    axes[2].set(xlabel="azimuthal harmonic", ylabel="share of row variance", title="Texture around the hole")
    axes[3].set(xlabel="|trace - band either side| (robust sd)", ylabel="density", title="Contrast of detector picks")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
