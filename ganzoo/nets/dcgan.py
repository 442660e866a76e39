"""DCGAN generator and discriminator (Radford, Metz & Chintala 2016).

Strided convolutions in D and transposed convolutions in G, no pooling and no fully connected
hidden layers; BatchNorm in G except the output layer and in D except the input layer; ReLU in
G with a tanh output; LeakyReLU(0.2) in D; weights drawn from N(0, 0.02).

Supported sizes: 16, 32 and 64 pixels start from a 4×4 map; 28 pixels (MNIST) from 7×7.
Each stride-2 layer doubles (G) or halves (D) the side, and channels halve (G) or double (D).
"""

from __future__ import annotations

from torch import Tensor, nn

from ganzoo.nets.minibatch import MinibatchDiscrimination

SUPPORTED_SIZES = {16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}  # size → (start side, stride-2 layers)


def _check_size(image_size: int) -> tuple[int, int]:
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"DCGAN nets support image_size in {sorted(SUPPORTED_SIZES)}, got {image_size}")
    return SUPPORTED_SIZES[image_size]


def dcgan_init_(module: nn.Module) -> None:
    """Radford et al.'s initialisation: conv weights ~ N(0, 0.02), BatchNorm γ ~ N(1, 0.02), β = 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """z (latent_dim) → start×start map with base_channels·2^(n-1) channels → … → channels×size×size, tanh.

    ``hidden > 0`` first maps z through a fully connected layer of that width (BatchNorm, ReLU), as
    InfoGAN's MNIST generator does (Chen et al. 2016, FC-1024 before the 7×7×128 map).
    """

    def __init__(
        self, latent_dim: int = 100, image_size: int = 64, channels: int = 3, base_channels: int = 64, hidden: int = 0
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.channels = channels
        self.base_channels = base_channels
        self.hidden = hidden
        start, n_up = _check_size(image_size)
        width = base_channels * 2 ** (n_up - 1)
        layers: list[nn.Module] = []
        if hidden > 0:
            layers += [nn.ConvTranspose2d(latent_dim, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(True)]
        layers += [
            nn.ConvTranspose2d(hidden or latent_dim, width, start, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], self.latent_dim, 1, 1))


def discriminator_body(
    image_size: int, channels: int, base_channels: int, batch_norm: bool = True, negative_slope: float = 0.2
) -> tuple[list[nn.Module], int, int]:
    """DCGAN's D without its output layer: the layers, their last width and the side of their last map."""
    start, n_down = _check_size(image_size)
    width = base_channels
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(negative_slope, True)]
    for _ in range(n_down - 1):
        layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=not batch_norm)]
        if batch_norm:
            layers += [nn.BatchNorm2d(width * 2)]
        layers += [nn.LeakyReLU(negative_slope, True)]
        width *= 2
    return layers, width, start


class DCGANDiscriminator(nn.Module):
    """channels×size×size → stride-2 convs (LeakyReLU 0.2, BatchNorm after the first) → one logit.

    ``batch_norm=False`` drops BatchNorm everywhere (a critic for gradient penalties must not
    mix samples of a batch). ``minibatch_kernels > 0`` replaces the last convolution by
    minibatch discrimination (Salimans et al. 2016) on the flattened features and a linear output.
    ``hidden > 0`` puts a fully connected layer of that width before the output (InfoGAN's MNIST
    discriminator, the one architecture of Lucic et al. 2018's MNIST study).
    """

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
        batch_norm: bool = True,
        minibatch_kernels: int = 0,
        minibatch_kernel_dim: int = 16,
        hidden: int = 0,
    ):
        super().__init__()
        self.image_size = image_size
        self.channels = channels
        self.base_channels = base_channels
        self.batch_norm = batch_norm
        self.minibatch_kernels = minibatch_kernels
        self.minibatch_kernel_dim = minibatch_kernel_dim
        self.hidden = hidden
        layers, width, start = discriminator_body(image_size, channels, base_channels, batch_norm)
        features = width * start * start
        if hidden > 0:  # nn.Linear: on the CPU a third faster than the same layer as a convolution over the map
            layers += [nn.Flatten(), nn.Linear(features, hidden, bias=not batch_norm)]
            layers += [nn.BatchNorm1d(hidden)] if batch_norm else []
            layers += [nn.LeakyReLU(0.2, True)]
            features = hidden
        if minibatch_kernels:
            layers += [
                nn.Flatten(),
                MinibatchDiscrimination(features, minibatch_kernels, minibatch_kernel_dim),
                nn.Linear(features + minibatch_kernels, 1),
            ]
        elif hidden > 0:
            layers += [nn.Linear(hidden, 1)]
        else:
            layers += [nn.Conv2d(width, 1, start, 1, 0)]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten()
