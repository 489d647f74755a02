"""Pick (dip) files in DLIS: written with dliswriter, read back with dlisio.

One frame DIPS indexed by DEPT (m), one row per pick: DIP / AZIM (apparent, image frame),
DIP_TRUE / AZIM_TRUE (-999.25 where unknown), TYPE (1 fracture, 2 bedding, as parameter
TYPE_CODES says) and SCORE (-999.25 where none). The origin carries the well name.
"""

from __future__ import annotations

import numpy as np

from geobfdt.errors import GeoBFDTError, PickFileError
from geobfdt.files import atomic_path, one_line, output_time
from geobfdt.io.dlis import OUTPUT_CHUNK_BYTES, _ascii, quiet_dliswriter
from geobfdt.well import PICK_TYPES, Pick

NULL = -999.25  # the null of DLIS / LAS exports (io.picks.NULL)

FRAME = "DIPS"
TYPE_CODES = {name: i + 1 for i, name in enumerate(PICK_TYPES)}


def _column(picks, name) -> np.ndarray:
    values = [getattr(p, name) for p in picks]
    return np.array([NULL if v is None else v for v in values], dtype=np.float64)


def write_picks_dlis(path, picks: list[Pick], well_name: str = "") -> None:
    from dliswriter import DLISFile

    if not picks:
        raise PickFileError("a DLIS dip file needs at least one pick")
    picks = sorted(picks, key=lambda p: p.depth_m)
    dlis_file = DLISFile()
    lf = dlis_file.add_logical_file()
    name = well_name or next((p.well for p in picks if p.well), "") or "WELL"
    lf.add_origin("ORIGIN", well_name=_ascii(name), product="geobfdt", file_set_number=1,
                  creation_time=output_time())  # SOURCE_DATE_EPOCH's, or now
    channels = [lf.add_channel("DEPT", data=_column(picks, "depth_m"), units="m"),
                lf.add_channel("DIP", data=_column(picks, "dip_deg"), units="deg"),
                lf.add_channel("AZIM", data=_column(picks, "azimuth_deg"), units="deg"),
                lf.add_channel("DIP_TRUE", data=_column(picks, "dip_true_deg"), units="deg"),
                lf.add_channel("AZIM_TRUE", data=_column(picks, "azimuth_true_deg"), units="deg"),
                lf.add_channel("TYPE", data=np.array([TYPE_CODES[p.type] for p in picks], dtype=np.int32)),
                lf.add_channel("SCORE", data=_column(picks, "score"))]
    lf.add_frame(FRAME, channels=channels, index_type="BOREHOLE-DEPTH")
    lf.add_parameter("TYPE_CODES", values=[", ".join(f"{code}={kind}" for kind, code in TYPE_CODES.items())])
    with atomic_path(path) as tmp, quiet_dliswriter():
        dlis_file.write(tmp, output_chunk_size=OUTPUT_CHUNK_BYTES)


def read_picks_dlis(path) -> list[Pick]:
    """Picks from a DLIS dip file written by write_picks_dlis (frame DIPS)."""
    from dlisio import dlis

    kinds = {code: kind for kind, code in TYPE_CODES.items()}
    try:
        with dlis.load(str(path)) as files:
            for lf in files:
                well = lf.origins[0].well_name if lf.origins else None
                for frame in lf.frames:
                    if frame.name == FRAME:
                        curves = frame.curves()
                        break
                else:
                    continue
                break
            else:
                raise PickFileError(f"{path}: no {FRAME} frame: not a GeoBFDT dip file")
    except GeoBFDTError:
        raise
    except Exception as exc:  # dlisio raises many types on damaged files
        raise PickFileError(f"{path}: cannot read DLIS dips ({one_line(exc)})") from None

    def value(name, i):
        v = float(curves[name][i])
        return None if abs(v - NULL) < 1e-6 else v

    try:
        return [Pick(depth_m=float(curves["DEPT"][i]), dip_deg=float(curves["DIP"][i]),
                     azimuth_deg=float(curves["AZIM"][i]), type=kinds[int(curves["TYPE"][i])],
                     score=value("SCORE", i), dip_true_deg=value("DIP_TRUE", i),
                     azimuth_true_deg=value("AZIM_TRUE", i), well=well)
                for i in range(len(curves))]
    except (KeyError, ValueError) as exc:
        raise PickFileError(f"{path}: bad DLIS dip row ({exc})") from None
