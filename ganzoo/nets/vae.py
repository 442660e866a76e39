"""Encoders and decoders for the VAE (Kingma & Welling 2014): MLPs and small convolutional networks.

An encoder maps x to the parameters of q(z|x) = N(μ, diag σ²), returned as ``(mean, log_variance)``, each
(N, latent_dim). A decoder maps z to one value per data dimension, shaped like the data: Bernoulli logits or
Gaussian means; which one is the model's ``likelihood`` (``ganzoo.models.vae``). A decoder is the VAE's generator,
so it has ``latent_dim`` and ``output_shape`` as the GANs' generators do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from ganzoo.nets.mlp import _mlp


class MLPEncoder(nn.Module):
    """x (any shape, flattened) → ReLU hidden layers → (μ, log σ²) of q(z|x)."""

    def __init__(self, data_shape: Sequence[int] = (1, 28, 28), latent_dim: int = 50, hidden_dims: Sequence[int] = (500, 500)):
        super().__init__()
        self.data_shape = list(data_shape)
        self.latent_dim = latent_dim
        self.hidden_dims = list(hidden_dims)
        self.net = _mlp([math.prod(data_shape), *hidden_dims, 2 * latent_dim], nn.ReLU)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_variance = self.net(x.flatten(1)).chunk(2, dim=1)
        return mean, log_variance


class MLPDecoder(nn.Module):
    """z → ReLU hidden layers → one value per data dimension, reshaped to ``data_shape``."""

    def __init__(self, data_shape: Sequence[int] = (1, 28, 28), latent_dim: int = 50, hidden_dims: Sequence[int] = (500, 500)):
        super().__init__()
        self.data_shape = list(data_shape)
        self.latent_dim = latent_dim
        self.hidden_dims = list(hidden_dims)
        self.net = _mlp([latent_dim, *hidden_dims, math.prod(data_shape)], nn.ReLU)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.data_shape)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *self.data_shape)


def _check_size(image_size: int) -> int:
    if image_size % 4 or image_size < 8:
        raise ValueError(f"the convolutional VAE nets halve the image twice: image_size must be a multiple of 4 (≥ 8), got {image_size}")
    return image_size // 4


class ConvEncoder(nn.Module):
    """x (C×S×S) → two stride-2 4×4 convolutions (``width``, 2·``width`` channels, ReLU) → FC ``hidden`` → (μ, log σ²)."""

    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 32, width: int = 32, hidden: int = 256):
        super().__init__()
        side = _check_size(image_size)
        self.image_size, self.channels, self.latent_dim, self.width, self.hidden = image_size, channels, latent_dim, width, hidden
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(2 * width * side * side, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * latent_dim),
        )  # fmt: skip

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_variance = self.net(x).chunk(2, dim=1)
        return mean, log_variance


class ConvDecoder(nn.Module):
    """z → FC ``hidden`` → FC to 2·``width``×S/4×S/4 → two stride-2 4×4 transposed convolutions → C×S×S values."""

    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 32, width: int = 32, hidden: int = 256):
        super().__init__()
        side = _check_size(image_size)
        self.image_size, self.channels, self.latent_dim, self.width, self.hidden = image_size, channels, latent_dim, width, hidden
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * width * side * side), nn.ReLU(),
            nn.Unflatten(1, (2 * width, side, side)),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1),
        )  # fmt: skip

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)
