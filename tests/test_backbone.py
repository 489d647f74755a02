import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from geobfdt.errors import GeoBFDTError
from geobfdt.model.backbone import LAYOUTS, BasicBlock, build_backbone
from geobfdt.model.position import ReferenceEmbedding, azimuth_harmonics, feature_position

torch.set_num_threads(1)


@pytest.mark.parametrize("name,blocks", [("resnet10", 4), ("resnet14", 6), ("resnet18", 8), ("resnet34", 16)])
def test_layouts_give_resnet_depths(name, blocks):
    backbone = build_backbone(name, 8, 2)
    assert sum(isinstance(m, BasicBlock) for m in backbone.modules()) == blocks
    assert 2 * blocks + 2 == int(name[len("resnet"):])  # stem conv + 2 convs per block + classifier slot
    assert backbone.layout == LAYOUTS[name]


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_strides_and_channels(name):
    backbone = build_backbone(name, 8, 2)
    features = backbone(torch.rand(2, 2, 64, 32))
    assert [tuple(f.shape) for f in features] == [(2, 16, 8, 4), (2, 32, 4, 2), (2, 64, 2, 1)]
    assert backbone.out_channels == (16, 32, 64)


def test_unknown_backbone_is_a_user_error():
    with pytest.raises(GeoBFDTError, match="resnet50"):
        build_backbone("resnet50", 8, 2)


@settings(max_examples=5, deadline=None)
@given(shift_blocks=st.integers(1, 3), seed=st.integers(0, 100))
def test_azimuth_roll_equivariance(shift_blocks, seed):
    torch.manual_seed(seed)
    backbone = build_backbone("resnet14", 8, 2).eval()
    images = torch.rand(1, 2, 64, 128)
    rolled = torch.roll(images, 32 * shift_blocks, dims=-1)
    with torch.no_grad():
        for plain, shifted, stride in zip(backbone(images), backbone(rolled), (8, 16, 32)):
            expected = torch.roll(plain, 32 * shift_blocks // stride, dims=-1)
            torch.testing.assert_close(shifted, expected, atol=1e-5, rtol=1e-4)


def test_left_and_right_edges_see_each_other():
    # a mark in the last column reaches the first column's stride-8 features only through the wrap
    torch.manual_seed(0)
    backbone = build_backbone("resnet10", 8, 2).eval()
    images = torch.full((1, 2, 64, 64), 0.5)
    marked = images.clone()
    marked[..., 30:34, -1] = 1.0
    with torch.no_grad():
        difference = (backbone(marked)[0] - backbone(images)[0]).abs().sum(dim=(0, 1, 2))
    assert difference[0] > 1e-3


@given(columns=st.integers(1, 64), d_half=st.sampled_from([4, 8, 16]))
def test_feature_position_is_periodic_in_azimuth(columns, d_half):
    code = feature_position(3, columns, 4 * d_half).view(3, columns, -1)
    azimuth = (torch.arange(columns) + 0.5) * (2 * math.pi / columns)
    torch.testing.assert_close(code[..., 2 * d_half:], azimuth_harmonics(azimuth + 2 * math.pi, 2 * d_half).expand(3, -1, -1),
                               atol=1e-4, rtol=0)
    assert not torch.allclose(code[0, :, :2 * d_half], code[2, :, :2 * d_half])  # depth is coded too


@given(azimuth=st.floats(0, 360), depth=st.floats(0, 1), amplitude=st.floats(0, 0.5))
def test_reference_embedding_wraps_azimuth(azimuth, depth, amplitude):
    embed = ReferenceEmbedding(32)
    a = embed(torch.tensor([[depth, amplitude, azimuth]]))
    b = embed(torch.tensor([[depth, amplitude, azimuth + 360.0]]))
    torch.testing.assert_close(a, b, atol=1e-4, rtol=0)
