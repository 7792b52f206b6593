r"""ResNet-50 (He et al., 2016) with torchvision's module names, for the CelebA task.

The paper's CelebA model is torchvision's ResNet-50 with its last layer replaced by one
logit. ``torchvision==0.28.0`` (the release built against ``torch==2.13.0``) does not
import with this project's CPU build of torch (``RuntimeError: operator torchvision::nms
does not exist``), so the network is defined here: the same bottleneck architecture
(3, 4, 6, 3 blocks; widths 64-2048; stride on the 3x3 convolution, "ResNet v1.5") with the
same parameter names, so that a torchvision ``state_dict`` (e.g. the ImageNet weights
``resnet50-*.pth`` saved by ``torch.save(model.state_dict())``) loads unchanged. When
torchvision imports, :func:`resnet50` uses it instead.

Example::

    >>> net = resnet50(outputs=1)
    >>> sum(p.numel() for p in net.parameters())
    23510081

Paper: Sec. 4.4, Table 3 (the CelebA model).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gstheory import validation as check

#: blocks per stage of ResNet-50.
LAYERS = (3, 4, 6, 3)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 convolutions with BatchNorm and a residual path."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride,
                                                      bias=False), nn.BatchNorm2d(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output."""
        identity = x if self.downsample is None else self.downsample(x)
        h = self.relu(self.bn1(self.conv1(x)))
        h = self.relu(self.bn2(self.conv2(h)))
        return self.relu(self.bn3(self.conv3(h)) + identity)


class ResNet50(nn.Module):
    """ResNet-50 for 3-channel images, ``outputs`` logits (torchvision's layout)."""

    def __init__(self, outputs: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = 64
        for k, (blocks, planes) in enumerate(zip(LAYERS, (64, 128, 256, 512))):
            stride = 1 if k == 0 else 2
            layer = []
            for b in range(blocks):
                layer.append(Bottleneck(inplanes, planes, stride if b == 0 else 1))
                inplanes = planes * Bottleneck.expansion
            setattr(self, f"layer{k + 1}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, outputs)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, outputs)``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for k in range(1, 5):
            x = getattr(self, f"layer{k}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50(outputs: int = 1) -> nn.Module:
    """A ResNet-50 with ``outputs`` logits: torchvision's when it imports, else
    :class:`ResNet50` (the same parameter names and shapes)."""
    outputs = check.integer("outputs", outputs, minimum=1)
    try:
        from torchvision.models import resnet50 as tv_resnet50
    except Exception:
        return ResNet50(outputs)
    net = tv_resnet50(weights=None)
    net.fc = nn.Linear(net.fc.in_features, outputs)
    return net


def load_weights(net: nn.Module, path: str | Path) -> list[str]:
    """Load a saved ``state_dict`` into ``net``; the classifier (``fc.*``) is skipped when
    its shape differs (ImageNet's 1000 classes against one logit).

    Returns:
        the names of the skipped entries.

    Raises:
        ValueError: the file cannot be read as a state dict, or its other entries do not
            match the network (the message names the file and the first mismatch).
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"weights={str(path)!r}: no such file") from None
    except Exception as exc:
        raise ValueError(f"weights={str(path)!r}: not a readable torch state dict "
                         f"({type(exc).__name__}: {exc})") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(
            f"weights={str(path)!r}: holds a {type(state).__name__}, "
                         "expected a state dict")
    own = net.state_dict()
    skipped = [k for k in state if k.startswith("fc.") and k in own
               and own[k].shape != state[k].shape]
    kept = {k: v for k, v in state.items() if k not in skipped}
    missing = [k for k in own if k not in kept and not k.startswith("fc.")]
    extra = [k for k in kept if k not in own]
    bad = [k for k in kept if k in own and own[k].shape != kept[k].shape]
    if missing or extra or bad:
        what = (f"missing {missing[0]}" if missing else f"unexpected {extra[0]}" if extra
                else f"shape of {bad[0]} {tuple(kept[bad[0]].shape)} vs "
                     f"{tuple(own[bad[0]].shape)}")
        raise ValueError(f"weights={str(path)!r}: does not fit ResNet-50 ({what})")
    net.load_state_dict(kept, strict=False)
    return skipped


__all__ = ["Bottleneck", "ResNet50", "load_weights", "resnet50"]
