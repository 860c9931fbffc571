"""SegNet (Badrinarayanan, Kendall & Cipolla, 2017), written from delta-onera/segnet_pytorch's public source
(commit 0e91c5fca380b84c90ec90e66f1a1847545b535f, segnet.py ``SegNet``) with the same module names (``conv11``,
``bn11``, ..., ``conv11d``): five encoder stages of 3x3 convolutions, batch norm and ReLU, each closed by
``F.max_pool2d(..., return_indices=True)``, and a decoder that puts the values back where the indices say with
``F.max_unpool2d`` before its convolutions. ``width`` scales every stage's channels (1: the original's 64 to
512) so that tests can run it small."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Each encoder stage's number of convolutions and its channels.
STAGES = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


class SegNet(nn.Module):
    def __init__(self, input_nbr: int, label_nbr: int, width: float = 1.0) -> None:
        super().__init__()
        widths = [max(1, int(channels * width)) for _convs, channels in STAGES]
        incoming = input_nbr
        for stage, (convs, _channels) in enumerate(STAGES, 1):
            for number in range(1, convs + 1):
                self._add(f"{stage}{number}", incoming, widths[stage - 1])
                incoming = widths[stage - 1]
        for stage in range(len(STAGES), 0, -1):  # the decoder: each stage's convolutions in reverse
            convs = STAGES[stage - 1][0]
            for number in range(convs, 0, -1):
                last = number == 1
                out = (widths[stage - 2] if stage > 1 else label_nbr) if last else widths[stage - 1]
                self._add(f"{stage}{number}d", widths[stage - 1], out, norm=not (stage == 1 and last))

    def _add(self, suffix: str, incoming: int, out: int, norm: bool = True) -> None:
        setattr(self, f"conv{suffix}", nn.Conv2d(incoming, out, kernel_size=3, padding=1))
        if norm:
            setattr(self, f"bn{suffix}", nn.BatchNorm2d(out, momentum=0.1))

    def _block(self, suffix: str, x: torch.Tensor) -> torch.Tensor:
        return F.relu(getattr(self, f"bn{suffix}")(getattr(self, f"conv{suffix}")(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        indices = []
        for stage, (convs, _channels) in enumerate(STAGES, 1):
            for number in range(1, convs + 1):
                x = self._block(f"{stage}{number}", x)
            x, found = F.max_pool2d(x, kernel_size=2, stride=2, return_indices=True)
            indices.append(found)
        for stage in range(len(STAGES), 0, -1):
            x = F.max_unpool2d(x, indices[stage - 1], kernel_size=2, stride=2)
            for number in range(STAGES[stage - 1][0], 0, -1):
                x = self.conv11d(x) if (stage, number) == (1, 1) else self._block(f"{stage}{number}d", x)
        return x
