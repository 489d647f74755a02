"""Deviation survey CSVs: depth units, value checks, a survey that does not meet the well."""

import numpy as np
import pytest

from geobfdt.errors import GeoBFDTError
from geobfdt.io.survey import apply_survey, read_survey
from geobfdt.synth import synthesize_well

STATIONS_M = [(0.0, 0.0, 10.0), (1000.0, 20.0, 350.0), (3000.0, 40.0, 370.0)]


def _write(path, header, stations, scale=1.0):
    path.write_text(header + "\n" + "".join(f"{d * scale},{i},{a}\n" for d, i, a in stations))
    return path


@pytest.mark.parametrize("header, scale", [("DEPTH,DEVI,AZIM", 1.0), ("MD (m),INC,AZI", 1.0),
                                           ("DEPTH (ft),DEVI,AZIM", 1 / 0.3048), ("md[FT],incl,hazi", 1 / 0.3048),
                                           ("DEPTH_FT,DEVI,AZIM", 1 / 0.3048)])
def test_depth_is_read_in_metres_whatever_the_header_unit(tmp_path, header, scale):
    depth_m, inclination_deg, azimuth_deg = read_survey(_write(tmp_path / "s.csv", header, STATIONS_M, scale))
    assert depth_m == pytest.approx([d for d, _, _ in STATIONS_M])
    assert inclination_deg == pytest.approx([20.0 * k for k in range(3)])
    assert azimuth_deg == pytest.approx([10.0, 350.0, 10.0])  # 370 wrapped


@pytest.mark.parametrize("header, stations, message", [
    ("DEPTH (yd),DEVI,AZIM", STATIONS_M, "unknown depth unit"),
    ("DEPTH,DEVI,AZIM", [(0.0, 0.0, 0.0), (100.0, 200.0, 0.0)], "inclination must lie in 0-180"),
    ("DEPTH,DEVI,AZIM", [(0.0, 0.0, 0.0), (100.0, float("nan"), 0.0)], "finite"),
    ("DEPTH,TVD,AZIM", STATIONS_M, "one of the columns DEVI"),
])
def test_bad_surveys_are_refused_with_the_reason(tmp_path, header, stations, message):
    with pytest.raises(GeoBFDTError, match=message):
        read_survey(_write(tmp_path / "s.csv", header, stations))


def test_a_survey_that_misses_the_logged_interval_is_refused(tmp_path):
    well, _ = synthesize_well(3, length_m=5.0)
    top, bottom = well.depth_m[0], well.depth_m[-1]
    above = [(0.0, 0.0, 0.0), (top / 2, 5.0, 0.0)]
    with pytest.raises(GeoBFDTError, match="the survey covers"):
        apply_survey(well, _write(tmp_path / "above.csv", "DEPTH,DEVI,AZIM", above))
    across = [(0.0, 0.0, 0.0), (bottom + 100.0, 30.0, 90.0)]
    surveyed = apply_survey(well, _write(tmp_path / "across.csv", "DEPTH,DEVI,AZIM", across))
    assert np.allclose(surveyed.inclination_deg, 30.0 * well.depth_m / (bottom + 100.0))
