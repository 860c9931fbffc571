"""Discriminator: a PyTorch model exported by convdesigner."""

# Design: Discriminator
# The DCGAN discriminator of the PyTorch DCGAN tutorial: a 3x64x64 image down-sampled by strided
# convolutions (k=4, s=2, p=1 halves the size) to one probability; ndf=64, no biases, BatchNorm and
# LeakyReLU(0.2), Sigmoid at the end.
#
# Input 3×64×64, output 1×1×1, 2,765,568 parameters, 103,817,216 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

from collections import OrderedDict

import torch
from torch import nn


class Discriminator(nn.Sequential):
    """Input (N, 3, 64, 64) -> output (N, 1, 1, 1); 2,765,568 parameters."""

    def __init__(self) -> None:
        super().__init__(OrderedDict([
                                                                                             # layer    output     field                   params
            ("conv1", nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False)),     # conv1    64×32×32   4×4                      3,072
            ("lrelu1", nn.LeakyReLU(0.2, inplace=True)),                                     # lrelu1   64×32×32   4×4                          0
            ("conv2", nn.Conv2d(64, 128, kernel_size=4, stride=2, padding=1, bias=False)),   # conv2    128×16×16  10×10                  131,072
            ("bn2", nn.BatchNorm2d(128)),                                                    # bn2      128×16×16  10×10                      256
            ("lrelu2", nn.LeakyReLU(0.2, inplace=True)),                                     # lrelu2   128×16×16  10×10                        0
            ("conv3", nn.Conv2d(128, 256, kernel_size=4, stride=2, padding=1, bias=False)),  # conv3    256×8×8    22×22                  524,288
            ("bn3", nn.BatchNorm2d(256)),                                                    # bn3      256×8×8    22×22                      512
            ("lrelu3", nn.LeakyReLU(0.2, inplace=True)),                                     # lrelu3   256×8×8    22×22                        0
            ("conv4", nn.Conv2d(256, 512, kernel_size=4, stride=2, padding=1, bias=False)),  # conv4    512×4×4    46×46                2,097,152
            ("bn4", nn.BatchNorm2d(512)),                                                    # bn4      512×4×4    46×46                    1,024
            ("lrelu4", nn.LeakyReLU(0.2, inplace=True)),                                     # lrelu4   512×4×4    46×46                        0
            ("conv5", nn.Conv2d(512, 1, kernel_size=4, bias=False)),                         # conv5    1×1×1      94×94 (whole input)      8,192
            ("sigmoid", nn.Sigmoid()),                                                       # sigmoid  1×1×1      94×94 (whole input)          0
        ]))


if __name__ == "__main__":
    model = Discriminator().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 3, 64, 64))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1, 1, 1), f"output shape {tuple(output.shape)}, expected (2, 1, 1, 1)"
    assert parameters == 2765568, f"{parameters:,} parameters, expected 2,765,568"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
