"""Generator: a PyTorch model exported by convdesigner."""

# Design: Generator
# The DCGAN generator of the PyTorch DCGAN tutorial (Radford et al. 2015): a 100-long latent vector,
# as 100x1x1, up-sampled by transposed convolutions (k=4, s=2, p=1 doubles the size) to a 3x64x64
# image; ngf=64, no biases, BatchNorm and ReLU, Tanh at the end.
#
# Input 100×1×1, output 3×64×64, 3,576,704 parameters, 104,628,224 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

from collections import OrderedDict

import torch
from torch import nn


class Generator(nn.Sequential):
    """Input (N, 100, 1, 1) -> output (N, 3, 64, 64); 3,576,704 parameters."""

    def __init__(self) -> None:
        super().__init__(OrderedDict([
                                                                               # layer  output     field                 params
            ("up1", nn.ConvTranspose2d(100, 512, kernel_size=4, bias=False)),  # up1    512×4×4    4×4 (whole input)    819,200
            ("bn1", nn.BatchNorm2d(512)),                                      # bn1    512×4×4    4×4 (whole input)      1,024
            ("relu1", nn.ReLU(inplace=True)),                                  # relu1  512×4×4    4×4 (whole input)          0
            ("up2", nn.ConvTranspose2d(512, 256, kernel_size=4, stride=2, padding=1, bias=False)),  # up2    256×8×8    5×5 (whole input)  2,097,152
            ("bn2", nn.BatchNorm2d(256)),                                      # bn2    256×8×8    5×5 (whole input)        512
            ("relu2", nn.ReLU(inplace=True)),                                  # relu2  256×8×8    5×5 (whole input)          0
            ("up3", nn.ConvTranspose2d(256, 128, kernel_size=4, stride=2, padding=1, bias=False)),  # up3    128×16×16  6×6 (whole input)    524,288
            ("bn3", nn.BatchNorm2d(128)),                                      # bn3    128×16×16  6×6 (whole input)        256
            ("relu3", nn.ReLU(inplace=True)),                                  # relu3  128×16×16  6×6 (whole input)          0
            ("up4", nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1, bias=False)),  # up4    64×32×32   6×6 (whole input)    131,072
            ("bn4", nn.BatchNorm2d(64)),                                       # bn4    64×32×32   6×6 (whole input)        128
            ("relu4", nn.ReLU(inplace=True)),                                  # relu4  64×32×32   6×6 (whole input)          0
            ("up5", nn.ConvTranspose2d(64, 3, kernel_size=4, stride=2, padding=1, bias=False)),  # up5    3×64×64    6×6 (whole input)      3,072
            ("tanh", nn.Tanh()),                                               # tanh   3×64×64    6×6 (whole input)          0
        ]))


if __name__ == "__main__":
    model = Generator().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 100, 1, 1))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 3, 64, 64), f"output shape {tuple(output.shape)}, expected (2, 3, 64, 64)"
    assert parameters == 3576704, f"{parameters:,} parameters, expected 3,576,704"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
