"""Many wells, each one task (read, pick, write its files), in this process or on Dask distributed.

`run_wells(paths, settings, workers=None, scheduler=None)`:
- neither: in this process, one well after the other;
- workers=N: a local cluster of N worker processes on this machine, one task at a time each,
  the machine's cores shared among them (`cores // N` streams each, picking/engine.py);
- scheduler=ADDRESS: an existing Dask cluster (e.g. tcp://10.0.0.5:8786); its workers need
  geobfdt installed and the well files and the model at the same paths.
A task's picks are the same wherever it runs. A well that fails (unreadable file, no data, a
worker lost) is reported with its reason and the others finish. An unexpected exception in a
task is a bug, not the well's fault: its traceback goes to a log file in the temp folder of the
machine that ran it (errors.report_bug), the well's status says so, and the others finish too.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from geobfdt.errors import GeoBFDTError, OptionError, report_bug


@dataclass(frozen=True)
class PredictSettings:
    """Everything a task needs besides the well's path (sent to the workers as it is)."""
    out: str
    model: str = "default"
    method: str = "detr"  # detr, hough, or none (`geobfdt features`: no picks, the features alone)
    engine: str = "onnx"
    device: str = "cpu"
    threshold: float | None = None
    read_options: dict = field(default_factory=dict)  # read_well's keyword arguments (commands.reader_options)
    survey: str | None = None
    uncertainty: bool = False
    batch_size: int = 16
    formats: tuple[str, ...] = ("geobfdt",)
    plot: bool = False
    streams: int | None = None  # batches side by side per well (default: one per core)
    progress: bool = False  # the per-well chunk bar (a single well in this process)
    features: tuple[str, ...] = ()  # features/registry.py names, written beside the picks
    include_induced: bool = False  # keep picks on induced fractures in the natural-fracture figures
    self_calibrate: bool = False  # the well's injection-recovery widens its intervals
    copies: int = 1  # implanted copies picked for self_calibrate


@dataclass
class WellResult:
    path: str
    well: str
    length_m: float = math.nan
    picks: int = 0
    fractures: int = 0
    bedding: int = 0
    seconds: float = 0.0
    status: str = "ok"  # ok, "failed: <what was wrong with the input>" or "internal error ..." (a bug)
    outputs: list[str] = field(default_factory=list)
    features: dict = field(default_factory=dict)  # feature name -> its summary
    warnings: list[str] = field(default_factory=list)  # what the user must know of a well that went ok (stderr)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def bug(self) -> bool:
        return self.status.startswith("internal error")


def _picker(settings: PredictSettings):
    from geobfdt.picking.picker import cached_picker

    return cached_picker(settings.model, settings.method, settings.engine, settings.device, settings.streams)


def predict_well(path: str, stem: str, settings: PredictSettings) -> WellResult:
    """One well end to end, its files named <stem>_...; failures come back as the result's status,
    never as an exception: bad input as "failed: ...", a bug as "internal error ..." with the
    path of its traceback log."""
    start = time.perf_counter()
    result = WellResult(path=str(path), well=Path(path).stem)
    try:
        _predict(path, stem, settings, result)
    except GeoBFDTError as exc:
        result.status = f"failed: {exc}"
    except Exception as exc:  # noqa: BLE001 - a bug in one well must not stop the field, nor pass for bad input
        result.status = report_bug(exc, f"predict_well({str(path)!r}, {stem!r}, {settings!r})")
    result.seconds = time.perf_counter() - start
    return result


def _predict(path, stem: str, settings: PredictSettings, result: WellResult) -> None:
    from geobfdt.io import read_well
    from geobfdt.io.names import output_path
    from geobfdt.io.picks import PICK_WRITERS

    well = read_well(path, survey_csv=settings.survey, **settings.read_options)
    result.well, result.length_m = well.name, float(well.depth_m[-1] - well.depth_m[0])
    out = Path(settings.out)
    if settings.self_calibrate and settings.method != "none":
        import json

        from geobfdt.files import write_text_atomic

        picks, report = _picker(settings).pick_self_calibrated(
            well, settings.threshold, settings.uncertainty, settings.batch_size, settings.copies,
            progress=settings.progress)
        result.outputs.append(str(output_path(out, f"{stem}_injection.json")))
        write_text_atomic(result.outputs[-1], json.dumps({**report, "file": Path(path).name}, indent=2))
    else:
        report = None
        picks = [] if settings.method == "none" else _picker(settings).pick(
            well, settings.threshold, settings.uncertainty, settings.batch_size, settings.progress)
    if settings.method != "none":  # the picks are good; the user must still learn what they cannot vouch for
        result.warnings += _picker(settings).warnings(well, report)
    results = _features(well, picks, stem, settings, result)
    for fmt in dict.fromkeys(settings.formats if settings.method != "none" else ()):
        suffix, write = PICK_WRITERS[fmt]
        result.outputs.append(str(output_path(out, f"{stem}{suffix}")))
        write(result.outputs[-1], picks)
    result.picks = len(picks)
    result.fractures = sum(p.type == "fracture" for p in picks)
    result.bedding = sum(p.type == "bedding" for p in picks)
    if settings.plot and settings.method != "none":
        from geobfdt.reports.plots import plot_pick_summary, plot_well
        bottom = min(well.depth_m[-1], well.depth_m[0] + 10.0)
        result.outputs.append(str(output_path(out, f"{stem}_picks.png")))
        plot_well(well, [(settings.method, picks)], well.depth_m[0], bottom, result.outputs[-1])
        result.outputs += map(str, plot_pick_summary(well, picks, out, stem,
                                                     include_induced=settings.include_induced).values())
    if settings.plot:
        from geobfdt.reports.features import plot_feature
        for feature in results:
            result.outputs.append(str(output_path(out, f"{stem}_{feature.feature}.png")))
            plot_feature(well, feature, result.outputs[-1])


def _features(well, picks, stem: str, settings: PredictSettings, result: WellResult) -> list:
    """Each requested feature of the well, written (features/output.py); picks lying on induced
    fractures are flagged in place, so the pick files and figures written next know them."""
    from geobfdt.features.breakouts import induced_picks
    from geobfdt.features.output import write_feature
    from geobfdt.features.registry import FEATURES

    from tqdm import tqdm

    found = []
    names = list(dict.fromkeys(settings.features))
    bar = tqdm(total=len(names) * well.depth_m.size, unit="row", unit_scale=True, desc=f"{well.name} features",
               disable=not settings.progress or not names)
    for name in names:
        feature = FEATURES[name](well, picks, progress=bar.update)
        if "induced" in feature.tables and picks:
            for pick, flag in zip(picks, induced_picks(picks, feature.tables["induced"], float(well.radius_m.mean()))):
                pick.induced = 1.0 if flag else None
        result.outputs += map(str, write_feature(feature, settings.out, stem, well.name,
                                                 dlis=well.provenance.get("format") == "DLIS"))
        result.features[name] = feature.summary
        found.append(feature)
    bar.close()
    return found


def run_wells(paths: list[str], stems: list[str], settings: PredictSettings, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True, report=print) -> list[WellResult]:
    """Results in the order of `paths`, each well's files named after its stem (io/names.py);
    report(line) is called as each well finishes."""
    from tqdm import tqdm

    bar = tqdm(total=len(paths), desc="wells", unit="well", disable=not progress or len(paths) < 2)

    def done(result: WellResult) -> WellResult:
        bar.update()
        found = (", ".join(f"{n} {k}" for k, n in _feature_counts(result).items()) if settings.method == "none"
                 else f"{result.fractures} fractures, {result.bedding} bedding planes")
        line = (f"{result.well}: {found} -> {', '.join(result.outputs)}" if result.ok
                else f"{result.well}: {result.status}")
        (bar.write if not bar.disable else report)(line)
        for warning in result.warnings:
            tqdm.write(f"warning: {result.path}: {warning}", file=sys.stderr)
        return result

    try:
        if workers is None and scheduler is None:
            single = replace(settings, progress=progress and len(paths) == 1)
            return [done(predict_well(path, stem, single)) for path, stem in zip(paths, stems)]
        return _run_on_dask(paths, stems, settings, workers, scheduler, done)
    finally:
        bar.close()


def _feature_counts(result: WellResult) -> dict:
    """Objects found per table (vugs, breakouts, induced), from the features' summaries."""
    return {key.removesuffix("_count") if key.endswith("_count") else key: value
            for summary in result.features.values() for key, value in summary.items()
            if key == "vugs" or key.endswith("_count")}


def _run_on_dask(paths, stems, settings: PredictSettings, workers, scheduler, done) -> list[WellResult]:
    import logging

    from distributed import Client, LocalCluster, as_completed

    from geobfdt.picking.engine import cpu_cores

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise OptionError(f"--scheduler {scheduler}: cannot reach a Dask scheduler ({exc})") from None
        cluster = None
    else:
        if workers < 1:
            raise OptionError(f"--workers must be at least 1, got {workers}")
        settings = replace(settings, streams=settings.streams or max(1, cpu_cores() // workers))
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futures = client.map(predict_well, paths, stems, settings=settings, pure=False)
        index = {future.key: k for k, future in enumerate(futures)}
        results: list[WellResult | None] = [None] * len(paths)
        for future in as_completed(futures):
            k = index[future.key]
            if future.status == "finished":
                results[k] = done(future.result())
            else:  # the task never returned: its worker died, or the cluster lost it
                results[k] = done(WellResult(path=str(paths[k]), well=Path(paths[k]).stem,
                                             status=lost_task_status(future.exception())))
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def lost_task_status(exc: BaseException) -> str:
    """A well whose task never came back: the worker process died under it (Dask's KilledWorker: out of
    memory, or killed from outside), or the cluster lost it otherwise."""
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        tries = getattr(exc, "allowed_failures", 0) + 1
        return (f"failed: the Dask worker picking it died ({tries} tries; out of memory, or killed); give each "
                f"worker more memory, use fewer --workers, or lower --ram-image-gib so the image is read from disk")
    return f"failed: the Dask cluster lost it ({type(exc).__name__}: {str(exc)[:200]})"


def summary_table(results: list[WellResult], picks: bool = True) -> str:
    """Plain-text table: well, length (m), picks (unless picks=False: `features` picks none), seconds,
    status."""
    rows = [("well", "length_m", "picks", "seconds", "status")]
    rows += [(r.well, f"{r.length_m:.1f}", str(r.picks), f"{r.seconds:.1f}", r.status) for r in results]
    if not picks:
        rows = [row[:2] + row[3:] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:-1], widths[1:])),
                                row[-1]]) for row in rows)
