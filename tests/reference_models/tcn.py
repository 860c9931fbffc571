"""The temporal convolutional network of Bai, Kolter & Koltun (2018), written from locuslab/TCN's public source
(commit 8845f88f31def1e7ffccb8811ea966e9f58d9695, TCN/tcn.py: ``Chomp1d``, ``TemporalBlock``,
``TemporalConvNet``) with the same module names: causal dilated Conv1d layers under the legacy
``torch.nn.utils.weight_norm``, each padded on both sides and chomped back to its input's length by slicing,
every block registering its layers twice (as ``conv1`` and inside ``net``), with a residual shortcut."""

from __future__ import annotations

import warnings

import torch
from torch import nn

with warnings.catch_warnings():  # the original applies the legacy hook, deprecated since torch 2.1
    warnings.simplefilter("ignore", FutureWarning)
    from torch.nn.utils import weight_norm


class Chomp1d(nn.Module):
    """Drops the last ``chomp_size`` steps: what the padding added after the sequence."""

    def __init__(self, chomp_size: int) -> None:
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :-self.chomp_size].contiguous()


def _weight_normed(*args, **kwargs) -> nn.Conv1d:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return weight_norm(nn.Conv1d(*args, **kwargs))


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs: int, n_outputs: int, kernel_size: int, stride: int, dilation: int, padding: int,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.conv1 = _weight_normed(n_inputs, n_outputs, kernel_size, stride=stride, padding=padding,
                                    dilation=dilation)
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout)
        self.conv2 = _weight_normed(n_outputs, n_outputs, kernel_size, stride=stride, padding=padding,
                                    dilation=dilation)
        self.chomp2 = Chomp1d(padding)
        self.relu2 = nn.ReLU()
        self.dropout2 = nn.Dropout(dropout)
        self.net = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.dropout1,
                                 self.conv2, self.chomp2, self.relu2, self.dropout2)
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TemporalConvNet(nn.Module):
    def __init__(self, num_inputs: int, num_channels: list[int], kernel_size: int = 2, dropout: float = 0.2) -> None:
        super().__init__()
        blocks = []
        for level, out_channels in enumerate(num_channels):
            dilation = 2 ** level
            in_channels = num_inputs if level == 0 else num_channels[level - 1]
            blocks.append(TemporalBlock(in_channels, out_channels, kernel_size, stride=1, dilation=dilation,
                                        padding=(kernel_size - 1) * dilation, dropout=dropout))
        self.network = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)
