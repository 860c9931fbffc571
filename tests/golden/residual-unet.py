"""ResidualUNet: a PyTorch model exported by convdesigner."""

# Design: ResidualUNet
# A U-Net (Ronneberger et al. 2015) whose encoder blocks are residual (He et al. 2016): two 3x3
# convolutions with batch norm, and a 1x1 projection shortcut (shortcut.0, shortcut.1) added back, as
# the channels change; 2x2 max pooling down (64 -> 32 -> 16), 2x2 stride-2 transposed convolutions up,
# and each decoder level concatenates the encoder's output of the same size first, then the up-sampled
# tensor (from: [skip, up], as pix2pix does); a 1x1 convolution makes the 1x64x64 mask.
#
# Input 1×64×64, output 1×64×64, 119,777 parameters, 100,335,616 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

import torch
from torch import nn


class ResidualUNet(nn.Module):
    """Input (N, 1, 64, 64) -> output (N, 1, 64, 64); 119,777 parameters."""

    def __init__(self) -> None:
        super().__init__()
                                                                                        # layer              output    field  params
        self.enc1 = nn.ModuleDict()
        self.enc1["conv1"] = nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False)     # enc1.conv1         16×64×64  3×3       144
        self.enc1["bn1"] = nn.BatchNorm2d(16)                                           # enc1.bn1           16×64×64  3×3        32
        self.enc1["relu"] = nn.ReLU()                                                   # enc1.relu          16×64×64  3×3         0
        self.enc1["conv2"] = nn.Conv2d(16, 16, kernel_size=3, padding=1, bias=False)    # enc1.conv2         16×64×64  5×5     2,304
        self.enc1["bn2"] = nn.BatchNorm2d(16)                                           # enc1.bn2           16×64×64  5×5        32
        self.enc1["shortcut"] = nn.ModuleDict()
        self.enc1["shortcut"]["0"] = nn.Conv2d(1, 16, kernel_size=1, bias=False)        # enc1.shortcut.0    16×64×64  1×1        16
        self.enc1["shortcut"]["1"] = nn.BatchNorm2d(16)                                 # enc1.shortcut.1    16×64×64  1×1        32
        self.enc1["relu_1"] = nn.ReLU()                                                 # enc1.relu_1        16×64×64  5×5         0
        self.down1 = nn.MaxPool2d(2)                                                    # down1              16×32×32  6×6         0
        self.enc2 = nn.ModuleDict()
        self.enc2["conv1"] = nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False)    # enc2.conv1         32×32×32  10×10   4,608
        self.enc2["bn1"] = nn.BatchNorm2d(32)                                           # enc2.bn1           32×32×32  10×10      64
        self.enc2["relu"] = nn.ReLU()                                                   # enc2.relu          32×32×32  10×10       0
        self.enc2["conv2"] = nn.Conv2d(32, 32, kernel_size=3, padding=1, bias=False)    # enc2.conv2         32×32×32  14×14   9,216
        self.enc2["bn2"] = nn.BatchNorm2d(32)                                           # enc2.bn2           32×32×32  14×14      64
        self.enc2["shortcut"] = nn.ModuleDict()
        self.enc2["shortcut"]["0"] = nn.Conv2d(16, 32, kernel_size=1, bias=False)       # enc2.shortcut.0    32×32×32  6×6       512
        self.enc2["shortcut"]["1"] = nn.BatchNorm2d(32)                                 # enc2.shortcut.1    32×32×32  6×6        64
        self.enc2["relu_1"] = nn.ReLU()                                                 # enc2.relu_1        32×32×32  14×14       0
        self.down2 = nn.MaxPool2d(2)                                                    # down2              32×16×16  16×16       0
        self.bottom = nn.ModuleDict()
        self.bottom["conv1"] = nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False)  # bottom.conv1       64×16×16  24×24  18,432
        self.bottom["bn1"] = nn.BatchNorm2d(64)                                         # bottom.bn1         64×16×16  24×24     128
        self.bottom["relu"] = nn.ReLU()                                                 # bottom.relu        64×16×16  24×24       0
        self.bottom["conv2"] = nn.Conv2d(64, 64, kernel_size=3, padding=1, bias=False)  # bottom.conv2       64×16×16  32×32  36,864
        self.bottom["bn2"] = nn.BatchNorm2d(64)                                         # bottom.bn2         64×16×16  32×32     128
        self.bottom["shortcut"] = nn.ModuleDict()
        self.bottom["shortcut"]["0"] = nn.Conv2d(32, 64, kernel_size=1, bias=False)     # bottom.shortcut.0  64×16×16  16×16   2,048
        self.bottom["shortcut"]["1"] = nn.BatchNorm2d(64)                               # bottom.shortcut.1  64×16×16  16×16     128
        self.bottom["relu_1"] = nn.ReLU()                                               # bottom.relu_1      64×16×16  32×32       0
        self.dec2 = nn.ModuleDict()
        self.dec2["up"] = nn.ConvTranspose2d(64, 32, kernel_size=2, stride=2)           # dec2.up            32×32×32  32×32   8,224
        self.dec2["conv1"] = nn.Conv2d(64, 32, kernel_size=3, padding=1)                # dec2.conv1         32×32×32  36×36  18,464
        self.dec2["relu1"] = nn.ReLU(inplace=True)                                      # dec2.relu1         32×32×32  36×36       0
        self.dec2["conv2"] = nn.Conv2d(32, 32, kernel_size=3, padding=1)                # dec2.conv2         32×32×32  40×40   9,248
        self.dec2["relu2"] = nn.ReLU(inplace=True)                                      # dec2.relu2         32×32×32  40×40       0
        self.dec1 = nn.ModuleDict()
        self.dec1["up"] = nn.ConvTranspose2d(32, 16, kernel_size=2, stride=2)           # dec1.up            16×64×64  40×40   2,064
        self.dec1["conv1"] = nn.Conv2d(32, 16, kernel_size=3, padding=1)                # dec1.conv1         16×64×64  44×44   4,624
        self.dec1["relu1"] = nn.ReLU(inplace=True)                                      # dec1.relu1         16×64×64  44×44       0
        self.dec1["conv2"] = nn.Conv2d(16, 16, kernel_size=3, padding=1)                # dec1.conv2         16×64×64  44×44   2,320
        self.dec1["relu2"] = nn.ReLU(inplace=True)                                      # dec1.relu2         16×64×64  44×44       0
        self.head = nn.Conv2d(16, 1, kernel_size=1)                                     # head               1×64×64   44×44      17

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_input = x
        x = self.enc1["conv1"](x_input)
        x = self.enc1["bn1"](x)
        x = self.enc1["relu"](x)
        x = self.enc1["conv2"](x)
        enc1_bn2 = self.enc1["bn2"](x)
        x = self.enc1["shortcut"]["0"](x_input)
        x = self.enc1["shortcut"]["1"](x)
        x = enc1_bn2 + x                        # enc1.add: 16×64×64, field 5×5, 0 params
        enc1_relu_1 = self.enc1["relu_1"](x)
        down1 = self.down1(enc1_relu_1)
        x = self.enc2["conv1"](down1)
        x = self.enc2["bn1"](x)
        x = self.enc2["relu"](x)
        x = self.enc2["conv2"](x)
        enc2_bn2 = self.enc2["bn2"](x)
        x = self.enc2["shortcut"]["0"](down1)
        x = self.enc2["shortcut"]["1"](x)
        x = enc2_bn2 + x                        # enc2.add: 32×32×32, field 14×14, 0 params
        enc2_relu_1 = self.enc2["relu_1"](x)
        down2 = self.down2(enc2_relu_1)
        x = self.bottom["conv1"](down2)
        x = self.bottom["bn1"](x)
        x = self.bottom["relu"](x)
        x = self.bottom["conv2"](x)
        bottom_bn2 = self.bottom["bn2"](x)
        x = self.bottom["shortcut"]["0"](down2)
        x = self.bottom["shortcut"]["1"](x)
        x = bottom_bn2 + x                      # bottom.add: 64×16×16, field 32×32, 0 params
        x = self.bottom["relu_1"](x)
        x = self.dec2["up"](x)
        x = torch.cat((enc2_relu_1, x), dim=1)  # dec2.cat: 64×32×32, field 32×32, 0 params
        x = self.dec2["conv1"](x)
        x = self.dec2["relu1"](x)
        x = self.dec2["conv2"](x)
        x = self.dec2["relu2"](x)
        x = self.dec1["up"](x)
        x = torch.cat((enc1_relu_1, x), dim=1)  # dec1.cat: 32×64×64, field 40×40, 0 params
        x = self.dec1["conv1"](x)
        x = self.dec1["relu1"](x)
        x = self.dec1["conv2"](x)
        x = self.dec1["relu2"](x)
        return self.head(x)


if __name__ == "__main__":
    model = ResidualUNet().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 1, 64, 64))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1, 64, 64), f"output shape {tuple(output.shape)}, expected (2, 1, 64, 64)"
    assert parameters == 119777, f"{parameters:,} parameters, expected 119,777"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
