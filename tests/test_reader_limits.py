"""Hostile well and pick files: each known case is a one-line GeoBFDTError naming the file,
and what a file asks for (rows, image size, uncompressed bytes) is checked before allocating."""

import zipfile

import lasio
import numpy as np
import pytest

from geobfdt.errors import GeoBFDTError
from geobfdt.io import read_well, write_dlis, write_npz
from geobfdt.io.common import column_azimuths_deg
from geobfdt.io.picks import read_picks
from geobfdt.well import Well


def small_well(rows=64, width=16, top_m=1000.0, step_m=0.01, name="W-1"):
    rng = np.random.default_rng(0)
    return Well(name, top_m + np.arange(rows) * step_m, column_azimuths_deg(width),
                rng.uniform(1, 10, (rows, width)).astype(np.float32), 0.1, radius_source="caliper")


def npz_arrays(well):
    return {"name": np.array(well.name), "depth_m": well.depth_m, "azimuth_deg": well.azimuth_deg,
            "image": well.image, "radius_m": well.radius_m}


def refused(path, match, **options):
    with pytest.raises(GeoBFDTError, match=match) as info:
        read_well(path, **options)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("change, message", [
    (lambda a: {"depth_m": a["depth_m"][:, None]}, "depth_m must be a 1-D array"),
    (lambda a: {"provenance": np.array("[1, 2]")}, "must be a JSON object, found list"),
    (lambda a: {"provenance": np.array("null")}, "must be a JSON object, found NoneType"),
    (lambda a: {"provenance": np.array("[" * 100_000 + "]" * 100_000)}, "not valid JSON"),
    (lambda a: {"name": np.array([["a", "b"]])}, "name must be one string"),
    (lambda a: {"azimuth_deg": a["azimuth_deg"][:3]}, "does not match"),
])
def test_malformed_npz_fields(tmp_path, change, message):
    arrays = npz_arrays(small_well())
    np.savez(tmp_path / "w.npz", **{**arrays, **change(arrays)})
    refused(tmp_path / "w.npz", message)


def test_zip_bomb_refused_from_the_zip_directory(tmp_path):
    # 8 GiB of zeros would compress to a few MB; a 64 MiB one shows the check against a lowered limit
    arrays = npz_arrays(small_well())
    arrays["image"] = np.zeros((4096, 4096), np.float32)
    arrays["depth_m"], arrays["radius_m"] = np.arange(4096.0), np.full(4096, 0.1)
    arrays["azimuth_deg"] = column_azimuths_deg(4096)
    np.savez_compressed(tmp_path / "bomb.npz", **arrays)
    assert (tmp_path / "bomb.npz").stat().st_size < 2**20
    refused(tmp_path / "bomb.npz", r"uncompressed, above the 0.01 GiB limit", max_image_gib=0.01)


def test_npy_header_claiming_more_than_its_member_holds(tmp_path):
    arrays = npz_arrays(small_well())
    np.savez(tmp_path / "w.npz", **arrays)
    with zipfile.ZipFile(tmp_path / "w.npz") as src, zipfile.ZipFile(tmp_path / "lie.npz", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "image.npy":
                data = data.replace(b"(64, 16)", b"(64, 99)")  # same header length, more columns
            dst.writestr(info.filename, data)
    refused(tmp_path / "lie.npz", "declares")


def test_non_utf8_name_inside_the_zip(tmp_path):
    np.savez(tmp_path / "w.npz", **npz_arrays(small_well()))
    data = bytearray((tmp_path / "w.npz").read_bytes())
    # mark every name as UTF-8 (flag bit 11) and put an invalid byte in image.npy's names
    for offset in range(len(data) - 4):
        if data[offset:offset + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            flag_at = offset + (6 if data[offset + 2] == 3 else 8)
            data[flag_at] |= 0x08
    data = data.replace(b"image.npy", b"imag\xff.npy")
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    refused(tmp_path / "bad.npz", "cannot read NPZ|not a DLIS|without the arrays")


def test_image_above_the_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    well = small_well(rows=400, width=64)
    write_dlis(well, tmp_path / "w.dlis")
    write_npz(well, tmp_path / "w.npz")
    for path in (tmp_path / "w.dlis", tmp_path / "w.npz"):
        refused(path, "above the 1e-05 GiB limit; raise it with --max-image-gib", max_image_gib=1e-5)
        monkeypatch.setenv("GEOBFDT_MAX_IMAGE_GIB", "1e-5")
        refused(path, "above the 1e-05 GiB limit")
        assert read_well(path, max_image_gib=1.0).image.shape == (400, 64)  # the option outranks the environment
        monkeypatch.delenv("GEOBFDT_MAX_IMAGE_GIB")
    monkeypatch.setenv("GEOBFDT_MAX_IMAGE_GIB", "lots")
    with pytest.raises(GeoBFDTError, match="GEOBFDT_MAX_IMAGE_GIB='lots'"):
        read_well(tmp_path / "w.npz")


def test_depth_span_implying_too_many_rows(tmp_path):
    well = small_well()
    depth = well.depth_m.copy()
    depth[-1] = 1e9  # one stray row a million km down: a regular grid would need 10^11 rows
    write_npz(Well(well.name, depth, well.azimuth_deg, well.image, 0.1), tmp_path / "w.npz")
    refused(tmp_path / "w.npz", "resampled to its 0.01 m step")


def test_las_image_and_text_limits(tmp_path):
    las = lasio.LASFile()
    depth = 1000 + np.arange(200) * 0.1
    las.append_curve("DEPT", depth, unit="m")
    for k in range(1, 9):
        las.append_curve(f"IMG{k}", np.random.default_rng(k).uniform(1, 2, depth.size))
    las.write(str(tmp_path / "w.las"))
    assert read_well(tmp_path / "w.las", bit_size_in=8.5).image.shape == (200, 8)
    refused(tmp_path / "w.las", "MiB limit for a LAS file", max_image_gib=1e-6)


def test_foreign_picks_repeated_header_short_rows_and_repeated_columns(tmp_path):
    header = "DEPTH,AZIMUTH,AZIM_APP,CATEGORY,DIP,DIP_APP,QUALITY\n"
    units = "METRES,DEGREES,DEGREES,,DEGREES,DEGREES,\n"
    page = header + units + "1000,10,20,Fracture,30,40\n"
    (tmp_path / "g.csv").write_text(page + page.replace("1000,", "1001,") + "\n1002,10,20,Bedding,5,\n")
    picks = read_picks(tmp_path / "g.csv")
    assert [(p.depth_m, p.type) for p in picks] == [(1000, "fracture"), (1001, "fracture"), (1002, "bedding")]
    (tmp_path / "g.csv").write_text(page + page + "\n1002,10,20,Vug,5,6\n")
    with pytest.raises(GeoBFDTError, match=r"g.csv:8: bad geolog pick row"):  # the file's own line number
        read_picks(tmp_path / "g.csv")
    (tmp_path / "short.csv").write_text(header + units + "1000,10\n")
    with pytest.raises(GeoBFDTError, match=r"short.csv:3: bad geolog pick row"):
        read_picks(tmp_path / "short.csv")
    (tmp_path / "twice.csv").write_text(header.strip() + ",DEPTH\n" + units + "1000\n")
    with pytest.raises(GeoBFDTError, match="'DEPTH' appears twice"):
        read_picks(tmp_path / "twice.csv")


def test_csv_size_limit(tmp_path, monkeypatch):
    (tmp_path / "p.csv").write_text("depth_m,dip_deg,azimuth_deg,type\n" + "1000.0,10,20,fracture\n" * 60_000)
    monkeypatch.setenv("GEOBFDT_MAX_CSV_MIB", "1")
    with pytest.raises(GeoBFDTError, match="above the 1 MiB limit for a pick file; raise it with GEOBFDT_MAX_CSV_MIB"):
        read_picks(tmp_path / "p.csv")
    monkeypatch.setenv("GEOBFDT_MAX_CSV_MIB", "4")
    assert len(read_picks(tmp_path / "p.csv")) == 60_000
