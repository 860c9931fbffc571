"""VGG16: a PyTorch model exported by convdesigner."""

# Design: VGG16
# VGG-16 (Simonyan & Zisserman 2014, configuration D) in torchvision's layout: thirteen 3x3
# convolutions with padding 1 in five blocks, each closed by 2x2 max pooling (224 -> 7), adaptive
# average pooling to 7x7 and the classifier; 138,357,544 parameters. The receptive field of pool5 is
# 212 pixels with a jump of 32.
#
# Input 3×224×224, output 1000, 138,357,544 parameters, 15,470,264,320 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

from collections import OrderedDict

import torch
from torch import nn


class VGG16(nn.Sequential):
    """Input (N, 3, 224, 224) -> output (N, 1000); 138,357,544 parameters."""

    def __init__(self) -> None:
        super().__init__(OrderedDict([
                                                                         # layer    output       field         params
            ("conv1_1", nn.Conv2d(3, 64, kernel_size=3, padding=1)),     # conv1_1  64×224×224   3×3            1,792
            ("relu1_1", nn.ReLU(inplace=True)),                          # relu1_1  64×224×224   3×3                0
            ("conv1_2", nn.Conv2d(64, 64, kernel_size=3, padding=1)),    # conv1_2  64×224×224   5×5           36,928
            ("relu1_2", nn.ReLU(inplace=True)),                          # relu1_2  64×224×224   5×5                0
            ("pool1", nn.MaxPool2d(2)),                                  # pool1    64×112×112   6×6                0
            ("conv2_1", nn.Conv2d(64, 128, kernel_size=3, padding=1)),   # conv2_1  128×112×112  10×10         73,856
            ("relu2_1", nn.ReLU(inplace=True)),                          # relu2_1  128×112×112  10×10              0
            ("conv2_2", nn.Conv2d(128, 128, kernel_size=3, padding=1)),  # conv2_2  128×112×112  14×14        147,584
            ("relu2_2", nn.ReLU(inplace=True)),                          # relu2_2  128×112×112  14×14              0
            ("pool2", nn.MaxPool2d(2)),                                  # pool2    128×56×56    16×16              0
            ("conv3_1", nn.Conv2d(128, 256, kernel_size=3, padding=1)),  # conv3_1  256×56×56    24×24        295,168
            ("relu3_1", nn.ReLU(inplace=True)),                          # relu3_1  256×56×56    24×24              0
            ("conv3_2", nn.Conv2d(256, 256, kernel_size=3, padding=1)),  # conv3_2  256×56×56    32×32        590,080
            ("relu3_2", nn.ReLU(inplace=True)),                          # relu3_2  256×56×56    32×32              0
            ("conv3_3", nn.Conv2d(256, 256, kernel_size=3, padding=1)),  # conv3_3  256×56×56    40×40        590,080
            ("relu3_3", nn.ReLU(inplace=True)),                          # relu3_3  256×56×56    40×40              0
            ("pool3", nn.MaxPool2d(2)),                                  # pool3    256×28×28    44×44              0
            ("conv4_1", nn.Conv2d(256, 512, kernel_size=3, padding=1)),  # conv4_1  512×28×28    60×60      1,180,160
            ("relu4_1", nn.ReLU(inplace=True)),                          # relu4_1  512×28×28    60×60              0
            ("conv4_2", nn.Conv2d(512, 512, kernel_size=3, padding=1)),  # conv4_2  512×28×28    76×76      2,359,808
            ("relu4_2", nn.ReLU(inplace=True)),                          # relu4_2  512×28×28    76×76              0
            ("conv4_3", nn.Conv2d(512, 512, kernel_size=3, padding=1)),  # conv4_3  512×28×28    92×92      2,359,808
            ("relu4_3", nn.ReLU(inplace=True)),                          # relu4_3  512×28×28    92×92              0
            ("pool4", nn.MaxPool2d(2)),                                  # pool4    512×14×14    100×100            0
            ("conv5_1", nn.Conv2d(512, 512, kernel_size=3, padding=1)),  # conv5_1  512×14×14    132×132    2,359,808
            ("relu5_1", nn.ReLU(inplace=True)),                          # relu5_1  512×14×14    132×132            0
            ("conv5_2", nn.Conv2d(512, 512, kernel_size=3, padding=1)),  # conv5_2  512×14×14    164×164    2,359,808
            ("relu5_2", nn.ReLU(inplace=True)),                          # relu5_2  512×14×14    164×164            0
            ("conv5_3", nn.Conv2d(512, 512, kernel_size=3, padding=1)),  # conv5_3  512×14×14    196×196    2,359,808
            ("relu5_3", nn.ReLU(inplace=True)),                          # relu5_3  512×14×14    196×196            0
            ("pool5", nn.MaxPool2d(2)),                                  # pool5    512×7×7      212×212            0
            ("avgpool", nn.AdaptiveAvgPool2d(7)),                        # avgpool  512×7×7      212×212            0
            ("flatten", nn.Flatten()),                                   # flatten  25088        —                  0
            ("fc6", nn.Linear(25088, 4096)),                             # fc6      4096         —        102,764,544
            ("relu6", nn.ReLU(inplace=True)),                            # relu6    4096         —                  0
            ("drop6", nn.Dropout()),                                     # drop6    4096         —                  0
            ("fc7", nn.Linear(4096, 4096)),                              # fc7      4096         —         16,781,312
            ("relu7", nn.ReLU(inplace=True)),                            # relu7    4096         —                  0
            ("drop7", nn.Dropout()),                                     # drop7    4096         —                  0
            ("fc8", nn.Linear(4096, 1000)),                              # fc8      1000         —          4,097,000
        ]))


if __name__ == "__main__":
    model = VGG16().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 3, 224, 224))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1000), f"output shape {tuple(output.shape)}, expected (2, 1000)"
    assert parameters == 138357544, f"{parameters:,} parameters, expected 138,357,544"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
