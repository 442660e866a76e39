"""DCGAN-sized networks conditioned on a sentence embedding, as GAN-CLS's (Reed et al. 2016, Section 4.1).

* ``TextConditionalGenerator``: φ(t) compressed by a learned projection with LeakyReLU(0.2) to a small code
  (the paper: 1024 → 128), concatenated with z, then DCGAN's generator.
* ``TextConditionalDiscriminator``: DCGAN's strided convolutions down to the last map (4×4; 7×7 for 28 px), the
  projected text replicated spatially and concatenated depth-wise, a 1×1 convolution with LeakyReLU, then the
  last map's convolution to one logit (``conditioning: concat``, the paper's). ``conditioning: projection`` adds the
  projection discriminator's term (Miyato & Koyama 2018): ⟨V·code(t), φ(x)⟩ on the sum-pooled last map φ(x), an
  inner product that asks directly whether the image's features are the ones the text names.
"""

from __future__ import annotations

import torch
from typing import Literal

from torch import Tensor, nn

from ganzoo.nets.dcgan import DCGANGenerator, dcgan_init_, discriminator_body


def check_text(text: Tensor, text_dim: int, batch: int) -> None:
    if text.shape != (batch, text_dim) or not text.is_floating_point():
        raise ValueError(
            f"the text must be {batch} float embeddings of size {text_dim}, got shape {tuple(text.shape)} of {text.dtype}"
        )


def text_projection(text_dim: int, code_dim: int) -> nn.Sequential:
    """φ(t) → LeakyReLU(0.2)(W φ(t) + b): the compressed text code."""
    return nn.Sequential(nn.Linear(text_dim, code_dim), nn.LeakyReLU(0.2, True))


class TextConditionalGenerator(nn.Module):
    """(z, φ(t)) → image: ``DCGANGenerator`` on ``[z, code(φ(t))]``."""

    def __init__(
        self,
        latent_dim: int = 100,
        text_dim: int = 256,
        code_dim: int = 128,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
    ):
        super().__init__()
        self.latent_dim, self.text_dim, self.code_dim = latent_dim, text_dim, code_dim
        self.image_size, self.channels, self.base_channels = image_size, channels, base_channels
        self.projection = text_projection(text_dim, code_dim)
        self.body = DCGANGenerator(latent_dim + code_dim, image_size, channels, base_channels)
        dcgan_init_(self.projection)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.body.output_shape

    def forward(self, z: Tensor, text: Tensor) -> Tensor:
        check_text(text, self.text_dim, len(z))
        return self.body(torch.cat([z, self.projection(text)], dim=1))


class TextConditionalDiscriminator(nn.Module):
    """(x, φ(t)) → one logit: does the image look real *and* match the text?"""

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
        text_dim: int = 256,
        code_dim: int = 128,
        batch_norm: bool = True,
        conditioning: Literal["concat", "projection"] = "concat",
    ):
        super().__init__()
        if conditioning not in ("concat", "projection"):
            raise ValueError(f"conditioning must be 'concat' or 'projection', got {conditioning!r}")
        self.image_size, self.channels, self.base_channels = image_size, channels, base_channels
        self.text_dim, self.code_dim, self.batch_norm = text_dim, code_dim, batch_norm
        self.conditioning = conditioning
        layers, width, self.start = discriminator_body(image_size, channels, base_channels, batch_norm)
        self.body = nn.Sequential(*layers)
        self.projection = text_projection(text_dim, code_dim)
        joint: list[nn.Module] = [nn.Conv2d(width + code_dim, width, 1, 1, 0, bias=not batch_norm)]
        joint += [nn.BatchNorm2d(width)] if batch_norm else []
        joint += [nn.LeakyReLU(0.2, True), nn.Conv2d(width, 1, self.start, 1, 0)]
        self.joint = nn.Sequential(*joint)
        self.text_features = nn.Linear(code_dim, width, bias=False) if conditioning == "projection" else None
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, x: Tensor, text: Tensor) -> Tensor:
        check_text(text, self.text_dim, len(x))
        features = self.body(x)
        code = self.projection(text)
        logit = self.joint(torch.cat([features, code[:, :, None, None].expand(-1, -1, self.start, self.start)], 1))
        if self.text_features is None:
            return logit.flatten()
        return logit.flatten() + (self.text_features(code) * features.sum(dim=(2, 3))).sum(1)
