"""Image tiles for the review page: one PNG per depth window and zoom, rendered on demand.

A tile is TILE_PX screen rows covering TILE_PX / px_per_m metres. Only the rows of that
window (plus half a normalisation window either side, so tiles join without seams) are
read: the source rows are averaged down to about one per screen row, normalised with the
same dynamic histogram equalisation the detector sees (preprocess.image.normalise), mapped
to the requested colour map and encoded as a palette PNG (255 colours plus transparent for no
data: ~50x faster to encode than RGBA and half the bytes). Rendered tiles are kept in an LRU cache, so
opening a 2 km well costs a few tiles, not the whole image.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from threading import Lock

import numpy as np

from geobfdt.errors import OptionError
from geobfdt.preprocess.image import normalise
from geobfdt.well import Well

TILE_PX = 512
ZOOMS_PX_PER_M = (25, 50, 100, 200, 400)
COLOUR_MAPS = ("YlOrBr_r", "copper", "gray", "viridis", "afmhot")
WINDOWS_M = (0.3, 0.6, 1.2, 2.4)
DEFAULTS = {"zoom": 100, "cmap": COLOUR_MAPS[0], "window": 0.6}  # what the page opens with
MAX_COLUMNS = 360
CACHE_TILES = 256


def _block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each `factor` consecutive rows, ignoring NaN (NaN where a block has no data)."""
    if factor <= 1:
        return image
    rows = image.shape[0] // factor * factor
    blocks = image[:rows].reshape(-1, factor, image.shape[1])
    finite = np.isfinite(blocks)
    total = np.where(finite, blocks, 0.0).sum(axis=1)
    count = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan).astype(np.float32)


class TileRenderer:
    def __init__(self, well: Well):
        from matplotlib import colormaps

        self.well = well
        # one palette per colour map: 255 levels, index 255 transparent (no data)
        self.palettes = {name: (colormaps[name](np.linspace(0.0, 1.0, 255))[:, :3] * 255).round().astype(np.uint8)
                         for name in COLOUR_MAPS}
        # strictly positive images (resistivity) are averaged in log space, as prepare_well does
        self.log = bool(np.fmin.reduce(well.image, axis=None) > 0)
        self.cache: OrderedDict = OrderedDict()
        self.lock = Lock()

    def tile_count(self, px_per_m: int) -> int:
        span_m = self.well.depth_m[-1] - self.well.depth_m[0]
        return int(np.ceil(span_m * px_per_m / TILE_PX)) or 1

    def png(self, px_per_m: int, index: int, cmap: str, window_m: float) -> bytes:
        if px_per_m not in ZOOMS_PX_PER_M or cmap not in COLOUR_MAPS or window_m not in WINDOWS_M:
            raise OptionError("unknown zoom, colour map or normalisation window")
        if not 0 <= index < self.tile_count(px_per_m):
            raise OptionError(f"tile {index} is outside the well")
        key = (px_per_m, index, cmap, window_m)
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        data = self._render(px_per_m, index, cmap, window_m)
        with self.lock:
            self.cache[key] = data
            while len(self.cache) > CACHE_TILES:
                self.cache.popitem(last=False)
        return data

    def warm(self, count: int) -> None:
        """Render the first tiles the page asks for (the well top at the default settings)."""
        for index in range(min(count, self.tile_count(DEFAULTS["zoom"]))):
            self.png(DEFAULTS["zoom"], index, DEFAULTS["cmap"], DEFAULTS["window"])

    def normalised(self, px_per_m: int, index: int, window_m: float) -> np.ndarray:
        """(TILE_PX, columns) values in (0, 1), NaN for no data and below the well bottom."""
        well = self.well
        top = well.depth_m[0] + index * TILE_PX / px_per_m
        bottom = top + TILE_PX / px_per_m
        first = int(np.searchsorted(well.depth_m, top - window_m / 2))
        stop = int(np.searchsorted(well.depth_m, bottom + window_m / 2))
        slab = well.image[first:stop]
        if self.log:
            slab = np.log(slab)
        factor = max(1, int((1.0 / px_per_m) / well.depth_step_m))
        columns = max(1, well.width // MAX_COLUMNS + (well.width % MAX_COLUMNS > 0))
        coarse = _block_mean(_block_mean(slab, factor).T, columns).T  # rows, then columns
        depths = well.depth_m[first:stop][:coarse.shape[0] * factor:factor]
        values = normalise(coarse, well.depth_step_m * factor, "dynamic", window_m)
        # nearest coarse row for each screen row; rows beyond the logged interval stay empty
        centres = top + (np.arange(TILE_PX) + 0.5) / px_per_m
        nearest = np.clip(np.searchsorted(depths, centres), 0, max(len(depths) - 1, 0))
        out = values[nearest] if len(depths) else np.full((TILE_PX, coarse.shape[1]), np.nan, np.float32)
        outside = (centres < well.depth_m[0]) | (centres > well.depth_m[-1])
        out[outside] = np.nan
        return out

    def _render(self, px_per_m: int, index: int, cmap: str, window_m: float) -> bytes:
        from PIL import Image  # matplotlib's own PNG backend

        values = self.normalised(px_per_m, index, window_m)
        levels = np.where(np.isfinite(values), np.clip(np.nan_to_num(values) * 255, 0, 254), 255).astype(np.uint8)
        image = Image.fromarray(levels, "P")
        image.putpalette(np.vstack([self.palettes[cmap], [[0, 0, 0]]]).ravel().tolist())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1, transparency=255)
        return buffer.getvalue()
