"""The Python API (docs/api.md): read a well, pick it, plot, evaluate and export from a notebook.

These functions are what the `geobfdt` commands run too (info, predict, plot, evaluate): a
command parses its options, calls them and writes files. Picks come and go as pandas
DataFrames with the columns and units of `<STEM>_picks.csv`; a list of `Pick`, or the path of
any pick file `read_picks` reads, is accepted wherever picks are. Bad input raises a subclass of
`GeoBFDTError` (errors.py). pandas, torch and matplotlib are imported when first needed, so
`import geobfdt` stays light.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from geobfdt.errors import GeoBFDTError, OptionError
from geobfdt.well import PICK_TYPES, Pick, Well

if TYPE_CHECKING:
    import pandas as pd

    from geobfdt.picking.picker import Picker
    from geobfdt.reports.plots import ShownFigure

EVALUATION_TOLERANCES_CM = (3.0, 5.0, 8.0)  # always reported, beside the one asked for
DEFAULT_PLOT_M = 10.0  # plot's interval when none is given: the top 10 m, as `predict --plot`


def _number(name: str, value) -> float:
    """A finite float from what a caller passed (int, float, numpy scalar), or an OptionError."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise OptionError(f"{name} must be finite, got {value}")
    return value


# ---------------------------------------------------------------- wells

def read_well(source, *, image_channel: str | None = None, bit_size_in: float | None = None, survey=None,
              max_image_gib: float | None = None, ram_image_gib: float | None = None,
              investigation_depth_in: float | None = None) -> Well:
    """A well from a DLIS, LAS 2.0 or NPZ file (path), a lasio.LASFile, a dlisio logical file, or a
    Well as it is. The options are the command line's: image_channel (--image-channel),
    bit_size_in (--bit-size-in, inches), survey (--survey, a deviation-survey CSV),
    max_image_gib and ram_image_gib (--max-image-gib, --ram-image-gib), investigation_depth_in
    (--investigation-depth-in, inches: the image's radius is the hole's plus this)."""
    from geobfdt.io import check_read_options, imaged_radius, read_open_well
    from geobfdt.io import read_well as read_file

    options = {"image_channel": image_channel, "bit_size_in": bit_size_in, "survey_csv": survey,
               "max_image_gib": max_image_gib, "ram_image_gib": ram_image_gib,
               "investigation_depth_in": investigation_depth_in}
    if isinstance(source, Well):
        check_read_options(bit_size_in, max_image_gib, ram_image_gib, investigation_depth_in)
        if survey is not None:
            from geobfdt.io.survey import apply_survey
            source = apply_survey(source, survey)
        return imaged_radius(source, investigation_depth_in)
    if isinstance(source, (str, os.PathLike)):
        return read_file(source, **options)
    return read_open_well(source, **options)


def from_array(image, depth_m, *, bit_size_in: float | None = None, caliper_in=None, name: str = "ARRAY",
               inclination_deg=None, hole_azimuth_deg=None, depth_unit: str = "m") -> Well:
    """A well from numpy arrays: image (rows, columns), its first column at azimuth 0 and the
    columns evenly spaced over 360 deg; depth_m (rows,) in depth_unit (m by default, any order).
    The hole size is caliper_in (inches, per row or one number), else bit_size_in (inches);
    inclination_deg and hole_azimuth_deg (per row) add the picks' true orientation."""
    from geobfdt.io.arrays import well_from_arrays

    return well_from_arrays(image, depth_m, bit_size_in=bit_size_in, caliper_in=caliper_in, name=name,
                            inclination_deg=inclination_deg, hole_azimuth_deg=hole_azimuth_deg,
                            depth_unit=depth_unit)


def synthetic_well(seed: int = 0, length_m: float = 20.0, *, tool: str | None = None,
                   name: str | None = None) -> tuple[Well, pd.DataFrame]:
    """A synthetic image log and its true picks (docs/synthetic.md), the same for the same seed:
    tool 'fmi', 'slim' or 'lwd' (default: drawn); as `geobfdt synth` makes them."""
    from geobfdt.synth import synthesize_well

    if not 0 < length_m <= 1000:
        raise OptionError(f"length_m must be in (0, 1000], got {length_m}")
    well, truth = synthesize_well(seed, length_m=length_m, tool=tool, name=name)
    return well, picks_to_frame(truth)


def describe(source, **read_options) -> dict:
    """What `geobfdt info --json` prints for one well: format, well name, image channel and the
    others, depth range (top_m, bottom_m), sampling (step_m), width, null fraction and the stretches
    without data (empty_stretches_m, picking/quality.py), radius,
    deviation, log quality (image_quality: shares of clipped and stuck pixels, noise sd, and under
    off_home_ground what of it the shipped model's scores and error bars never saw), the classes whose
    picks a model file with a score map chooses by the written score (chosen_by_written_score: the
    sector-noise gate, picking/trust.py), the reader's warnings. source and read_options as read_well's."""
    import numpy as np

    from geobfdt.io import detect_format
    from geobfdt.io.common import INCH_M
    from geobfdt.picking.quality import empty_stretches_m, quality_report
    from geobfdt.picking.trust import gated_classes

    fmt = detect_format(source) if isinstance(source, (str, os.PathLike)) else None
    well = read_well(source, **read_options)
    provenance = well.provenance
    fmt = fmt or provenance.get("format", "Well")
    # an NPZ keeps the provenance of the file it was made from: describe the NPZ itself
    from_file = fmt != "NPZ" and "channel" in provenance
    channel = provenance["channel"] if from_file else "image"
    step_m = well.depth_step_m
    radius_m = float(np.median(well.radius_m))
    summary = {
        "file": str(source) if isinstance(source, (str, os.PathLike)) else provenance.get("file", well.name),
        "format": fmt, "well": well.name, "tool": well.tool, "image_channel": channel,
        "image_channels": provenance["image_channels"] if from_file else [channel],
        "top_m": float(well.depth_m[0]), "bottom_m": float(well.depth_m[-1]), "rows": int(well.depth_m.size),
        "step_m": step_m, "step_in": step_m / INCH_M, "width": well.width,
        "null_fraction": float(np.mean(~np.isfinite(well.image))),
        "radius_source": well.radius_source, "radius_m": radius_m,
        "investigation_depth_in": float(provenance.get("investigation_depth_in", 0.0)),
        "hole_diameter_in": 2 * radius_m / INCH_M - 2 * float(provenance.get("investigation_depth_in", 0.0)),
        "deviation": well.inclination_deg is not None,
        "depth_unit": provenance.get("depth_unit", "m") if from_file else "m",
        "depth_order": provenance.get("depth_order", "increasing") if from_file else "increasing",
        "warnings": provenance.get("warnings", []),
    }
    summary["image_quality"] = quality_report(well)
    summary["empty_stretches_m"] = empty_stretches_m(well)
    # what predict does with a model file holding a score map (the shipped one): the sector-noise gate
    summary["chosen_by_written_score"] = [k for k, on in zip(PICK_TYPES, gated_classes(well)) if on]
    if well.inclination_deg is not None:
        summary["inclination_range_deg"] = [float(np.nanmin(well.inclination_deg)),
                                            float(np.nanmax(well.inclination_deg))]
    return summary


# ---------------------------------------------------------------- picking

class Model:
    """A detector (or the Hough baseline) loaded once: `model.pick(well)` for each of many wells.
    Made by load_model."""

    def __init__(self, picker: Picker):
        self._picker = picker

    @property
    def name(self) -> str:
        """The model as it was asked for: 'default', a run folder, a file, or 'hough'."""
        return self._picker.model

    @property
    def method(self) -> str:
        return self._picker.method

    @property
    def thresholds(self) -> tuple[float, ...] | None:
        """The per-class score thresholds (fracture, bedding) the model carries; None for hough."""
        return self._picker.thresholds

    def __repr__(self) -> str:
        return f"Model({self.name!r}, method={self.method!r}, device={self._picker.device!r})"

    def pick(self, well, *, uncertainty: bool = False, threshold: float | None = None, batch_size: int = 16,
             progress: bool = False, self_calibrate: bool | None = None, copies: int = 1) -> pd.DataFrame:
        """The well's picks as a DataFrame (see picks_to_frame), sorted by depth. well: a Well or
        anything read_well reads. uncertainty adds depth_err80_cm, dip_err80_deg,
        azimuth_err80_deg (80% interval half-widths; six model passes per window instead of one;
        with the shipped model, from the image's evidence and blur, which then also weigh the score;
        without a caliper, well.radius_source not "caliper", the dip intervals allow for a radius 25%
        off either way: picking/radius.py);
        threshold replaces the model's per-class score thresholds with one (0-1); progress
        draws a bar over the well's chunks. self_calibrate (default: as uncertainty, as `predict
        --uncertainty` does): the well's own injection-recovery on `copies` implanted copies widens the
        intervals and sets found_again (1 + copies pickings; scores stay as predicted); its report is the
        frame's attrs["injection"]. A well it
        cannot self-calibrate (too short for an implant, none recovered, no intervals) keeps the model
        file's intervals, its report's "self_calibration" says "fitted": False with the reason, and a
        UserWarning says so, as `predict` does on stderr; so does one for an image with faults the
        shipped model's scores and error bars never saw (clipping, stuck pads: picking/quality.py)."""
        import warnings

        from geobfdt.picking.picker import self_calibrates

        well = read_well(well)
        if not self_calibrates(uncertainty, self_calibrate):
            picks = self._picker.pick(well, threshold, uncertainty, batch_size, progress)
            report = None
        else:
            picks, report = self._picker.pick_self_calibrated(well, threshold, uncertainty, batch_size, copies,
                                                              progress=progress)
        for warning in self._picker.warnings(well, report):
            warnings.warn(f"{well.name}: {warning}", UserWarning, stacklevel=2)
        frame = picks_to_frame(picks)
        if report is not None:
            frame.attrs["injection"] = report
        return frame


def load_model(model="default", *, method: str = "detr", engine: str | None = None,
               device: str | None = "auto") -> Model:
    """model: 'default' (the shipped model), a .safetensors file or a training run folder;
    method 'detr' or 'hough' (the classical baseline, no model file); engine 'onnx' (the CPU
    default: exported once per model file into the user cache) or 'torch' (the GPU default);
    device auto, cpu, cuda or cuda:N. The same model, engine and device are loaded once per
    process (`geobfdt predict` shares them)."""
    from geobfdt.picking.picker import cached_picker

    return Model(cached_picker(model, method, engine, device))


def pick(well, model="default", *, method: str = "detr", uncertainty: bool = False, threshold: float | None = None,
         device: str | None = "auto", engine: str | None = None, batch_size: int = 16,
         progress: bool = False, self_calibrate: bool | None = None, copies: int = 1) -> pd.DataFrame:
    """Pick one well, as `geobfdt predict` does: load_model(model, ...) (or a Model as it is),
    then Model.pick. Returns the picks as a DataFrame with the columns of <STEM>_picks.csv
    (self_calibrate: Model.pick's, the injection report in its attrs["injection"])."""
    well = read_well(well)  # a bad file fails before the model is loaded
    if not isinstance(model, Model):
        model = load_model(model, method=method, engine=engine, device=device)
    return model.pick(well, uncertainty=uncertainty, threshold=threshold, batch_size=batch_size, progress=progress,
                      self_calibrate=self_calibrate, copies=copies)


# ---------------------------------------------------------------- picks

def picks_to_frame(picks) -> pd.DataFrame:
    """A DataFrame with the columns of <STEM>_picks.csv, in its order: depth_m, dip_deg,
    azimuth_deg (apparent, degrees, azimuth in [0, 360)), type ('fracture' or 'bedding'), then
    those of score, dip_true_deg, azimuth_true_deg, well, depth_err80_cm, dip_err80_deg,
    azimuth_err80_deg, contrast_sd, coverage_frac that some pick has (missing values NaN).
    picks: a list of Pick, a DataFrame (checked and returned in that form) or a pick file."""
    import pandas as pd

    from geobfdt.io.picks import pick_columns

    picks = _as_picks(picks)
    columns = pick_columns(picks)
    frame = pd.DataFrame({c: [getattr(p, c) for p in picks] for c in columns}, columns=columns)
    numbers = [c for c in columns if c not in ("type", "well")]
    frame[numbers] = frame[numbers].astype("float64")
    return frame


def frame_to_picks(frame) -> list[Pick]:
    """The picks of a DataFrame with at least depth_m, dip_deg, azimuth_deg and type (other
    columns of the schema are kept, unknown ones ignored); OptionError names a bad row."""
    import pandas as pd

    from geobfdt.io.picks import OPTIONAL, REQUIRED

    if not isinstance(frame, pd.DataFrame):
        raise OptionError(f"expected a pandas DataFrame of picks, got {type(frame).__name__}")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise OptionError(f"picks DataFrame: missing columns {', '.join(missing)}")
    columns = [c for c in (*REQUIRED, *OPTIONAL) if c in frame.columns]
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    picks = []
    for index, row in zip(frame.index, rows):
        try:
            numbers = {c: None if v is None else float(v) for c, v in row.items() if c not in ("type", "well")}
            well = row.get("well")
            picks.append(Pick(**numbers, type=str(row["type"]), well=None if well is None else str(well)))
        except (TypeError, ValueError, OverflowError, GeoBFDTError) as exc:
            raise OptionError(f"picks DataFrame row {index}: {exc}") from None
    return picks


def _as_picks(picks) -> list[Pick]:
    """A list of Pick from a DataFrame, a list of Pick, or a pick file (read_picks)."""
    import pandas as pd

    from geobfdt.io.picks import read_picks as read_file

    if isinstance(picks, pd.DataFrame):
        return frame_to_picks(picks)
    if isinstance(picks, (str, os.PathLike)):
        return read_file(picks)
    if isinstance(picks, (list, tuple)) and all(isinstance(p, Pick) for p in picks):
        return list(picks)
    raise OptionError(f"picks: expected a DataFrame, a list of Pick or a pick file, got {type(picks).__name__}")


def read_picks(path, *, well: str | None = None) -> pd.DataFrame:
    """Picks from a GeoBFDT CSV (or review file), a Geolog, WellCAD or fractoolbox export, or a
    DLIS dip file (docs/formats.md), sorted by depth, as a DataFrame (picks_to_frame). well
    names the well of foreign files, which have no well column."""
    from geobfdt.io.picks import read_picks as read_file

    return picks_to_frame(read_file(path, well=well))


def write_picks(picks, path, *, format: str = "geobfdt") -> Path:
    """Write picks to `path` (atomically; the folder is created) with the writer `geobfdt predict
    --formats` uses: geobfdt (<STEM>_picks.csv), geolog, wellcad, or dlis (a DLIS dip file)."""
    from geobfdt.io.picks import PICK_WRITERS

    if format not in PICK_WRITERS:
        raise OptionError(f"format must be one of {', '.join(PICK_WRITERS)}, got {format!r}")
    path = Path(path)
    if path.is_dir():
        raise OptionError(f"{path}: is a folder, not a file name")
    PICK_WRITERS[format][1](path, _as_picks(picks))
    return path


# ---------------------------------------------------------------- evaluation

def _by_well(picks: list[Pick]) -> dict[str, list[Pick]]:
    by_well: dict[str, list[Pick]] = {}
    for p in picks:
        by_well.setdefault(p.well or "well", []).append(p)
    return by_well


def _paired(pred, truth) -> tuple[dict, dict]:
    """{well: picks} of both sides. Two paths pair as `geobfdt evaluate` pairs them; otherwise by
    the well column, and one well against one well whatever their names."""
    if all(isinstance(x, (str, os.PathLike)) for x in (pred, truth)):
        from geobfdt.io.pick_sets import pair_wells

        return pair_wells(pred, truth)
    pred, truth = _by_well(_as_picks(pred)), _by_well(_as_picks(truth))
    if set(pred) == set(truth) or not pred or not truth:
        names = set(pred) | set(truth) or {"well"}
        return {w: pred.get(w, []) for w in names}, {w: truth.get(w, []) for w in names}
    if len(pred) == len(truth) == 1:
        (name, truth_picks), = truth.items()
        return {name: next(iter(pred.values()))}, {name: truth_picks}
    raise OptionError(f"wells do not pair up: predictions for {', '.join(sorted(pred))}; truth for "
                      f"{', '.join(sorted(truth))}")


def evaluate(picks, truth, *, tolerance_cm: float = 8.0, strata: bool = False,
             include_induced: bool = False) -> dict:
    """Score predicted picks against true picks, as `geobfdt evaluate --json` does: one-to-one
    matching on depth within the tolerance, micro-averaged over wells (docs/evaluation.md).
    picks and truth: DataFrames, lists of Pick, pick files or folders of them.

    Returns {"tolerances_cm", "tolerance_cm", "wells", "micro": {tolerance: report},
    "per_well": {well: {tolerance: report}}} (plus "strata" with strata=True), each report
    holding, for "overall", "fracture" and "bedding": recall, precision, f1 (fractions),
    counts, dip_mae_deg, azimuth_mae_deg and more. metrics_table(result) makes it a DataFrame.
    Picks flagged as drilling-induced (column induced) are left out unless include_induced.
    """
    from geobfdt.evaluation.metrics import evaluate_wells
    from geobfdt.evaluation.strata import strata_report

    tolerance_cm = _number("tolerance_cm", tolerance_cm)
    if not tolerance_cm > 0:
        raise OptionError(f"--tolerance-cm must be positive, got {tolerance_cm:g}")
    pred, true = _paired(picks, truth)
    if not include_induced:
        pred = {well: [p for p in well_picks if not p.induced] for well, well_picks in pred.items()}
    tolerances = sorted(set(EVALUATION_TOLERANCES_CM) | {float(tolerance_cm)})
    result = evaluate_wells(pred, true, tolerances_cm=tolerances)
    result["tolerance_cm"] = float(tolerance_cm)
    if strata:
        result["strata"] = strata_report(pred, true, tolerance_cm / 100.0)
    return result


def metrics_table(result: dict) -> pd.DataFrame:
    """evaluate's micro-averaged scores as a DataFrame: one row per tolerance_cm and class
    (overall, fracture, bedding), columns recall, precision, f1, n_truth, n_pred, n_matched,
    dip_mae_deg, azimuth_mae_deg, the *_within_* shares and the median errors."""
    import pandas as pd

    from geobfdt.evaluation.metrics import tolerance_key

    rows = []
    for tolerance in result["tolerances_cm"]:
        report = result["micro"][tolerance_key(tolerance)]
        rows += [{"tolerance_cm": tolerance, "class": name,
                  **{k: v for k, v in report[name].items() if k != "class_error_pct"}}
                 for name in ("overall", *PICK_TYPES)]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- figures

def _pick_sets(picks, labels) -> list[tuple[str, list[Pick]]]:
    import pandas as pd

    # an empty list is no sets (plot without --picks), not one empty set with no label
    if picks is None:
        sets = []
    elif isinstance(picks, (pd.DataFrame, str, os.PathLike)) or (
            isinstance(picks, (list, tuple)) and picks and all(isinstance(p, Pick) for p in picks)):
        sets = [picks]
    else:
        sets = list(picks)
    labels = list(labels) if labels is not None else [
        Path(s).stem if isinstance(s, (str, os.PathLike)) else "picks" if len(sets) == 1 else f"picks {k + 1}"
        for k, s in enumerate(sets)]
    if len(labels) != len(sets):
        raise OptionError(f"{len(labels)} labels for {len(sets)} pick sets")
    return [(str(label), _as_picks(s)) for label, s in zip(labels, sets)]


def plot(well, picks=None, *, labels=None, top_m: float | None = None, bottom_m: float | None = None,
         image: str = "dynamic", window_m: float = 0.6) -> ShownFigure:
    """A matplotlib Figure of the image between top_m and bottom_m (default: the top 10 m) with
    each pick set's sinusoids and a tadpole track, as `geobfdt plot` draws it; a notebook
    shows it inline, `fig.savefig(path)` writes it. picks: one set (DataFrame, list of Pick,
    pick file) or a list of sets, the first drawn solid green (truth, say), the next dashed red
    with scores; labels name them in the legend. image: dynamic (sliding window_m
    normalisation), static or raw."""
    from geobfdt.reports.plots import draw_well

    well = read_well(well)
    top_m = float(well.depth_m[0]) if top_m is None else _number("top_m", top_m)
    if bottom_m is None:
        bottom_m = min(float(well.depth_m[-1]), top_m + DEFAULT_PLOT_M)
    bottom_m = _number("bottom_m", bottom_m)
    window_m = _number("window_m", window_m)
    if not bottom_m > top_m:
        raise OptionError(f"--bottom-m ({bottom_m}) must be deeper than --top-m ({top_m})")
    if not 0 < window_m <= 100:
        raise OptionError(f"--window-m must be in (0, 100] m, got {window_m}")
    if image not in ("dynamic", "static", "raw"):
        raise OptionError(f"--image must be dynamic, static or raw, got {image!r}")
    if top_m >= well.depth_m[-1] or bottom_m <= well.depth_m[0]:
        raise OptionError(f"{top_m:g}-{bottom_m:g} m is outside {well.name}'s logged interval "
                          f"{well.depth_m[0]:.2f}-{well.depth_m[-1]:.2f} m")
    return draw_well(well, _pick_sets(picks, labels), top_m, bottom_m, image=image, window_m=window_m)
