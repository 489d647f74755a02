"""Log quality read from the image itself: pixels clipped at the tool's range, pads or sectors that read
one value, and the noise floor.

Before trusting picks on an image log a reviewer checks where the tool's range clipped the signal
(saturation: pixels tied at the image's lowest or highest value) and where a pad or an LWD sector
stopped reading (stuck: one value, unchanged along the hole over STUCK_MIN_M or more). The shipped
model's scores and error bars were fitted on synthetic wells with neither; on the project's `harsh`
wells, which have both (with blur, stick-slip and an off-centre tool), they are optimistic
(docs/model-card.md). off_home_ground names what takes a well outside that ground, so that predict,
inject-test and the Python API can say so beside the picks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from geobfdt.io.image_buffer import rows_in_memory
from geobfdt.picking.injection import MIN_IMAGED, background_sd, row_coverage
from geobfdt.well import Well

SATURATED_SHARE = 0.002  # of the finite pixels tied at one end of the range: clipping, not chance
CLIP_SPIKE = 4.0  # and that many times the pixels at the next value in
STUCK_SHARE = 0.002  # of the finite pixels in flat runs
STUCK_MIN_M = 0.05  # a flat run this long or longer is a pad or sector not reading
STUCK_MIN_ROWS = 4  # and never fewer rows (a coarse image's rows are far apart)
STUCK_TOLERANCE = 0.1  # a row-to-row change below this share of the noise sd is no change
BLOCK_ROWS = 2048  # rows read at once: memory stays flat as the well grows
MAX_BLOCKS = 16  # read at most, spread evenly over a longer well: the cost stops growing too
NOISE_COLUMNS = 64
SECTOR_ROW_SHARE = 0.5  # of the rows with data measured all around the hole: a sector image (is_sector_image)
# azimuthal_noise_share reads stretches this long: the spread of a stretch is the image's texture there, not
# the change from one formation to the next (a 2048-row block of a 10 cm log is 200 m of hole)
NOISE_SHARE_STRETCH_M = 10.0


@dataclass(frozen=True)
class ImageQuality:
    """Shares of the image's finite pixels, and its noise (picking/injection.py background_sd: the
    robust sd of the row-to-row detail, in decades where every value is positive, as on a resistivity
    or density image, else in the image's own units)."""

    saturated_low_share: float
    saturated_high_share: float
    stuck_share: float
    noise_sd: float

    def to_dict(self) -> dict:
        return {k: float(v) for k, v in asdict(self).items()}


def stuck_steps(work: np.ndarray, tolerance: float, run_rows: int) -> np.ndarray:
    """Per row-to-row step of work (rows - 1, columns): whether it lies in a run of at least run_rows
    steps of one column that change by no more than tolerance. Two running sums along the hole: the
    windows of run_rows steps that are all flat, then the steps some such window covers."""
    with np.errstate(invalid="ignore"):
        flat = np.abs(np.diff(work, axis=0)) <= tolerance  # NaN compares False
    steps = flat.shape[0]
    if steps < run_rows:
        return np.zeros_like(flat)
    total = np.zeros((steps + 1, flat.shape[1]), dtype=np.int32)
    np.cumsum(flat, axis=0, out=total[1:])
    full = (total[run_rows:] - total[:-run_rows]) == run_rows  # the window starting at each step
    covering = np.zeros((full.shape[0] + 1, flat.shape[1]), dtype=np.int32)
    np.cumsum(full, axis=0, out=covering[1:])
    step = np.arange(steps)
    last = np.minimum(step, full.shape[0] - 1) + 1  # windows starting from step - run_rows + 1 to step
    first = np.maximum(step - run_rows + 1, 0)
    return (covering[last] - covering[first]) > 0


def _two_lowest(block: np.ndarray, finite: np.ndarray) -> set[float]:
    """The smallest finite value of block and the next one above it (fewer where there are none)."""
    first = float(np.min(block, where=finite, initial=np.inf))
    second = float(np.min(block, where=finite & (block > first), initial=np.inf))
    return {v for v in (first, second) if v < np.inf}


def _block_starts(rows: int, block_rows: int | None = None) -> list[int]:
    """The first row of each block read: every block_rows (BLOCK_ROWS), or MAX_BLOCKS of them spread evenly."""
    starts = np.arange(0, rows, BLOCK_ROWS if block_rows is None else block_rows)
    if starts.size > MAX_BLOCKS:
        starts = starts[np.unique(np.linspace(0, starts.size - 1, MAX_BLOCKS).round().astype(int))]
    return starts.tolist()


def image_quality(well: Well) -> ImageQuality:
    """The well's clipped and stuck shares and its noise (see the module's docstring). An end of the
    range counts as clipped where at least CLIP_SPIKE times as many pixels tie at it as at the next
    value in (a quantised image's extreme level holds few pixels, a clipped one a pile). Read in
    blocks of BLOCK_ROWS rows, each in the working scale with its own noise, and on a well longer than
    MAX_BLOCKS of them, that many spread evenly along it (as picking/blur.py reads a well): memory and
    time stop growing with the well, and the shares are those of the rows read. The noise reported
    is the blocks' median."""
    image, rows = well.image, well.image.shape[0]
    starts = _block_starts(rows)
    run_rows = max(STUCK_MIN_ROWS, int(math.ceil(STUCK_MIN_M / well.depth_step_m)))
    # each block with run_rows of its neighbours each side: a run across its ends is still one run
    spans = [(start, min(start + BLOCK_ROWS, rows), max(start - run_rows, 0), min(start + BLOCK_ROWS + run_rows, rows))
             for start in starts]
    n, lows, highs = 0, set(), set()
    for start, stop, _, _ in spans:  # each end's two values first: a clipped pixel ties at one of them
        block = np.asarray(rows_in_memory(image, start, stop), dtype=np.float32)
        finite = np.isfinite(block)
        n += int(np.count_nonzero(finite))
        lows = set(sorted(lows | _two_lowest(block, finite))[:2])
        highs = set(sorted(highs | _two_lowest(-block, finite))[:2])
    if n == 0:
        return ImageQuality(0.0, 0.0, 0.0, math.nan)
    low, high = min(lows), -min(highs)
    levels = sorted(lows) + [-v for v in sorted(highs)]  # low, next above it, high, next below it
    at = np.zeros(len(levels), dtype=np.int64)
    stuck, noise = 0, []
    for start, stop, lo, hi in spans:
        with np.errstate(invalid="ignore", divide="ignore"):
            work = np.asarray(rows_in_memory(image, lo, hi), dtype=np.float32)
            at += [np.count_nonzero(work[start - lo:stop - lo] == v) for v in levels]
            if low > 0:  # a resistivity image is read in decades, as its noise and the evidence are
                work = np.log10(work)
        # the noise from at most NOISE_COLUMNS columns: its medians were half the time, for one figure
        noise.append(background_sd(work[start - lo:stop - lo, ::max(1, work.shape[1] // NOISE_COLUMNS)]))
        in_run = stuck_steps(work, STUCK_TOLERANCE * noise[-1], run_rows)
        stuck += int(np.count_nonzero(in_run[start - lo:min(stop, rows - 1) - lo]))

    def clipped(end: int, count: int) -> float:  # end: the level's index; a lone level has no next one
        following = at[end + 1] if count == 2 else 0
        return float(at[end] / n) if at[end] >= CLIP_SPIKE * following else 0.0

    return ImageQuality(saturated_low_share=clipped(0, len(lows)),
                        saturated_high_share=clipped(len(lows), len(highs)) if high > low else 0.0,
                        stuck_share=stuck / n, noise_sd=float(np.median(noise)))


EMPTY_MIN_M = 1.0  # shorter stretches without data (a few rows at a connection) are not listed


def empty_stretches_m(well: Well) -> list[list[float]]:
    """[top, bottom] of each stretch of EMPTY_MIN_M or more whose rows hold less than MIN_IMAGED of the
    measured pixels of the well's typical row with data: what the tool did not record. Nothing can be
    picked there, and injection-recovery implants nothing there (picking/injection.py imaged_slots)."""
    coverage, typical = row_coverage(well)
    empty = np.r_[False, coverage < MIN_IMAGED * typical, False]
    starts, stops = np.flatnonzero(~empty[:-1] & empty[1:]), np.flatnonzero(empty[:-1] & ~empty[1:])
    return [[float(well.depth_m[a]), float(well.depth_m[b - 1])] for a, b in zip(starts, stops)
            if well.depth_m[b - 1] - well.depth_m[a] + well.depth_step_m >= EMPTY_MIN_M]


def is_sector_image(well: Well) -> bool:
    """Whether the image is an LWD tool's sectors, measured all around the hole, rather than a pad tool's,
    whose rows have gaps between the pads: at least SECTOR_ROW_SHARE of the rows with data (in the blocks
    image_quality reads) have every column measured. The score map weighs the image's quality on sector
    images only (model/calibration.py QUALITY_TERMS)."""
    image, rows = well.image, well.image.shape[0]
    full = with_data = 0
    for start in _block_starts(rows):
        finite = np.isfinite(np.asarray(rows_in_memory(image, start, min(start + BLOCK_ROWS, rows))))
        full += int(np.count_nonzero(finite.all(axis=1)))
        with_data += int(np.count_nonzero(finite.any(axis=1)))
    return with_data > 0 and full >= SECTOR_ROW_SHARE * with_data


def azimuthal_noise_share(well: Well) -> float:
    """How much of the image's detail is noise from one column to the next: the robust sd of the
    column-to-column differences (around the hole, the last column beside the first; background_sd) over
    the robust sd of the values (interquartile range / 1.349), on the working scale (decades where every
    value is positive, as image_quality reads), per NOISE_SHARE_STRETCH_M of hole, the median over the
    stretches (at most MAX_BLOCKS, spread evenly). Dimensionless: a gain or an offset of the image, or
    its units, leave it as it is. An LWD image with sector noise (the real NLOG image's, the
    `real-texture` wells') has about 0.6, a clean one 0.1-0.2. The score map weighs it on sector images
    (model/calibration.py QUALITY_TERMS). NaN where no stretch has a spread."""
    image, rows = well.image, well.image.shape[0]
    block = max(2 * STUCK_MIN_ROWS, int(round(NOISE_SHARE_STRETCH_M / well.depth_step_m)))
    starts = _block_starts(rows, block)
    blocks = [np.asarray(rows_in_memory(image, start, min(start + block, rows)), dtype=np.float32) for start in starts]
    finite_min = min((float(np.min(b, where=np.isfinite(b), initial=np.inf)) for b in blocks), default=np.inf)
    shares = []
    for values in blocks:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # a file's infinities read as gaps
            if finite_min > 0 and np.isfinite(finite_min):
                values = np.log10(values)
            finite = values[np.isfinite(values)]
            if finite.size < 2 * values.shape[1]:
                continue
            q25, q75 = np.percentile(finite, [25, 75])
            if q75 > q25:
                around = np.ascontiguousarray(np.concatenate([values, values[:, :1]], axis=1).T)
                shares.append(background_sd(around) / ((q75 - q25) / 1.349))
    return float(np.median(shares)) if shares else math.nan


def off_home_ground(quality: ImageQuality) -> list[str]:
    """What of the image lies outside the ground the shipped model's scores and error bars were
    fitted on, each in a few words; empty where nothing does."""
    reasons = []
    clipped = quality.saturated_low_share + quality.saturated_high_share
    if max(quality.saturated_low_share, quality.saturated_high_share) >= SATURATED_SHARE:
        # a file that fills its gaps with a value instead of a null piles them up at one end too
        reasons.append(f"{100 * clipped:.1f} % of its pixels clipped at the ends of the tool's range (or gaps "
                       "filled with a value, not left null)")
    if quality.stuck_share >= STUCK_SHARE:
        reasons.append(f"{100 * quality.stuck_share:.1f} % reading one value over {100 * STUCK_MIN_M:.0f} cm or "
                       "more, as a stuck pad or sector does")
    return reasons


def quality_report(well: Well) -> dict:
    """image_quality's figures, whether the image is a sector image ("sector_image": its scores weigh the
    image), its azimuthal_noise_share (None on a pad tool's image, or where it has no spread: the score map
    reads it on sector images only) and off_home_ground's reasons under "off_home_ground": what `info
    --json` (api.describe) and an injection report carry."""
    quality = image_quality(well)
    sector = is_sector_image(well)
    share = azimuthal_noise_share(well) if sector else math.nan
    return {**quality.to_dict(), "sector_image": sector, "azimuthal_noise_share": None if math.isnan(share) else share,
            "off_home_ground": off_home_ground(quality)}


def quality_message(reasons: list[str]) -> str | None:
    """One line for a well off that ground, from off_home_ground's reasons (predict's and inject-test's
    stderr, the API's UserWarning), or None where there are none."""
    if not reasons:
        return None
    return (f"image faults the shipped model's scores and error bars never saw: {'; '.join(reasons)}; on the "
            "project's harsh wells, which have such faults, they are optimistic (docs/model-card.md, \"Off home "
            "ground\")")
