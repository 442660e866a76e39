"""DCGAN-sized networks for the conditional family: labels or codes in, class or code heads out.

* ``ConditionalDCGANGenerator``: G(z, y), z concatenated with a learned embedding of y (Mirza & Osindero
  2014; the embedding as in Odena et al.'s ACGAN code).
* ``ConditionalDCGANDiscriminator``: D(x, y) by ``concat`` (the embedding, mapped to one image-sized
  channel, joins x at the input) or ``projection`` (Miyato & Koyama 2018: ``ψ(φ(x)) + ⟨e(y), φ(x)⟩`` on
  the sum-pooled features φ).
* ``AuxiliaryClassifierDiscriminator``: one body, a real/fake logit and class logits (ACGAN).
* ``InfoGANDiscriminator``: one body, a real/fake logit and Q's heads: categorical-code logits and the
  means of the continuous codes (Chen et al. 2016).
Every head returns logits; no softmax anywhere (``cross_entropy`` applies it).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from ganzoo.nets.dcgan import DCGANGenerator, dcgan_init_, discriminator_body


def check_labels(labels: Tensor, num_classes: int, batch: int) -> None:
    """One integer class per sample, or a clear error. (The range is checked where labels enter: the model's
    ``sample`` and the data at setup; a check here would stall a GPU every step.)"""
    if labels.shape != (batch,) or labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ValueError(
            f"labels must be {batch} integer classes in [0, {num_classes - 1}] (shape ({batch},)), "
            f"got shape {tuple(labels.shape)} of {labels.dtype}"
        )


class ConditionalDCGANGenerator(nn.Module):
    """(z, y) → image: ``DCGANGenerator`` on ``[z, e(y)]`` (``conditioning: concat``) or on ``z ⊙ e(y)``
    (``multiply``, e of z's size: the class scales each noise dimension, so z cannot be drowned out)."""

    def __init__(
        self,
        latent_dim: int = 100,
        num_classes: int = 10,
        embedding_dim: int = 50,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
        conditioning: Literal["concat", "multiply"] = "concat",
    ):
        super().__init__()
        if conditioning not in ("concat", "multiply"):
            raise ValueError(f"conditioning must be 'concat' or 'multiply', got {conditioning!r}")
        self.latent_dim, self.num_classes, self.embedding_dim = latent_dim, num_classes, embedding_dim
        self.image_size, self.channels, self.base_channels = image_size, channels, base_channels
        self.conditioning = conditioning
        multiply = conditioning == "multiply"
        self.embedding = nn.Embedding(num_classes, latent_dim if multiply else embedding_dim)
        self.body = DCGANGenerator(latent_dim if multiply else latent_dim + embedding_dim, image_size, channels, base_channels)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.body.output_shape

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        check_labels(labels, self.num_classes, len(z))
        if self.conditioning == "multiply":
            return self.body(z * self.embedding(labels.long()))
        return self.body(torch.cat([z, self.embedding(labels.long())], dim=1))


class ConditionalDCGANDiscriminator(nn.Module):
    """(x, y) → one logit, conditioned by ``concat`` or ``projection``."""

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
        num_classes: int = 10,
        conditioning: Literal["concat", "projection"] = "concat",
        embedding_dim: int = 50,
        batch_norm: bool = True,
    ):
        super().__init__()
        if conditioning not in ("concat", "projection"):
            raise ValueError(f"conditioning must be 'concat' or 'projection', got {conditioning!r}")
        self.image_size, self.channels, self.base_channels = image_size, channels, base_channels
        self.num_classes, self.conditioning, self.embedding_dim = num_classes, conditioning, embedding_dim
        self.batch_norm = batch_norm
        extra = 1 if conditioning == "concat" else 0
        layers, width, start = discriminator_body(image_size, channels + extra, base_channels, batch_norm)
        self.body = nn.Sequential(*layers)
        if conditioning == "concat":
            self.embedding = nn.Embedding(num_classes, embedding_dim)
            self.label_map = nn.Linear(embedding_dim, image_size * image_size)
            self.output = nn.Conv2d(width, 1, start, 1, 0)
        else:
            self.embedding = nn.Embedding(num_classes, width)
            self.output = nn.Linear(width, 1)
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        check_labels(labels, self.num_classes, len(x))
        if self.conditioning == "concat":
            label_plane = self.label_map(self.embedding(labels.long())).view(-1, 1, self.image_size, self.image_size)
            return self.output(self.body(torch.cat([x, label_plane], dim=1))).flatten()
        features = self.body(x).sum(dim=(2, 3))  # φ(x), sum-pooled
        return self.output(features).flatten() + (self.embedding(labels.long()) * features).sum(1)


class AuxiliaryClassifierDiscriminator(nn.Module):
    """x → (real/fake logit, class logits): ACGAN's D (Odena et al. 2017)."""

    def __init__(
        self, image_size: int = 64, channels: int = 3, base_channels: int = 64, num_classes: int = 10, batch_norm: bool = True
    ):
        super().__init__()
        self.image_size, self.channels, self.base_channels = image_size, channels, base_channels
        self.num_classes, self.batch_norm = num_classes, batch_norm
        layers, width, start = discriminator_body(image_size, channels, base_channels, batch_norm)
        self.body = nn.Sequential(*layers)
        self.adversarial = nn.Conv2d(width, 1, start, 1, 0)
        self.classifier = nn.Conv2d(width, num_classes, start, 1, 0)
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(x)
        return self.adversarial(h).flatten(), self.classifier(h).flatten(1)


class InfoGANDiscriminator(nn.Module):
    """x → (real/fake logit, categorical-code logits, continuous-code means): D and Q sharing one body.

    ``hidden > 0`` ends the body with a fully connected layer of that width (BatchNorm, LeakyReLU), as the
    paper's MNIST discriminator does (FC-1024 after the convolutions). ``negative_slope`` is every LeakyReLU's:
    0.2 as in DCGAN, 0.01 in the paper's code (openai/InfoGAN's ``leaky_rectify``).
    """

    def __init__(
        self,
        image_size: int = 28,
        channels: int = 1,
        base_channels: int = 64,
        categorical_dim: int = 10,
        continuous_dim: int = 2,
        q_hidden: int = 128,
        batch_norm: bool = True,
        hidden: int = 0,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        self.image_size, self.channels, self.base_channels = image_size, channels, base_channels
        self.categorical_dim, self.continuous_dim, self.q_hidden = categorical_dim, continuous_dim, q_hidden
        self.batch_norm, self.hidden, self.negative_slope = batch_norm, hidden, negative_slope
        layers, width, start = discriminator_body(image_size, channels, base_channels, batch_norm, negative_slope)
        if hidden > 0:
            layers += [nn.Conv2d(width, hidden, start, 1, 0, bias=not batch_norm)]
            layers += [nn.BatchNorm2d(hidden)] if batch_norm else []
            layers += [nn.LeakyReLU(negative_slope, True)]
            width, start = hidden, 1
        self.body = nn.Sequential(*layers)
        self.adversarial = nn.Conv2d(width, 1, start, 1, 0)
        q_layers: list[nn.Module] = [nn.Conv2d(width, q_hidden, start, 1, 0, bias=not batch_norm)]
        if batch_norm:
            q_layers.append(nn.BatchNorm2d(q_hidden))
        q_layers += [nn.LeakyReLU(negative_slope, True), nn.Flatten()]
        q_layers += [nn.Linear(q_hidden, categorical_dim + continuous_dim)]
        self.q_head = nn.Sequential(*q_layers)
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h = self.body(x)
        q = self.q_head(h)
        return self.adversarial(h).flatten(), q[:, : self.categorical_dim], q[:, self.categorical_dim :]
