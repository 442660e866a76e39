"""The 32×32 networks of Miyato et al. 2018 ("Spectral Normalization for GANs"), Tables 3 and 4.

``SNGANGenerator``/``SNGANDiscriminator``: the standard CNN. ``ResNetGenerator``/``ResNetDiscriminator``:
the ResNet (after Gulrajani et al. 2017). Spectral normalization is not applied here: ``ganzoo.models.SNGAN``
applies it to every layer of whatever discriminator it is given.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class SNGANGenerator(nn.Module):
    """z (128) → dense 4×4×512 → 3 × [deconv 4×4 stride 2, BN, ReLU] (256, 128, 64) → conv 3×3, tanh."""

    def __init__(self, latent_dim: int = 128, channels: int = 3, image_size: int = 32):
        super().__init__()
        if image_size != 32:
            raise ValueError(f"SNGAN's standard CNN is for 32×32 images, got image_size={image_size}")
        self.latent_dim = latent_dim
        self.channels = channels
        self.image_size = image_size
        self.project = nn.Linear(latent_dim, 4 * 4 * 512)
        layers: list[nn.Module] = []
        for c_in, c_out in ((512, 256), (256, 128), (128, 64)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        self.net = nn.Sequential(nn.BatchNorm2d(512), nn.ReLU(True), *layers, nn.Conv2d(64, channels, 3, 1, 1), nn.Tanh())

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(self.project(z).view(-1, 512, 4, 4))


class SNGANDiscriminator(nn.Module):
    """Seven convolutions (3×3 stride 1 and 4×4 stride 2 alternating: 64, 64, 128, 128, 256, 256, 512),
    LeakyReLU(0.1), then a dense layer to one output."""

    def __init__(self, channels: int = 3, image_size: int = 32):
        super().__init__()
        if image_size != 32:
            raise ValueError(f"SNGAN's standard CNN is for 32×32 images, got image_size={image_size}")
        self.channels = channels
        self.image_size = image_size
        spec = [(channels, 64, 3, 1), (64, 64, 4, 2), (64, 128, 3, 1), (128, 128, 4, 2), (128, 256, 3, 1),
                (256, 256, 4, 2), (256, 512, 3, 1)]  # fmt: skip
        layers: list[nn.Module] = []
        for c_in, c_out, k, stride in spec:
            layers += [nn.Conv2d(c_in, c_out, k, stride, 1), nn.LeakyReLU(0.1, True)]
        self.features = nn.Sequential(*layers)
        self.output = nn.Linear(4 * 4 * 512, 1)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.output(self.features(x).flatten(1)).squeeze(1)


class _GeneratorBlock(nn.Module):
    """BN, ReLU, upsample ×2, conv 3×3, BN, ReLU, conv 3×3; shortcut: upsample, conv 1×1."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.bn2, self.conv2 = nn.BatchNorm2d(c_out), nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class _DiscriminatorBlock(nn.Module):
    """ReLU, conv 3×3, ReLU, conv 3×3, (avg-pool); shortcut: conv 1×1, (avg-pool). ``first`` is the
    optimized block that sees the image: no leading ReLU, pooling before the shortcut's conv."""

    def __init__(self, c_in: int, c_out: int, downsample: bool, first: bool = False):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, 1, 1), nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if (downsample or c_in != c_out) else nn.Identity()
        self.downsample, self.first = downsample, first

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        if self.first:
            return h + self.shortcut(F.avg_pool2d(x, 2))
        s = self.shortcut(x)
        return h + (F.avg_pool2d(s, 2) if self.downsample else s)


class ResNetGenerator(nn.Module):
    """z (128) → dense 4×4×256 → 3 up-sampling residual blocks (256) → BN, ReLU, conv 3×3, tanh: 32×32."""

    def __init__(self, latent_dim: int = 128, channels: int = 3, width: int = 256):
        super().__init__()
        self.latent_dim = latent_dim
        self.channels = channels
        self.width = width
        self.project = nn.Linear(latent_dim, 4 * 4 * width)
        self.blocks = nn.Sequential(*[_GeneratorBlock(width, width) for _ in range(3)])
        self.output = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(True), nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh())

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, 32, 32)

    def forward(self, z: Tensor) -> Tensor:
        return self.output(self.blocks(self.project(z).view(-1, self.width, 4, 4)))


class ResNetDiscriminator(nn.Module):
    """32×32 → residual blocks (down, down, same, same; 128 channels) → ReLU, global sum pooling → dense."""

    def __init__(self, channels: int = 3, width: int = 128):
        super().__init__()
        self.channels = channels
        self.width = width
        self.blocks = nn.Sequential(
            _DiscriminatorBlock(channels, width, downsample=True, first=True),
            _DiscriminatorBlock(width, width, downsample=True),
            _DiscriminatorBlock(width, width, downsample=False),
            _DiscriminatorBlock(width, width, downsample=False),
        )
        self.output = nn.Linear(width, 1)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, 32, 32)

    def forward(self, x: Tensor) -> Tensor:
        return self.output(F.relu(self.blocks(x)).sum(dim=(2, 3))).squeeze(1)
