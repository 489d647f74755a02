"""LAS 2.0 image logs (lasio): sector curves assembled into an image.

LWD and some wireline images come as one curve per azimuthal sector, e.g. ABDC1M ..
ABDC16M: a prefix, the sector number, a suffix. Array curves are written the same way
in LAS 2.0, as IMG[0] .. IMG[N-1]. Sectors numbered consecutively from 0 or 1, at least
four of them, form one image with the first sector at column 0.
"""

from __future__ import annotations

import re
import warnings as python_warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geobfdt.errors import GeoBFDTError, WellFileError
from geobfdt.well import Well
from geobfdt.files import one_line
from geobfdt.io.limits import check_file_size, check_image_size, max_image_bytes
from geobfdt.io.common import assemble_well, collect_warnings, depth_unit_to_m, length_to_in, mask_nulls

MIN_SECTORS = 4
CALIPER_CURVES = ("C1", "C2")
FALLBACK_CALIPER_CURVES = ("HCAL", "CALI")
BIT_SIZE_MNEMONICS = ("BS", "BIT", "BITSIZE")
INCLINATION_CURVES = ("DEVI", "DEVIM", "INCL")
HOLE_AZIMUTH_CURVES = ("HAZI", "HAZIM", "AZIM")
_SECTOR = re.compile(r"^(?P<prefix>.*?[A-Za-z_\[])(?P<k>\d+)(?P<suffix>[A-Za-z_\]]*)$")


def is_las(head: bytes) -> bool:
    """LAS starts, after blank and comment lines, with the ~V(ersion) section."""
    for line in head.decode("latin-1").splitlines():
        line = line.strip().lstrip("\ufeff").lstrip("ï»¿")
        if not line or line.startswith("#"):
            continue
        return line.upper().startswith("~V")
    return False


@dataclass
class _ImageCurves:
    name: str  # the pattern, e.g. "ABDC{k}M" or "IMG[{k}]"
    mnemonics: list[str]
    unit: str


def _sector_groups(curves) -> list[_ImageCurves]:
    groups: dict[tuple[str, str], dict[int, object]] = {}
    for curve in curves:
        match = _SECTOR.match(curve.mnemonic)
        if match and np.ndim(curve.data) == 1:
            key = (match["prefix"].upper(), match["suffix"].upper())
            groups.setdefault(key, {})[int(match["k"])] = curve
    found = []
    for (prefix, suffix), sectors in groups.items():
        for start in (0, 1):
            ks = list(range(start, start + len(sectors)))
            if sorted(sectors) == ks and len(ks) >= MIN_SECTORS:
                found.append(_ImageCurves(f"{prefix}{{k}}{suffix}", [sectors[k].mnemonic for k in ks],
                                          str(sectors[ks[0]].unit or "")))
    return found


def _image_groups(las) -> list[_ImageCurves]:
    """Candidate images, most sectors first (ABDC1M..16M before GRAS0M..7M)."""
    return sorted(_sector_groups(las.curves), key=lambda g: -len(g.mnemonics))


def _matches(group: _ImageCurves, wanted: str) -> bool:
    """A user names an image by its pattern (ABDC{k}M), prefix (ABDC, IMG) or prefix+suffix (ABDCM)."""
    wanted = wanted.strip().upper()
    prefix, _, suffix = group.name.partition("{k}")
    return wanted in (group.name, prefix, prefix.rstrip("["), prefix + suffix)


def _choose(path, groups, image_channel) -> _ImageCurves:
    if image_channel is not None:
        chosen = [g for g in groups if _matches(g, image_channel)]
        if not chosen:
            listed = ", ".join(g.name for g in groups) or "none"
            raise WellFileError(f"{path}: no image curves {image_channel!r} (image curves: {listed})")
        return chosen[0]
    if not groups:
        raise WellFileError(f"{path}: no image channel (no array curve and no run of >= {MIN_SECTORS} sector curves)")
    return groups[0]


def _header_value(las, mnemonics):
    """(value, unit) of the first numeric ~Well or ~Parameter item among `mnemonics`."""
    for section in ("Well", "Parameter"):
        for item in las.sections.get(section, []):
            if item.mnemonic.upper() in mnemonics:
                try:
                    return float(item.value), item.unit
                except (TypeError, ValueError):
                    continue
    return None


def _header_text(las, mnemonic) -> str:
    for item in las.sections.get("Well", []):
        if item.mnemonic.upper() == mnemonic:
            return str(item.value).strip()
    return ""


def _curve_pairs(las, depth_m, names, null, convert=None):
    pairs = []
    by_name = {c.mnemonic.upper(): c for c in las.curves}
    for name in names:
        curve = by_name.get(name)
        if curve is not None and np.ndim(curve.data) == 1:
            try:
                values = mask_nulls(np.asarray(curve.data, np.float64), null)
            except (TypeError, ValueError):
                continue  # a text curve is not a caliper or survey
            pairs.append((depth_m, values if convert is None else convert(values, curve.unit)))
    return pairs


def read_las(path, image_channel=None, bit_size_in=None, max_image_gib=None, ram_image_gib=None) -> Well:
    import lasio

    path = Path(path)
    # lasio holds the whole text, and several times its size while parsing: a text larger than
    # the image limit is refused unread (its image, ~10 characters a value, is far smaller)
    check_file_size(path, max_image_bytes(max_image_gib), "a LAS file", "--max-image-gib")
    with collect_warnings("lasio") as warnings, python_warnings.catch_warnings(record=True) as raised:
        python_warnings.simplefilter("always")  # numpy's genfromtxt warns on stderr about an empty ~A section
        try:
            las = lasio.read(str(path), ignore_header_errors=True, encoding_errors="replace")
        except Exception as exc:  # lasio raises many unrelated types on malformed text
            raise WellFileError(f"{path}: cannot read LAS ({type(exc).__name__}: {one_line(exc)})") from None
    warnings += [one_line(w.message) for w in raised]
    well = _well_from_las(path, las, image_channel, bit_size_in, max_image_gib, ram_image_gib)
    if warnings:
        well.provenance["warnings"] = list(dict.fromkeys(warnings))
    return well


def read_lasfile(las, image_channel=None, bit_size_in=None, max_image_gib=None, ram_image_gib=None) -> Well:
    """A well from a lasio.LASFile already read in Python (a notebook's); named in messages by its
    WELL header, and by that too when the file has no WELL name ('LASFile')."""
    where = Path(_header_text(las, "WELL") or "LASFile")
    return _well_from_las(where, las, image_channel, bit_size_in, max_image_gib, ram_image_gib)


def _well_from_las(path, las, image_channel, bit_size_in, max_image_gib=None, ram_image_gib=None) -> Well:
    if not las.curves or las.data is None or np.size(las.data) == 0:
        raise WellFileError(f"{path}: LAS file has no data")
    groups = _image_groups(las)
    group = _choose(path, groups, image_channel)
    check_image_size(path, np.shape(las.data)[0], len(group.mnemonics), max_image_gib)
    try:
        image = np.column_stack([np.asarray(las.curves[m].data, np.float64) for m in group.mnemonics])
        depth = np.asarray(las.index, np.float64)
    except (TypeError, ValueError):
        raise WellFileError(f"{path}: the depth or image curves hold values that are not numbers") from None
    null = _header_value(las, ("NULL",))
    null = None if null is None else null[0]
    # a blank index unit falls back to the unit of STRT/STOP/STEP, which describe the same axis
    start = _header_value(las, ("STRT", "STOP", "STEP"))
    depth_unit = str(las.curves[0].unit or (start[1] if start and start[1] else "m"))
    try:
        depth_m = depth * depth_unit_to_m(depth_unit)
    except GeoBFDTError as exc:
        raise WellFileError(f"{path}: {exc}") from None
    bit_size = _header_value(las, BIT_SIZE_MNEMONICS)
    curves = {
        "caliper_in": _curve_pairs(las, depth_m, CALIPER_CURVES, null, length_to_in)
        or _curve_pairs(las, depth_m, FALLBACK_CALIPER_CURVES, null, length_to_in),
        "bit_size_in": _curve_pairs(las, depth_m, BIT_SIZE_MNEMONICS, null, length_to_in)[:1]
        or ([(depth_m[:1], length_to_in([bit_size[0]], bit_size[1]))] if bit_size else []),
        "inclination_deg": _curve_pairs(las, depth_m, INCLINATION_CURVES, null)[:1],
        "hole_azimuth_deg": _curve_pairs(las, depth_m, HOLE_AZIMUTH_CURVES, null)[:1],
    }
    name = _header_text(las, "WELL") or path.stem
    provenance = {"file": str(path), "format": "LAS", "channel": group.name, "curves": group.mnemonics,
                  "image_unit": group.unit, "image_channels": [g.name for g in groups]}
    return assemble_well(name=name, depth=depth, depth_unit=depth_unit, image=image, provenance=provenance,
                         curves=curves, bit_size_in=bit_size_in, resistivity="ohm" in group.unit.lower(),
                         extra_null=null, max_image_gib=max_image_gib, ram_image_gib=ram_image_gib)
