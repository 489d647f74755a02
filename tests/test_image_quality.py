"""Log quality from the image (picking/quality.py): clipping and stuck pads are found, a clean image
(quantised or not) is left alone, a long well read in pieces counts as a whole, and predict, info,
inject-test and the API say so where the shipped model's scores and error bars never went."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import geobfdt
from conftest import save_tiny_model
from geobfdt.cli import main
from geobfdt.io import write_npz
from geobfdt.picking import quality
from geobfdt.picking.quality import STUCK_MIN_M, image_quality, off_home_ground
from geobfdt.synth import synthesize_well
from geobfdt.well import Well


def noisy_well(seed: int, rows: int = 2000, columns: int = 64, step_m: float = 0.005) -> Well:
    rng = np.random.default_rng(seed)
    image = 10.0 ** (1.0 + 0.1 * rng.standard_normal((rows, columns)))  # a resistivity image, log-normal
    return Well(name=f"N{seed}", depth_m=1000.0 + step_m * np.arange(rows), azimuth_deg=(np.arange(columns) + 0.5)
                * 360.0 / columns, image=image.astype(np.float32), radius_m=np.full(rows, 0.1))


def clipped(well: Well, share: float) -> Well:
    low, high = np.quantile(well.image, [share, 1.0 - share])
    well.image = np.clip(well.image, low, high)
    return well


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), share=st.floats(0.004, 0.05))
def test_clipping_at_both_ends_is_found_and_measured(seed, share):
    q = image_quality(clipped(noisy_well(seed), share))
    assert q.saturated_low_share == pytest.approx(share, abs=0.002)
    assert q.saturated_high_share == pytest.approx(share, abs=0.002)
    assert any("clipped" in r for r in off_home_ground(q))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), levels=st.integers(16, 256))
def test_a_clean_image_quantised_or_not_is_home_ground(seed, levels):
    well = noisy_well(seed)
    q = image_quality(well)
    assert q.saturated_low_share == q.saturated_high_share == 0.0 and q.stuck_share < 1e-3
    assert q.noise_sd == pytest.approx(0.1, rel=0.1)  # the log-normal's sd, in decades
    assert not off_home_ground(q)
    # an 8-bit style export: few levels, its extreme ones holding a few pixels each, no pile
    log = np.log10(well.image)
    edges = np.linspace(log.min(), log.max(), levels)
    well.image = (10.0 ** edges[np.digitize(log, edges) - 1]).astype(np.float32)
    assert not any("clipped" in r for r in off_home_ground(image_quality(well)))


@pytest.mark.parametrize("seed", [0, 1])
def test_a_stuck_sector_is_counted_and_a_short_flat_run_is_not(seed):
    well = noisy_well(seed)
    rows_per_m = 1.0 / well.depth_step_m
    long_run = int(0.4 * rows_per_m)  # 40 cm of one sector reading one value
    well.image[500:500 + long_run, 7] = well.image[500, 7]
    short = int(0.5 * STUCK_MIN_M * rows_per_m)  # shorter than a stuck pad
    well.image[1500:1500 + short, 20] = well.image[1500, 20]
    q = image_quality(well)
    assert q.stuck_share * well.image.size == pytest.approx(long_run - 1, abs=2)
    assert any("stuck" in r for r in off_home_ground(q)) == (q.stuck_share >= quality.STUCK_SHARE)


def test_gaps_are_neither_clipped_nor_stuck():
    well = noisy_well(3)
    well.image[:, :16] = np.nan  # pads cover part of the hole
    well.image[800:1200] = np.nan
    q = image_quality(well)
    assert q.saturated_low_share == q.saturated_high_share == 0.0 and q.stuck_share == 0.0
    assert not off_home_ground(q)


def test_a_well_read_in_blocks_counts_as_read_whole_and_a_long_one_as_its_blocks(monkeypatch):
    well = clipped(noisy_well(4, rows=3000), 0.01)
    well.image[1190:1260, 3] = well.image[1190, 3]  # a stuck run across a block's end
    whole = image_quality(well)
    monkeypatch.setattr(quality, "BLOCK_ROWS", 300)
    blocks = image_quality(well)
    assert blocks.saturated_low_share == whole.saturated_low_share
    assert blocks.saturated_high_share == whole.saturated_high_share
    assert blocks.stuck_share == whole.stuck_share
    assert blocks.noise_sd == pytest.approx(whole.noise_sd, rel=0.1)
    monkeypatch.setattr(quality, "MAX_BLOCKS", 4)  # 4 of the 10 blocks, spread along the well
    assert quality._block_starts(3000) == [0, 900, 1800, 2700]
    sampled = image_quality(well)
    assert sampled.saturated_low_share == pytest.approx(0.01, abs=0.002)
    assert sampled.saturated_high_share == pytest.approx(0.01, abs=0.002)


def test_the_synthetic_variants_the_fit_saw_are_home_ground_and_harsh_is_not():
    from geobfdt.synth import VARIANTS, SynthConfig

    for variant, flagged in (("default", False), ("real-texture", False), ("harsh", True)):
        config = SynthConfig.variant("vertical").replace(**VARIANTS[variant])
        well, _ = synthesize_well(11, length_m=8.0, config=config, tool="lwd", name="Q")
        assert bool(off_home_ground(image_quality(well))) == flagged, variant


def test_info_says_where_the_log_holds_no_data(tmp_path, capsys):
    """Stretches the tool did not record (rows under half the typical row's measured pixels, 1 m or more)
    are listed by depth; pad gaps, in every row of a pad tool, are not such a stretch; a short one is not."""
    well, _ = synthesize_well(5, length_m=12.0, tool="fmi", name="G")
    image = np.array(well.image)
    image[(well.depth_m >= well.depth_m[0] + 2.0) & (well.depth_m < well.depth_m[0] + 4.5)] = np.nan
    image[(well.depth_m >= well.depth_m[0] + 8.0) & (well.depth_m < well.depth_m[0] + 8.5), ::2] = np.nan  # 0.5 m
    gappy = Well(well.name, well.depth_m, well.azimuth_deg, image, well.radius_m, tool=well.tool)
    write_npz(gappy, tmp_path / "gappy.npz")
    write_npz(well, tmp_path / "whole.npz")
    assert main(["info", "--json", str(tmp_path / "gappy.npz"), str(tmp_path / "whole.npz")]) == 0
    gappy_info, whole_info = json.loads(capsys.readouterr().out)
    (top, bottom), = gappy_info["empty_stretches_m"]
    assert top == pytest.approx(well.depth_m[0] + 2.0, abs=0.01) and bottom == pytest.approx(well.depth_m[0] + 4.5, abs=0.01)
    assert whole_info["empty_stretches_m"] == []  # an FMI-like image's pad gaps are its typical row
    assert main(["info", str(tmp_path / "gappy.npz")]) == 0
    assert "no data over" in capsys.readouterr().out


@pytest.fixture(scope="module")
def wells(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    save_tiny_model(root / "tiny.safetensors")
    well, _ = synthesize_well(5, length_m=6.0, tool="lwd", name="W5")
    write_npz(well, root / "clean.npz")
    write_npz(clipped(well, 0.02), root / "clipped.npz")
    return root


def test_predict_info_inject_test_and_the_api_say_when_the_image_is_off_home_ground(wells, capsys):
    out = wells / "out"
    assert main(["predict", str(wells / "clipped.npz"), str(wells / "clean.npz"), "--model",
                 str(wells / "tiny.safetensors"), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "never saw" in line]
    assert len(warned) == 1 and "clipped.npz" in warned[0] and "4.0 % of its pixels clipped" in warned[0]
    assert (out / "clipped_picks.csv").is_file() and (out / "clean_picks.csv").is_file()  # picks still written

    assert main(["info", "--json", str(wells / "clipped.npz"), str(wells / "clean.npz")]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described[0]["image_quality"]["off_home_ground"] and not described[1]["image_quality"]["off_home_ground"]
    assert described[0]["image_quality"]["saturated_high_share"] == pytest.approx(0.02, abs=0.002)
    assert described[1]["image_quality"]["sector_image"] is True  # an LWD image
    assert 0.0 < described[1]["image_quality"]["azimuthal_noise_share"] < 2.0
    assert main(["info", str(wells / "clean.npz")]) == 0
    assert "image kind     sectors, measured all around the hole (LWD)" in capsys.readouterr().out

    # threshold 1: the tiny model picks nothing, so every slot is free for an implant
    assert main(["inject-test", str(wells / "clipped.npz"), "--model", str(wells / "tiny.safetensors"),
                 "--threshold", "1", "--out", str(wells / "inject")]) == 0
    assert "4.0 % of its pixels clipped" in capsys.readouterr().err
    report = json.loads((wells / "inject" / "clipped_injection.json").read_text())
    assert report["image_quality"]["off_home_ground"] and report["image_quality"]["saturated_low_share"] > 0.01

    model = geobfdt.load_model(wells / "tiny.safetensors")
    with pytest.warns(UserWarning, match="clipped at the ends of the tool's range"):
        model.pick(wells / "clipped.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.pick(wells / "clean.npz")  # no warning on a clean image


def _runs_reference(flat: np.ndarray, run_rows: int) -> np.ndarray:
    """Each column's runs of flat steps, walked one by one: those of run_rows or more kept."""
    out = np.zeros_like(flat)
    for j in range(flat.shape[1]):
        start = None
        for i, f in enumerate(list(flat[:, j]) + [False]):
            if f and start is None:
                start = i
            elif not f and start is not None:
                out[start:i, j] = i - start >= run_rows
                start = None
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), rows=st.integers(1, 60), columns=st.integers(1, 4), run_rows=st.integers(1, 8))
def test_flat_runs_are_those_a_walk_down_each_column_finds(seed, rows, columns, run_rows):
    rng = np.random.default_rng(seed)
    work = np.cumsum(rng.integers(0, 3, (rows, columns)) == 0, axis=0).astype(float)  # many flat steps
    work[rng.random((rows, columns)) < 0.05] = np.nan
    with np.errstate(invalid="ignore"):
        flat = np.abs(np.diff(work, axis=0)) <= 0.5
    assert (quality.stuck_steps(work, 0.5, run_rows) == _runs_reference(flat, run_rows)).all()


@pytest.mark.parametrize("tool, sector", [("fmi", False), ("slim", False), ("lwd", True)])
def test_a_sector_image_is_told_from_a_pad_tools(tool, sector):
    """is_sector_image: an LWD tool's image is measured all around the hole, a pad tool's has gaps in every
    row; null rows at the ends of a log (the tool not yet reading) and a short dead stretch do not change it."""
    well, _ = synthesize_well(4, length_m=6.0, tool=tool, name="S")
    assert quality.is_sector_image(well) is sector
    rows = well.image.shape[0]
    well.image[:rows // 3] = np.nan  # a third of the log before the tool read
    well.image[rows // 2:rows // 2 + 10, :3] = np.nan
    assert quality.is_sector_image(well) is sector


def test_an_image_without_data_is_no_sector_image():
    well = noisy_well(0, rows=50)
    well.image[:] = np.nan
    assert quality.is_sector_image(well) is False


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), gain=st.floats(1e-3, 1e3), offset=st.floats(-50.0, 50.0))
def test_the_azimuthal_noise_share_ignores_the_images_gain_offset_and_units(seed, gain, offset):
    """A resistivity image read in other units (a gain), or a linear image shifted and scaled, has the
    same share: the score map may weigh it on any well."""
    well = noisy_well(seed, rows=400)
    share = quality.azimuthal_noise_share(well)
    assert 0 < share < 2
    scaled = Well(**{**vars(well), "image": (well.image * gain).astype(np.float32)})
    assert quality.azimuthal_noise_share(scaled) == pytest.approx(share, rel=1e-3)
    linear = np.log10(well.image)
    shifted = [Well(**{**vars(well), "image": (a * linear + offset).astype(np.float32)}) for a in (1.0, gain, -gain)]
    assert [quality.azimuthal_noise_share(w) for w in shifted] == pytest.approx([share] * 3, rel=1e-2)


def test_sector_noise_raises_the_azimuthal_noise_share_and_a_change_of_formation_does_not():
    from geobfdt.synth import VARIANTS, SynthConfig

    shares = {}
    for variant in ("default", "real-texture"):
        config = SynthConfig.variant("vertical").replace(**VARIANTS[variant])
        well, _ = synthesize_well(11, length_m=24.0, config=config, tool="lwd", name="Q")
        shares[variant] = quality.azimuthal_noise_share(well)
    assert shares["real-texture"] > 2 * shares["default"]
    # the lower half of the log a decade more resistive: each 10 m stretch reads its own spread
    well.image[well.image.shape[0] // 2:] *= 10.0
    assert quality.azimuthal_noise_share(well) == pytest.approx(shares["real-texture"], rel=0.25)


def test_an_image_without_data_has_no_azimuthal_noise_share():
    well = noisy_well(0, rows=50)
    well.image[:] = np.nan
    assert np.isnan(quality.azimuthal_noise_share(well))


def test_a_pad_tools_image_reports_no_azimuthal_noise_share():
    """The score map reads the share on sector images only, so a pad tool's report leaves it out (null in JSON)."""
    well, _ = synthesize_well(4, length_m=6.0, tool="fmi", name="P")
    report = quality.quality_report(well)
    assert report["sector_image"] is False and report["azimuthal_noise_share"] is None
    json.dumps(report, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), rows=st.integers(2, 80), columns=st.integers(1, 20),
       specials=st.lists(st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e30]), max_size=30),
       step_m=st.sampled_from([0.0025, 0.1, 2.0]))
def test_the_azimuthal_noise_share_of_any_image_is_a_share_or_nan(seed, rows, columns, specials, step_m):
    """Pixels a file may hold (nulls, infinities, zeros, negatives, huge values) never raise: the share is
    NaN or a finite non-negative number, which the score map reads within its range."""
    rng = np.random.default_rng(seed)
    image = rng.lognormal(0.0, 1.0, (rows, columns)).astype(np.float32)
    flat = image.reshape(-1)
    flat[rng.integers(0, flat.size, len(specials))] = np.array(specials, dtype=np.float32)
    well = Well(name="F", depth_m=1000.0 + step_m * np.arange(rows), azimuth_deg=(np.arange(columns) + 0.5) * 360.0 / columns,
                image=image, radius_m=np.full(rows, 0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning escapes either
        share = quality.azimuthal_noise_share(well)
    assert np.isnan(share) or (np.isfinite(share) and share >= 0.0)
