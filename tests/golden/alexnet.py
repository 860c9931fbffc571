"""AlexNet: a PyTorch model exported by convdesigner."""

# Design: AlexNet
# AlexNet (Krizhevsky et al. 2012) in torchvision's single-tower layout: an 11x11 stride-4
# convolution, overlapping 3x3 stride-2 max pooling, five convolutions in all, adaptive average
# pooling to 6x6 and the classifier; 61,100,840 parameters.
#
# Input 3×224×224, output 1000, 61,100,840 parameters, 714,188,480 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

from collections import OrderedDict

import torch
from torch import nn


class AlexNet(nn.Sequential):
    """Input (N, 3, 224, 224) -> output (N, 1000); 61,100,840 parameters."""

    def __init__(self) -> None:
        super().__init__(OrderedDict([
                                                                               # layer    output     field        params
            ("conv1", nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)),  # conv1    64×55×55   11×11        23,296
            ("relu1", nn.ReLU(inplace=True)),                                  # relu1    64×55×55   11×11             0
            ("pool1", nn.MaxPool2d(3, stride=2)),                              # pool1    64×27×27   19×19             0
            ("conv2", nn.Conv2d(64, 192, kernel_size=5, padding=2)),           # conv2    192×27×27  51×51       307,392
            ("relu2", nn.ReLU(inplace=True)),                                  # relu2    192×27×27  51×51             0
            ("pool2", nn.MaxPool2d(3, stride=2)),                              # pool2    192×13×13  67×67             0
            ("conv3", nn.Conv2d(192, 384, kernel_size=3, padding=1)),          # conv3    384×13×13  99×99       663,936
            ("relu3", nn.ReLU(inplace=True)),                                  # relu3    384×13×13  99×99             0
            ("conv4", nn.Conv2d(384, 256, kernel_size=3, padding=1)),          # conv4    256×13×13  131×131     884,992
            ("relu4", nn.ReLU(inplace=True)),                                  # relu4    256×13×13  131×131           0
            ("conv5", nn.Conv2d(256, 256, kernel_size=3, padding=1)),          # conv5    256×13×13  163×163     590,080
            ("relu5", nn.ReLU(inplace=True)),                                  # relu5    256×13×13  163×163           0
            ("pool5", nn.MaxPool2d(3, stride=2)),                              # pool5    256×6×6    195×195           0
            ("avgpool", nn.AdaptiveAvgPool2d(6)),                              # avgpool  256×6×6    195×195           0
            ("flatten", nn.Flatten()),                                         # flatten  9216       —                 0
            ("drop6", nn.Dropout()),                                           # drop6    9216       —                 0
            ("fc6", nn.Linear(9216, 4096)),                                    # fc6      4096       —        37,752,832
            ("relu6", nn.ReLU(inplace=True)),                                  # relu6    4096       —                 0
            ("drop7", nn.Dropout()),                                           # drop7    4096       —                 0
            ("fc7", nn.Linear(4096, 4096)),                                    # fc7      4096       —        16,781,312
            ("relu7", nn.ReLU(inplace=True)),                                  # relu7    4096       —                 0
            ("fc8", nn.Linear(4096, 1000)),                                    # fc8      1000       —         4,097,000
        ]))


if __name__ == "__main__":
    model = AlexNet().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 3, 224, 224))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1000), f"output shape {tuple(output.shape)}, expected (2, 1000)"
    assert parameters == 61100840, f"{parameters:,} parameters, expected 61,100,840"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
