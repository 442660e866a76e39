"""StarGAN's networks (Choi et al. 2018, "StarGAN: Unified Generative Adversarial Networks for Multi-Domain
Image-to-Image Translation", appendix, Tables 4 and 5).

Generator: the target domain's code (one-hot, or a vector of binary attributes) tiled over the image and
concatenated to it; c7s1-64, two stride-2 4×4 down-samplings (128, 256), ``num_blocks`` residual blocks
(6 in the paper), two stride-2 4×4 transposed convolutions (128, 64), c7s1-C and tanh; instance norm with
affine parameters, ReLU. Discriminator (no normalisation: WGAN-GP's penalty is per sample): ``num_layers`` stride-2
4×4 convolutions doubling from 64, LeakyReLU 0.01, then two heads: D_src, a 3×3 convolution to one channel (a
patch map of critic values), and D_cls, a convolution over the whole remaining map to one logit per domain.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _down(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=False),
            nn.InstanceNorm2d(out_channels, affine=True), nn.ReLU()]  # fmt: skip


class StarGANResidualBlock(nn.Module):
    """x + (conv 3×3, IN, ReLU, conv 3×3, IN)(x)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class StarGANGenerator(nn.Module):
    """G(x, c): an image and its target domain's code → the image in that domain.

    Args:
        image_size: side of the square images (a multiple of 4; 128 for CelebA in the paper).
        channels: image channels.
        num_domains: length of the domain code (domains, or binary attributes).
        base_channels: width of the first layer (64).
        num_blocks: residual blocks at the lowest resolution (6).
    """

    def __init__(
        self,
        image_size: int = 128,
        channels: int = 3,
        num_domains: int = 5,
        base_channels: int = 64,
        num_blocks: int = 6,
    ):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"StarGANGenerator needs an image_size divisible by 4, got {image_size}")
        if num_domains < 2:
            raise ValueError(f"StarGAN translates between at least 2 domains, got num_domains={num_domains}")
        self.image_size, self.channels, self.num_domains = image_size, channels, num_domains
        self.base_channels, self.num_blocks = base_channels, num_blocks
        c = base_channels
        layers: list[nn.Module] = [nn.Conv2d(channels + num_domains, c, 7, 1, 3, bias=False),
                                   nn.InstanceNorm2d(c, affine=True), nn.ReLU()]  # fmt: skip
        layers += _down(c, 2 * c) + _down(2 * c, 4 * c)
        layers += [StarGANResidualBlock(4 * c) for _ in range(num_blocks)]
        for width in (4 * c, 2 * c):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.InstanceNorm2d(width // 2, affine=True), nn.ReLU()]  # fmt: skip
        layers += [nn.Conv2d(c, channels, 7, 1, 3, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor, code: Tensor) -> Tensor:
        """``x`` (N, C, H, W) in [-1, 1], ``code`` (N, num_domains) floats."""
        tiled = code.to(x.dtype).view(*code.shape, 1, 1).expand(-1, -1, *x.shape[-2:])
        return self.net(torch.cat([x, tiled], dim=1))


class StarGANDiscriminator(nn.Module):
    """D(x) → (critic values per patch (N, 1, h, w), domain logits (N, num_domains)).

    Args:
        image_size, channels, num_domains: as the generator's.
        base_channels: width of the first layer (64); each of the ``num_layers`` stride-2 layers doubles it.
        num_layers: stride-2 layers (6 at 128 px in the paper; 3 at 28 px).
    """

    def __init__(
        self,
        image_size: int = 128,
        channels: int = 3,
        num_domains: int = 5,
        base_channels: int = 64,
        num_layers: int = 6,
    ):
        super().__init__()
        self.image_size, self.channels, self.num_domains = image_size, channels, num_domains
        self.base_channels, self.num_layers = base_channels, num_layers
        layers: list[nn.Module] = []
        width, size, in_channels = base_channels, image_size, channels
        for _ in range(num_layers):
            layers += [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.01)]
            in_channels, width, size = width, 2 * width, (size - 2) // 2 + 1
        if size < 1:
            raise ValueError(f"{num_layers} stride-2 layers leave nothing of a {image_size}-pixel image: use fewer")
        self.body = nn.Sequential(*layers)
        self.source_head = nn.Conv2d(in_channels, 1, 3, 1, 1, bias=False)
        self.domain_head = nn.Conv2d(in_channels, num_domains, size, bias=False)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features = self.body(x)
        return self.source_head(features), self.domain_head(features).flatten(1)
