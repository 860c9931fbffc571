"""ResNet18: a PyTorch model exported by convdesigner."""

# Design: ResNet18
# ResNet-18 (He et al. 2016) with torchvision's module names (torchvision/models/resnet.py), so the
# exported module loads torchvision's resnet18 weights: a 7x7 stride-2 stem and max pooling, four
# stages of two BasicBlocks (two 3x3 convolutions, batch norm, ReLU; the block's input added back,
# through a 1x1 stride-2 projection, downsample, where the stage halves the size and doubles the
# channels), global average pooling and a 1000-way classifier. Each block's ReLU is called twice in
# torchvision (relu and relu_1 here).
#
# Input 3×224×224, output 1000, 11,689,512 parameters, 1,814,073,344 multiply-accumulates.
# The comments give each layer's output shape (batch left out), its receptive field on the input
# and its parameter count, as convdesigner computed them.

import torch
from torch import nn


class ResNet18(nn.Module):
    """Input (N, 3, 224, 224) -> output (N, 1000); 11,689,512 parameters."""

    def __init__(self) -> None:
        super().__init__()
                                                                                       # layer                  output      field                     params
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)  # conv1                  64×112×112  7×7                        9,408
        self.bn1 = nn.BatchNorm2d(64)                                                  # bn1                    64×112×112  7×7                          128
        self.relu = nn.ReLU(inplace=True)                                              # relu                   64×112×112  7×7                            0
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)                            # maxpool                64×56×56    11×11                          0
        self.layer1 = nn.ModuleDict()
        self.layer1["0"] = nn.ModuleDict()
        self.layer1["0"]["conv1"] = nn.Conv2d(64, 64, kernel_size=3, padding=1, bias=False)  # layer1.0.conv1         64×56×56    19×19                     36,864
        self.layer1["0"]["bn1"] = nn.BatchNorm2d(64)                                   # layer1.0.bn1           64×56×56    19×19                        128
        self.layer1["0"]["relu"] = nn.ReLU(inplace=True)                               # layer1.0.relu          64×56×56    19×19                          0
        self.layer1["0"]["conv2"] = nn.Conv2d(64, 64, kernel_size=3, padding=1, bias=False)  # layer1.0.conv2         64×56×56    27×27                     36,864
        self.layer1["0"]["bn2"] = nn.BatchNorm2d(64)                                   # layer1.0.bn2           64×56×56    27×27                        128
        self.layer1["0"]["relu_1"] = nn.ReLU(inplace=True)                             # layer1.0.relu_1        64×56×56    27×27                          0
        self.layer1["1"] = nn.ModuleDict()
        self.layer1["1"]["conv1"] = nn.Conv2d(64, 64, kernel_size=3, padding=1, bias=False)  # layer1.1.conv1         64×56×56    35×35                     36,864
        self.layer1["1"]["bn1"] = nn.BatchNorm2d(64)                                   # layer1.1.bn1           64×56×56    35×35                        128
        self.layer1["1"]["relu"] = nn.ReLU(inplace=True)                               # layer1.1.relu          64×56×56    35×35                          0
        self.layer1["1"]["conv2"] = nn.Conv2d(64, 64, kernel_size=3, padding=1, bias=False)  # layer1.1.conv2         64×56×56    43×43                     36,864
        self.layer1["1"]["bn2"] = nn.BatchNorm2d(64)                                   # layer1.1.bn2           64×56×56    43×43                        128
        self.layer1["1"]["relu_1"] = nn.ReLU(inplace=True)                             # layer1.1.relu_1        64×56×56    43×43                          0
        self.layer2 = nn.ModuleDict()
        self.layer2["0"] = nn.ModuleDict()
        self.layer2["0"]["conv1"] = nn.Conv2d(64, 128, kernel_size=3, stride=2, padding=1, bias=False)  # layer2.0.conv1         128×28×28   51×51                     73,728
        self.layer2["0"]["bn1"] = nn.BatchNorm2d(128)                                  # layer2.0.bn1           128×28×28   51×51                        256
        self.layer2["0"]["relu"] = nn.ReLU(inplace=True)                               # layer2.0.relu          128×28×28   51×51                          0
        self.layer2["0"]["conv2"] = nn.Conv2d(128, 128, kernel_size=3, padding=1, bias=False)  # layer2.0.conv2         128×28×28   67×67                    147,456
        self.layer2["0"]["bn2"] = nn.BatchNorm2d(128)                                  # layer2.0.bn2           128×28×28   67×67                        256
        self.layer2["0"]["downsample"] = nn.ModuleDict()
        self.layer2["0"]["downsample"]["0"] = nn.Conv2d(64, 128, kernel_size=1, stride=2, bias=False)  # layer2.0.downsample.0  128×28×28   43×43                      8,192
        self.layer2["0"]["downsample"]["1"] = nn.BatchNorm2d(128)                      # layer2.0.downsample.1  128×28×28   43×43                        256
        self.layer2["0"]["relu_1"] = nn.ReLU(inplace=True)                             # layer2.0.relu_1        128×28×28   67×67                          0
        self.layer2["1"] = nn.ModuleDict()
        self.layer2["1"]["conv1"] = nn.Conv2d(128, 128, kernel_size=3, padding=1, bias=False)  # layer2.1.conv1         128×28×28   83×83                    147,456
        self.layer2["1"]["bn1"] = nn.BatchNorm2d(128)                                  # layer2.1.bn1           128×28×28   83×83                        256
        self.layer2["1"]["relu"] = nn.ReLU(inplace=True)                               # layer2.1.relu          128×28×28   83×83                          0
        self.layer2["1"]["conv2"] = nn.Conv2d(128, 128, kernel_size=3, padding=1, bias=False)  # layer2.1.conv2         128×28×28   99×99                    147,456
        self.layer2["1"]["bn2"] = nn.BatchNorm2d(128)                                  # layer2.1.bn2           128×28×28   99×99                        256
        self.layer2["1"]["relu_1"] = nn.ReLU(inplace=True)                             # layer2.1.relu_1        128×28×28   99×99                          0
        self.layer3 = nn.ModuleDict()
        self.layer3["0"] = nn.ModuleDict()
        self.layer3["0"]["conv1"] = nn.Conv2d(128, 256, kernel_size=3, stride=2, padding=1, bias=False)  # layer3.0.conv1         256×14×14   115×115                  294,912
        self.layer3["0"]["bn1"] = nn.BatchNorm2d(256)                                  # layer3.0.bn1           256×14×14   115×115                      512
        self.layer3["0"]["relu"] = nn.ReLU(inplace=True)                               # layer3.0.relu          256×14×14   115×115                        0
        self.layer3["0"]["conv2"] = nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=False)  # layer3.0.conv2         256×14×14   147×147                  589,824
        self.layer3["0"]["bn2"] = nn.BatchNorm2d(256)                                  # layer3.0.bn2           256×14×14   147×147                      512
        self.layer3["0"]["downsample"] = nn.ModuleDict()
        self.layer3["0"]["downsample"]["0"] = nn.Conv2d(128, 256, kernel_size=1, stride=2, bias=False)  # layer3.0.downsample.0  256×14×14   99×99                     32,768
        self.layer3["0"]["downsample"]["1"] = nn.BatchNorm2d(256)                      # layer3.0.downsample.1  256×14×14   99×99                        512
        self.layer3["0"]["relu_1"] = nn.ReLU(inplace=True)                             # layer3.0.relu_1        256×14×14   147×147                        0
        self.layer3["1"] = nn.ModuleDict()
        self.layer3["1"]["conv1"] = nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=False)  # layer3.1.conv1         256×14×14   179×179                  589,824
        self.layer3["1"]["bn1"] = nn.BatchNorm2d(256)                                  # layer3.1.bn1           256×14×14   179×179                      512
        self.layer3["1"]["relu"] = nn.ReLU(inplace=True)                               # layer3.1.relu          256×14×14   179×179                        0
        self.layer3["1"]["conv2"] = nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=False)  # layer3.1.conv2         256×14×14   211×211                  589,824
        self.layer3["1"]["bn2"] = nn.BatchNorm2d(256)                                  # layer3.1.bn2           256×14×14   211×211                      512
        self.layer3["1"]["relu_1"] = nn.ReLU(inplace=True)                             # layer3.1.relu_1        256×14×14   211×211                        0
        self.layer4 = nn.ModuleDict()
        self.layer4["0"] = nn.ModuleDict()
        self.layer4["0"]["conv1"] = nn.Conv2d(256, 512, kernel_size=3, stride=2, padding=1, bias=False)  # layer4.0.conv1         512×7×7     243×243                1,179,648
        self.layer4["0"]["bn1"] = nn.BatchNorm2d(512)                                  # layer4.0.bn1           512×7×7     243×243                    1,024
        self.layer4["0"]["relu"] = nn.ReLU(inplace=True)                               # layer4.0.relu          512×7×7     243×243                        0
        self.layer4["0"]["conv2"] = nn.Conv2d(512, 512, kernel_size=3, padding=1, bias=False)  # layer4.0.conv2         512×7×7     307×307                2,359,296
        self.layer4["0"]["bn2"] = nn.BatchNorm2d(512)                                  # layer4.0.bn2           512×7×7     307×307                    1,024
        self.layer4["0"]["downsample"] = nn.ModuleDict()
        self.layer4["0"]["downsample"]["0"] = nn.Conv2d(256, 512, kernel_size=1, stride=2, bias=False)  # layer4.0.downsample.0  512×7×7     211×211                  131,072
        self.layer4["0"]["downsample"]["1"] = nn.BatchNorm2d(512)                      # layer4.0.downsample.1  512×7×7     211×211                    1,024
        self.layer4["0"]["relu_1"] = nn.ReLU(inplace=True)                             # layer4.0.relu_1        512×7×7     307×307                        0
        self.layer4["1"] = nn.ModuleDict()
        self.layer4["1"]["conv1"] = nn.Conv2d(512, 512, kernel_size=3, padding=1, bias=False)  # layer4.1.conv1         512×7×7     371×371                2,359,296
        self.layer4["1"]["bn1"] = nn.BatchNorm2d(512)                                  # layer4.1.bn1           512×7×7     371×371                    1,024
        self.layer4["1"]["relu"] = nn.ReLU(inplace=True)                               # layer4.1.relu          512×7×7     371×371                        0
        self.layer4["1"]["conv2"] = nn.Conv2d(512, 512, kernel_size=3, padding=1, bias=False)  # layer4.1.conv2         512×7×7     435×435                2,359,296
        self.layer4["1"]["bn2"] = nn.BatchNorm2d(512)                                  # layer4.1.bn2           512×7×7     435×435                    1,024
        self.layer4["1"]["relu_1"] = nn.ReLU(inplace=True)                             # layer4.1.relu_1        512×7×7     435×435                        0
        self.avgpool = nn.AdaptiveAvgPool2d(1)                                         # avgpool                512×1×1     627×627 (whole input)          0
        self.flatten = nn.Flatten()                                                    # flatten                512         —                              0
        self.fc = nn.Linear(512, 1000)                                                 # fc                     1000        —                        513,000

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        maxpool = self.maxpool(x)
        x = self.layer1["0"]["conv1"](maxpool)
        x = self.layer1["0"]["bn1"](x)
        x = self.layer1["0"]["relu"](x)
        x = self.layer1["0"]["conv2"](x)
        x = self.layer1["0"]["bn2"](x)
        x = x + maxpool          # layer1.0.add: 64×56×56, field 27×27, 0 params
        layer1_0_relu_1 = self.layer1["0"]["relu_1"](x)
        x = self.layer1["1"]["conv1"](layer1_0_relu_1)
        x = self.layer1["1"]["bn1"](x)
        x = self.layer1["1"]["relu"](x)
        x = self.layer1["1"]["conv2"](x)
        x = self.layer1["1"]["bn2"](x)
        x = x + layer1_0_relu_1  # layer1.1.add: 64×56×56, field 43×43, 0 params
        layer1_1_relu_1 = self.layer1["1"]["relu_1"](x)
        x = self.layer2["0"]["conv1"](layer1_1_relu_1)
        x = self.layer2["0"]["bn1"](x)
        x = self.layer2["0"]["relu"](x)
        x = self.layer2["0"]["conv2"](x)
        layer2_0_bn2 = self.layer2["0"]["bn2"](x)
        x = self.layer2["0"]["downsample"]["0"](layer1_1_relu_1)
        x = self.layer2["0"]["downsample"]["1"](x)
        x = layer2_0_bn2 + x     # layer2.0.add: 128×28×28, field 67×67, 0 params
        layer2_0_relu_1 = self.layer2["0"]["relu_1"](x)
        x = self.layer2["1"]["conv1"](layer2_0_relu_1)
        x = self.layer2["1"]["bn1"](x)
        x = self.layer2["1"]["relu"](x)
        x = self.layer2["1"]["conv2"](x)
        x = self.layer2["1"]["bn2"](x)
        x = x + layer2_0_relu_1  # layer2.1.add: 128×28×28, field 99×99, 0 params
        layer2_1_relu_1 = self.layer2["1"]["relu_1"](x)
        x = self.layer3["0"]["conv1"](layer2_1_relu_1)
        x = self.layer3["0"]["bn1"](x)
        x = self.layer3["0"]["relu"](x)
        x = self.layer3["0"]["conv2"](x)
        layer3_0_bn2 = self.layer3["0"]["bn2"](x)
        x = self.layer3["0"]["downsample"]["0"](layer2_1_relu_1)
        x = self.layer3["0"]["downsample"]["1"](x)
        x = layer3_0_bn2 + x     # layer3.0.add: 256×14×14, field 147×147, 0 params
        layer3_0_relu_1 = self.layer3["0"]["relu_1"](x)
        x = self.layer3["1"]["conv1"](layer3_0_relu_1)
        x = self.layer3["1"]["bn1"](x)
        x = self.layer3["1"]["relu"](x)
        x = self.layer3["1"]["conv2"](x)
        x = self.layer3["1"]["bn2"](x)
        x = x + layer3_0_relu_1  # layer3.1.add: 256×14×14, field 211×211, 0 params
        layer3_1_relu_1 = self.layer3["1"]["relu_1"](x)
        x = self.layer4["0"]["conv1"](layer3_1_relu_1)
        x = self.layer4["0"]["bn1"](x)
        x = self.layer4["0"]["relu"](x)
        x = self.layer4["0"]["conv2"](x)
        layer4_0_bn2 = self.layer4["0"]["bn2"](x)
        x = self.layer4["0"]["downsample"]["0"](layer3_1_relu_1)
        x = self.layer4["0"]["downsample"]["1"](x)
        x = layer4_0_bn2 + x     # layer4.0.add: 512×7×7, field 307×307, 0 params
        layer4_0_relu_1 = self.layer4["0"]["relu_1"](x)
        x = self.layer4["1"]["conv1"](layer4_0_relu_1)
        x = self.layer4["1"]["bn1"](x)
        x = self.layer4["1"]["relu"](x)
        x = self.layer4["1"]["conv2"](x)
        x = self.layer4["1"]["bn2"](x)
        x = x + layer4_0_relu_1  # layer4.1.add: 512×7×7, field 435×435, 0 params
        x = self.layer4["1"]["relu_1"](x)
        x = self.avgpool(x)
        x = self.flatten(x)
        return self.fc(x)


if __name__ == "__main__":
    model = ResNet18().eval()
    with torch.no_grad():
        output = model(torch.zeros(2, 3, 224, 224))
    parameters = sum(p.numel() for p in model.parameters())
    assert tuple(output.shape) == (2, 1000), f"output shape {tuple(output.shape)}, expected (2, 1000)"
    assert parameters == 11689512, f"{parameters:,} parameters, expected 11,689,512"
    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")
