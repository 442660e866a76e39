"""Image-to-image networks: pix2pix's U-Net generator and PatchGAN discriminator (Isola et al. 2017).

U-Net: an encoder of stride-2 4×4 convolutions (C64-C128-C256-C512-C512-…, LeakyReLU 0.2, no norm on the
first) down to 1×1, a decoder of stride-2 4×4 transposed convolutions (ReLU; dropout 0.5 in the first three
decoder layers) and a skip connection from encoder layer i to the decoder layer of the same size, ending in
tanh. PatchGAN: C64-C128-C256 (stride 2), C512 (stride 1) and a 1-channel convolution, all 4×4: each output
logit judges one 70×70 patch of its input (``receptive_field``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

NORMS = {"batch": nn.BatchNorm2d, "instance": lambda c: nn.InstanceNorm2d(c, affine=False)}


def _norm(kind: str, channels: int) -> nn.Module:
    if kind not in NORMS:
        raise ValueError(f"norm must be one of {sorted(NORMS)}, got {kind!r}")
    return NORMS[kind](channels)


def init_normal_(module: nn.Module, std: float = 0.02) -> None:
    """pix2pix's initialisation: convolutions ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net: ``log2(image_size)`` down- and up-sampling layers with skips; input and output in [-1, 1].

    Args:
        image_size: side of the square images (a power of 2, at least 8; 256 gives the paper's 8 levels).
        in_channels, out_channels: channels of the source and of the translated image.
        base_channels: width of the first layer (64 in the paper); deeper layers double it, up to 8×.
        norm: ``batch`` (the paper) or ``instance``.
        dropout: the rate in the first three decoder layers (the paper's noise: 0.5); 0 turns it off.
        tanh: end in tanh (images in [-1, 1]); ``False`` leaves the last layer's outputs as they are (logits:
            the FCN-score's segmentation network).
    """

    def __init__(
        self,
        image_size: int = 256,
        in_channels: int = 3,
        out_channels: int = 3,
        base_channels: int = 64,
        norm: str = "batch",
        dropout: float = 0.5,
        tanh: bool = True,
    ):
        super().__init__()
        levels = int(round(math.log2(image_size)))
        if image_size < 8 or 2**levels != image_size:
            raise ValueError(f"UNetGenerator needs a power-of-2 image_size ≥ 8, got {image_size}")
        _norm(norm, 1)  # validates the name
        self.image_size, self.in_channels, self.out_channels = image_size, in_channels, out_channels
        self.base_channels, self.norm, self.dropout, self.tanh = base_channels, norm, dropout, tanh
        widths = [base_channels * 2 ** min(i, 3) for i in range(levels)]
        self.down = nn.ModuleList()
        for i, width in enumerate(widths):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            has_norm = 0 < i < levels - 1  # neither the first layer nor the 1×1 bottleneck
            layers.append(nn.Conv2d(widths[i - 1] if i else in_channels, width, 4, 2, 1, bias=not has_norm))
            layers += [_norm(norm, width)] if has_norm else []
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for j, i in enumerate(reversed(range(levels))):  # j-th decoder layer undoes encoder layer i
            inputs = widths[i] if j == 0 else 2 * widths[i]  # after the bottleneck: skip concatenated
            outputs = widths[i - 1] if i else out_channels
            layers = [nn.ReLU(), nn.ConvTranspose2d(inputs, outputs, 4, 2, 1, bias=i == 0)]
            if i == 0:
                layers += [nn.Tanh()] if tanh else []
            else:
                layers.append(_norm(norm, outputs))
                layers += [nn.Dropout(dropout)] if j < 3 and dropout > 0 else []
            self.up.append(nn.Sequential(*layers))
        init_normal_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.in_channels, self.image_size, self.image_size)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> Tensor:
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = skips.pop()
        for layer in self.up[:-1]:
            x = torch.cat([layer(x), skips.pop()], dim=1)
        return self.up[-1](x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: a map of logits, each judging one patch (70×70 with ``num_layers = 3``) of its input.

    For pix2pix the input is the (source, image) pair concatenated on channels: ``in_channels`` is their sum.

    Args:
        in_channels: channels of the input (pix2pix: source + target channels).
        base_channels: width of the first layer (64).
        num_layers: stride-2 layers after the first (3: the paper's 70×70 patches; 1: 16×16; 5: 286×286).
        norm: ``batch`` (pix2pix) or ``instance`` (CycleGAN).
    """

    def __init__(self, in_channels: int = 6, base_channels: int = 64, num_layers: int = 3, norm: str = "batch"):
        super().__init__()
        self.in_channels, self.base_channels, self.num_layers, self.norm = in_channels, base_channels, num_layers, norm
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base_channels, 4, 2, 1), nn.LeakyReLU(0.2)]
        width = base_channels
        for i in range(1, num_layers + 1):
            stride = 2 if i < num_layers else 1
            wider = base_channels * 2 ** min(i, 3)
            layers += [nn.Conv2d(width, wider, 4, stride, 1, bias=False), _norm(norm, wider), nn.LeakyReLU(0.2)]
            width = wider
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_normal_(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def receptive_field(self) -> int:
        """Side of the input patch one output logit sees: r ← (r − 1)·stride + kernel, from the last layer back."""
        size = 1
        for layer in reversed([m for m in self.net if isinstance(m, nn.Conv2d)]):
            size = (size - 1) * layer.stride[0] + layer.kernel_size[0]
        return size


class ResidualBlock(nn.Module):
    """x + (reflect-pad, conv 3×3, norm, ReLU, reflect-pad, conv 3×3, norm)(x)."""

    def __init__(self, channels: int, norm: str):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False), _norm(norm, channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False), _norm(norm, channels),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResNetTranslator(nn.Module):
    """CycleGAN's generator (Johnson et al. 2016's network): c7s1-64, d128, d256, ``num_blocks`` × R256, u128, u64,
    c7s1-C with reflect padding, instance norm and tanh (9 blocks at 256 px, 6 at 128 and below).

    Args:
        image_size: side of the square images (a multiple of 4).
        in_channels, out_channels: channels of the input and of the translated image.
        base_channels: width of the first layer (64).
        num_blocks: residual blocks at the lowest resolution.
        norm: ``instance`` (CycleGAN) or ``batch``.
    """

    def __init__(
        self,
        image_size: int = 256,
        in_channels: int = 3,
        out_channels: int = 3,
        base_channels: int = 64,
        num_blocks: int = 9,
        norm: str = "instance",
    ):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"ResNetTranslator needs an image_size divisible by 4, got {image_size}")
        self.image_size, self.in_channels, self.out_channels = image_size, in_channels, out_channels
        self.base_channels, self.num_blocks, self.norm = base_channels, num_blocks, norm
        c = base_channels
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, c, 7, bias=False), _norm(norm, c), nn.ReLU()]
        for width in (c, 2 * c):  # d128, d256
            layers += [nn.Conv2d(width, 2 * width, 3, 2, 1, bias=False), _norm(norm, 2 * width), nn.ReLU()]
        layers += [ResidualBlock(4 * c, norm) for _ in range(num_blocks)]
        for width in (4 * c, 2 * c):  # u128, u64
            layers += [nn.ConvTranspose2d(width, width // 2, 3, 2, 1, output_padding=1, bias=False),
                       _norm(norm, width // 2), nn.ReLU()]  # fmt: skip
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_normal_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.in_channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
