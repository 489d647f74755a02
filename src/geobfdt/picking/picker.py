"""A picker: the model (or the Hough baseline) loaded once, ready to pick many wells.

`geobfdt predict` (through picking/field.py) and the Python API (`geobfdt.load_model`,
`geobfdt.pick`) both pick through `Picker.pick`, so the command line and a notebook give the
same picks on the same well. `cached_picker` keeps one per process for each model, engine and
device: a field of wells, or a notebook calling `geobfdt.pick` in a loop, loads the model once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geobfdt.errors import OptionError
from geobfdt.well import PICK_TYPES, Pick, Well

if TYPE_CHECKING:
    from geobfdt.model.checkpoint import ModelHeader

METHODS = ("detr", "hough")


def resolve_device(device: str | None = "auto") -> str:
    """'cpu' or a CUDA device for auto, cpu, cuda, cuda:N; without an NVIDIA driver there is no
    CUDA, so the CPU path need not import torch to find that out."""
    from geobfdt.device import choose_device, cuda_possible

    device = device or "auto"
    if device in ("auto", "cpu") and not cuda_possible():
        return "cpu"
    return str(choose_device(device))


def default_engine(device: str) -> str:
    """ONNX Runtime on the CPU (same picks as torch, no torch import), torch on a GPU."""
    return "onnx" if device == "cpu" else "torch"


def self_calibrates(uncertainty: bool, self_calibrate: bool | None) -> bool:
    """Whether a picking runs the well's own injection-recovery: as asked, else whenever it gives intervals
    (the model file's were fitted on synthetic wells; a well off that ground widens them by its implants)."""
    return bool(uncertainty) if self_calibrate is None else bool(self_calibrate)


def check_pick_options(method: str, threshold=None, uncertainty: bool = False, self_calibrate: bool = False) -> None:
    """Refuse, before any well is read, what the method cannot do."""
    if method not in METHODS:
        raise OptionError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if threshold is not None:
        try:
            value = float(threshold)
        except (TypeError, ValueError):
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise OptionError(f"--threshold must lie between 0 and 1, got {threshold!r}")
    if method == "hough" and (uncertainty or threshold is not None or self_calibrate):
        raise OptionError("--uncertainty, --threshold and --self-calibrate are for --method detr "
                          "(the Hough picker has none of them)")


@dataclass
class Picker:
    """method 'detr': engine (picking/engine.py) and the model file's header (config, per-class
    thresholds, score calibration, interval scale: model/checkpoint.py ModelHeader); method
    'hough': neither."""
    model: str
    method: str
    device: str = "cpu"
    engine: object = None
    header: ModelHeader | None = None

    @property
    def thresholds(self) -> tuple[float, ...] | None:
        return None if self.header is None else self.header.thresholds

    def check_uncertainty(self, uncertainty: bool) -> None:
        """--uncertainty with a model file holding no interval fit: refused once, before any well
        (each well would fail on it)."""
        from geobfdt.errors import ModelFileError
        from geobfdt.picking.whole_well import NO_INTERVALS

        header = self.header
        if uncertainty and header is not None and header.evidence_intervals is None and header.interval_scale is None:
            raise ModelFileError(f"{self.model}: {NO_INTERVALS}")

    def pick(self, well: Well, threshold: float | None = None, uncertainty: bool = False, batch_size: int = 16,
             progress: bool = False) -> list[Pick]:
        """The well's picks, sorted by depth. threshold: one score threshold for both classes
        instead of the model's own; uncertainty: the 80% interval half-widths (detr only). A model
        file holding quality-aware scores and evidence-based intervals gives those (picking/trust.py);
        a well whose radius no caliper measures gets wider dip intervals (picking/radius.py)."""
        return self._widened(well, self._model_picks(well, threshold, uncertainty, batch_size, progress))

    def positions(self, well: Well, threshold: float | None = None) -> list[Pick]:
        """The picks `pick` gives, chosen the same way, without the written score where it does not choose
        them (their scores are then the Platt scores): what injection-recovery compares, which reads where
        the picks are, not how they score. Spares the well's blur and evidence on most images."""
        return self._model_picks(well, threshold, False, 16, scored=False)

    def _widened(self, well: Well, picks: list[Pick]) -> list[Pick]:
        """picking/radius.py widen_for_radius, unless the model file's intervals were fitted on wells like
        this one, without a caliper (`geobfdt calibrate` on a user's own wells records their share)."""
        from geobfdt.errors import ModelFileError
        from geobfdt.picking.radius import FITTED_UNMEASURED_KEY, widen_for_radius

        share = 0.0 if self.header is None else self.header.info.get(FITTED_UNMEASURED_KEY, 0.0)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
            # the header is the file's text, not ours: a damaged value is the file's fault, said in one line
            raise ModelFileError(f"{self.model}: {FITTED_UNMEASURED_KEY} must be a share from 0 to 1, "
                                 f"got {str(share)[:40]!r}")
        return widen_for_radius(well, picks, float(share))

    def _model_picks(self, well: Well, threshold: float | None, uncertainty: bool, batch_size: int,
                     progress: bool = False, scored: bool = True) -> list[Pick]:
        """pick's picks as the model file alone makes them: what self-calibration compares its implants with
        (they lie at the radius they were painted at, so the radius's share of the error is not theirs)."""
        from geobfdt.config import Config
        from geobfdt.model.calibration import IDENTITY_SCALE
        from geobfdt.model.checkpoint import class_thresholds
        from geobfdt.picking.trust import candidate_thresholds, written_choice, written_score_chooses
        from geobfdt.picking.whole_well import pick_well_detr, pick_well_hough_method

        check_pick_options(self.method, threshold, uncertainty)
        if self.method == "hough":
            return pick_well_hough_method(well, Config())
        if not hasattr(batch_size, "__index__") or not 1 <= batch_size <= 1024:  # ints, numpy ints
            raise OptionError(f"--batch-size must be a whole number from 1 to 1024, got {batch_size!r}")
        header = self.header
        evidence = uncertainty and header.evidence_intervals is not None
        thresholds = class_thresholds(self.thresholds if threshold is None else threshold, header.config.model.num_classes)
        by_written = written_score_chooses(well, header.quality_scores)
        # a class chosen by the written score: every candidate down to the floor is scored, then held to its threshold
        picks = pick_well_detr(well, self.engine, header.config,
                               candidate_thresholds(thresholds, header.score_calibration, by_written),
                               int(batch_size), self.device, progress=progress, uncertainty=uncertainty,
                               calibration=header.score_calibration,
                               intervals=IDENTITY_SCALE if evidence else header.interval_scale)
        if scored or evidence or any(by_written):
            picks = trusted(well, picks, header, evidence)
        return written_choice(picks, thresholds, by_written)

    def warnings(self, well: Well, report: dict | None = None) -> list[str]:
        """What a user must learn of a well besides its picks (predict writes each on stderr, the API warns):
        for the detector, image faults its scores and error bars never saw (picking/quality.py);
        with pick_self_calibrated's report, that the well could not be self-calibrated, and why."""
        from geobfdt.picking.quality import image_quality, off_home_ground, quality_message

        found = [quality_message(off_home_ground(image_quality(well))) if self.method == "detr" else None,
                 calibration_warning(report) if report is not None else None]
        return [w for w in found if w]

    def pick_self_calibrated(self, well: Well, threshold: float | None = None, uncertainty: bool = False,
                             batch_size: int = 16, copies: int = 1, seed: int = 0, progress: bool = False):
        """(picks, injection report): the well's picks as `pick` gives them, then its injection-recovery
        on `copies` implanted copies picked the same way (evaluation/self_calibration.py); the picks'
        half-widths come back self-calibrated (their scores as predicted, with found_again set), then
        widened for an unmeasured radius as `pick`'s are. Costs 1 + copies pickings. A well no factor can
        be fitted on keeps its half-widths, its report saying why (calibration_warning)."""
        from tqdm import tqdm

        from geobfdt.evaluation.self_calibration import self_calibrate

        check_pick_options(self.method, threshold, uncertainty, self_calibrate=True)
        if not hasattr(copies, "__index__") or not 1 <= copies <= 16:
            raise OptionError(f"--copies must be a whole number from 1 to 16, got {copies!r}")
        with tqdm(total=1 + int(copies), desc=f"{well.name} self-calibrate", unit="picking", disable=not progress) as bar:
            picks, report = self_calibrate(well, lambda w: self._model_picks(w, threshold, uncertainty,
                                                                             batch_size),
                                           seed=seed, copies=int(copies), progress=lambda: bar.update(1))
        return self._widened(well, picks), report


def calibration_warning(report: dict) -> str | None:
    """From pick_self_calibrated's report, the one line telling a user that the well was not
    self-calibrated, and why (None where it was)."""
    fit = report["self_calibration"]
    return None if fit["fitted"] else f"not self-calibrated: {fit['reason']}; its picks keep the model file's intervals"


def trusted(well: Well, picks: list[Pick], header: ModelHeader, intervals: bool) -> list[Pick]:
    """The chosen picks with the model file's quality-aware scores (every mode: one score per pick)
    and, with intervals, its evidence-based half-widths (picking/trust.py); as they are without those fits."""
    if header.quality_scores is not None or (intervals and header.evidence_intervals is not None):
        from geobfdt.picking.trust import apply_evidence

        apply_evidence(well, picks, header.evidence_intervals if intervals else None, header.quality_scores,
                       header.score_calibration)
    return picks


def build_picker(model="default", method: str = "detr", engine: str | None = None, device: str | None = "auto",
                 streams: int | None = None, log=print) -> Picker:
    """model: a run folder, a .safetensors file or 'default' (the shipped model); engine: onnx or
    torch (default: onnx on the CPU); device: auto, cpu, cuda, cuda:N."""
    from geobfdt.picking.engine import load_engine

    check_pick_options(method)
    device = resolve_device(device)
    if method == "hough":
        return Picker(model="hough", method=method, device=device)
    loaded, header = load_engine(str(model), engine or default_engine(device), device, streams, log)
    return Picker(model=str(model), method=method, device=device, engine=loaded, header=header)


_PICKERS: dict = {}  # per process (each Dask worker): a model is loaded once, not once per well


def cached_picker(model="default", method: str = "detr", engine: str | None = None, device: str | None = "auto",
                  streams: int | None = None, log=print) -> Picker:
    device = resolve_device(device)
    key = (str(model), method, engine or default_engine(device), device, streams)
    if key not in _PICKERS:
        _PICKERS[key] = build_picker(model, method, engine, device, streams, log)
    return _PICKERS[key]
