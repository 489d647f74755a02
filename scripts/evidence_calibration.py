"""Error bars and scores from per-pick evidence, fitted and measured offline on cached picks
(issue 30, items 2 and 3). The shipped candidates, "evidence+blur" intervals and the "blur" score
map, are fitted by geobfdt.training.calibrate (fit_evidence_intervals, fit_quality_scores: the
code `geobfdt ship` and `geobfdt calibrate` write into a model file); the others are the
alternatives they were measured against.

Reads the picks scripts/pick_evidence.py cached (run it first, same --cache). Fits only on the
validation wells (default and real-texture; the blur terms also on the same wells blurred further,
pick_evidence.py's "validation-blurred", "validation-coarse" and "validation-coarse-rows"); measures on
the held-out wells (default, real-texture, and harsh, a noise model never fitted on; and their LWD wells
at 5 or 10 cm rows, "test-coarse-rows"), per tool group and overall. "model file" is the shipped file's
own fit, as `predict` applies it, beside the fits made here.

Item 2, intervals. Per quantity (depth, dip, azimuth), candidate half-widths:
- shipped: the model file's interval scale on the test-time spread (what predict writes now);
- evidence: a linear model of log|error| on log features known at prediction time (the spread
  under test-time views, the local standard error and contrast of picking/evidence.py, the pixel
  width at the hole wall, the trace amplitude, the score, the class), fitted by least squares on
  the validation picks that are real, then split-conformalised per resolution (64 columns or
  fewer, and finer; known at prediction time): the factor that makes 80 % of that group's
  validation errors fall inside.
- evidence+bias: the same after removing the median signed dip error of coarse images, fitted on
  the coarse validation picks as a line in the picked dip.
- evidence+blur (shipped): the evidence model with the well's effective blur (picking/blur.py, cached by
  pick_evidence.py) as features (log depth blur in pixels, log azimuth blur in radians around the
  hole: the larger of the measured one and the depth blur over the radius), every term but the intercept
  with its own coefficient again on coarse images: model/calibration.py EvidenceIntervals, without a dip
  correction; interval_cv compares it, cross-validated by well, with
- evidence+blur, shared: the same terms with one coefficient each for every resolution (the fit before);
- evidence+blur+k: the same with a physical dip correction: an azimuth blur of sd s radians shrinks a
  sinusoid's amplitude by exp(-s^2 / 2), so the picked tan(dip) is the true one times
  exp(-k s^2 / 2); k is fitted by least absolute deviation on the validation picks, and the
  correction divides it out.
Item 3, scores. Per class, maps of the raw score to a probability, logistic in logit(raw) with a
positive slope (monotone in the score):
- shipped: the model file's Platt map; refit: Platt on the validation picks;
- contrast: Platt plus a term in the pick's log contrast over the well's noise (picking/evidence.py);
- quality: Platt plus terms in log contrast, log pixel width and the coarse-image flag;
- blur (shipped): quality plus the two log blur features of evidence+blur, all of them on sector images only
  (an LWD tool's, measured all around the hole: picking/quality.py is_sector_image; model/calibration.py
  QualityScores), without the coarse flag;
- blur, every image: the same terms on every image (the shipped map before 2026-12-07);
- noise, blur+noise: quality with the log of the well's noise (picking/quality.py image_quality) instead of
  the blur terms, or beside them; fitted, as blur, on the validation wells and their copies;
  beside its terms, EXTRA_TERMS one at a time, cross-validated by well on the fit's picks (extra_term_cv).
  The noise is in the image's own units (decades on a resistivity image): a well-level term in it says
  nothing dimensionless about an image of another kind, so it is measured here, not shipped.
The maps with terms are fitted by log loss with a small ridge on the terms (training/calibrate.py fit_quality_map).
ECE is the project's (geobfdt.evaluation.calibration: 10 equal-width bins), on the picks at the
thresholds, with a bootstrap 90 % interval over wells (500 draws of whole wells) and the noise floor.

Usage: python scripts/evidence_calibration.py --cache DIR --out DIR [--model FILE] [--validation-lwd-wells N]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from geobfdt.evaluation.calibration import ece_noise_floor, expected_calibration_error
from geobfdt.files import write_text_atomic
from geobfdt.model.calibration import (ALL_IMAGES_QUALITY_TERMS, COARSE_COLUMNS, ERROR_FLOOR, azimuth_blur_rad, base_interval_design, blur_design,
                                       interval_design,
                                       logit, quality_design, sigmoid)
from geobfdt.training.calibrate import (COVERAGE, fit_evidence_intervals, fit_platt, fit_quality_map,
                                        fit_quality_scores)
from geobfdt.training.ship import GROUPS, LWD
from geobfdt.well import PICK_TYPES

VARIANTS = ("default", "real-texture", "harsh")


def load(cache: Path, split: str, variant: str, lwd_wells: int | None = None) -> dict:
    """One cached split; lwd_wells: only the first lwd_wells wells of the LWD group."""
    with np.load(cache / f"{split}_{variant}.npz") as data:
        out = {k: data[k] for k in data.files}
    if not {"noise_sd", "sector_image", "noise_share"} <= set(out):
        raise SystemExit(f"{cache}: an older cache (no noise_sd, sector_image or noise_share); run "
                         "scripts/pick_evidence.py into a new folder")
    out["variant"] = np.full(out["score"].size, variant)
    if lwd_wells is not None:
        keep = (out["group"] != LWD) | (out["well_index"] < lwd_wells)
        out = {k: v[keep] for k, v in out.items()}
    return out


def joined(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def interval_features(d: dict, q: int) -> np.ndarray:
    """Design matrix of the log|error| model for quantity q, without the blur terms nor the coarse images' own."""
    return base_interval_design(d, q)[:, :-2]


def blur_bias(d: dict, k: float) -> np.ndarray:
    """The signed dip error expected of each pick from its well's azimuth blur (the physical model)."""
    sigma = azimuth_blur_rad(d)
    dip = np.radians(d["dip_deg"])
    return np.degrees(dip - np.arctan(np.tan(dip) * np.exp(0.5 * k * sigma ** 2)))


def fit_blur_bias(d: dict) -> float:
    real = d["real"]
    result = minimize(lambda c: np.abs(d["error"][real, 1] - blur_bias(d, c[0])[real]).sum(), np.zeros(1),
                      method="Nelder-Mead")
    return float(result.x[0])


def dip_bias(d: dict, coef) -> np.ndarray:
    """The signed dip error expected of each pick (coarse images only)."""
    coarse = d["columns"] <= COARSE_COLUMNS
    return np.where(coarse, coef[0] + coef[1] * d["dip_deg"] / 90.0, 0.0)


def fit_dip_bias(d: dict) -> list[float]:
    """Median regression (least absolute deviation) of the signed dip error on the picked dip, coarse images."""
    coarse = (d["columns"] <= COARSE_COLUMNS) & d["real"]
    x, y = d["dip_deg"][coarse] / 90.0, d["error"][coarse, 1]
    result = minimize(lambda c: np.abs(y - c[0] - c[1] * x).sum(), np.zeros(2), method="Nelder-Mead")
    return [float(v) for v in result.x]


def design(d: dict, q: int, model: dict) -> np.ndarray:
    x = interval_features(d, q)
    return np.c_[x, blur_design(d)] if model["blur"] else x


def bias_of(d: dict, model: dict) -> np.ndarray:
    return blur_bias(d, model["blur_k"]) if model["blur"] else dip_bias(d, model["bias"])


def fit_intervals(d: dict, with_bias: bool, with_blur: bool = False, fit_k: bool = True) -> dict:
    real = d["real"]
    model = {"bias": fit_dip_bias(d) if with_bias else [0.0, 0.0], "coef": [], "factor": [], "blur": with_blur,
             "blur_k": fit_blur_bias(d) if with_blur and fit_k else 0.0}
    error = np.abs(d["error"] - np.c_[np.zeros(real.size), bias_of(d, model), np.zeros(real.size)])
    coarse = d["columns"] <= COARSE_COLUMNS
    for q in range(3):
        x, y = design(d, q, model)[real], np.log(np.maximum(error[real, q], ERROR_FLOOR[q]))
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        ratio = error[real, q] / np.exp(x @ coef)
        model["coef"].append(coef.tolist())
        model["factor"].append({flag: float(np.quantile(ratio[coarse[real] == flag], COVERAGE)) for flag in (False, True)})
    return model


def evidence_widths(d: dict, model: dict) -> tuple[np.ndarray, np.ndarray]:
    """(half-widths (n, 3), the dip correction) of every pick."""
    coarse = d["columns"] <= COARSE_COLUMNS
    widths = np.stack([np.exp(design(d, q, model) @ np.asarray(model["coef"][q]))
                       * np.where(coarse, model["factor"][q][True], model["factor"][q][False]) for q in range(3)], 1)
    widths[:, 2] = np.minimum(widths[:, 2], 180.0)
    return widths, bias_of(d, model)


def fitted_widths(d: dict, intervals) -> tuple[np.ndarray, np.ndarray]:
    """(half-widths, no dip correction) of the model file's EvidenceIntervals."""
    return intervals.half_widths(d), np.zeros(d["score"].size)


def shipped_widths(d: dict, scale: dict) -> np.ndarray:
    from geobfdt.model.calibration import IntervalScale

    return IntervalScale(scale).half_widths(d["spread"], d["amplitude_cm"])


QUALITY = {  # score maps with input-quality terms, fitted on the plain validation wells: name -> the features beside logit(raw)
    "contrast": lambda d: np.log(d["evidence"][:, :1]),
    "quality": lambda d: quality_design(d)[:, :3],
}
EVERY_IMAGE = slice(0, len(ALL_IMAGES_QUALITY_TERMS))  # quality_design's columns of the terms on every image
SECTOR = slice(len(ALL_IMAGES_QUALITY_TERMS), None)  # and of the shipped terms, on sector images
# fitted, as blur, on the validation wells and their blurred and coarse copies: the well's noise (picking/quality.py)
# instead of its blur, or beside it (the real-texture LWD wells' sector noise doubles it)
QUALITY_ON_COPIES = {
    "noise": lambda d: np.c_[quality_design(d)[:, :3], np.log(d["noise_sd"])],
    "blur+noise": lambda d: np.c_[quality_design(d)[:, EVERY_IMAGE], np.log(d["noise_sd"])],
    "blur, every image": lambda d: quality_design(d)[:, EVERY_IMAGE],
}
SCORE_MAPS = ("shipped", "refit", *QUALITY, "model file", "blur", *QUALITY_ON_COPIES)


def bootstrap_ece(p: np.ndarray, t: np.ndarray, wells: np.ndarray, draws: int = 500, seed: int = 0) -> list[float]:
    """90 % percentile interval of the ECE over draws of whole wells with replacement: a well's picks share
    its image and geology, so they are not independent, and drawing picks would narrow the interval."""
    rng = np.random.default_rng(seed)
    names, index = np.unique(wells, return_inverse=True)
    members = [np.flatnonzero(index == k) for k in range(names.size)]
    values = [expected_calibration_error(p[i], t[i]) for i in (
        np.concatenate([members[k] for k in rng.integers(0, names.size, names.size)]) for _ in range(draws))]
    return [float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))]


# terms tried beside the shipped score map's, each known at prediction time without the test-time views
EXTRA_TERMS = {
    "trace amplitude": lambda d: np.log(np.maximum(d["amplitude_cm"], 1e-2)),
    "dip": lambda d: np.log(np.tan(np.radians(np.clip(d["dip_deg"], 0.5, 89.5)))),
    "depth standard error": lambda d: np.log(np.maximum(d["evidence"][:, 1], 1e-4)),
    "dip standard error": lambda d: np.log(np.maximum(d["evidence"][:, 2], 1e-4)),
    # the cache has no inclination: the group stands in for the hole's deviation, known from the survey
    "deviated hole": lambda d: np.char.find(d["group"].astype(str), "deviated").astype(float) >= 0,
    "well noise": lambda d: np.log(d["noise_sd"]),
}
CV_FOLDS = 5


def well_folds(d: dict) -> np.ndarray:
    """Each pick's fold of CV_FOLDS, drawn per well name: a well and its blurred and coarse copies share one."""
    names, index = np.unique(d["well"], return_inverse=True)
    return (np.random.default_rng(0).permutation(names.size) % CV_FOLDS)[index]


def extra_term_cv(d: dict) -> list[dict]:
    """Per candidate (the shipped score map's terms, and each EXTRA_TERMS one added): log loss and ECE
    per tool group of the maps fitted CV_FOLDS-fold on d, a well and its blurred and coarse copies (one
    name) in one fold: a term is worth shipping only if it lowers the held-out-fold log loss."""
    fold = well_folds(d)
    t, x = d["real"].astype(float), logit(d["raw_score"])
    rows = []
    candidates = {"shipped terms": quality_design(d)[:, SECTOR],
                  "without the azimuthal noise share": quality_design(d)[:, SECTOR][:, :-1],
                  "the same terms on every image": quality_design(d)[:, EVERY_IMAGE],
                  **{name: np.c_[quality_design(d)[:, SECTOR], term(d)] for name, term in EXTRA_TERMS.items()}}
    for name, features in candidates.items():
        p = np.empty(t.size)
        for f in range(CV_FOLDS):
            for k in range(len(PICK_TYPES)):
                train, held = (fold != f) & (d["class_id"] == k), (fold == f) & (d["class_id"] == k)
                theta = np.asarray(fit_quality_map(x[train], features[train], t[train]))
                p[held] = sigmoid(theta[0] * x[held] + theta[1] + features[held] @ theta[2:])
        rows.append({"terms": name, "log_loss": float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))),
                     "ece": {g: expected_calibration_error(p[d["group"] == g], t[d["group"] == g]) for g in GROUPS}})
    return rows


def interval_cv(d: dict) -> list[dict]:
    """The shipped interval design (model/calibration.py interval_design: coarse images with their own
    coefficients) against the shared one (base_interval_design), CV_FOLDS-fold cross-validated by well on
    d as extra_term_cv folds it: the mean squared log residual of the held-out real picks per resolution
    (lower is better: the least-squares fit's own objective) and their coverage."""
    fold = well_folds(d)
    real, coarse = d["real"].astype(bool), d["columns"] <= COARSE_COLUMNS
    rows = []
    for name, build in (("coarse images' own coefficients (shipped)", interval_design),
                        ("shared coefficients", base_interval_design)):
        squared, inside = np.zeros((real.size, 3)), np.zeros((real.size, 3), bool)
        for f in range(CV_FOLDS):
            train, held = real & (fold != f), real & (fold == f)
            for q in range(3):
                x, y = build(d, q), np.log(np.maximum(np.abs(d["error"][:, q]), ERROR_FLOOR[q]))
                coef, *_ = np.linalg.lstsq(x[train], y[train], rcond=None)
                ratio = np.abs(d["error"][train, q]) / np.exp(x[train] @ coef)
                factor = np.where(coarse, np.quantile(ratio[coarse[train]], COVERAGE),
                                  np.quantile(ratio[~coarse[train]], COVERAGE))
                squared[held, q] = (y[held] - x[held] @ coef) ** 2
                inside[held, q] = np.abs(d["error"][held, q]) <= np.exp(x[held] @ coef) * factor[held]
        rows.append({"design": name, **{f"{label}": {"mean_squared_log_residual": float(squared[sel].mean()),
                                                     "coverage": [float(v) for v in inside[sel].mean(0)]}
                                        for label, sel in (("coarse", real & coarse), ("fine", real & ~coarse))}})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="default",
                        help="the model file whose own fit is the \"model file\" column (default: the shipped one)")
    parser.add_argument("--validation-lwd-wells", type=int, default=None,
                        help="fit on only the first N validation wells of the LWD group (default: all cached)")
    args = parser.parse_args()
    from geobfdt.model.checkpoint import read_model_header

    header = read_model_header(args.model)
    cache = Path(args.cache)
    fit = joined([load(cache, "validation", v, args.validation_lwd_wells) for v in ("default", "real-texture")])
    blurred = joined([fit] + [load(cache, split, v, args.validation_lwd_wells)
                              for split in ("validation-blurred", "validation-coarse", "validation-coarse-rows")
                              for v in ("default", "real-texture")])
    test = {v: load(cache, "test", v) for v in VARIANTS}
    test.update({f"{v}, 5-10 cm rows": load(cache, "test-coarse-rows", v) for v in VARIANTS})
    models = {"evidence": fit_intervals(fit, with_bias=False), "evidence+bias": fit_intervals(fit, with_bias=True),
              "evidence+blur, shared": fit_intervals(blurred, with_bias=False, with_blur=True, fit_k=False),
              "evidence+blur+k": fit_intervals(blurred, with_bias=False, with_blur=True)}
    evidence_intervals, quality_scores = fit_evidence_intervals(blurred), fit_quality_scores(blurred)
    shipped_scale = header.interval_scale.to_dict()

    maps = {name: {} for name in ("refit", *QUALITY)}
    for k in range(len(PICK_TYPES)):
        sel = fit["class_id"] == k
        maps["refit"][k] = fit_platt(fit["raw_score"][sel], fit["real"][sel])
        for name, features in QUALITY.items():
            maps[name][k] = fit_quality_map(logit(fit["raw_score"][sel]), features(fit)[sel], fit["real"][sel].astype(float))
    maps["blur"] = {k: quality_scores.params[name] for k, name in enumerate(PICK_TYPES)}
    for name, features in QUALITY_ON_COPIES.items():
        maps[name] = {k: fit_quality_map(logit(blurred["raw_score"][blurred["class_id"] == k]),
                                         features(blurred)[blurred["class_id"] == k],
                                         blurred["real"][blurred["class_id"] == k].astype(float))
                      for k in range(len(PICK_TYPES))}

    def probability(name, d):
        if name == "shipped":
            return d["score"]
        if name == "blur":
            return quality_scores.probability(d["raw_score"], d)
        if name == "model file":
            return header.quality_scores.probability(d["raw_score"], d)
        out = np.empty(d["score"].size)
        x = logit(d["raw_score"])
        features = {**QUALITY, **QUALITY_ON_COPIES}
        f = features[name](d) if name in features else None
        for k in range(len(PICK_TYPES)):
            sel = d["class_id"] == k
            if name == "refit":
                a, b = maps["refit"][k]
                out[sel] = sigmoid(a * x[sel] + b)
            else:
                theta = np.asarray(maps[name][k])
                out[sel] = sigmoid(theta[0] * x[sel] + theta[1] + f[sel] @ theta[2:])
        return out

    lwd = "" if args.validation_lwd_wells is None else f" --validation-lwd-wells {args.validation_lwd_wells}"
    model = "" if args.model == "default" else f" --model {args.model}"
    results = {"command": f"python scripts/evidence_calibration.py --cache {args.cache}{model} --out {args.out}{lwd}",
               "fit_picks": int(fit["score"].size), "fit_real": int(fit["real"].sum()),
               "blurred_picks": int(blurred["score"].size - fit["score"].size),
               "interval_models": {**models, "evidence+blur": evidence_intervals.to_dict()}, "score_maps": {k: {PICK_TYPES[c]: list(v) for c, v in m.items()}
                                                         for k, m in maps.items()},
               "intervals": [], "ece": [], "extra_score_terms_cv": extra_term_cv(blurred),
               "interval_design_cv": interval_cv(blurred)}
    for variant, d in test.items():
        widths = {"shipped": (shipped_widths(d, shipped_scale), np.zeros(d["score"].size))}
        widths.update({name: evidence_widths(d, m) for name, m in models.items()})
        widths["evidence+blur"] = fitted_widths(d, evidence_intervals)
        widths["model file"] = fitted_widths(d, header.evidence_intervals)
        for g in [*GROUPS, "all"]:
            sel = np.ones(d["score"].size, bool) if g == "all" else d["group"] == g
            if not sel.any():  # the coarse-row wells are LWD wells only
                continue
            real = sel & d["real"]
            row = {"variant": variant, "wells": g, "real_picks": int(real.sum())}
            for name, (w, bias) in widths.items():
                err = np.abs(d["error"] - np.c_[np.zeros(bias.size), bias, np.zeros(bias.size)])
                row[name] = {"coverage": [float(np.mean(err[real, q] <= w[real, q])) for q in range(3)],
                             "median_half_width": [float(np.median(w[real, q])) for q in range(3)],
                             "median_dip_error_signed": float(np.median(d["error"][real, 1] - bias[real]))}
            row["median_blur_px"] = [float(v) for v in np.median(d["blur"][sel, :2], axis=0)]
            row["median_abs_error"] = [float(np.median(np.abs(d["error"][real, q]))) for q in range(3)]
            row["median_dip_error_signed"] = float(np.median(d["error"][real, 1]))
            results["intervals"].append(row)
            t = d["real"][sel].astype(float)
            row = {"variant": variant, "wells": g, "picks": int(sel.sum()), "share_real": float(t.mean())}
            for name in SCORE_MAPS:
                p = probability(name, d)[sel]
                row[name] = {"ece": expected_calibration_error(p, t), "ece_90": bootstrap_ece(p, t, d["well"][sel]),
                             "mean_score": float(p.mean())}
            row["noise_floor"] = ece_noise_floor(probability("quality", d)[sel])
            results["ece"].append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "evidence_calibration.json", json.dumps(results, indent=2, default=float))
    names = ("shipped", "evidence", "evidence+bias", "model file", "evidence+blur", "evidence+blur, shared",
             "evidence+blur+k")
    lines = [f"Command: `{results['command']}`", "",
             f"Fitted on {results['fit_picks']} validation picks ({results['fit_real']} real); the blur terms "
             f"(evidence+blur, score map blur) also on the {results['blurred_picks']} picks of the same wells blurred "
             f"further; blur dip factor k = {models['evidence+blur+k']['blur_k']:.2f}.", "",
             "80 % intervals on the real held-out picks: coverage depth / dip / azimuth (median half-width "
             "cm / deg / deg)", "", "| variant | wells | real picks | " + " | ".join(names)
             + " | median abs error | median signed dip error: raw / +bias / +blur+k | median blur px (depth / azimuth) |",
             "|---|---|---|" + "---|" * (len(names) + 3)]
    for r in results["intervals"]:
        cells = [" / ".join(f"{c:.2f}" for c in r[n]["coverage"]) + " (" + " / ".join(
            f"{w:.1f}" for w in r[n]["median_half_width"]) + ")" for n in names]
        lines.append(f"| {r['variant']} | {r['wells']} | {r['real_picks']} | " + " | ".join(cells)
                     + " | " + " / ".join(f"{e:.1f}" for e in r["median_abs_error"])
                     + f" | {r['median_dip_error_signed']:+.1f} / {r['evidence+bias']['median_dip_error_signed']:+.1f}"
                     f" / {r['evidence+blur+k']['median_dip_error_signed']:+.1f} | "
                     + " / ".join(f"{b:.2f}" for b in r["median_blur_px"]) + " |")
    lines += ["", "ECE of the scores at the thresholds (10 equal-width bins; bootstrap 90 % interval over wells):", "",
              "| variant | wells | picks | share real | " + " | ".join(SCORE_MAPS) + " | noise floor |",
              "|---|---|---|---|" + "---|" * (len(SCORE_MAPS) + 1)]
    for r in results["ece"]:
        cells = [f"{r[n]['ece']:.3f} ({r[n]['ece_90'][0]:.3f}-{r[n]['ece_90'][1]:.3f})" for n in SCORE_MAPS]
        lines.append(f"| {r['variant']} | {r['wells']} | {r['picks']} | {r['share_real']:.2f} | " + " | ".join(cells)
                     + f" | {r['noise_floor']:.3f} |")
    lines += ["", f"Score-map terms beside the shipped ones, {CV_FOLDS}-fold cross-validated by well on the fit's picks "
              "(validation wells and their blurred and coarse copies): log loss and ECE per tool group of the "
              "held-out folds", "", "| terms | log loss | " + " | ".join(GROUPS) + " |", "|---|---|" + "---|" * len(GROUPS)]
    for r in results["extra_score_terms_cv"]:
        lines.append(f"| {r['terms']} | {r['log_loss']:.4f} | " + " | ".join(f"{r['ece'][g]:.3f}" for g in GROUPS) + " |")
    lines += ["", f"Interval designs, {CV_FOLDS}-fold cross-validated by well on the same picks: mean squared log "
              "residual (the fit's objective) and coverage depth / dip / azimuth of the held-out folds' real picks",
              "", "| design | coarse images | fine images |", "|---|---|---|"]
    for r in results["interval_design_cv"]:
        lines.append(f"| {r['design']} | " + " | ".join(
            f"{r[k]['mean_squared_log_residual']:.4f}; " + " / ".join(f"{c:.2f}" for c in r[k]["coverage"])
            for k in ("coarse", "fine")) + " |")
    write_text_atomic(out / "evidence_calibration.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
