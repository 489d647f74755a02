"""ResNet with BasicBlocks, trained from scratch, that knows azimuth wraps around.

Every convolution pads the azimuth axis (W) circularly and the depth axis (H) with zeros, so
rolling the image by a multiple of the total stride rolls every feature map exactly. Norm
layers are GroupNorm: CPU micro-batches are small and GroupNorm does not depend on them.

Block layouts (blocks per stage; + stem conv + classifier slot = the ResNet depth):
resnet10 [1,1,1,1], resnet14 [1,2,2,1], resnet18 [2,2,2,2], resnet34 [3,4,6,3].
Stage widths are backbone_width x (1, 2, 4, 8); outputs at strides 8, 16, 32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from geobfdt.errors import OptionError

LAYOUTS = {"resnet10": (1, 1, 1, 1), "resnet14": (1, 2, 2, 1), "resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}
NORM_GROUPS = 8


class WrapConv2d(nn.Conv2d):
    """Conv2d with circular padding along azimuth and zero padding along depth."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias=False):
        pad = kernel_size // 2
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=(pad, 0), bias=bias)
        self.wrap = pad

    def forward(self, x):
        if self.wrap:
            x = F.pad(x, (self.wrap, self.wrap, 0, 0), mode="circular")
        return super().forward(x)


def norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(NORM_GROUPS, channels), channels)


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = WrapConv2d(in_channels, out_channels, 3, stride)
        self.norm1 = norm(out_channels)
        self.conv2 = WrapConv2d(out_channels, out_channels, 3)
        self.norm2 = norm(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(WrapConv2d(in_channels, out_channels, 1, stride), norm(out_channels))

    def forward(self, x):
        y = F.relu(self.norm1(self.conv1(x)))
        return F.relu(self.norm2(self.conv2(y)) + self.shortcut(x))


class Backbone(nn.Module):
    def __init__(self, name: str, width: int, in_channels: int):
        super().__init__()
        if name not in LAYOUTS:
            raise OptionError(f"unknown backbone {name!r} (choose from {', '.join(LAYOUTS)})")
        self.layout = LAYOUTS[name]
        self.stem = nn.Sequential(WrapConv2d(in_channels, width, 7, stride=2), norm(width), nn.ReLU())
        widths = [width * 2 ** i for i in range(4)]
        stages, previous = [], width
        for i, (blocks, channels) in enumerate(zip(self.layout, widths)):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(*[BasicBlock(previous if b == 0 else channels, channels, stride if b == 0 else 1)
                                          for b in range(blocks)]))
            previous = channels
        self.stages = nn.ModuleList(stages)
        self.out_channels = tuple(widths[1:])  # strides 8, 16, 32

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(images)
        # max-pool to stride 4, wrapping in azimuth like the convolutions (-inf padding in depth)
        x = F.max_pool2d(F.pad(x, (1, 1, 0, 0), mode="circular"), 3, stride=2, padding=(1, 0))
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features[1:]


def build_backbone(name: str, width: int, in_channels: int) -> Backbone:
    return Backbone(name, width, in_channels)
