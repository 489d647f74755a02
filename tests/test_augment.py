import pytest
import torch
from hypothesis import given, settings, strategies as st

from geobfdt.preprocess.augment import (GAP_VALUE, AugmentConfig, augment_batch, expand_offline, flip_vertical,
                             mirror_azimuth, pad_pattern, redraw_pads, roll_azimuth)
from geobfdt.errors import GeoBFDTError

ROWS, COLUMNS = 64, 40
LINE_SIGMA_ROWS = 0.6
OFF = AugmentConfig(photometric=False, geometric=False)
ONLY_GEOMETRIC = AugmentConfig(photometric=False, geometric=True, pads_p=0.0)
PHOTOMETRIC_OPS = {
    "jitter": dict(jitter_p=1.0), "blur": dict(blur_p=1.0), "sharpen": dict(sharpen_p=1.0),
    "noise": dict(noise_p=1.0), "emboss": dict(emboss_p=1.0), "median": dict(median_p=1.0),
}


def only_photometric(**probabilities) -> AugmentConfig:
    zero = dict(jitter_p=0.0, blur_p=0.0, sharpen_p=0.0, noise_p=0.0, emboss_p=0.0, median_p=0.0)
    return AugmentConfig(photometric=True, geometric=False, **(zero | probabilities))


def trace_rows(target: torch.Tensor, columns: int, rows: int) -> torch.Tensor:
    """r(phi) at each column centre, in float64, for one (4,) target."""
    depth_frac, amplitude_frac, azimuth_deg = (float(v) for v in target[:3])
    phi = (torch.arange(columns, dtype=torch.float64) + 0.5) * 360.0 / columns
    return rows * (depth_frac + amplitude_frac * torch.cos(torch.deg2rad(phi - azimuth_deg)))


def render(targets: list[torch.Tensor], rows=ROWS, columns=COLUMNS) -> torch.Tensor:
    """A thin bright line along each target's trace on a black, fully valid image."""
    images = torch.zeros(len(targets), 2, rows, columns)
    images[:, 1] = 1.0
    row = torch.arange(rows, dtype=torch.float64)[:, None]
    for b, sample in enumerate(targets):
        for target in sample:
            line = torch.exp(-0.5 * ((row - trace_rows(target, columns, rows)) / LINE_SIGMA_ROWS) ** 2)
            images[b, 0] = torch.maximum(images[b, 0], line.float())
    return images


def assert_label_on_feature(images: torch.Tensor, targets: list[torch.Tensor]):
    for image, sample in zip(images, targets):
        (target,) = sample
        expected = trace_rows(target, image.shape[2], image.shape[1])
        inside = (expected >= 0) & (expected <= image.shape[1] - 1)
        brightest = image[0].argmax(dim=0).double()
        # nearest row to the trace: half a row; a half-pixel convention slip moves it by a whole row
        assert torch.all((brightest - expected).abs()[inside] <= 0.5 + 1e-3)
        torch.testing.assert_close(image, render([sample], image.shape[1], image.shape[2])[0], atol=2e-3, rtol=0)


sinusoid = st.tuples(st.floats(0.0, 0.999), st.floats(0.0, 0.4), st.floats(0.0, 359.99),
                     st.sampled_from([0.0, 1.0]))


def batch_of(target, batch):
    return [torch.tensor([target], dtype=torch.float32) for _ in range(batch)]


@settings(max_examples=40, deadline=None)
@given(target=sinusoid, shift=st.integers(-2 * COLUMNS, 2 * COLUMNS))
def test_roll_moves_label_with_feature(target, shift):
    targets = batch_of(target, 1)
    images, moved = roll_azimuth(render(targets), targets, torch.tensor([shift]))
    assert 0.0 <= float(moved[0][0, 2]) < 360.0
    assert_label_on_feature(images, moved)


@pytest.mark.parametrize("transform", [mirror_azimuth, flip_vertical])
@settings(max_examples=40, deadline=None)
@given(target=sinusoid)
def test_mirror_and_vertical_flip_move_label_with_feature(transform, target):
    targets = batch_of(target, 2)
    images, moved = transform(render(targets), targets, torch.tensor([True, False]))
    assert_label_on_feature(images, moved)
    assert torch.equal(moved[1], targets[1])  # the unflipped patch is untouched
    assert float(moved[0][0, 0]) > -1.0 / ROWS  # the centre line stays (within half a row) inside


@settings(max_examples=25, deadline=None)
@given(target=sinusoid, seed=st.integers(0, 2**31))
def test_random_composition_moves_label_with_feature(target, seed):
    targets = batch_of(target, 8)
    generator = torch.Generator().manual_seed(seed)
    images, moved = augment_batch(render(targets), targets, ONLY_GEOMETRIC, generator)
    assert_label_on_feature(images, moved)


def test_composition_preserves_class_amplitude_and_counts():
    targets = [torch.tensor([[0.2, 0.1, 10.0, 0.0], [0.7, 0.3, 200.0, 1.0]]), torch.zeros(0, 4),
               torch.tensor([[0.5, 0.0, 90.0, 1.0]])]
    images = torch.rand(3, 2, ROWS, COLUMNS)
    _, moved = augment_batch(images, targets, AugmentConfig(), torch.Generator().manual_seed(3))
    assert [t.shape for t in moved] == [t.shape for t in targets]
    for before, after in zip(targets, moved):
        assert torch.equal(before[:, [1, 3]], after[:, [1, 3]])


def test_both_switches_off_is_identity():
    images = torch.rand(4, 2, ROWS, COLUMNS)
    targets = [torch.rand(k, 4) for k in (0, 1, 3, 2)]
    out, out_targets = augment_batch(images, targets, OFF, torch.Generator().manual_seed(0))
    assert torch.equal(out, images)
    assert all(torch.equal(a, b) for a, b in zip(out_targets, targets))


def gappy_batch(seed: int, batch: int = 6) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(batch, 2, ROWS, COLUMNS, generator=generator)
    images[:, 1] = (images[:, 1] > 0.25).float()
    images[:, 0] = torch.where(images[:, 1] > 0, images[:, 0], GAP_VALUE)
    return images


@pytest.mark.parametrize("name", PHOTOMETRIC_OPS)
def test_photometric_op_keeps_labels_mask_range_and_is_seeded(name):
    config = only_photometric(**PHOTOMETRIC_OPS[name])
    images = gappy_batch(1)
    targets = [torch.tensor([[0.3, 0.1, 45.0, 0.0]])] * images.shape[0]
    original = images.clone()
    out, out_targets = augment_batch(images, targets, config, torch.Generator().manual_seed(7))
    again, _ = augment_batch(images, targets, config, torch.Generator().manual_seed(7))
    assert torch.equal(images, original)  # inputs untouched
    assert all(torch.equal(a, b) for a, b in zip(out_targets, targets))
    assert torch.equal(out[:, 1], images[:, 1])
    assert torch.all(out[:, 0][images[:, 1] == 0] == GAP_VALUE)
    assert out[:, 0].min() >= 0.0 and out[:, 0].max() <= 1.0
    assert torch.equal(out, again)
    assert (out[:, 0] - images[:, 0]).abs().max() > 1e-3  # the op did something


def test_photometric_chain_depends_on_seed():
    images = gappy_batch(2)
    targets = [torch.zeros(0, 4)] * images.shape[0]
    config = AugmentConfig(geometric=False)
    first, _ = augment_batch(images, targets, config, torch.Generator().manual_seed(1))
    second, _ = augment_batch(images, targets, config, torch.Generator().manual_seed(2))
    assert not torch.equal(first, second)


@pytest.mark.parametrize("name", ["blur", "sharpen", "emboss", "median"])
def test_filters_do_not_bleed_gaps_into_valid_pixels(name):
    images = gappy_batch(3)
    images[:, 0] = torch.where(images[:, 1] > 0, 0.3, GAP_VALUE)
    out, _ = augment_batch(images, [torch.zeros(0, 4)] * images.shape[0], only_photometric(**PHOTOMETRIC_OPS[name]),
                           torch.Generator().manual_seed(0))
    torch.testing.assert_close(out[:, 0][images[:, 1] > 0], torch.full_like(out[:, 0][images[:, 1] > 0], 0.3))


def test_blur_wraps_around_in_azimuth():
    images = torch.zeros(1, 2, ROWS, COLUMNS)
    images[:, 1] = 1.0
    images[:, 0, :, 0] = 1.0
    out, _ = augment_batch(images, [torch.zeros(0, 4)], only_photometric(blur_p=1.0), torch.Generator().manual_seed(0))
    assert out[0, 0, :, 1].min() > 0.05
    torch.testing.assert_close(out[0, 0, :, COLUMNS - 1], out[0, 0, :, 1])


@settings(max_examples=30, deadline=None)
@given(n_pads=st.integers(1, 8), coverage=st.floats(0.2, 1.0), rotation=st.floats(0.0, 360.0))
def test_pad_pattern_covers_requested_share(n_pads, coverage, rotation):
    valid = pad_pattern(ROWS, 128, torch.tensor([n_pads]), torch.tensor([coverage]), torch.tensor([rotation]),
                        torch.tensor([0.0]))
    share = valid.float().mean(dim=2)
    assert torch.all((share - coverage).abs() <= n_pads / 128 + 1e-6)
    assert torch.all(valid == valid[:, :1])  # no spin: the same columns on every row


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_redrawn_gaps_carry_no_information(seed):
    images = gappy_batch(seed)
    config = AugmentConfig(photometric=False, roll_p=0.0, mirror_p=0.0, vflip_p=0.0, pads_p=1.0)
    out, _ = augment_batch(images, [torch.zeros(0, 4)] * images.shape[0], config, torch.Generator().manual_seed(seed))
    assert torch.all(out[:, 1] <= images[:, 1])  # gaps only grow: unmeasured pixels never turn valid
    assert torch.all(out[:, 0][out[:, 1] == 0] == GAP_VALUE)
    assert torch.equal(out[:, 0][out[:, 1] > 0], images[:, 0][out[:, 1] > 0])
    assert out[:, 1].mean() < 0.97 * images[:, 1].mean()


def test_redraw_pads_with_spin_tilts_the_gaps():
    valid = pad_pattern(ROWS, COLUMNS, torch.tensor([4]), torch.tensor([0.7]), torch.tensor([0.0]),
                        torch.tensor([45.0]))  # half a pad period
    images = redraw_pads(torch.ones(1, 2, ROWS, COLUMNS), valid)
    assert not torch.equal(images[0, 1, 0], images[0, 1, -1])
    assert torch.all(images[0, 0][images[0, 1] == 0] == GAP_VALUE)


def test_expand_offline_counts_and_determinism():
    images = gappy_batch(4, batch=5)
    targets = [torch.tensor([[0.5, 0.1, 30.0, 0.0]]), torch.zeros(0, 4), torch.tensor([[0.2, 0.2, 300.0, 1.0]] * 2),
               torch.zeros(0, 4), torch.zeros(0, 4)]
    out, out_targets = expand_offline(images, targets, copies=3, config=OFF, seed=5)
    again, _ = expand_offline(images, targets, copies=3, config=OFF, seed=5)
    assert out.shape[0] == len(out_targets) == 5 + 2 * 3
    assert torch.equal(out[:5], images)
    assert sum(t.shape[0] for t in out_targets) == 3 + 3 * 3
    assert all(t.shape[0] > 0 for t in out_targets[5:])
    assert torch.equal(out, again)
    assert not torch.equal(out[5], out[7])  # photometric variants even when the config had it off


def test_offline_expansion_of_a_patchset_keeps_each_variant_with_its_source():
    import numpy as np

    from geobfdt.config import DataConfig
    from geobfdt.patches.dataset import expand_offline_patchset
    from geobfdt.patches.extract import PatchSet

    targets = [np.array([[0.5, 0.1, 30.0, 0.0]], np.float32), np.zeros((0, 4), np.float32),
               np.array([[0.2, 0.2, 300.0, 1.0]], np.float32)]
    patches = PatchSet(images=gappy_batch(4, batch=3).numpy(), top_m=np.array([100.0, 102.0, 104.0]),
                       radius_m=np.array([0.1, 0.11, 0.12]), well=["A", "A", "B"], targets=targets)
    out = expand_offline_patchset(patches, DataConfig(offline_copies=2, geometric=False), seed=0)
    assert len(out) == len(out.targets) == len(out.well) == 3 + 2 * 2
    assert out.top_m.tolist() == [100.0, 102.0, 104.0, 100.0, 104.0, 100.0, 104.0]
    assert out.well == ["A", "A", "B", "A", "B", "A", "B"]
    for k, source in enumerate([0, 1, 2, 0, 2, 0, 2]):  # photometric variants: labels unchanged
        assert np.array_equal(out.targets[k], targets[source])
        assert out.radius_m[k] == patches.radius_m[source]


def test_config_rejects_bad_values():
    with pytest.raises(GeoBFDTError):
        AugmentConfig(blur_p=1.5)
    with pytest.raises(GeoBFDTError):
        AugmentConfig(contrast_range=(1.3, 0.7))
    with pytest.raises(GeoBFDTError):
        expand_offline(torch.zeros(1, 2, 4, 4), [torch.zeros(0, 4)], -1, OFF, 0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_median_matches_sorting_the_nine_neighbours(seed):
    images = torch.rand(2, 2, 12, 10, generator=torch.Generator().manual_seed(seed))
    images[:, 1] = 1.0
    out, _ = augment_batch(images, [torch.zeros(0, 4)] * 2, only_photometric(median_p=1.0),
                           torch.Generator().manual_seed(0))
    wrapped = torch.cat([images[:, 0, :, -1:], images[:, 0], images[:, 0, :, :1]], dim=2)  # azimuth wraps
    padded = torch.cat([wrapped[:, :1], wrapped, wrapped[:, -1:]], dim=1)  # depth edge repeats
    neighbours = padded.unfold(1, 3, 1).unfold(2, 3, 1).reshape(2, 12, 10, 9)
    torch.testing.assert_close(out[:, 0], neighbours.sort(dim=-1).values[..., 4])
