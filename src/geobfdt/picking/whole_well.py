"""Pick a whole well: streamed sliding windows, batched model, duplicates merged.

The well is processed in depth chunks (prepared, patched, predicted, released), so the
model input for a 3,000 m well never sits in memory at once; the next chunk is prepared in a
background thread while the model runs on the current one (at most two in flight), one batch
of windows per core (picking/engine.py). Patches overlap by a quarter of their height
(KEEP_SHARE), on one window grid for the whole well (each chunk starts on it); a prediction is
kept only from the patch whose central three quarters hold its centre line, then near-identical
traces (same depth and shape) are merged.
"""

from __future__ import annotations

import ctypes
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
from tqdm import tqdm

from geobfdt.config import Config
from geobfdt.errors import ModelFileError, OptionError
from geobfdt.geometry import apparent_to_true, trace_depth_m
from geobfdt.config import PatchGrid
from geobfdt.io.image_buffer import rows_in_memory
from geobfdt.model.calibration import IntervalScale, ScoreCalibration, calibrate_rows
from geobfdt.patches.extract import extract_patches, patch_tops, targets_to_picks
from geobfdt.well import Pick, Well

CHUNK_M = 25.0  # two chunks in flight (one prepared while the model runs on the other) stay well under 2x image + model
FIRST_CHUNK_M = 10.0  # short, so the first forward starts soon; later chunks are prepared during forwards
MERGE_CURVE_M = 0.03  # traces closer than this on average over azimuth are the same plane
MIN_TRACE_COVERAGE = 0.3  # share of a trace that must cross measured pixels (the synthetic labels' rule)
# share of each window kept when picking, so the windows step by this share of their height: 3/4
# forwards 1.5x fewer windows than the training stride's half, for the same held-out F1 (docs/benchmarks.md)
KEEP_SHARE = 0.75
NO_INTERVALS = ("this model has no interval calibration for --uncertainty (fit one with `geobfdt calibrate`, "
                "without --no-intervals)")
# rank levels of the dynamic normalisation when picking (training: 2,048): half the normalisation's
# cost, pixel values within 0.009 of 2,048 levels', the same held-out F1 (docs/benchmarks.md)
PICK_RANK_LEVELS = 512


def trace_coverage(rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share of each predicted trace (rows (k, >=3) of depth_frac, amplitude_frac, azimuth_deg) that
    lies on valid pixels of the patch mask (H, W); parts outside the patch count as unseen."""
    height, width = mask.shape
    phi = np.radians((np.arange(width) + 0.5) * 360.0 / width)
    trace_rows = np.floor(height * (rows[:, :1] + rows[:, 1:2] * np.cos(phi - np.radians(rows[:, 2:3])))).astype(int)
    inside = (trace_rows >= 0) & (trace_rows < height)
    seen = np.zeros_like(inside)
    seen[inside] = mask[trace_rows[inside], np.broadcast_to(np.arange(width), trace_rows.shape)[inside]] > 0.5
    return seen.mean(axis=1)


def sub_well(well: Well, first: int, stop: int) -> Well:
    """Rows [first, stop) of the well; from a disk-backed image (io/image_buffer.py) they are copied
    out and the mapped pages released, so resident memory does not grow with the well's length."""
    pick = slice(first, stop)
    return Well(name=well.name, depth_m=well.depth_m[pick], azimuth_deg=well.azimuth_deg,
                image=rows_in_memory(well.image, first, stop), radius_m=well.radius_m[pick],
                radius_source=well.radius_source,
                inclination_deg=None if well.inclination_deg is None else well.inclination_deg[pick],
                hole_azimuth_deg=None if well.hole_azimuth_deg is None else well.hole_azimuth_deg[pick],
                tool=well.tool, provenance=well.provenance)


def _load_glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _load_glibc()


def _release_freed_memory():
    """Hand heap memory freed by the last chunk back to the system (glibc only; a no-op elsewhere):
    otherwise what the model's forward freed stays resident and the next chunk's preparation
    stacks on top of it, raising predict's peak by ~100 MiB (docs/benchmarks.md)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def chunk_bounds(well: Well, chunk_m: float, margin_m: float, first_chunk_m: float | None = None,
                 anchor_m: float | None = None):
    """(core_top_m, core_bottom_m, first_row, stop_row) covering the well; rows include a margin.
    A short first chunk (first_chunk_m) gets the model working sooner while the next is prepared.
    anchor_m: each chunk starts a whole number of anchor_m below the well top, so windows cut with
    that stride sit at the same depths whatever the chunk sizes (to within one source sample)."""
    top, bottom = well.depth_m[0], well.depth_m[-1]
    first_chunk_m = min(first_chunk_m or chunk_m, chunk_m)
    edges = np.append(np.append(top, np.arange(top + first_chunk_m, bottom, chunk_m)), bottom + 1e-9)
    for core_top, core_bottom in zip(edges[:-1], edges[1:]):
        start_m = core_top - margin_m
        if anchor_m:
            start_m = top + max(0.0, np.floor((start_m - top) / anchor_m + 1e-9)) * anchor_m
        first = int(np.searchsorted(well.depth_m, start_m - 1e-9))
        stop = int(np.searchsorted(well.depth_m, core_bottom + margin_m))
        if stop - first >= 2:
            yield core_top, core_bottom, first, stop


def window_batches(count: int, batch_size: int, parts: int) -> list[slice]:
    """Batches of at most batch_size windows, a multiple of `parts` of them, of near-equal sizes, so
    that no stream idles while another finishes a chunk's last big batch. parts is the machine's
    core count whatever the number of streams: torch's results move in the last digits with the
    batch size, and a well must give the same picks alone or beside others (picking/field.py)."""
    batches = -(-max(count, 1) // batch_size)
    batches = -(-batches // parts) * parts
    edges = np.linspace(0, count, batches + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def window_predictions(engine, images: np.ndarray, batch_size: int, pool=None) -> list[np.ndarray]:
    """The engine's rows per window; batches run side by side on `pool` (one per stream), kept in order."""
    from geobfdt.picking.engine import cpu_cores

    batches = [images[part] for part in window_batches(len(images), batch_size, cpu_cores())]
    results = pool.map(engine.predict, batches) if pool else map(engine.predict, batches)
    return [rows for batch in results for rows in batch]


def _pick_key(p: Pick) -> tuple:
    return p.depth_m, p.dip_deg, p.azimuth_deg, p.type


def merge_duplicates(picks: list[Pick], radius_m: float) -> list[Pick]:
    """Keep the best-scoring of traces that lie within MERGE_CURVE_M of each other. Order-free:
    equal scores are settled by depth, dip, azimuth and type, so the picks do not depend on the
    order the windows arrived in (chunks, batches, parallel streams)."""
    if not picks:
        return picks
    picks = sorted(picks, key=_pick_key)
    order = sorted(range(len(picks)), key=lambda i: (-(picks[i].score or 0.0), _pick_key(picks[i])))
    phi = np.arange(0.0, 360.0, 10.0)
    curves = np.stack([trace_depth_m(p.depth_m, p.dip_deg, p.azimuth_deg, radius_m, phi) for p in picks])
    # two traces' mean gap over azimuth is at least their depth difference (the cosines average
    # out, up to rounding), so only kept picks that near in depth are compared: O(n) not O(n^2)
    depth_m = np.array([p.depth_m for p in picks])
    reach_m = MERGE_CURVE_M + 1e-9 * (1.0 + np.abs(curves).max())
    first = np.searchsorted(depth_m, depth_m - reach_m, side="left")
    last = np.searchsorted(depth_m, depth_m + reach_m, side="right")
    kept = np.zeros(len(picks), dtype=bool)
    for i in order:
        near = first[i] + np.flatnonzero(kept[first[i]:last[i]])
        if near.size and np.abs(curves[near] - curves[i]).mean(axis=1).min() < MERGE_CURVE_M:
            continue
        kept[i] = True
    return [picks[i] for i in np.flatnonzero(kept)]


def add_true_orientation(well: Well, picks: list[Pick]) -> None:
    deviation = well.deviation_at(np.array([p.depth_m for p in picks]))
    if deviation is None or not picks:
        return
    dips, azimuths = apparent_to_true(np.array([p.dip_deg for p in picks]), np.array([p.azimuth_deg for p in picks]),
                                      *deviation)
    for p, d, a in zip(picks, np.atleast_1d(dips), np.atleast_1d(azimuths)):
        p.dip_true_deg, p.azimuth_true_deg = float(d), float(a)


def prefetched(prepare, items, overlap: bool = True):
    """Yield (item, prepare(item)). With overlap, the next item is prepared in a background thread
    meanwhile: the numpy preparation of chunk k+1 (which releases the GIL) runs during the model
    forward of chunk k, and at most two chunks are ever in flight."""
    if not overlap:
        for item in items:
            yield item, prepare(item)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(prepare, items[0]) if items else None
        for k, item in enumerate(items):
            result = pending.result()
            pending = pool.submit(prepare, items[k + 1]) if k + 1 < len(items) else None
            yield item, result
            del result


def pick_well_detr(well: Well, model, cfg: Config, threshold, batch_size: int = 16, device="cpu",
                   chunk_m: float = CHUNK_M, first_chunk_m: float = FIRST_CHUNK_M, progress: bool = True,
                   overlap: bool = True, refine: bool = True, uncertainty: bool = False,
                   stride_rows: int | None = None, calibration: ScoreCalibration | None = None,
                   intervals: IntervalScale | None = None) -> list[Pick]:
    """model: a torch detector (run on `device`) or an engine (picking/engine.py). calibration and
    intervals: the model file's (ModelHeader.score_calibration, .interval_scale); without a
    calibration the scores stay raw. threshold: one score threshold, or one per class (fracture,
    bedding), on the scale of the picks' scores. overlap: prepare the next chunk while
    the model runs on this one (same picks either way). refine: refit each pick's sinusoid on the
    image (picking/refine.py). uncertainty: 80% interval half-widths of depth, dip
    and azimuth from test-time transforms (picking/uncertainty.py; six forwards per window instead
    of one), scaled by the model's interval calibration. stride_rows: rows between windows (None: KEEP_SHARE
    of a window); each window's central stride_rows rows are kept."""
    from geobfdt.model.checkpoint import class_thresholds
    from geobfdt.picking.engine import as_engine

    engine = as_engine(model, device)
    if uncertainty and intervals is None:
        raise ModelFileError(NO_INTERVALS)
    stride_rows = int(round(KEEP_SHARE * cfg.data.rows)) if stride_rows is None else stride_rows
    if not 0 < stride_rows <= cfg.data.rows:
        raise OptionError(f"window stride {stride_rows} rows must lie in 1..{cfg.data.rows}")
    cfg = replace(cfg, data=replace(cfg.data, stride_rows=stride_rows))  # the model's own is its training stride
    with engine.running(), ThreadPoolExecutor(max_workers=engine.streams) as pool:
        picks = _pick_chunks(well, engine, cfg, class_thresholds(threshold, cfg.model.num_classes), batch_size,
                             chunk_m, first_chunk_m, progress, overlap, refine, intervals if uncertainty else None,
                             pool if engine.streams > 1 else None, calibration)
    picks = merge_duplicates(picks, float(np.median(well.radius_m)))
    add_true_orientation(well, picks)
    return picks


def _pick_chunks(well, engine, cfg, thresholds, batch_size, chunk_m, first_chunk_m, progress, overlap, refine,
                 intervals, pool, calibration) -> list[Pick]:
    """Every chunk's picks before merging, chunk after chunk (pick_well_detr's arguments;
    intervals: the interval scale with --uncertainty, else None)."""
    from geobfdt.picking.refine import refine_rows
    from geobfdt.preprocess.image import prepare_well
    if intervals is not None:
        from geobfdt.picking.uncertainty import transformed_predictions, window_spread

    def predict(images):
        return window_predictions(engine, images, batch_size, pool)

    per_class = np.asarray(thresholds, dtype=np.float32)
    grid: PatchGrid = cfg.data
    margin_m = grid.height_m + cfg.data.window_m
    keep_from = (grid.rows - grid.stride_rows) / 2 / grid.rows  # central part of each window
    picks: list[Pick] = []
    # windows on one grid for the whole well: picks do not depend on the chunk sizes
    chunks = list(chunk_bounds(well, chunk_m, margin_m, first_chunk_m, anchor_m=grid.stride_rows * grid.row_step_m))

    def prepare(bounds):
        """The chunk's windows whose kept band meets its core depths, and those bands (as
        fractions of a window): windows lying wholly in the margins would be forwarded for nothing."""
        core_top, core_bottom, first, stop = bounds
        prepared = prepare_well(sub_well(well, first, stop), grid, normalisation=cfg.data.normalisation,
                                window_m=cfg.data.window_m, pooling=cfg.data.pooling, levels=PICK_RANK_LEVELS)
        tops = patch_tops(max(prepared.image.shape[0], grid.rows), grid)
        low = np.full(tops.size, keep_from)
        high = np.full(tops.size, 1.0 - keep_from)
        low[0], high[-1] = 0.0, 1.0
        top_m = prepared.depth_m[0] + tops * grid.row_step_m
        needed = (top_m + high * grid.height_m > core_top) & (top_m + low * grid.height_m < core_bottom)
        patches = extract_patches(prepared, [], grid, tops[needed])
        del prepared
        _release_freed_memory()  # the preparation's temporaries, before the next forward allocates
        return patches, low[needed], high[needed]

    for (core_top, core_bottom, _, _), (patches, low, high) in tqdm(
            prefetched(prepare, chunks, overlap), total=len(chunks), desc=f"picking {well.name}", unit="chunk",
            disable=not progress or len(chunks) < 2):
        predictions = predict(patches.images)
        views = transformed_predictions(predict, patches.images) if intervals is not None else None
        kept = []
        for k, rows in enumerate(predictions):
            rows = calibrate_rows(rows, calibration)
            rows = rows[rows[:, 4] >= per_class[rows[:, 3].astype(int)]]
            # the band first: the refit keeps each pick's depth, so it need not see picks outside it
            kept.append(rows[(rows[:, 0] >= low[k]) & (rows[:, 0] < high[k])])
        if refine and kept:  # the chunk's picks in one call: per window, numpy's call overheads outweighed the work
            counts = [len(rows) for rows in kept]
            refined = refine_rows(np.concatenate(kept), patches.images[:, 0], patches.images[:, 1],
                                  np.repeat(np.arange(len(kept)), counts))
            kept = np.split(refined, np.cumsum(counts)[:-1])
        for k, rows in enumerate(kept):
            # no picks on traces the tool barely saw (pad gaps, null intervals, sparse sectors)
            rows = rows[trace_coverage(rows, patches.images[k, 1]) >= MIN_TRACE_COVERAGE]
            found = targets_to_picks(rows[:, :4], patches.top_m[k], patches.radius_m[k], grid, rows[:, 4], well.name)
            if intervals is not None:
                spread = window_spread(rows, [v[k] for v in views], patches.radius_m[k], grid.height_m, grid.rows,
                                       grid.columns)
                amplitude_cm = 100.0 * rows[:, 1] * grid.height_m
                for p, widths in zip(found, intervals.half_widths(spread, amplitude_cm)):
                    p.depth_err80_cm, p.dip_err80_deg, p.azimuth_err80_deg = (float(w) for w in widths)
            picks.extend(p for p in found if core_top <= p.depth_m < core_bottom)
        del patches, predictions
        _release_freed_memory()
    return picks


def pick_well_hough_method(well: Well, cfg: Config) -> list[Pick]:
    from geobfdt.picking.hough import pick_well_hough

    picks = pick_well_hough(well)  # its own tuned grid (hough.py)
    for p in picks:
        p.well = well.name
    add_true_orientation(well, picks)
    return picks
