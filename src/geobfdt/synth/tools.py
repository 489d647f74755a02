"""Imaging tools: geometry (grid, pads, buttons, sectors), resolution and acquisition effects.

- "fmi": 8-pad wireline microresistivity imager, 4 pads + 4 flaps, 24 buttons each (192),
  0.1 in (2.54 mm) rows. The button arrays are 68 mm wide, so 8 pads cover ~80% of an
  8.5 in hole and less of a 12.25 in one. Output: 360 columns, NaN in pad gaps.
- "slim": slim-hole pad imager, 4-6 pads of 16-24 buttons covering 40-60% of a 6 in hole,
  176 or 180 columns.
- "lwd": LWD resistivity image, full coverage, 16-128 sectors (columns = sectors), 1-2 cm
  rows, a button footprint of about an inch (strong blur).
Pad imagers rotate slowly as they are pulled, so pad gaps drift in azimuth with depth.
LWD images can carry the measurement artefacts of the real LWD image (lwd_artefacts: sector
noise, isolated spikes, a low-side / high-side difference), off in the default settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from geobfdt.synth.config import SynthConfig

INCH_M = 0.0254


@dataclass
class ToolSpec:
    name: str  # "fmi" | "slim" | "lwd"
    bit_size_in: float
    depth_step_m: float
    columns: int  # output image width
    oversample: int  # render columns per output column (LWD sectors average several)
    n_pads: int  # 0 for LWD (full coverage)
    buttons_per_pad: int
    pad_width_m: float  # circumferential width of one pad's button array
    blur_depth_m: float  # Gaussian sd of the tool response along the hole
    blur_azimuth_deg: float  # and around it

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def render_columns(self) -> int:
        return self.columns * self.oversample

    def coverage(self, radius_m) -> np.ndarray:
        """Share of the circumference the pads see (1 for LWD)."""
        if self.n_pads == 0:
            return np.ones_like(np.asarray(radius_m, float))
        return np.minimum(1.0, self.n_pads * self.pad_width_m / (2 * np.pi * np.asarray(radius_m)))


def draw_tool(rng, name: str, cfg: SynthConfig) -> ToolSpec:
    bit_in = float(rng.choice(cfg.hole_sizes_in[name]))
    if name == "fmi":
        return ToolSpec("fmi", bit_in, 0.1 * INCH_M, 360, 1, 8, 24, 0.068, 0.002, 0.8)
    if name == "slim":
        n_pads = int(rng.integers(4, 7))
        coverage_6in = rng.uniform(0.4, 0.6)
        pad_width = coverage_6in * np.pi * 6.0 * INCH_M / n_pads
        return ToolSpec("slim", bit_in, 0.1 * INCH_M, int(rng.choice([176, 180])), 1, n_pads,
                        int(rng.choice([16, 20, 24])), float(pad_width), 0.003, 1.0)
    sectors = int(rng.choice(cfg.lwd_sectors))
    return ToolSpec("lwd", bit_in, float(rng.choice(cfg.lwd_step_m)), sectors, max(1, int(np.ceil(128 / sectors))),
                    0, 0, 0.0, float(rng.uniform(0.010, 0.022)), 0.4 * 360.0 / sectors)


@dataclass
class PadLayout:
    """Where each pixel of a pad image sits: pad index and button index, or off-pad."""

    on_pad: np.ndarray  # (rows, columns) bool
    pad: np.ndarray  # (rows, columns) int
    button: np.ndarray  # (rows, columns) int
    pad1_azimuth_deg: np.ndarray  # (rows,) azimuth of pad 1's centre


def pad_layout(rng, tool: ToolSpec, depth_m, azimuth_deg, radius_m, cfg: SynthConfig) -> PadLayout:
    """Pads equally spaced around the hole, rotating slowly (plus a little wobble) with depth."""
    rate = rng.uniform(*cfg.pad_rotation_deg_per_m)
    z = depth_m - depth_m[0]
    wobble = 4.0 * np.sin(2 * np.pi * z / rng.uniform(3, 15) + rng.uniform(0, 2 * np.pi))
    pad1 = np.mod(rng.uniform(0, 360) + rate * z + wobble, 360.0)
    spacing = 360.0 / tool.n_pads
    arc = np.minimum(spacing, np.degrees(tool.pad_width_m / radius_m))  # (rows,)
    start = pad1 - 0.5 * arc
    offset = np.mod(azimuth_deg[None, :] - start[:, None], 360.0)
    pad = (offset // spacing).astype(np.int16)
    within = offset - pad * spacing
    on_pad = within < arc[:, None]
    button = np.minimum((within / arc[:, None] * tool.buttons_per_pad).astype(np.int16), tool.buttons_per_pad - 1)
    return PadLayout(on_pad, pad, button, pad1)


def apply_pad_effects(rng, field, layout: PadLayout, tool: ToolSpec, cfg: SynthConfig) -> np.ndarray:
    """Pad and button gains (log offsets) in place, then NaN off the pads and on dead buttons."""
    pad_gain = rng.normal(0, rng.uniform(*cfg.pad_gain_sd), tool.n_pads)
    button_gain = rng.normal(0, rng.uniform(*cfg.button_gain_sd), (tool.n_pads, tool.buttons_per_pad))
    gain = (pad_gain[:, None] + button_gain).astype(np.float32)
    field += gain[layout.pad, layout.button]
    dead = np.zeros((tool.n_pads, tool.buttons_per_pad), bool)
    n_dead = int(rng.integers(cfg.dead_buttons[0], cfg.dead_buttons[1] + 1))
    dead.flat[rng.choice(dead.size, n_dead, replace=False)] = True
    valid = layout.on_pad & ~dead[layout.pad, layout.button]
    field[~valid] = np.nan
    return valid


def has_lwd_artefacts(cfg: SynthConfig) -> bool:
    return max(cfg.lwd_sector_noise_sd) > 0 or max(cfg.lwd_spikes_per_m) > 0 or max(cfg.lwd_low_side_decades) > 0


def lwd_artefacts(rng, depth_m, column_azimuth_deg, inclination_deg, cfg: SynthConfig) -> tuple[np.ndarray, float]:
    """(rows, columns) log10 offsets of an LWD image's measurement artefacts, and the sd of its sector noise.

    - sector noise: each sector's own noise, correlated along the hole over a few cm (on the real
      image it is incoherent between adjacent sectors, so it is the measurement, not the formation);
    - isolated spikes: one sector wide, a few cm long, heights log-uniform over a decade (a heavy
      tail over the Gaussian noise), mostly high;
    - low side / high side: a tool lying on the low side of a deviated hole reads the low side
      higher (column 0 = high side), in proportion to sin(inclination).
    """
    n_rows, n_cols = depth_m.size, column_azimuth_deg.size
    step_m = float(depth_m[1] - depth_m[0])
    out = np.zeros((n_rows, n_cols), np.float32)
    noise_sd = float(rng.uniform(*cfg.lwd_sector_noise_sd))
    if noise_sd > 0:
        noise = gaussian_filter1d(rng.standard_normal((n_rows, n_cols), dtype=np.float32),
                                  rng.uniform(*cfg.lwd_sector_noise_depth_m) / step_m, axis=0, mode="wrap")
        out += (noise_sd / noise.std()) * noise
    n_spikes = int(rng.poisson(rng.uniform(*cfg.lwd_spikes_per_m) * (depth_m[-1] - depth_m[0])))
    if n_spikes:
        top_row = rng.integers(0, n_rows, n_spikes)
        column = rng.integers(0, n_cols, n_spikes)
        length_rows = np.maximum(1, np.round(rng.uniform(*cfg.lwd_spike_length_m, n_spikes) / step_m)).astype(np.int64)
        height = np.exp(rng.uniform(*np.log(cfg.lwd_spike_decades), n_spikes))
        height *= np.where(rng.random(n_spikes) < cfg.lwd_spike_high_fraction, 1.0, -1.0)
        rows = top_row[:, None] + np.arange(length_rows.max())[None, :]
        keep = (rows < top_row[:, None] + length_rows[:, None]) & (rows < n_rows)
        np.add.at(out, (rows[keep], np.broadcast_to(column[:, None], rows.shape)[keep]),
                  np.broadcast_to(height[:, None], rows.shape)[keep].astype(np.float32))
    low_side = float(rng.uniform(*cfg.lwd_low_side_decades))
    if low_side > 0 and inclination_deg is not None:
        out -= (0.5 * low_side * np.sin(np.radians(inclination_deg))[:, None]
                * np.cos(np.radians(column_azimuth_deg))[None, :]).astype(np.float32)
    return out, noise_sd
