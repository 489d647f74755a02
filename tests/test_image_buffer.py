"""Images above the in-memory budget: decoded block by block into a temporary file, picked chunk by
chunk with the same picks as in memory, nothing left on disk, refusals in one line."""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from conftest import save_tiny_model
from geobfdt.cli import main
from geobfdt.errors import GeoBFDTError
from geobfdt.io import image_buffer, read_well, write_dlis, write_npz
from geobfdt.io.image_buffer import is_disk_backed, new_image, rows_in_memory
from geobfdt.io.picks import read_picks
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.synth import synthesize_well

TINY_GIB = 1e-6  # 1 KiB: every test image spills


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("spill")
    well, _ = synthesize_well(3, length_m=30.0, tool="lwd", name="S")
    write_npz(well, root / "S.npz")
    write_dlis(well, root / "S.dlis", decreasing=True, extra_curves={"GR": np.arange(well.depth_m.size, dtype=float)})
    save_tiny_model(root / "tiny.safetensors")
    return root


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(image_buffer, "BLOCK_BYTES", 8 * 16 * 37)  # 37-row blocks of a 16-column image


@pytest.mark.parametrize("name", ["S.npz", "S.dlis"])
def test_spilled_image_is_the_in_memory_image(files, small_blocks, name):
    in_memory, on_disk = read_well(files / name), read_well(files / name, ram_image_gib=TINY_GIB)
    assert not is_disk_backed(in_memory.image) and is_disk_backed(on_disk.image)
    for key in ("image", "depth_m", "azimuth_deg", "radius_m"):
        assert np.array_equal(getattr(in_memory, key), getattr(on_disk, key), equal_nan=True), key
    assert in_memory.provenance == on_disk.provenance


@pytest.mark.parametrize("name", ["S.npz", "S.dlis"])
def test_spilled_well_gives_bit_identical_picks(files, name):
    from geobfdt.model.checkpoint import load_model

    model, header = load_model(files / "tiny.safetensors")
    cfg = header.config
    picks = [pick_well_detr(read_well(files / name, ram_image_gib=gib), model, cfg, 0.0, progress=False)
             for gib in (None, TINY_GIB)]
    assert picks[0] and [vars(p) for p in picks[0]] == [vars(p) for p in picks[1]]


@pytest.mark.parametrize("name", ["S.npz", "S.dlis"])
def test_predict_cli_with_a_spilled_image(files, name):
    outputs = []
    for options in ([], ["--ram-image-gib", str(TINY_GIB)]):
        out = files / f"out_{name}_{len(options)}"
        assert main(["predict", str(files / name), "--model", str(files / "tiny.safetensors"), "--out", str(out),
                     "--threshold", "0", *options]) == 0
        outputs.append(out / "S_picks.csv")
    assert outputs[0].read_bytes() == outputs[1].read_bytes() and read_picks(outputs[1])


def test_nothing_is_left_in_the_temp_folder(files, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    well = read_well(files / "S.npz", ram_image_gib=TINY_GIB)
    assert is_disk_backed(well.image) and os.listdir(tmp_path) == []  # the file never has a name


def test_rows_in_memory_copies_and_releases(tmp_path):
    image = new_image("x", 4096, 256, ram_image_gib=TINY_GIB)
    image[:] = np.arange(4096, dtype=np.float32)[:, None]
    rows = rows_in_memory(image, 1000, 3000)
    assert not is_disk_backed(rows) and rows.shape == (2000, 256) and rows[0, 0] == 1000
    assert image[2999, 0] == 2999  # released pages come back from the file
    assert rows_in_memory(rows, 0, 10).base is rows  # an in-memory image is only viewed


def test_not_enough_disk_is_one_line(files, monkeypatch):
    monkeypatch.setattr(image_buffer.shutil, "disk_usage", lambda _: type("Usage", (), {"free": 2**20})())
    with pytest.raises(GeoBFDTError, match="GiB free to hold it; point TMPDIR") as info:
        read_well(files / "S.npz", ram_image_gib=TINY_GIB)
    assert "\n" not in str(info.value)


def test_column_major_npz_above_the_budget(files, tmp_path):
    well = read_well(files / "S.npz")
    arrays = {"name": np.array("F"), "depth_m": well.depth_m, "azimuth_deg": well.azimuth_deg,
              "image": np.asfortranarray(well.image), "radius_m": well.radius_m}
    np.savez(tmp_path / "F.npz", **arrays)
    assert np.array_equal(read_well(tmp_path / "F.npz").image, well.image, equal_nan=True)
    with pytest.raises(GeoBFDTError, match="column-major"):
        read_well(tmp_path / "F.npz", ram_image_gib=TINY_GIB)


def test_damaged_stored_image_is_caught_while_streaming(files, tmp_path):
    well = read_well(files / "S.npz")
    np.savez(tmp_path / "bad.npz", name=np.array("B"), depth_m=well.depth_m, azimuth_deg=well.azimuth_deg,
             image=well.image, radius_m=well.radius_m)  # stored, not deflated: the image bytes are in the file
    data = bytearray((tmp_path / "bad.npz").read_bytes())
    data[data.find(well.image[100].tobytes()) + 3] ^= 0xFF  # one flipped byte: the CRC no longer matches
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    for gib in (None, TINY_GIB):
        with pytest.raises(GeoBFDTError, match="cannot read NPZ.*CRC"):
            read_well(tmp_path / "bad.npz", ram_image_gib=gib)


def test_bad_budget_is_refused(files):
    with pytest.raises(GeoBFDTError, match="--ram-image-gib must be a positive number"):
        read_well(files / "S.npz", ram_image_gib=0.0)
    assert main(["info", str(files / "S.npz"), "--ram-image-gib", "-1"]) == 2


# peak resident memory from VmHWM: a child's ru_maxrss starts at its parent's resident size (pytest's here)
RESIDENT_SCRIPT = """
import sys
import numpy as np
from geobfdt.io.image_buffer import fill_rows, rows_in_memory

def peak_kib():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])

rows, columns = 250_000, 360  # 343 MiB as float32
before = peak_kib()
image = fill_rows("t", lambda r: np.broadcast_to(r[:, None].astype(np.float64), (r.size, columns)),
                  np.arange(rows), columns, lambda block: block, ram_image_gib=float(sys.argv[1]))
total = sum(rows_in_memory(image, first, first + 10_000)[:, -1].sum(dtype=np.float64)
            for first in range(0, rows, 10_000))
assert total == rows * (rows - 1) / 2
print((peak_kib() - before) / 1024)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status and madvise: Linux")
def test_resident_memory_stays_below_the_image_when_it_is_on_disk():
    def rise_mib(ram_image_gib):
        run = subprocess.run([sys.executable, "-c", RESIDENT_SCRIPT, str(ram_image_gib)], capture_output=True,
                             text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        return float(run.stdout)

    assert rise_mib(0.01) < 343 / 3 < 343 * 0.9 < rise_mib(1.0)  # on disk: a block and a chunk, not the image


EVIDENCE_SCRIPT = """
import sys
import numpy as np
from geobfdt.io.image_buffer import fill_rows, is_disk_backed
from geobfdt.picking.blur import image_blur
from geobfdt.picking.evidence import pick_evidence
from geobfdt.well import Pick, Well

def peak_kib():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])

rows, columns = 250_000, 360  # 343 MiB as float32, 625 m at 2.5 mm
image = fill_rows("t", lambda r: 1.0 + np.sin(r[:, None] / 7.0 + np.arange(columns)[None, :] / 5.0) ** 2,
                  np.arange(rows), columns, lambda block: block, ram_image_gib=float(sys.argv[1]))
depth_m = 1000.0 + 0.0025 * np.arange(rows)
well = Well("D", depth_m, (np.arange(columns) + 0.5), image, np.full(rows, 0.1))
picks = [Pick(float(z), 30.0, 90.0, "bedding") for z in np.arange(1005.0, 1620.0, 5.0)]
before = peak_kib()
blur, evidence = image_blur(well), pick_evidence(well, picks)
assert np.isfinite(evidence).all() and all(np.isfinite(v) for v in blur.values())
print(is_disk_backed(well.image), (peak_kib() - before) / 1024)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status and madvise: Linux")
def test_the_blur_and_evidence_of_every_predict_read_an_image_on_disk_a_piece_at_a_time():
    """Every `predict` measures the well's blur and its picks' evidence (the quality-aware score): on a
    disk-backed image they must not map the whole image in."""
    run = subprocess.run([sys.executable, "-c", EVIDENCE_SCRIPT, "0.01"], capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    disk_backed, rise_mib = run.stdout.split()
    assert disk_backed == "True" and float(rise_mib) < 343 / 2  # a 50 m piece and its working copies, not the image
