"""DCGAN (Radford, Metz & Chintala 2016): the GAN game with all-convolutional networks.

The algorithm is the non-saturating GAN; what DCGAN fixes is the architecture
(``ganzoo.nets.DCGANGenerator``/``DCGANDiscriminator``) and the optimizer, Adam with
lr = 2e-4 and β1 = 0.5, which are the defaults here.
"""

from __future__ import annotations

from typing import Any, Literal

from torch import nn

from ganzoo.models.gan import GAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator


class DCGAN(GAN):
    """Non-saturating GAN with DCGAN networks (64×64 RGB by default; configs set the size)."""

    def __init__(
        self,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
        generator_loss: Literal["minimax", "non_saturating"] = "non_saturating",
        **kwargs: Any,
    ):
        super().__init__(
            generator if generator is not None else DCGANGenerator(),
            discriminator if discriminator is not None else DCGANDiscriminator(),
            generator_loss=generator_loss,
            **kwargs,
        )
