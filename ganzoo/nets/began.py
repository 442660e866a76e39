"""BEGAN's networks (Berthelot, Schumm & Metz 2017): an autoencoder discriminator and a decoder generator.

Decoder: h → dense → n×s×s → [conv 3×3, ELU, conv 3×3, ELU, upsample ×2] … → conv 3×3 to the image.
Encoder: conv 3×3 → [conv 3×3, ELU, conv 3×3, ELU, stride-2 conv] … → dense → h. The generator is a
decoder of the same shape. For 2D data, ``MLPAutoencoder`` plays the discriminator's part.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from ganzoo.nets.mlp import _mlp

STARTS = {16: (4, 2), 28: (7, 2), 32: (8, 2), 64: (8, 3)}  # image size → (smallest side, ×2 stages)


def _start(image_size: int) -> tuple[int, int]:
    if image_size not in STARTS:
        raise ValueError(f"BEGAN nets support image_size in {sorted(STARTS)}, got {image_size}")
    return STARTS[image_size]


class BEGANDecoder(nn.Module):
    """h (latent_dim) → channels × image_size × image_size, with ``width`` filters (n in the paper)."""

    def __init__(self, latent_dim: int = 64, image_size: int = 32, channels: int = 3, width: int = 64):
        super().__init__()
        self.latent_dim, self.image_size, self.channels, self.width = latent_dim, image_size, channels, width
        start, stages = _start(image_size)
        self.start = start
        self.project = nn.Linear(latent_dim, width * start * start)
        layers: list[nn.Module] = []
        for stage in range(stages + 1):
            layers += [nn.Conv2d(width, width, 3, 1, 1), nn.ELU(), nn.Conv2d(width, width, 3, 1, 1), nn.ELU()]
            if stage < stages:
                layers += [nn.Upsample(scale_factor=2, mode="nearest")]
        self.net = nn.Sequential(*layers, nn.Conv2d(width, channels, 3, 1, 1))

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, h: Tensor) -> Tensor:
        return self.net(self.project(h).view(-1, self.width, self.start, self.start))


class BEGANAutoencoder(nn.Module):
    """BEGAN's discriminator: encoder to an h-dimensional code, then a decoder back to the image."""

    def __init__(self, image_size: int = 32, channels: int = 3, width: int = 64, code_dim: int = 64):
        super().__init__()
        self.image_size, self.channels, self.width, self.code_dim = image_size, channels, width, code_dim
        start, stages = _start(image_size)
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, 1, 1), nn.ELU()]
        c = width
        for stage in range(stages + 1):
            c_next = width * (stage + 2)
            layers += [nn.Conv2d(c, c, 3, 1, 1), nn.ELU(), nn.Conv2d(c, c, 3, 1, 1), nn.ELU()]
            if stage < stages:
                layers += [nn.Conv2d(c, c_next, 3, 2, 1), nn.ELU()]
                c = c_next
        self.encoder = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * start * start, code_dim))
        self.decoder = BEGANDecoder(code_dim, image_size, channels, width)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))


class MLPAutoencoder(nn.Module):
    """x ∈ R^data_dim → hidden ELU layers → code → hidden ELU layers → reconstruction."""

    def __init__(self, data_dim: int = 2, hidden_dims: Sequence[int] = (128, 128), code_dim: int = 16):
        super().__init__()
        self.data_dim, self.hidden_dims, self.code_dim = data_dim, list(hidden_dims), code_dim
        self.encoder = _mlp([data_dim, *hidden_dims, code_dim], nn.ELU)
        self.decoder = _mlp([code_dim, *reversed(list(hidden_dims)), data_dim], nn.ELU)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.data_dim,)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))
