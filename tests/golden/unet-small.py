"""UNetSmall: a PyTorch model exported by convdesigner."""

# Design: UNetSmall
# A small U-Net (Ronneberger et al. 2015) with two levels for 1x64x64 images: each level two 3x3
# convolutions, 2x2 max pooling down (64 -> 32 -> 16), 2x2 stride-2 transposed convolutions up, and
# Concat joining the encoder's output of the same size (skip1, skip2); a 1x1 convolution makes the
# 1x64x64 mask. The joined fields are centred differently (the receptive-field panel shows by how
# much): 2x2 pooling then 2x2 up-sampling shifts the decoder's field centres against the encoder's.
#
# Input 1×64×64, output 1×64×64, 116,753 parameters, 99,221,504 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

import torch
from torch import nn


class UNetSmall(nn.Module):
    """Input (N, 1, 64, 64) -> output (N, 1, 64, 64); 116,753 parameters."""

    def __init__(self) -> None:
        super().__init__()
                                                                         # layer         output    field  params
        self.enc1_conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)     # enc1_conv1    16×64×64  3×3       160
        self.enc1_relu1 = nn.ReLU(inplace=True)                          # enc1_relu1    16×64×64  3×3         0
        self.enc1_conv2 = nn.Conv2d(16, 16, kernel_size=3, padding=1)    # enc1_conv2    16×64×64  5×5     2,320
        self.enc1_relu2 = nn.ReLU(inplace=True)                          # enc1_relu2    16×64×64  5×5         0
        self.down1 = nn.MaxPool2d(2)                                     # down1         16×32×32  6×6         0
        self.enc2_conv1 = nn.Conv2d(16, 32, kernel_size=3, padding=1)    # enc2_conv1    32×32×32  10×10   4,640
        self.enc2_relu1 = nn.ReLU(inplace=True)                          # enc2_relu1    32×32×32  10×10       0
        self.enc2_conv2 = nn.Conv2d(32, 32, kernel_size=3, padding=1)    # enc2_conv2    32×32×32  14×14   9,248
        self.enc2_relu2 = nn.ReLU(inplace=True)                          # enc2_relu2    32×32×32  14×14       0
        self.down2 = nn.MaxPool2d(2)                                     # down2         32×16×16  16×16       0
        self.bottom_conv1 = nn.Conv2d(32, 64, kernel_size=3, padding=1)  # bottom_conv1  64×16×16  24×24  18,496
        self.bottom_relu1 = nn.ReLU(inplace=True)                        # bottom_relu1  64×16×16  24×24       0
        self.bottom_conv2 = nn.Conv2d(64, 64, kernel_size=3, padding=1)  # bottom_conv2  64×16×16  32×32  36,928
        self.bottom_relu2 = nn.ReLU(inplace=True)                        # bottom_relu2  64×16×16  32×32       0
        self.up2 = nn.ConvTranspose2d(64, 32, kernel_size=2, stride=2)   # up2           32×32×32  32×32   8,224
        self.dec2_conv1 = nn.Conv2d(64, 32, kernel_size=3, padding=1)    # dec2_conv1    32×32×32  36×36  18,464
        self.dec2_relu1 = nn.ReLU(inplace=True)                          # dec2_relu1    32×32×32  36×36       0
        self.dec2_conv2 = nn.Conv2d(32, 32, kernel_size=3, padding=1)    # dec2_conv2    32×32×32  40×40   9,248
        self.dec2_relu2 = nn.ReLU(inplace=True)                          # dec2_relu2    32×32×32  40×40       0
        self.up1 = nn.ConvTranspose2d(32, 16, kernel_size=2, stride=2)   # up1           16×64×64  40×40   2,064
        self.dec1_conv1 = nn.Conv2d(32, 16, kernel_size=3, padding=1)    # dec1_conv1    16×64×64  44×44   4,624
        self.dec1_relu1 = nn.ReLU(inplace=True)                          # dec1_relu1    16×64×64  44×44       0
        self.dec1_conv2 = nn.Conv2d(16, 16, kernel_size=3, padding=1)    # dec1_conv2    16×64×64  44×44   2,320
        self.dec1_relu2 = nn.ReLU(inplace=True)                          # dec1_relu2    16×64×64  44×44       0
        self.head = nn.Conv2d(16, 1, kernel_size=1)                      # head          1×64×64   44×44      17
        self.sigmoid = nn.Sigmoid()                                      # sigmoid       1×64×64   44×44       0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.enc1_conv1(x)
        x = self.enc1_relu1(x)
        x = self.enc1_conv2(x)
        enc1_relu2 = self.enc1_relu2(x)
        x = self.down1(enc1_relu2)
        x = self.enc2_conv1(x)
        x = self.enc2_relu1(x)
        x = self.enc2_conv2(x)
        enc2_relu2 = self.enc2_relu2(x)
        x = self.down2(enc2_relu2)
        x = self.bottom_conv1(x)
        x = self.bottom_relu1(x)
        x = self.bottom_conv2(x)
        x = self.bottom_relu2(x)
        x = self.up2(x)
        x = torch.cat((x, enc2_relu2), dim=1)  # skip2: 64×32×32, field 32×32, 0 params
        x = self.dec2_conv1(x)
        x = self.dec2_relu1(x)
        x = self.dec2_conv2(x)
        x = self.dec2_relu2(x)
        x = self.up1(x)
        x = torch.cat((x, enc1_relu2), dim=1)  # skip1: 32×64×64, field 40×40, 0 params
        x = self.dec1_conv1(x)
        x = self.dec1_relu1(x)
        x = self.dec1_conv2(x)
        x = self.dec1_relu2(x)
        x = self.head(x)
        return self.sigmoid(x)


if __name__ == "__main__":
    model = UNetSmall().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 1, 64, 64))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1, 64, 64), f"output shape {tuple(output.shape)}, expected (2, 1, 64, 64)"
    assert parameters == 116753, f"{parameters:,} parameters, expected 116,753"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
