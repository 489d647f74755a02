"""--investigation-depth-in: an image that reads into the wall (an LWD resistivity image) is picked at the
radius it images. The traces are the same, so the picks keep their depth, azimuth and trace amplitude and
only their dips change; the hole size and its source stay as read; a value no tool has is refused."""

import numpy as np
import pytest

import geobfdt
from geobfdt.cli import main
from geobfdt.io import write_npz
from geobfdt.io.common import INCH_M


@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    well, _ = geobfdt.synthetic_well(5, 12.0, tool="fmi")
    path = tmp_path_factory.mktemp("imaged") / "W.npz"
    write_npz(well, path)
    return path


def test_the_picks_keep_their_traces_at_the_radius_imaged(npz):
    hole, imaged = geobfdt.read_well(npz), geobfdt.read_well(npz, investigation_depth_in=1.0)
    np.testing.assert_allclose(imaged.radius_m - hole.radius_m, INCH_M)
    assert imaged.radius_source == hole.radius_source == "caliper"  # the hole is still measured
    assert imaged.provenance["investigation_depth_in"] == 1.0
    before, after = geobfdt.pick(hole), geobfdt.pick(imaged)
    assert len(before) == len(after) > 5
    np.testing.assert_allclose(after.depth_m, before.depth_m, atol=1e-6)
    np.testing.assert_allclose(after.azimuth_deg, before.azimuth_deg, atol=1e-3)

    def amplitude_m(picks, well):
        return np.interp(picks.depth_m, well.depth_m, well.radius_m) * np.tan(np.radians(picks.dip_deg))

    np.testing.assert_allclose(amplitude_m(after, imaged), amplitude_m(before, hole), rtol=0.01)
    assert (after.dip_deg[before.dip_deg > 5] < before.dip_deg[before.dip_deg > 5]).all()
    summary = geobfdt.describe(npz, investigation_depth_in=1.0)
    assert summary["investigation_depth_in"] == 1.0
    assert summary["hole_diameter_in"] == pytest.approx(2 * np.median(hole.radius_m) / INCH_M)


@pytest.mark.parametrize("value", ["-1", "30", "nan"])
def test_a_depth_no_tool_reads_is_refused_in_one_line(npz, capsys, value):
    assert main(["info", str(npz), "--investigation-depth-in", value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--investigation-depth-in must lie between 0 and 24 inches" in err
    with pytest.raises(geobfdt.OptionError):
        geobfdt.read_well(geobfdt.read_well(npz), investigation_depth_in=float(value))
