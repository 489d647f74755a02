"""The figure of any feature result: an image excerpt with the objects drawn on it, and the
whole well's curves (or, without curves, its intervals in depth and azimuth).

Tables are drawn by their columns, not by feature name: rows with depth_m and azimuth_deg are
blobs (circles of their equivalent diameter), rows with top_m, bottom_m and azimuth_deg are
intervals (a band of width_deg on each lobe, or a line per segment), so a new feature's tables
draw without new code here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geobfdt.features.result import FeatureResult
from geobfdt.reports.plots import IMAGE_CMAP, _save, display_image, plt
from geobfdt.well import Well

EXCERPT_M = 2.0
TABLE_COLOURS = ["#1f78b4", "#e31a1c", "#33a02c", "#6a3d9a"]


def _anchor_depths(table: dict) -> np.ndarray:
    if "depth_m" in table:
        return np.asarray(table["depth_m"], float)
    if "top_m" in table:
        return 0.5 * (np.asarray(table["top_m"], float) + np.asarray(table["bottom_m"], float))
    return np.zeros(0)


def busiest_interval(well: Well, result: FeatureResult, length_m: float = EXCERPT_M) -> tuple[float, float]:
    """The excerpt holding the most objects (the middle of the well when there are none)."""
    depths = np.concatenate([_anchor_depths(t) for t in result.tables.values()] + [np.zeros(0)])
    top, bottom = float(well.depth_m[0]), float(well.depth_m[-1])
    length_m = min(length_m, bottom - top)
    if depths.size:
        starts = np.clip(np.sort(depths) - 0.25 * length_m, top, bottom - length_m)
        counts = np.searchsorted(np.sort(depths), starts + length_m) - np.searchsorted(np.sort(depths), starts)
        top = float(starts[int(np.argmax(counts))])
    else:
        top = 0.5 * (top + bottom - length_m)
    return top, top + length_m


def _draw_table(ax, table: dict, top_m: float, bottom_m: float, colour: str, label: str) -> None:
    if "depth_m" in table and "azimuth_deg" in table:
        z, az = np.asarray(table["depth_m"]), np.asarray(table["azimuth_deg"])
        size = np.asarray(table.get("equivalent_diameter_mm", np.full(z.size, 5.0)))
        keep = (z >= top_m) & (z <= bottom_m)
        ax.scatter(az[keep], z[keep], s=4 + 1.5 * size[keep], facecolors="none", edgecolors=colour, linewidths=0.9,
                   label=f"{label} ({int(keep.sum())} here, {z.size} in well)")
    elif "top_m" in table and "azimuth_deg" in table:
        top, bottom, az = (np.asarray(table[k], float) for k in ("top_m", "bottom_m", "azimuth_deg"))
        keep = (bottom >= top_m) & (top <= bottom_m)
        width = np.asarray(table.get("width_deg", np.full(top.size, 4.0)), float)
        lobes = [az] + ([np.asarray(table["azimuth2_deg"], float)] if "azimuth2_deg" in table else [])
        first = True
        for i in np.flatnonzero(keep):
            for lobe in lobes:
                for shift in (-360.0, 0.0, 360.0):  # a band across the seam shows on both edges
                    ax.fill_betweenx([top[i], bottom[i]], lobe[i] - width[i] / 2 + shift, lobe[i] + width[i] / 2 + shift,
                                     color=colour, alpha=0.3, linewidth=0,
                                     label=f"{label} ({int(keep.sum())} here, {top.size} in well)" if first else None)
                    first = False


def plot_feature(well: Well, result: FeatureResult, out_png) -> Path:
    """One PNG: the busiest image excerpt with every table drawn on it, beside the whole well."""
    top, bottom = busiest_interval(well, result)
    depth, values = display_image(well, top, bottom)
    fig, (ax, track) = plt.subplots(1, 2, figsize=(11, 8), gridspec_kw={"width_ratios": [3, 1.3]})
    ax.imshow(values, aspect="auto", cmap=IMAGE_CMAP, extent=[0, 360, depth[-1], depth[0]], interpolation="nearest")
    for k, (name, table) in enumerate(result.tables.items()):
        _draw_table(ax, table, top, bottom, TABLE_COLOURS[k % len(TABLE_COLOURS)], name)
    ax.set_xlim(0, 360)
    ax.set_ylim(bottom, top)
    ax.set_xticks(range(0, 361, 90))
    ax.set_xlabel("Azimuth (deg)")
    ax.set_ylabel("Measured depth (m)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", fontsize=8, framealpha=0.85)
    ax.set_title(f"{well.name}: {result.feature}, {top:.1f}-{bottom:.1f} m", fontsize=10)
    if result.curves:
        for name, (curve, unit) in result.curves.items():
            track.plot(curve, result.depth_m, linewidth=0.9, label=f"{name} ({unit})")
        track.set_xlim(left=0)
        track.legend(loc="lower right", fontsize=8)
    else:
        for k, (name, table) in enumerate(result.tables.items()):
            if "top_m" in table:
                colour = TABLE_COLOURS[k % len(TABLE_COLOURS)]
                for t, b, a in zip(table["top_m"], table["bottom_m"], table["azimuth_deg"]):
                    track.plot([a % 180, a % 180], [t, b], color=colour, linewidth=3, solid_capstyle="butt")
        track.set_xlim(0, 180)
        track.set_xlabel("Axis azimuth (deg, mod 180)")
    track.axhspan(top, bottom, color="0.85", zorder=0)
    track.set_ylim(well.depth_m[-1], well.depth_m[0])
    track.grid(True, color="0.85", linewidth=0.5)
    notes = ", ".join(f"{k} {v}" for k, v in result.summary.items() if isinstance(v, (int, float)) and v is not None)
    track.set_title("whole well", fontsize=10)
    fig.text(0.01, 0.005, notes, fontsize=7, wrap=True)
    return _save(fig, out_png)
