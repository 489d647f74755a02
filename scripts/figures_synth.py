"""Figures for docs/synthetic.md: synthetic intervals of each tool beside the real LWD
image, the same intervals with their labels, and synthetic vs real pick statistics.

    .venv/bin/python scripts/figures_synth.py [--out docs/figures]

Real data: ../shared/external/nlog_P11-A-02_lwd_image (LWD azimuthal density, 16 sectors,
NLOG well P11-A-02A via andymcdgeo/Petrophysics-Python-Series) and
../shared/external/fractoolbox_geothermal_picks (1142 FMI fracture picks, ICWallis/fractoolbox).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from geobfdt.geometry import trace_depth_m  # noqa: E402
from geobfdt.io import read_well  # noqa: E402
from geobfdt.io.picks import read_picks  # noqa: E402
from geobfdt.preprocess.image import normalise_dynamic  # noqa: E402
from geobfdt.reports.plots import save_figure  # noqa: E402
from geobfdt.synth import SynthConfig, synthesize_well  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL_LAS = ROOT / "../shared/external/nlog_P11-A-02_lwd_image/P11-A-02_Composite_MEM_Image_NF.las"
REAL_PICKS = ROOT / "../shared/external/fractoolbox_geothermal_picks/testdata-fractures.csv"

CMAP = "YlOrBr_r"  # dark = conductive, the usual image-log palette

# (title, seed, tool, config variant, interval length m) chosen to show each tool's look
PANELS = [
    ("FMI 8-pad, vertical", 11, "fmi", "vertical", 3.0),
    ("FMI 8-pad, deviated", 4, "fmi", "deviated", 3.0),
    ("slim 4-6 pad", 2, "slim", "vertical", 3.0),
    ("LWD, many sectors", 3, "lwd", "vertical", 3.0),
    ("LWD, 16 sectors", 5, "lwd", "deviated", 30.0),
]


def _lwd16_config(name):
    cfg = SynthConfig.variant(name)
    return cfg.replace(lwd_sectors=(16,), lwd_step_m=(0.02,)) if name == "deviated" else cfg


def _synthetic(seed, tool, variant, span_m):
    cfg = _lwd16_config(variant) if span_m > 10 else SynthConfig.variant(variant)
    if tool == "lwd" and span_m <= 10:
        cfg = cfg.replace(lwd_sectors=(128,))
    well, picks = synthesize_well(seed, length_m=span_m + 2.0, config=cfg, tool=tool)
    return well, [p for p in picks if well.depth_m[0] + 1 <= p.depth_m <= well.depth_m[0] + 1 + span_m]


def _show(ax, well, top_m, span_m, window_m, title):
    rows = slice(*np.searchsorted(well.depth_m, [top_m, top_m + span_m]))
    image = normalise_dynamic(np.log10(well.image[rows]), well.depth_step_m, window_m)
    ax.imshow(np.ma.masked_invalid(image), aspect="auto", cmap=CMAP, interpolation="nearest",
              extent=[0, 360, well.depth_m[rows][-1], well.depth_m[rows][0]])
    ax.set_facecolor("white")
    ax.set_xticks([0, 90, 180, 270, 360])
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)


def _overlay(ax, well, picks):
    phi = np.linspace(0, 360, 181)
    for p in picks:
        z = trace_depth_m(p.depth_m, p.dip_deg, p.azimuth_deg, well.radius_at(p.depth_m), phi)
        ax.plot(phi, z, lw=0.7, color="#00e5ff" if p.type == "fracture" else "#ff00d4", alpha=0.85)


def figure_tools(out: Path, with_labels: bool):
    real = read_well(REAL_LAS, image_channel="ABDC", bit_size_in=8.5)
    fig, axes = plt.subplots(1, len(PANELS) + 1, figsize=(2.4 * (len(PANELS) + 1), 7.5))
    for ax, (title, seed, tool, variant, span) in zip(axes, PANELS):
        well, picks = _synthetic(seed, tool, variant, span)
        top = well.depth_m[0] + 1.0
        desc = f"{title}\n{well.width} col, {well.depth_step_m * 100:.2f} cm, " \
               f"{2 * well.radius_m.mean() / 0.0254:.1f} in" + (f", inc {well.inclination_deg.mean():.0f}" if
                                                                 well.deviated else "")
        _show(ax, well, top, span, 0.6 if span < 10 else 3.0, desc)
        if with_labels:
            _overlay(ax, well, picks)
            ax.set_ylim(top + span, top)
    top = 2350.0
    _show(axes[-1], real, top, 30.0, 3.0, "REAL: P11-A-02A LWD density\n16 sectors, 10 cm (NLOG)")
    axes[0].set_ylabel("measured depth (m)")
    fig.suptitle("Synthetic image logs (dynamic normalisation)" + (" with their labels: fracture cyan, bedding "
                                                                   "magenta" if with_labels else ""), fontsize=10)
    fig.tight_layout()
    save_figure(fig, out, dpi=90)


def _align_to_peak(azimuth_deg):
    """Azimuths relative to the peak of their circularly smoothed histogram (sets rotate per well)."""
    hist = np.histogram(azimuth_deg, bins=72, range=(0, 360))[0].astype(float)
    smooth = sum(np.roll(hist, k) * np.exp(-0.5 * (k / 3) ** 2) for k in range(-9, 10))
    peak = (np.argmax(smooth) + 0.5) * 5.0
    return np.mod(azimuth_deg - peak + 180.0, 360.0) - 180.0


def figure_statistics(out: Path, wells: int = 24, length_m: float = 40.0):
    real = sorted(read_picks(REAL_PICKS), key=lambda p: p.depth_m)  # fractoolbox azimuths come wrapped to [0, 360)
    real_depth, real_dip, real_az = (np.array([getattr(p, k) for p in real]) for k in ("depth_m", "dip_deg",
                                                                                          "azimuth_deg"))
    dips_true, dips_app, az_rel, spacing, bed_dips = [], [], [], [], []
    for seed in range(wells):
        well, picks = synthesize_well(1000 + seed, length_m=length_m)
        frac = [p for p in picks if p.type == "fracture"]
        true = [p.dip_true_deg if p.dip_true_deg is not None else p.dip_deg for p in frac]
        dips_true += true
        dips_app += [p.dip_deg for p in frac]
        bed_dips += [p.dip_deg for p in picks if p.type == "bedding"]
        if not well.deviated and len(frac) > 5:
            az_rel += list(_align_to_peak(np.array([p.azimuth_deg for p in frac])))
        spacing += list(np.diff(sorted(p.depth_m for p in frac)))
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    bins = np.arange(0, 91, 5)
    axes[0].hist(real_dip, bins, density=True, alpha=0.5, label=f"real FMI picks (n={real_dip.size})")
    axes[0].hist(dips_true, bins, density=True, histtype="step", lw=2, label=f"synthetic, true dip (n={len(dips_true)})")
    axes[0].axvline(85, color="k", ls=":", lw=1)
    axes[0].set_xlabel("fracture dip (deg)")
    axes[0].legend(fontsize=7)
    axes[1].hist(_align_to_peak(real_az), np.arange(-180, 181, 15), density=True, alpha=0.5, label="real")
    axes[1].hist(az_rel, np.arange(-180, 181, 15), density=True, histtype="step", lw=2, label="synthetic (vertical)")
    axes[1].set_xlabel("fracture dip azimuth rel. to main set (deg)")
    axes[1].legend(fontsize=7)
    sbins = np.linspace(-3, 1.5, 28)
    axes[2].hist(np.log10(np.maximum(np.diff(real_depth), 1e-3)), sbins, density=True, alpha=0.5, label="real")
    axes[2].hist(np.log10(np.maximum(spacing, 1e-3)), sbins, density=True, histtype="step", lw=2,
                 label="synthetic (labelled)")
    axes[2].set_xlabel("log10 spacing between consecutive fractures (m)")
    axes[2].legend(fontsize=7)
    axes[3].hist(dips_app, bins, density=True, histtype="step", lw=2, label="fracture, apparent")
    axes[3].hist(bed_dips, bins, density=True, histtype="step", lw=2, label="bedding, apparent")
    axes[3].set_xlabel("synthetic apparent dip (deg), all wells")
    axes[3].legend(fontsize=7)
    fig.suptitle(f"Synthetic labels ({wells} wells x {length_m:g} m, default settings) vs real fractoolbox "
                 "geothermal FMI picks", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "figures"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    figure_tools(out / "synth_tools.png", with_labels=False)
    figure_tools(out / "synth_labels.png", with_labels=True)
    figure_statistics(out / "synth_statistics.png")
    print(f"wrote {out}/synth_tools.png, synth_labels.png, synth_statistics.png")


if __name__ == "__main__":
    main()
