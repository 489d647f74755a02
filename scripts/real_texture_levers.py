"""What makes the `real-texture` LWD wells hard, and does smoothing the image before it is picked help?
(issue 30, item 4: an experiment, nothing shipped.)

The held-out LWD wells of scripts/evaluate_model.py (same seeds), drawn with the `real-texture`
settings, then again with one of its artefacts switched off at a time (they draw from their own random
stream, so the geology and the rest stay); then with every artefact, the image smoothed before the
picker's rank normalisation (Gaussian, sd in rows of the 1 cm patch grid along depth, in columns of
its 128 around the hole; or along each pixel's local line, the orientation of the image's structure
tensor; NaN kept), and the default settings smoothed the best of those ways (what it costs on a
clean image). Picked by the shipped model at its thresholds; prints F1 @8 cm
(both classes, fractures, beds) per setting; and for the default settings and every artefact, each
well's noise floor and the recall of the true planes by their contrast over it.

Usage: python scripts/real_texture_levers.py [--wells-per-group 3] [--length-m 30]
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager

import numpy as np
from scipy import ndimage
from tqdm import tqdm

import geobfdt.preprocess.image as preprocess
from evaluate_model import SEED_BASE
from geobfdt.evaluation.calibration import pick_matches
from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.picking.injection import background_sd, implant_profiles, measured_profiles, response_ratio, working_scale
from geobfdt.picking.engine import load_engine
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import VARIANTS, SynthConfig, synthesize_well
from geobfdt.training.ship import GROUPS, LWD
from geobfdt.well import PICK_TYPES

ARTEFACTS_OFF = {
    "none (the default settings)": {key: getattr(SynthConfig, key) for key in VARIANTS["real-texture"]},
    "every artefact": {},
    "no sector noise": {"lwd_sector_noise_sd": (0.0, 0.0)},
    "no spikes": {"lwd_spikes_per_m": (0.0, 0.0)},
    "no low-side offset": {"lwd_low_side_decades": (0.0, 0.0)},
}
CONTRAST_SD = (0.0, 5.0, 10.0, np.inf)


def gaussian(sd_rows: float, sd_columns: float):
    """Gaussian smoothing of a filled patch-grid image, sd in rows along depth and columns around the hole."""
    def smooth(filled):
        if sd_rows:
            filled = ndimage.gaussian_filter1d(filled, sd_rows, axis=0, mode="nearest")
        return ndimage.gaussian_filter1d(filled, sd_columns, axis=1, mode="wrap") if sd_columns else filled
    return smooth


def along_traces(half_length: int, sd_gradient: float = 1.0, sd_orientation: float = 4.0):
    """Smoothing along each pixel's local line (the structure tensor's orientation, sd_orientation pixels
    of it): a weighted mean of the samples up to half_length pixels either way along it, so a trace is
    averaged along itself over the sectors it crosses, and not across."""
    def smooth(filled):
        mode = ("nearest", "wrap")
        gy = ndimage.gaussian_filter(filled, sd_gradient, order=(1, 0), mode=mode)
        gx = ndimage.gaussian_filter(filled, sd_gradient, order=(0, 1), mode=mode)
        jxx, jyy, jxy = (ndimage.gaussian_filter(a, sd_orientation, mode=mode) for a in (gx * gx, gy * gy, gx * gy))
        across = 0.5 * np.arctan2(2 * jxy, jxx - jyy)  # the gradient's direction, (column, row)
        step_col, step_row = -np.sin(across), np.cos(across)
        pad = half_length + 1
        padded = np.pad(np.pad(filled, ((pad, pad), (0, 0)), mode="edge"), ((0, 0), (pad, pad)), mode="wrap")
        rows, cols = np.mgrid[0:filled.shape[0], 0:filled.shape[1]].astype(np.float32) + pad
        offsets = np.arange(-half_length, half_length + 1, dtype=np.float32)
        weights = np.exp(-0.5 * (offsets / max(half_length / 2.0, 0.5)) ** 2)
        out = sum(w * ndimage.map_coordinates(padded, [rows + t * step_row, cols + t * step_col], order=1,
                                              mode="nearest") for t, w in zip(offsets, weights))
        return out / weights.sum()
    return smooth


SMOOTHING = {"smoothed along depth, sd 2 rows": gaussian(2.0, 0.0),
             "smoothed around the hole, sd 4 columns": gaussian(0.0, 4.0),
             "smoothed both ways": gaussian(2.0, 4.0),
             "smoothed along the traces, 4 pixels either way": along_traces(4),
             "smoothed along the traces, 8 pixels either way": along_traces(8)}


def recall_by_contrast(well, truth, picks) -> tuple[float, np.ndarray, np.ndarray]:
    """(the well's noise sd, each readable true plane's contrast over it, whether it was found): the
    contrast is the height of its profile at its true trace, read as injection-recovery reads a pick's."""
    work, _ = working_scale(np.asarray(well.image))
    noise, ratio = background_sd(work), response_ratio(well)
    found = pick_matches(picks, truth)
    taken = np.zeros(len(truth), bool)
    taken[found[found >= 0]] = True
    contrast, hit = [], []
    for kind in PICK_TYPES:
        index = [i for i, t in enumerate(truth) if t.type == kind]
        raw = measured_profiles(well, work, [truth[i] for i in index], ratio if kind == "bedding" else None)
        readable = np.isfinite(raw).all(1)
        contrast.append(np.ptp(implant_profiles(raw, kind), axis=1) / noise)
        hit.append(taken[np.array(index, dtype=np.int64)[readable]])
    return noise, np.concatenate(contrast), np.concatenate(hit)


@contextmanager
def smoothed_before_normalising(smooth=None):
    """The picker's normalisation sees the patch-grid image smoothed (NaN filled with the median for it,
    then NaN again); smooth None: as it is."""
    normalise = preprocess.normalise

    def smoothing(image, *args, **kwargs):
        image = np.asarray(image, dtype=np.float32)
        if smooth is None:
            return normalise(image, *args, **kwargs)
        missing = ~np.isfinite(image)
        filled = smooth(np.where(missing, np.nanmedian(image), image).astype(np.float32))
        return normalise(np.where(missing, np.nan, filled).astype(np.float32), *args, **kwargs)

    preprocess.normalise = smoothing
    try:
        yield
    finally:
        preprocess.normalise = normalise


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells-per-group", type=int, default=3)
    parser.add_argument("--length-m", type=float, default=30.0)
    args = parser.parse_args()
    engine, header = load_engine("default", log=lambda *a: None)
    group = list(GROUPS).index(LWD)
    variant, tool = GROUPS[LWD]
    settings = [(name, off, None) for name, off in ARTEFACTS_OFF.items()]
    settings += [(name, {}, smooth) for name, smooth in SMOOTHING.items()]
    # what the best of them costs where the image is clean
    best = "smoothed along the traces, 8 pixels either way"
    settings.append((f"the default settings, {best}", ARTEFACTS_OFF["none (the default settings)"], SMOOTHING[best]))
    lines = ["| real-texture LWD wells | F1 @8 cm | fracture F1 | bedding F1 |", "|---|---|---|---|"]
    by_contrast = []
    for name, off, smooth in tqdm(settings, unit="setting"):
        config = SynthConfig.variant(variant).replace(**{**VARIANTS["real-texture"], **off})
        truth, picks = {}, {}
        with smoothed_before_normalising(smooth):
            for k in range(args.wells_per_group):
                seed = SEED_BASE + 100 * group + k
                well, truth[f"W{seed}"] = synthesize_well(seed, length_m=args.length_m, config=config, tool=tool,
                                                          name=f"W{seed}")
                picks[f"W{seed}"] = pick_well_detr(well, engine, header.config, header.thresholds, progress=False,
                                                   calibration=header.score_calibration)
                if name in list(ARTEFACTS_OFF)[:2]:
                    by_contrast.append((name, *recall_by_contrast(well, truth[f"W{seed}"], picks[f"W{seed}"])))
        f1 = evaluate_wells(picks, truth, tolerances_cm=(8,))["micro"]["8"]
        lines.append(f"| {name} | {f1['overall']['f1']:.3f} | {f1['fracture']['f1']:.3f} | {f1['bedding']['f1']:.3f} |")
    lines += ["", "Recall of the true planes by their contrast over the well's noise (picking/injection.py "
              "background_sd, decades):", "", "| artefacts | noise sd per well | " +
              " | ".join(f"contrast {lo:g}-{hi:g}: planes, recall" for lo, hi in zip(CONTRAST_SD[:-1], CONTRAST_SD[1:]))
              + " |", "|---|---|" + "---|" * (len(CONTRAST_SD) - 1)]
    for name in list(ARTEFACTS_OFF)[:2]:
        rows = [r for r in by_contrast if r[0] == name]
        contrast, found = np.concatenate([r[2] for r in rows]), np.concatenate([r[3] for r in rows])
        cells = []
        for lo, hi in zip(CONTRAST_SD[:-1], CONTRAST_SD[1:]):
            sel = (contrast >= lo) & (contrast < hi)
            cells.append(f"{sel.sum()}, {found[sel].mean():.2f}" if sel.any() else "0, -")
        lines.append(f"| {name} | {', '.join(f'{r[1]:.3f}' for r in rows)} | " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
