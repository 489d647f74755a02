"""Many wells, each one task (read, pick, write its files), in this process or on Dask distributed.

`run_wells(paths, settings, workers=None, scheduler=None)`:
- neither: in this process, one well after the other;
- workers=N: a local cluster of N worker processes on this machine, one task at a time each,
  the machine's cores shared among them (`cores // N` streams each, picking/engine.py);
- scheduler=ADDRESS: an existing Dask cluster (e.g. tcp://10.0.0.5:8786); its workers need
  geobfdt installed and the well files and the model at the same paths.
A task's picks are the same wherever it runs. A well that fails (unreadable file, no data, a
worker lost) is reported with its reason and the others finish.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from geobfdt.errors import GeoBFDTError


@dataclass(frozen=True)
class PredictSettings:
    """Everything a task needs besides the well's path (sent to the workers as it is)."""
    out: str
    model: str = "default"
    method: str = "detr"
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


@dataclass
class WellResult:
    path: str
    well: str
    length_m: float = math.nan
    picks: int = 0
    fractures: int = 0
    bedding: int = 0
    seconds: float = 0.0
    status: str = "ok"
    outputs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_ENGINES: dict = {}  # per process (each Dask worker): the model is loaded once, not once per well


def _engine(settings: PredictSettings):
    from geobfdt.picking.engine import load_engine

    key = (settings.model, settings.engine, settings.device, settings.streams)
    if key not in _ENGINES:
        _ENGINES[key] = load_engine(settings.model, settings.engine, settings.device, settings.streams)
    return _ENGINES[key]


def predict_well(path: str, stem: str, settings: PredictSettings) -> WellResult:
    """One well end to end, its files named <stem>_...; failures come back as the result's status,
    never as an exception."""
    start = time.perf_counter()
    result = WellResult(path=str(path), well=Path(path).stem)
    try:
        _predict(path, stem, settings, result)
    except GeoBFDTError as exc:
        result.status = f"failed: {exc}"
    except Exception as exc:  # noqa: BLE001 - one well's unexpected failure must not stop the field
        result.status = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    result.seconds = time.perf_counter() - start
    return result


def _predict(path, stem: str, settings: PredictSettings, result: WellResult) -> None:
    from geobfdt.config import Config
    from geobfdt.io import read_well
    from geobfdt.io.names import output_path
    from geobfdt.io.picks import PICK_WRITERS
    from geobfdt.picking.whole_well import pick_well_detr, pick_well_hough_method

    well = read_well(path, survey_csv=settings.survey, **settings.read_options)
    result.well, result.length_m = well.name, float(well.depth_m[-1] - well.depth_m[0])
    if settings.method == "detr":
        engine, header = _engine(settings)
        threshold = settings.threshold if settings.threshold is not None else header.thresholds
        picks = pick_well_detr(well, engine, header.config, threshold, settings.batch_size, settings.device,
                               progress=settings.progress, uncertainty=settings.uncertainty,
                               calibration=header.score_calibration, intervals=header.interval_scale)
    else:
        picks = pick_well_hough_method(well, Config())
    out = Path(settings.out)
    for fmt in dict.fromkeys(settings.formats):
        suffix, write = PICK_WRITERS[fmt]
        result.outputs.append(str(output_path(out, f"{stem}{suffix}")))
        write(result.outputs[-1], picks)
    result.picks = len(picks)
    result.fractures = sum(p.type == "fracture" for p in picks)
    result.bedding = sum(p.type == "bedding" for p in picks)
    if settings.plot:
        from geobfdt.reports.plots import plot_pick_summary, plot_well
        bottom = min(well.depth_m[-1], well.depth_m[0] + 10.0)
        plot_well(well, [(settings.method, picks)], well.depth_m[0], bottom, output_path(out, f"{stem}_picks.png"))
        plot_pick_summary(well, picks, out, stem)


def run_wells(paths: list[str], stems: list[str], settings: PredictSettings, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True, report=print) -> list[WellResult]:
    """Results in the order of `paths`, each well's files named after its stem (io/names.py);
    report(line) is called as each well finishes."""
    from tqdm import tqdm

    bar = tqdm(total=len(paths), desc="wells", unit="well", disable=not progress or len(paths) < 2)

    def done(result: WellResult) -> WellResult:
        bar.update()
        line = (f"{result.well}: {result.fractures} fractures, {result.bedding} bedding planes -> "
                f"{', '.join(result.outputs)}" if result.ok else f"{result.well}: {result.status}")
        (bar.write if not bar.disable else report)(line)
        return result

    try:
        if workers is None and scheduler is None:
            single = replace(settings, progress=progress and len(paths) == 1)
            return [done(predict_well(path, stem, single)) for path, stem in zip(paths, stems)]
        return _run_on_dask(paths, stems, settings, workers, scheduler, done)
    finally:
        bar.close()


def _run_on_dask(paths, stems, settings: PredictSettings, workers, scheduler, done) -> list[WellResult]:
    import logging

    from distributed import Client, LocalCluster, as_completed

    from geobfdt.picking.engine import cpu_cores

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise GeoBFDTError(f"--scheduler {scheduler}: cannot reach a Dask scheduler ({exc})") from None
        cluster = None
    else:
        if workers < 1:
            raise GeoBFDTError(f"--workers must be at least 1, got {workers}")
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
                exc = future.exception()
                results[k] = done(WellResult(path=str(paths[k]), well=Path(paths[k]).stem,
                                             status=f"failed: {type(exc).__name__}: {exc}"))
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def summary_table(results: list[WellResult]) -> str:
    """Plain-text table: well, length (m), picks, seconds, status."""
    rows = [("well", "length_m", "picks", "seconds", "status")]
    rows += [(r.well, f"{r.length_m:.1f}", str(r.picks), f"{r.seconds:.1f}", r.status) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:4], widths[1:])), row[4]])
                     for row in rows)
