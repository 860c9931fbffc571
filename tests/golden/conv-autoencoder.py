"""ConvAutoencoder: a PyTorch model exported by convdesigner."""

# Design: ConvAutoencoder
# A small convolutional autoencoder for 1x28x28 images (MNIST): two strided convolutions (28 -> 14 ->
# 7) and a 7x7 one to a 64x1x1 code, then transposed convolutions back; output_padding=1 makes each
# stride-2 transposed convolution return to 14 and 28 exactly (the paper's relationship 14).
#
# Input 1×28×28, output 1×28×28, 210,369 parameters, 708,736 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

from collections import OrderedDict

import torch
from torch import nn


class ConvAutoencoder(nn.Sequential):
    """Input (N, 1, 28, 28) -> output (N, 1, 28, 28); 210,369 parameters."""

    def __init__(self) -> None:
        super().__init__(OrderedDict([
                                                                              # layer      output    field                 params
            ("enc1", nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)),   # enc1       16×14×14  3×3                      160
            ("enc1_relu", nn.ReLU()),                                         # enc1_relu  16×14×14  3×3                        0
            ("enc2", nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1)),  # enc2       32×7×7    7×7                    4,640
            ("enc2_relu", nn.ReLU()),                                         # enc2_relu  32×7×7    7×7                        0
            ("code", nn.Conv2d(32, 64, kernel_size=7)),                       # code       64×1×1    31×31 (whole input)  100,416
            ("dec1", nn.ConvTranspose2d(64, 32, kernel_size=7)),              # dec1       32×7×7    55×55 (whole input)  100,384
            ("dec1_relu", nn.ReLU()),                                         # dec1_relu  32×7×7    55×55 (whole input)        0
            ("dec2", nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=1, output_padding=1)),  # dec2       16×14×14  59×59 (whole input)    4,624
            ("dec2_relu", nn.ReLU()),                                         # dec2_relu  16×14×14  59×59 (whole input)        0
            ("dec3", nn.ConvTranspose2d(16, 1, kernel_size=3, stride=2, padding=1, output_padding=1)),  # dec3       1×28×28   59×59 (whole input)      145
            ("sigmoid", nn.Sigmoid()),                                        # sigmoid    1×28×28   59×59 (whole input)        0
        ]))


if __name__ == "__main__":
    model = ConvAutoencoder().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 1, 28, 28))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1, 28, 28), f"output shape {tuple(output.shape)}, expected (2, 1, 28, 28)"
    assert parameters == 210369, f"{parameters:,} parameters, expected 210,369"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
