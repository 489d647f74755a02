"""Every knob of the synthetic well generator, with defaults, variants and dict round trips.

Ranges are (low, high) pairs drawn uniformly per well (or per feature where the name
says so), so one config describes a family of wells rather than one well. Contrasts and
noise are in decades of resistivity (log10 ohm.m): the image is 10**field.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from geobfdt.errors import OptionError

# Fracture statistics of the real geothermal FMI picks (1142 fractures, 926 m of hole),
# computed by scripts/calibrate_fractures.py (retired: docs/history.md) on
# ../shared/external/fractoolbox_geothermal_picks/testdata-fractures.csv:
# - dip: every 5th percentile (0..100); the generator samples the inverse CDF (median 61
#   deg, 5-95% 38-87 deg);
# - dip azimuth: two von Mises sets, weight 0.717 mean 254.2 kappa 5.58 (sd 26 deg) and
#   weight 0.283 mean 12.8 kappa 0.57 (diffuse); the generator keeps the sets' weights,
#   spreads and relative offset (118.6 deg) and rotates them per well;
# - spacing between consecutive picks of 1 cm or more: log-normal, mu -1.254, sigma 1.199
#   (median 0.23 m; 1.23 picks per metre; counts per 10 m from 0 to 35: clustered).
FRACTURE_CALIBRATION = {
    "dip_percentiles_deg": (5.8, 37.6, 42.1, 45.3, 47.1, 49.3, 51.7, 54.0, 56.1, 58.5, 61.3, 64.1, 67.0, 70.3,
                            73.1, 76.2, 78.9, 81.3, 84.5, 87.2, 89.9),
    "azimuth_sets": ((0.717, 0.0, 5.58), (0.283, 118.6, 0.57)),  # (weight, offset_deg, kappa)
    "spacing_lognormal_mu_sigma": (-1.254, 1.199),
}

TOOLS = ("fmi", "slim", "lwd")


@dataclass
class SynthConfig:
    """Generator settings. `SynthConfig.variant(name)` gives documented alternatives."""

    # --- tools and wells
    tool_mix: dict = field(default_factory=lambda: {"fmi": 0.45, "slim": 0.25, "lwd": 0.30})
    deviated_fraction: float = 0.3  # share of wells that are deviated
    horizontal_fraction: float = 0.25  # share of deviated wells that are near horizontal
    inclination_deg: tuple = (25.0, 80.0)  # deviated (not horizontal) wells
    horizontal_inclination_deg: tuple = (84.0, 90.0)
    hole_sizes_in: dict = field(default_factory=lambda: {
        "fmi": (8.5, 8.5, 8.5, 9.875, 12.25), "slim": (6.0, 6.0, 6.125, 6.75), "lwd": (6.0, 8.5, 8.5, 12.25)})
    caliper_variation: float = 0.03  # relative sd of the caliper radius along the hole
    pad_rotation_deg_per_m: tuple = (-10.0, 10.0)  # slow tool rotation (pad imagers)

    # --- bedding
    thick_bed_m: tuple = (0.15, 1.5)  # log-uniform thickness of thick beds
    thin_bed_m: tuple = (0.015, 0.12)  # log-uniform thickness in thin-bedded zones
    thin_zone_fraction: tuple = (0.1, 0.5)  # share of the well that is thin-bedded
    bed_contrast: tuple = (0.04, 0.7)  # |log10 R| step between adjacent beds (per zone scale)
    zone_shift_sd: float = 0.15  # facies jump in log10 R between bedding zones
    structural_dip_deg: tuple = (0.0, 35.0)  # true bedding dip of a zone, vertical wells
    deviated_bedding_dip_deg: tuple = (0.0, 12.0)  # geology is near-flat where wells deviate
    dip_zone_m: tuple = (4.0, 25.0)  # length of zones of constant structural dip
    bed_dip_jitter_deg: float = 2.0  # per-boundary scatter around the zone dip
    bed_azimuth_jitter_deg: float = 8.0

    # --- fractures (statistics calibrated on real picks, see FRACTURE_CALIBRATION)
    fracture_spacing_scale: tuple = (0.4, 1.8)  # per-well multiplier on calibrated spacings
    fracture_kappa_scale: tuple = (0.6, 1.8)  # per-well multiplier on set concentrations
    resistive_fraction: float = 0.15  # healed / cemented fractures (bright)
    partial_fraction: float = 0.3  # fractures whose trace covers only an arc
    partial_arc_deg: tuple = (100.0, 280.0)
    fracture_aperture_mm: tuple = (0.5, 6.0)  # conductive core
    fracture_halo_mm: tuple = (3.0, 20.0)  # invaded / altered halo around the core
    fracture_contrast: tuple = (0.3, 1.5)  # core |log10 R| step
    halo_contrast: tuple = (0.03, 0.25)

    # --- unlabelled distractors
    vug_zone_probability: float = 0.4  # chance a well has vuggy intervals
    vugs_per_m: tuple = (5.0, 60.0)  # inside vuggy intervals
    vug_size_mm: tuple = (3.0, 25.0)
    dif_probability: float = 0.35  # drilling-induced tensile fractures
    breakout_probability: float = 0.3
    breakout_intervals: tuple = (1, 2)  # per well with breakouts, inclusive (integers); (3, 5) for SHmax tests
    distractor_contrast: tuple = (0.3, 1.0)

    # --- tool and processing effects
    noise_sd: tuple = (0.02, 0.07)  # white noise per pixel, decades
    texture_sd: tuple = (0.03, 0.12)  # mottled formation texture
    lamination_sd: tuple = (0.01, 0.04)  # sub-threshold laminae parallel to bedding
    drift_decades: tuple = (0.2, 0.9)  # peak-to-peak slow drift over the well
    drift_wavelength_m: tuple = (8.0, 60.0)
    base_log10_ohmm: tuple = (0.3, 2.5)
    pad_gain_sd: tuple = (0.01, 0.07)
    button_gain_sd: tuple = (0.005, 0.025)
    dead_buttons: tuple = (0, 3)  # per pad imager (integers, inclusive)
    lwd_sectors: tuple = (16, 32, 56, 64, 128)
    lwd_step_m: tuple = (0.01, 0.0125, 0.015, 0.02)
    lwd_stripe_sd: tuple = (0.005, 0.03)  # per-row offsets of rotating sensors
    # LWD measurement artefacts seen on the real LWD image (docs/synthetic.md, "Against the real LWD
    # image"), off by default; the "real-texture" variant sets them. They come from a random stream
    # of their own, so a seed's geology, noise and picks are the same with or without them, except
    # that sector noise raises the background sd the labelling rule compares contrasts with.
    lwd_sector_noise_sd: tuple = (0.0, 0.0)  # decades: noise independent per sector, correlated along depth
    lwd_sector_noise_depth_m: tuple = (0.015, 0.03)  # Gaussian sd of that correlation along the hole
    lwd_spikes_per_m: tuple = (0.0, 0.0)  # isolated one-sector spikes per metre of hole
    lwd_spike_decades: tuple = (0.3, 3.0)  # spike height, log-uniform per spike
    lwd_spike_length_m: tuple = (0.05, 0.2)  # spike extent along the hole, uniform per spike
    lwd_spike_high_fraction: float = 0.9  # share of spikes that read high (the real image's: 99%)
    lwd_low_side_decades: tuple = (0.0, 0.0)  # low side reads this much above the high side, x sin(inclination)
    # Acquisition faults of a rough logging run (synth/faults.py), off by default; the "harsh" variant
    # sets them. Their own random stream, like the LWD artefacts.
    fault_blur_scale: tuple = (1.0, 1.0)  # factor on the tool's depth and azimuth blur
    stuck_pads_per_m: tuple = (0.0, 0.0)  # intervals where one pad (LWD: one sector) reads a flat value
    stuck_pad_length_m: tuple = (0.1, 0.6)
    stick_slip_strain: tuple = (0.0, 0.0)  # peak relative stretch of the recorded depth scale (< 0.9)
    eccentering: tuple = (0.0, 0.0)  # share of the far side's detail lost to an off-centre tool
    saturation_fraction: tuple = (0.0, 0.0)  # share of pixels clipped at each end of the tool's range

    # --- labels
    max_label_dip_deg: float = 85.0  # steeper apparent planes are drawn but not labelled
    min_label_coverage: float = 0.3  # share of valid columns the trace must be visible in
    min_label_snr: float = 1.5  # effective contrast / background sd

    def __post_init__(self):
        unknown = set(self.tool_mix) - set(TOOLS)
        if unknown or not self.tool_mix or any(v < 0 for v in self.tool_mix.values()) \
                or sum(self.tool_mix.values()) <= 0:
            raise OptionError(f"tool_mix must give non-negative weights to {TOOLS}, got {self.tool_mix}")
        for name in ("deviated_fraction", "horizontal_fraction", "resistive_fraction", "partial_fraction",
                     "vug_zone_probability", "dif_probability", "breakout_probability", "min_label_coverage",
                     "lwd_spike_high_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise OptionError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        low, high = self.breakout_intervals
        if not 1 <= int(low) <= int(high) or low != int(low) or high != int(high):
            raise OptionError(f"breakout_intervals must be two integers 1 <= low <= high, got {self.breakout_intervals}")
        if min(self.lwd_spike_decades) <= 0:  # drawn log-uniform
            raise OptionError(f"lwd_spike_decades must be positive, got {self.lwd_spike_decades}")
        for name, low, high in (("fault_blur_scale", 0.1, 10.0), ("stick_slip_strain", 0.0, 0.9),
                                ("eccentering", 0.0, 1.0), ("saturation_fraction", 0.0, 0.49)):
            if not all(low <= v <= high for v in getattr(self, name)):
                raise OptionError(f"{name} must lie in [{low}, {high}], got {getattr(self, name)}")

    def to_dict(self) -> dict:
        """Plain JSON-able dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "SynthConfig":
        """Build from a (partial) dict: missing keys keep their defaults; unknown keys are an error."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise OptionError(f"unknown synth config keys: {', '.join(unknown)}")
        defaults = cls()
        converted = {}
        for name, value in values.items():
            if not _same_kind(value, getattr(defaults, name)):
                raise OptionError(f"synth config {name}: expected {_kind(getattr(defaults, name))}, got {value!r:.60}")
            if isinstance(value, list):
                value = tuple(value)
            elif isinstance(value, dict):
                value = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
            converted[name] = value
        return cls(**converted)

    def replace(self, **changes) -> "SynthConfig":
        return dataclasses.replace(self, **changes)

    @classmethod
    def variant(cls, name: str) -> "SynthConfig":
        """Named settings: see VARIANTS (and docs/synthetic.md)."""
        if name not in VARIANTS:
            raise OptionError(f"unknown synth config variant {name!r}; choose from {', '.join(VARIANTS)}")
        return cls.from_dict(VARIANTS[name])


def _same_kind(value, default) -> bool:
    """Whether a (JSON) value has the default's shape: a number, a range of two numbers, a
    non-empty list of numbers, a mapping of those; checked before the generator unpacks it."""
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, tuple):
        return (isinstance(value, (list, tuple)) and len(value) > 0 and (len(default) != 2 or len(value) == 2)
                and all(_same_kind(v, default[0]) for v in value))
    if isinstance(default, dict):
        example = next(iter(default.values()))
        return isinstance(value, dict) and all(_same_kind(v, example) for v in value.values())
    return True


def _kind(default) -> str:
    if isinstance(default, tuple):
        return "[low, high] numbers" if len(default) == 2 else "a list of numbers"
    if isinstance(default, dict):
        return f"an object whose every value is {_kind(next(iter(default.values())))}"
    return "a number"


# Alternatives to the defaults. "shifted" is a corpus made "with other generator
# settings" for fine-tuning experiments: more LWD and deviated wells, denser and more
# clustered fractures with a wider dip range, lower contrast and more noise.
VARIANTS = {
    "default": {},
    "shifted": {
        "tool_mix": {"fmi": 0.3, "slim": 0.3, "lwd": 0.4},
        "deviated_fraction": 0.5,
        "thick_bed_m": (0.1, 0.8),
        "bed_contrast": (0.03, 0.45),
        "structural_dip_deg": (5.0, 45.0),
        "fracture_spacing_scale": (0.3, 1.2),
        "fracture_kappa_scale": (0.4, 1.0),
        "resistive_fraction": 0.4,
        "fracture_contrast": (0.2, 1.0),
        "noise_sd": (0.04, 0.1),
        "texture_sd": (0.06, 0.16),
        "drift_decades": (0.5, 1.5),
        "pad_gain_sd": (0.08, 0.2),
        "dif_probability": 0.6,
        "breakout_probability": 0.5,
        "vug_zone_probability": 0.7,
    },
    "clean": {  # no distractors, low noise: for debugging and sanity checks
        "noise_sd": (0.01, 0.02),
        "texture_sd": (0.01, 0.03),
        "lamination_sd": (0.0, 0.005),
        "pad_gain_sd": (0.0, 0.01),
        "button_gain_sd": (0.0, 0.005),
        "dead_buttons": (0, 0),
        "vug_zone_probability": 0.0,
        "dif_probability": 0.0,
        "breakout_probability": 0.0,
    },
    # The measurement artefacts of the real LWD image (P11-A-02A), fitted with scripts/compare_realism.py
    # on 16-sector horizontal wells (docs/synthetic.md): sector noise and spike rate against its power
    # at 2-5 cycles/m, spectral slope, isolated spikes, tails and skewness; the low-side difference
    # from its mean row profile. Pad tools are unchanged.
    "real-texture": {
        "lwd_sector_noise_sd": (0.15, 0.3),
        "lwd_sector_noise_depth_m": (0.015, 0.03),
        "lwd_spikes_per_m": (0.3, 1.0),
        "lwd_spike_decades": (0.3, 3.0),
        "lwd_spike_length_m": (0.05, 0.2),
        "lwd_spike_high_fraction": 0.9,
        "lwd_low_side_decades": (0.1, 0.3),
    },
    # A noise model the shipped model and its calibration never saw (issue 30): white noise about 2x,
    # pad-to-pad gains about 3x and LWD striping 2x the defaults, and every acquisition fault of
    # synth/faults.py: 1.3-2.5x the tool blur, stuck pads, stick-slip stretching of the depth scale
    # (labels moved with it), eccentering, saturation. Geology and tools as the defaults.
    "harsh": {
        "noise_sd": (0.05, 0.14),
        "pad_gain_sd": (0.05, 0.2),
        "lwd_stripe_sd": (0.02, 0.06),
        "fault_blur_scale": (1.3, 2.5),
        "stuck_pads_per_m": (0.05, 0.3),
        "stuck_pad_length_m": (0.1, 0.6),
        "stick_slip_strain": (0.1, 0.4),
        "eccentering": (0.2, 0.6),
        "saturation_fraction": (0.005, 0.03),
    },
    # LWD rows as long as a real LWD log's (the P11-A-02A image has 10 cm; the defaults 1-2 cm). Pad tools
    # are unchanged.
    "long-rows": {"lwd_step_m": (0.05, 0.1)},
    "vertical": {"deviated_fraction": 0.0},
    "deviated": {"deviated_fraction": 1.0},
}


MIX_STREAM = 0x6D6978  # a well's variant is drawn from (well seed, this): the well's own streams are untouched


def parse_variant_mix(spec: str) -> dict[str, float]:
    """`--synth-variant`: one variant NAME, or a mix NAME:WEIGHT,NAME:WEIGHT,... of variants that each
    well is drawn from; weights are normalised to sum to 1, names sorted. Bad input is an OptionError."""
    mix = {}
    for part in str(spec).split(","):
        name, colon, weight = part.strip().partition(":")
        try:
            value = float(weight) if colon else 1.0
        except ValueError:
            raise OptionError(f"synth variant mix {spec!r}: weight {weight!r} of {name!r} is not a number") from None
        if name not in VARIANTS:
            raise OptionError(f"unknown synth config variant {name!r}; choose from {', '.join(VARIANTS)}")
        if name in mix or not math.isfinite(value) or value <= 0:
            raise OptionError(f"synth variant mix {spec!r}: each variant once, with a positive weight")
        mix[name] = value
    total = sum(mix.values())
    return {name: mix[name] / total for name in sorted(mix)}


def format_variant_mix(mix: dict[str, float]) -> str:
    """The canonical spelling of a mix (as run.json records it): a lone variant is just its name."""
    if len(mix) == 1:
        return next(iter(mix))
    return ",".join(f"{name}:{weight:.6g}" for name, weight in mix.items())


def mix_member(mix: dict[str, float], well_seed: int) -> str:
    """The variant of a mix that the well of `well_seed` is drawn with (deterministic per seed)."""
    names = list(mix)
    if len(names) == 1:
        return names[0]
    import numpy as np  # here: `geobfdt --help` reads VARIANTS and stays light

    u = np.random.default_rng([well_seed, MIX_STREAM]).random()
    index = int(np.searchsorted(np.cumsum([mix[n] for n in names]), u * sum(mix.values()), side="right"))
    return names[min(index, len(names) - 1)]
