"""A 3-D U-Net, written from its public description: Çiçek, Abdulkadir, Lienkamp, Brox and Ronneberger, "3D
U-Net: Learning Dense Volumetric Segmentation from Sparse Annotation", MICCAI 2016 (arXiv:1606.06650),
section 2 and figure 2: an analysis path of four resolution levels, each two 3x3x3 convolutions followed by
batch normalisation and ReLU, the second doubling the channels (32 -> 64, 64 -> 128, 128 -> 256, 256 -> 512),
levels joined by 2x2x2 max pooling with stride 2; a synthesis path in which each level starts with a 2x2x2
up-convolution of stride 2, concatenates the analysis path's features of the same resolution and applies two
3x3x3 convolutions with batch norm and ReLU; a last 1x1x1 convolution to the labels (3 in the paper).

As in wolny/pytorch-3dunet (pytorch3dunet/unet3d/model.py ``UNet3D``, buildingblocks.py ``DoubleConv``), the
convolutions are padded (padding 1), so that the skip connections need no cropping and any input whose sizes
are multiples of 8 works; the paper's unpadded convolutions would crop each skip. The module names follow the
paper's two paths (``encoders.0.conv1``, ``decoders.2.up``), so the state_dict keys are those names.
"""

from __future__ import annotations

import torch
from torch import nn


class DoubleConv(nn.Module):
    """Two 3x3x3 convolutions, each followed by batch normalisation and ReLU."""

    def __init__(self, in_channels: int, middle: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(in_channels, middle, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(middle)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv3d(middle, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(out_channels)
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu2(self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x))))))


class Decoder(nn.Module):
    """A 2x2x2 up-convolution of stride 2, the skip concatenated, then two convolutions."""

    def __init__(self, in_channels: int, skip_channels: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose3d(in_channels, in_channels, 2, stride=2)
        self.block = DoubleConv(in_channels + skip_channels, skip_channels, skip_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.block(torch.cat([skip, self.up(x)], dim=1))


class UNet3D(nn.Module):
    """The paper's network: ``base`` channels (32) at the first level, doubling down four levels."""

    def __init__(self, in_channels: int = 3, labels: int = 3, base: int = 32) -> None:
        super().__init__()
        widths = [(in_channels, base, 2 * base), (2 * base, 2 * base, 4 * base), (4 * base, 4 * base, 8 * base),
                  (8 * base, 8 * base, 16 * base)]
        self.encoders = nn.ModuleList(DoubleConv(*width) for width in widths)
        self.pool = nn.MaxPool3d(2, stride=2)
        self.decoders = nn.ModuleList(Decoder(16 * base >> level, 8 * base >> level) for level in range(3))
        self.final = nn.Conv3d(2 * base, labels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level, encoder in enumerate(self.encoders):
            x = encoder(x if level == 0 else self.pool(x))
            skips.append(x)
        for decoder, skip in zip(self.decoders, reversed(skips[:-1])):
            x = decoder(x, skip)
        return self.final(x)
