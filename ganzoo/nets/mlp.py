"""Multilayer perceptrons for 2D toy data (Goodfellow et al. 2014 used MLPs throughout)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from ganzoo.nets.minibatch import MinibatchDiscrimination


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
    """x ∈ R^data_dim → hidden LeakyReLU layers (``negative_slope`` 0.2; 0: ReLU) → one logit.

    ``minibatch_kernels > 0`` inserts minibatch discrimination (Salimans et al. 2016) before the output.
    ``pack = m > 1`` is PacGAN (Lin et al. 2018): D sees m samples of the same kind concatenated into one
    input of m·data_dim and gives one logit per pack, so a batch of B gives B / m logits. A generator
    that drops modes makes packs that look alike, which a packed D can tell from real packs.
    """

    def __init__(
        self,
        data_dim: int = 2,
        hidden_dims: Sequence[int] = (128, 128, 128),
        minibatch_kernels: int = 0,
        minibatch_kernel_dim: int = 16,
        pack: int = 1,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        if pack < 1:
            raise ValueError(f"pack must be a positive number of samples, got {pack}")
        self.data_dim = data_dim
        self.pack = pack
        self.hidden_dims = list(hidden_dims)
        self.minibatch_kernels = minibatch_kernels
        self.minibatch_kernel_dim = minibatch_kernel_dim
        self.negative_slope = negative_slope
        if minibatch_kernels:
            features = _mlp([data_dim * pack, *hidden_dims], lambda: nn.LeakyReLU(negative_slope))
            self.net = nn.Sequential(
                features,
                nn.LeakyReLU(negative_slope),
                MinibatchDiscrimination(hidden_dims[-1], minibatch_kernels, minibatch_kernel_dim),
                nn.Linear(hidden_dims[-1] + minibatch_kernels, 1),
            )
        else:
            self.net = _mlp([data_dim * pack, *hidden_dims, 1], lambda: nn.LeakyReLU(negative_slope))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.data_dim,)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        if self.pack > 1:  # pack 1 keeps the graph as before: a reshape there changed seeded unrolled-GAN runs
            if len(x) % self.pack:
                raise ValueError(
                    f"A batch of {len(x)} does not split into packs of {self.pack}: use a batch size divisible by it."
                )
            x = x.reshape(len(x) // self.pack, -1)
        return self.net(x).squeeze(1)
