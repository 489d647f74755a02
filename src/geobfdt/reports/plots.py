"""Figures a geologist reads: image with sinusoids, tadpoles, rose, stereonet, fracture intensity.

Matplotlib with the Agg backend (no display); every function writes one PNG atomically, except
draw_well, which returns its figure (a notebook shows it inline; `geobfdt.plot`).
Depth runs down the page in metres; azimuth runs 0-360 deg across the unwrapped image;
resistivity images use YlOrBr_r, so conductive features (open fractures, shale) are dark.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from geobfdt.errors import OptionError
from geobfdt.files import atomic_path  # noqa: E402
from geobfdt.io.names import output_path, safe_stem  # noqa: E402
from geobfdt.geometry import trace_depth_m  # noqa: E402
from geobfdt.preprocess.image import normalise_dynamic, resample_well  # noqa: E402
from geobfdt.well import PICK_TYPES, Pick, Well  # noqa: E402

IMAGE_CMAP = "YlOrBr_r"
TYPE_COLOURS = {"fracture": "#c0392b", "bedding": "#1f77b4"}
TYPE_MARKERS = {"fracture": "o", "bedding": "s"}
# one style per pick set, in order: truth first (solid green), then predictions
SET_STYLES = [
    {"color": "#1a9850", "linestyle": "-"},
    {"color": "#d7301f", "linestyle": (0, (5, 3))},
    {"color": "#2c7fb8", "linestyle": (0, (2, 2))},
    {"color": "#7b3294", "linestyle": (0, (6, 2, 1, 2))},
    {"color": "#000000", "linestyle": (0, (1, 1))},
]
DISPLAY_ROWS = 3000  # more image rows than this are box-averaged: the page has fewer pixels
STATIC_SAMPLE = 2_000_000  # values sampled over the whole well for the static mapping
# figures shown inline: small enough to keep a notebook's stored outputs light (~50 kB a figure)
NOTEBOOK_DPI = 60
NOTEBOOK_COLOURS = 64
SCORE_LABEL_LIMIT = 40  # beyond this many picks in view, scores would only clutter the image


def save_figure(fig, path, **savefig_kwargs) -> Path:
    """savefig through atomic_path (no half-written figure), format from the target's extension
    (the temporary name ends in .tmp); the figure is closed."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=path.suffix.lstrip(".").lower() or "png", **savefig_kwargs)
    finally:
        plt.close(fig)
    return path


def _save(fig, out_png) -> Path:
    return save_figure(fig, out_png, dpi=110, bbox_inches="tight")


def _style(index: int) -> dict:
    return SET_STYLES[index % len(SET_STYLES)]


def _static_mapping(well: Well):
    """Mid-rank CDF of the whole logged interval, from an evenly strided sample of rows."""
    stride = max(1, int(np.ceil(well.image.size / STATIC_SAMPLE)))
    sample = np.sort(well.image[::stride][np.isfinite(well.image[::stride])])

    def mapping(values):
        below = np.searchsorted(sample, values, "left")
        equal = np.searchsorted(sample, values, "right") - below
        return np.where(np.isfinite(values), (below + 0.5 * equal) / max(sample.size, 1), np.nan).astype(np.float32)

    return mapping


def display_image(well: Well, top_m: float, bottom_m: float, image: str = "dynamic", window_m: float = 0.6):
    """(depth_m, values) of the interval on at most DISPLAY_ROWS rows, columns sorted from 0 deg.

    dynamic: normalised in the sliding window (computed with a half-window margin so the
    edges are right); static: the whole well's mapping; raw: the values themselves.
    """
    if image not in ("dynamic", "static", "raw"):
        raise OptionError(f"image must be dynamic, static or raw, got {image!r}")
    margin_m = 0.5 * window_m if image == "dynamic" else 0.0
    step_m = max(well.depth_step_m, (bottom_m - top_m) / DISPLAY_ROWS)
    first = max(int(np.searchsorted(well.depth_m, top_m - margin_m - step_m)) - 1, 0)
    stop = min(int(np.searchsorted(well.depth_m, bottom_m + margin_m + step_m)) + 1, well.depth_m.size)
    if stop - first < 2:
        raise OptionError(f"{well.name}: no image rows between {top_m:.2f} and {bottom_m:.2f} m")
    part = Well(well.name, well.depth_m[first:stop], well.azimuth_deg, well.image[first:stop],
                well.radius_m[first:stop])
    shown = resample_well(part, step_m, well.width)
    values = shown.image
    if image == "dynamic":
        values = normalise_dynamic(values, step_m, window_m)
    elif image == "static":
        values = _static_mapping(well)(values)
    return shown.depth_m, values


def _trace_segments(picks: list[Pick], well: Well, phi_deg: np.ndarray) -> np.ndarray:
    """(n, len(phi), 2) polylines (azimuth, depth) of each pick's full trace, 0 to 360 deg.

    The trace is periodic, so one polyline from 0 to 360 deg never draws a wrap line.
    """
    depth = np.array([p.depth_m for p in picks])[:, None]
    dip = np.array([p.dip_deg for p in picks])[:, None]
    azimuth = np.array([p.azimuth_deg for p in picks])[:, None]
    z = trace_depth_m(depth, dip, azimuth, well.radius_at(depth), phi_deg[None, :])
    return np.stack([np.broadcast_to(phi_deg, z.shape), z], axis=-1)


def _in_view(picks, well, top_m, bottom_m):
    """Picks whose trace reaches into [top, bottom] (steep ones from outside the interval too)."""
    out = []
    for p in picks:
        amp = float(well.radius_at(p.depth_m) * np.tan(np.radians(min(p.dip_deg, 89.0))))
        if p.depth_m + amp >= top_m and p.depth_m - amp <= bottom_m:
            out.append(p)
    return out


def orientation_deg(picks: list[Pick]) -> tuple[np.ndarray, np.ndarray, str]:
    """Dip and dip azimuth of each pick, true (geographic) where the pick has them, else the
    apparent ones of the image frame; and that frame's name for titles."""
    has_true = [p.dip_true_deg is not None and p.azimuth_true_deg is not None for p in picks]
    dip = np.array([p.dip_true_deg if t else p.dip_deg for p, t in zip(picks, has_true)], dtype=float)
    azimuth = np.array([p.azimuth_true_deg if t else p.azimuth_deg for p, t in zip(picks, has_true)], dtype=float)
    frame = ("apparent (image frame)" if not any(has_true) else "true (geographic)" if all(has_true)
             else "true where surveyed, else apparent")
    return dip, np.mod(azimuth, 360.0), frame


def _draw_tadpoles(ax, picks: list[Pick], colour=None, marker_size=34, tail=0.13, label_types=False,
                   true_orientation=False):
    """Head at (dip, depth), tail pointing to the dip azimuth (north up, on screen); apparent
    orientation (beside an image) unless true_orientation."""
    if not picks:
        return
    depth = np.array([p.depth_m for p in picks])
    if true_orientation:
        dip, azimuth, _ = orientation_deg(picks)
    else:
        dip, azimuth = np.array([p.dip_deg for p in picks]), np.array([p.azimuth_deg for p in picks])
    azimuth = np.radians(azimuth)
    types = np.array([p.type for p in picks])
    # angles="uv" keeps the tail direction in screen space whatever the axis scales are
    ax.quiver(dip, depth, np.sin(azimuth), np.cos(azimuth), angles="uv", pivot="tail", scale=1 / tail,
              scale_units="width", width=0.006, headwidth=0, headlength=0, headaxislength=0,
              color=colour or [TYPE_COLOURS[t] for t in types], zorder=2)
    for kind in PICK_TYPES:
        sel = types == kind
        if sel.any():
            face = colour or TYPE_COLOURS[kind]
            ax.scatter(dip[sel], depth[sel], s=marker_size, marker=TYPE_MARKERS[kind], facecolor=face,
                       edgecolor="black", linewidth=0.5, zorder=3, label=kind if label_types else None)


def _format_tadpole_axis(ax):
    ax.set_xlim(0, 90)
    ax.set_xticks([0, 30, 60, 90])
    ax.set_xlabel("Dip (deg)")
    ax.grid(True, color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)


class ShownFigure(Figure):
    """A figure outside pyplot (nothing to close, never shown twice) that a notebook shows inline
    as PNG whatever matplotlib backend is active."""

    def _repr_png_(self) -> bytes:
        from PIL import Image

        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=NOTEBOOK_DPI, bbox_inches="tight")
        # a noisy image log compresses badly: a palette of NOTEBOOK_COLOURS makes the PNG 4x smaller
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").quantize(colors=NOTEBOOK_COLOURS)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()


def plot_well(well: Well, picks_sets: list[tuple[str, list[Pick]]], top_m: float, bottom_m: float, out_png,
              image: str = "dynamic", window_m: float = 0.6) -> Path:
    """draw_well written to a PNG."""
    return _save(draw_well(well, picks_sets, top_m, bottom_m, image, window_m), out_png)


def draw_well(well: Well, picks_sets: list[tuple[str, list[Pick]]], top_m: float, bottom_m: float,
              image: str = "dynamic", window_m: float = 0.6) -> ShownFigure:
    """Image log with each pick set's sinusoids (distinct styles) beside a tadpole track."""
    top_m, bottom_m = max(float(top_m), well.depth_m[0]), min(float(bottom_m), well.depth_m[-1])
    if bottom_m <= top_m:
        raise OptionError(f"{well.name}: interval {top_m:.2f}-{bottom_m:.2f} m is outside the logged "
                          f"{well.depth_m[0]:.2f}-{well.depth_m[-1]:.2f} m")
    depth, values = display_image(well, top_m, bottom_m, image, window_m)
    height_in = float(np.clip(2.0 + 1.4 * (bottom_m - top_m), 6.0, 18.0))
    fig = ShownFigure(figsize=(10, height_in))
    ax, ax_tad = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3.2, 1.0], "wspace": 0.06})
    cmap = plt.get_cmap(IMAGE_CMAP).with_extremes(bad="#e8e8e8")
    if image == "raw":
        lo, hi = np.nanpercentile(values, [2, 98]) if np.isfinite(values).any() else (0.0, 1.0)
    else:
        lo, hi = 0.0, 1.0
    half_row = 0.5 * (depth[1] - depth[0])
    mappable = ax.imshow(values, cmap=cmap, vmin=lo, vmax=hi, aspect="auto", interpolation="nearest",
                         extent=(0.0, 360.0, depth[-1] + half_row, depth[0] - half_row))
    phi = np.linspace(0.0, 360.0, 181)
    handles = []
    for index, (label, picks) in enumerate(picks_sets):
        style = _style(index)
        shown = _in_view(picks, well, top_m, bottom_m)
        n_frac = sum(p.type == "fracture" for p in shown)
        handles.append(Line2D([], [], linewidth=2, **style,
                              label=f"{label}: {n_frac} fractures, {len(shown) - n_frac} bedding"))
        if shown:
            widths = [1.7 if p.type == "fracture" else 1.1 for p in shown]
            ax.add_collection(LineCollection(_trace_segments(shown, well, phi), colors=style["color"],
                                             linestyles=style["linestyle"], linewidths=widths, zorder=3))
            scored = [p for p in shown if p.score is not None]
            if index > 0 and 0 < len(scored) <= SCORE_LABEL_LIMIT:
                for p in scored:  # at the trace's deepest point, where it is easiest to find
                    z = p.depth_m + float(well.radius_at(p.depth_m) * np.tan(np.radians(p.dip_deg)))
                    if top_m <= z <= bottom_m:
                        ax.text(p.azimuth_deg, z, f"{p.score:.2f}", color=style["color"], fontsize=7,
                                ha="center", va="top", zorder=4,
                                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
        _draw_tadpoles(ax_tad, [p for p in picks if top_m <= p.depth_m <= bottom_m], colour=style["color"])
    ax.set_ylim(bottom_m, top_m)
    ax.set_xlim(0, 360)
    ax.set_xticks(np.arange(0, 361, 90))
    ax.set_xticklabels(["0\nN", "90\nE", "180\nS", "270\nW", "360\nN"])
    ax.set_xlabel("Azimuth (deg)")
    ax.set_ylabel("Measured depth (m)")
    title = {"dynamic": f"dynamic ({window_m:g} m window)", "static": "static", "raw": "raw values"}[image]
    title = f"{well.name}{' (' + well.tool + ')' if well.tool else ''}: {top_m:.2f}-{bottom_m:.2f} m, {title} image"
    below_axis = -0.75 / (0.8 * height_in)  # legends ~0.75 in under the axes, whatever the figure height
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, below_axis), fontsize=8, frameon=False)
    cbar = fig.colorbar(mappable, ax=ax, location="top", fraction=0.3 / height_in, pad=0.3 / height_in)
    cbar.ax.set_title(title, fontsize=11, pad=8)
    cbar.set_label("resistivity (raw)" if image == "raw" else "normalised resistivity (dark = conductive)",
                   fontsize=8)
    cbar.ax.tick_params(labelsize=7)
    _format_tadpole_axis(ax_tad)
    ax_tad.set_title("Tadpoles\n(tail to dip azimuth)", fontsize=9)
    kinds = [Line2D([], [], marker=TYPE_MARKERS[k], linestyle="", color="0.5", markeredgecolor="black",
                    label=k) for k in PICK_TYPES]
    ax_tad.legend(handles=kinds, loc="upper center", bbox_to_anchor=(0.5, below_axis), fontsize=8, frameon=False)
    return fig


def _no_picks(ax, text="no picks"):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")


def plot_tadpoles(picks: list[Pick], out_png, title: str = "Tadpole plot") -> Path:
    """Dip vs depth, tail to the dip azimuth (true where the picks have it), fracture and bedding markers."""
    depth = [p.depth_m for p in picks]
    span = (max(depth) - min(depth)) if picks else 0.0
    fig, ax = plt.subplots(figsize=(4.0, float(np.clip(3 + 0.15 * span, 6, 16))))
    if picks:
        _draw_tadpoles(ax, picks, tail=0.07, label_types=True, true_orientation=True)
        title = f"{title}\n{orientation_deg(picks)[2]}"
        pad = max(0.5, 0.03 * span)
        ax.set_ylim(max(depth) + pad, min(depth) - pad)
        ax.legend(loc="best", fontsize=8)
    else:
        _no_picks(ax)
        ax.invert_yaxis()
    _format_tadpole_axis(ax)
    ax.set_ylabel("Measured depth (m)")
    ax.set_title(title, fontsize=10)
    return _save(fig, out_png)


def plot_rose(picks: list[Pick], out_png, bin_deg: float = 10.0, title: str = "Dip azimuths") -> Path:
    """Rose diagram of dip azimuths (true where the picks have them; north up, clockwise), bars
    stacked by type."""
    fig = plt.figure(figsize=(5, 5))
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    edges = np.arange(0.0, 360.0 + bin_deg, bin_deg)
    bottom = np.zeros(edges.size - 1)
    _, all_azimuths, frame = orientation_deg(picks)
    types = np.array([p.type for p in picks])
    for kind in PICK_TYPES:
        azimuths = all_azimuths[types == kind]
        counts, _ = np.histogram(azimuths, bins=edges)
        if counts.any():
            ax.bar(np.radians(edges[:-1] + bin_deg / 2), counts, width=np.radians(bin_deg) * 0.95, bottom=bottom,
                   color=TYPE_COLOURS[kind], edgecolor="white", linewidth=0.5, label=f"{kind} ({len(azimuths)})")
            bottom += counts
    if not picks:
        _no_picks(ax)
    else:
        ax.legend(loc="lower left", bbox_to_anchor=(-0.1, -0.12), fontsize=8, frameon=False)
    ax.set_title(f"{title} ({bin_deg:g} deg bins)" + (f"\n{frame}" if picks else ""), fontsize=10, pad=14)
    return _save(fig, out_png)


def plot_stereonet(picks: list[Pick], out_png, title: str = "Poles to planes") -> Path:
    """Lower-hemisphere equal-area poles; true dip/azimuth when the pick has them."""
    with warnings.catch_warnings():  # mplstereonet 0.6.3 overrides Axes.cla: a pending deprecation
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import mplstereonet  # noqa: F401  (registers the "stereonet" projection)

    fig = plt.figure(figsize=(5.5, 5.5))
    ax = fig.add_subplot(projection="stereonet")
    dips, azimuths, frame = orientation_deg(picks)
    types = np.array([p.type for p in picks])
    for kind in PICK_TYPES:
        chosen = types == kind
        if not chosen.any():
            continue
        dip, azimuth = dips[chosen], azimuths[chosen]
        # right-hand rule: strike is 90 deg anticlockwise of the dip direction
        ax.pole(np.mod(azimuth - 90.0, 360.0), dip, marker=TYPE_MARKERS[kind], markersize=5,
                color=TYPE_COLOURS[kind], markeredgecolor="black", markeredgewidth=0.4,
                label=f"{kind} ({int(chosen.sum())})")
    ax.grid(True, color="0.8", linewidth=0.5)
    if picks:
        ax.legend(loc="lower left", bbox_to_anchor=(-0.1, -0.12), fontsize=8, frameon=False)
    else:
        _no_picks(ax)
    ax.set_title(f"{title}, {frame}\nlower hemisphere, equal area", fontsize=10, pad=30)
    return _save(fig, out_png)


def intensity_per_m(picks: list[Pick], depth_m: np.ndarray, window_m: float = 1.0) -> dict[str, np.ndarray]:
    """P10 per type: picks whose depth lies within +-window/2 of each depth, per metre."""
    out = {}
    for kind in PICK_TYPES:
        depths = np.sort([p.depth_m for p in picks if p.type == kind])
        count = np.searchsorted(depths, depth_m + window_m / 2, "right") - np.searchsorted(
            depths, depth_m - window_m / 2, "left")
        out[kind] = count / window_m
    return out


def plot_intensity(picks: list[Pick], top_m: float, bottom_m: float, out_png, window_m: float = 1.0) -> Path:
    """Fracture (and bedding) intensity P10, count per metre in a sliding window, against depth."""
    if not bottom_m > top_m:
        raise OptionError(f"intensity interval {top_m}-{bottom_m} m is empty")
    depth = np.linspace(top_m, bottom_m, max(200, int((bottom_m - top_m) / window_m * 10)))
    p10 = intensity_per_m(picks, depth, window_m)
    fig, ax = plt.subplots(figsize=(3.8, float(np.clip(3 + 0.1 * (bottom_m - top_m), 6, 16))))
    for kind in PICK_TYPES:
        ax.plot(p10[kind], depth, color=TYPE_COLOURS[kind], linewidth=1.2, label=kind)
        ax.fill_betweenx(depth, 0, p10[kind], color=TYPE_COLOURS[kind], alpha=0.15)
    ax.set_ylim(bottom_m, top_m)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"P10 (count / m, {window_m:g} m window)")
    ax.set_ylabel("Measured depth (m)")
    ax.grid(True, color="0.85", linewidth=0.6)
    ax.legend(loc="best", fontsize=8)
    if not picks:
        _no_picks(ax)
    ax.set_title("Intensity", fontsize=10)
    return _save(fig, out_png)


def plot_pick_summary(well: Well, picks: list[Pick], out_dir, stem: str, include_induced: bool = False) -> dict[str, Path]:
    """The whole-well figures of one pick set: tadpoles, rose, stereonet and P10 intensity,
    written as out_dir/<stem>_<kind>.png (stem made safe: it may come from a file's content).
    Picks flagged as drilling-induced fractures are left out unless include_induced."""
    stem = safe_stem(stem)
    picks = picks if include_induced else [p for p in picks if not p.induced]
    return {kind: draw(output_path(out_dir, f"{stem}_{kind}.png")) for kind, draw in (
        ("tadpoles", lambda png: plot_tadpoles(picks, png)), ("rose", lambda png: plot_rose(picks, png)),
        ("stereonet", lambda png: plot_stereonet(picks, png)),
        ("intensity", lambda png: plot_intensity(picks, well.depth_m[0], well.depth_m[-1], png)))}


def plot_reliability(curves: dict[str, tuple[np.ndarray, np.ndarray]], out_png, bins: int = 10,
                     title: str = "Reliability of the pick scores") -> Path:
    """Share of picks that are real against their mean score, per equal-width score bin, one
    curve per (name: (scores, outcomes)); the diagonal is a calibrated score. ECE in the legend."""
    from geobfdt.evaluation.calibration import expected_calibration_error, reliability_bins

    fig, ax = plt.subplots(figsize=(5.0, 5.0))
    ax.plot([0, 1], [0, 1], color="0.6", linewidth=1, label="calibrated")
    for k, (name, (score, real)) in enumerate(curves.items()):
        rows = [r for r in reliability_bins(score, real, bins) if r["n"]]
        ece = expected_calibration_error(score, real, bins)
        ax.plot([r["mean_score"] for r in rows], [r["share_real"] for r in rows], marker="o", markersize=4,
                **_style(k + 1), label=f"{name} (n {len(score)}, ECE {ece:.3f})" if ece is not None else name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("score (mean in bin)")
    ax.set_ylabel("share of picks that are real")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=7)
    return _save(fig, out_png)


def plot_injection(report: dict, out_png) -> Path:
    """An injection-recovery report (evaluation/injection.py): per class and dip bin, the share of
    implants recovered, and the median and 80 % quantile of the depth, dip and azimuth errors; per
    class, the share recovered by the distance to the well's nearest pick; per depth zone, the share
    recovered and the share of the well's picks lost."""
    rows = [r for r in report["by_class_and_dip"] if r["dip_bin_deg"] != report["by_class_and_dip"][-1]["dip_bin_deg"]]
    bins = list(dict.fromkeys(r["dip_bin_deg"] for r in rows))
    fig, axes = plt.subplots(1, 6, figsize=(19.0, 3.2))
    width = 0.38
    for k, kind in enumerate(dict.fromkeys(r["class"] for r in rows)):
        mine = [r for r in rows if r["class"] == kind]
        x = np.arange(len(bins)) + (k - 0.5) * width
        axes[0].bar(x, [r["recovery"] or 0.0 for r in mine], width, label=kind, **{"color": _style(k + 1)["color"]})
        for ax, name, unit in zip(axes[1:], ("depth_cm", "dip_deg", "azimuth_deg"), ("cm", "deg", "deg")):
            q50 = np.array([np.nan if r[name][0] is None else r[name][0] for r in mine])
            q80 = np.array([np.nan if r[name][1] is None else r[name][1] for r in mine])
            ax.plot(x, q50, "o", color=_style(k + 1)["color"], label=f"{kind} median")
            ax.vlines(x, q50, q80, color=_style(k + 1)["color"])
            ax.plot(x, q80, "_", color=_style(k + 1)["color"], markersize=10)
            ax.set_title(f"{name.split('_')[0]} error ({unit}): median, 80 %", fontsize=9)
    axes[0].set_ylim(0, 1)
    axes[0].set_title(f"recovered at 8 cm ({report['implants']} implants)", fontsize=9)
    axes[0].legend(fontsize=7)
    for ax in axes[:4]:
        ax.set_xticks(np.arange(len(bins)), [f"{b} deg" for b in bins], fontsize=7)
        ax.set_xlabel("implanted apparent dip", fontsize=8)
    crowding = report.get("by_class_and_nearest_pick", [])
    spans = list(dict.fromkeys(tuple(r["nearest_m"]) for r in crowding))
    for k, kind in enumerate(dict.fromkeys(r["class"] for r in crowding)):
        mine = [r for r in crowding if r["class"] == kind]
        axes[4].bar(np.arange(len(spans)) + (k - 0.5) * width, [r["recovery"] or 0.0 for r in mine], width,
                    label=kind, color=_style(k + 1)["color"])
    axes[4].set_xticks(np.arange(len(spans)), [f">= {100 * lo:g}" if hi is None else f"{100 * lo:g}-{100 * hi:g}"
                                               for lo, hi in spans], fontsize=7)
    axes[4].set_xlabel("distance to the well's nearest pick (cm)", fontsize=8)
    axes[4].set_ylim(0, 1)
    axes[4].set_title("recovered, by crowding", fontsize=9)
    zones = report.get("by_depth", [])
    if zones:  # depth down, as on a log
        mid = np.array([(r["top_m"] + r["bottom_m"]) / 2 for r in zones])
        height = 0.8 * (zones[0]["bottom_m"] - zones[0]["top_m"])
        axes[5].barh(mid, [r["recovery"] or 0.0 for r in zones], height, color=_style(0)["color"], label="implants recovered")
        lost = [r["picks_lost_per_copy"] / r["picks"] if r["picks"] else np.nan for r in zones]
        axes[5].plot(lost, mid, "o", color=_style(3)["color"], label="well's picks lost")
        axes[5].set_ylim(zones[-1]["bottom_m"], zones[0]["top_m"])
        axes[5].legend(fontsize=7)
    axes[5].set_xlim(0, 1)
    axes[5].set_xlabel("share", fontsize=8)
    axes[5].set_ylabel("depth (m)", fontsize=8)
    axes[5].set_title("by depth", fontsize=9)
    fig.suptitle(f"Injection-recovery on {report['well']} (seed {report['seed']}, {report['copies']} "
                 f"cop{'y' if report['copies'] == 1 else 'ies'}): {report['false_picks_added']} false picks added",
                 fontsize=10)
    fig.tight_layout()
    return _save(fig, out_png)
