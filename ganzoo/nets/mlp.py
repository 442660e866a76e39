"""Multilayer perceptrons for 2D toy data (Goodfellow et al. 2014 used MLPs throughout)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn


def _mlp(sizes: Sequence[int], activation: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z ∈ R^latent_dim → hidden ReLU layers → x ∈ R^data_dim (linear output)."""

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, hidden_dims: Sequence[int] = (128, 128, 128)):
        super().__init__()
        self.latent_dim = latent_dim
        self.data_dim = data_dim
        self.hidden_dims = list(hidden_dims)
        self.net = _mlp([latent_dim, *hidden_dims, data_dim], nn.ReLU)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.data_dim,)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x ∈ R^data_dim → hidden LeakyReLU(0.2) layers → one logit."""

    def __init__(self, data_dim: int = 2, hidden_dims: Sequence[int] = (128, 128, 128)):
        super().__init__()
        self.data_dim = data_dim
        self.hidden_dims = list(hidden_dims)
        self.net = _mlp([data_dim, *hidden_dims, 1], lambda: nn.LeakyReLU(0.2))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.data_dim,)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1)).squeeze(1)
