"""Describe image-log files: format, image channel, depth range, sampling, width, nulls,
radius source, deviation, log quality (pixels clipped at the ends of the tool's range, pads or
sectors reading one value over 5 cm or more, the noise floor: picking/quality.py), the kind of image
(an LWD tool's sectors, whose picks' scores weigh the image, or a pad tool's), which classes `predict`
chooses by the written score under sector noise, and what of that the shipped model's scores and error
bars never saw.

Reads DLIS, LAS 2.0 and NPZ (recognised by content). Each file is read exactly as the
other commands read it, so a file `info` accepts is a file `predict` accepts. With
several files, good ones are reported, each bad one gets one line on stderr, and the
exit status is 2 if any failed.
"""

from __future__ import annotations

import json
import sys

from geobfdt.api import describe
from geobfdt.errors import GeoBFDTError
from geobfdt.commands import add_reader_options, reader_options, well_paths

HELP = "describe image-log files (DLIS, LAS, NPZ): channel, depth range, sampling, nulls, radius"


def add_arguments(p):
    p.add_argument("files", nargs="+", metavar="FILE", help="DLIS, LAS 2.0 or NPZ image logs, or folders of them")
    add_reader_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON list instead of text")


def _choice_lines(gated: list[str]) -> list[str]:
    """What predict, with the shipped model, chooses by the written score on this image (none: one line less)."""
    if not gated:
        return []
    said = {"fracture": "fractures", "bedding": "beds"}
    rest = "" if len(gated) > 1 else f"; {said['fracture']} by the Platt score at these long rows"
    return [f"  picks chosen   {' and '.join(said[k] for k in gated)} by the written score, under the sector noise"
            f"{rest} (docs/model-card.md, \"Sector-noise images\")"]


def _empty_text(stretches: list[list[float]], shown: int = 3) -> str:
    """The stretches the tool did not record, the first few by depth, and their length in all."""
    if not stretches:
        return ""
    listed = ", ".join(f"{a:.1f}-{b:.1f} m" for a, b in stretches[:shown])
    more = f" and {len(stretches) - shown} more" if len(stretches) > shown else ""
    total = sum(b - a for a, b in stretches)
    return f"; no data over {listed}{more} ({total:.1f} m in all: nothing is picked or implanted there)"


def _text(s: dict) -> str:
    q = s["image_quality"]
    others = [c for c in s["image_channels"] if c != s["image_channel"]]
    deviation = "no"
    if s["deviation"]:
        lo, hi = s["inclination_range_deg"]
        deviation = f"yes (inclination {lo:.1f}-{hi:.1f} deg)"
    return "\n".join([
        f"{s['file']}: {s['format']}, well {s['well']}" + (f", tool {s['tool']}" if s["tool"] else ""),
        f"  image channel  {s['image_channel']}" + (f" (also: {', '.join(others)})" if others else ""),
        f"  depth          {s['top_m']:.3f} - {s['bottom_m']:.3f} m (file: {s['depth_unit']}, {s['depth_order']})",
        f"  sampling       {s['step_m']:.5f} m ({s['step_in']:.3f} in), {s['rows']} rows",
        f"  width          {s['width']} columns ({360 / s['width']:.2f} deg each)",
        f"  nulls          {100 * s['null_fraction']:.2f} %" + _empty_text(s["empty_stretches_m"]),
        f"  radius         {s['radius_source']}: median {s['radius_m']:.4f} m "
        f"(hole diameter {s['hole_diameter_in']:.2f} in"
        + (f", imaged {s['investigation_depth_in']:g} in into the wall" if s["investigation_depth_in"] else "") + ")",
        f"  deviation      {deviation}",
        f"  quality        clipped {100 * q['saturated_low_share']:.2f} % low, {100 * q['saturated_high_share']:.2f} % "
        f"high; stuck {100 * q['stuck_share']:.2f} %; noise sd {q['noise_sd']:.3g}",
        "  image kind     " + (f"sectors, measured all around the hole (LWD): scores weigh the image's quality "
                             + (f"(azimuthal noise share {q['azimuthal_noise_share']:.2f})"
                                if q["azimuthal_noise_share"] is not None else "(no azimuthal noise share: no spread)")
                             if q["sector_image"] else "gaps between pads in every row (pad tool): scores from the "
                             "detector's score alone"),
    ] + _choice_lines(s["chosen_by_written_score"])
        + [f"  warning        {w}" for w in s["warnings"]]
        + [f"  unseen fault   {r}: the shipped model's scores and error bars never saw this"
           for r in q["off_home_ground"]])


def run(args) -> int:
    summaries, failed = [], 0
    paths = well_paths(args.files)
    for path in paths:
        try:
            summaries.append(describe(path, **reader_options(args)))
        except GeoBFDTError as exc:
            if len(paths) == 1:
                raise
            print(f"geobfdt info: error: {exc}", file=sys.stderr)
            failed += 1
    if args.json:
        print(json.dumps(summaries, indent=2))
    else:
        print("\n".join(_text(s) for s in summaries))
    return 2 if failed else 0
