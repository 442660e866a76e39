"""GAN: the original adversarial game (Goodfellow et al. 2014, "Generative Adversarial Nets").

Discriminator: minimise ``-E[log D(x)] - E[log(1 - D(G(z)))]``.
Generator: the minimax loss ``E[log(1 - D(G(z)))]`` or the non-saturating ``-E[log D(G(z))]``.
"""

from __future__ import annotations

from typing import Any, Literal

from torch import Tensor, nn

from ganzoo import losses
from ganzoo.models.base import GANModule


class GAN(GANModule):
    """The original GAN; ``generator_loss`` picks ``minimax`` or ``non_saturating`` (the default)."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        generator_loss: Literal["minimax", "non_saturating"] = "non_saturating",
        **kwargs: Any,
    ):
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(losses.GENERATOR_LOSSES)}, got {generator_loss!r}")
        super().__init__(generator, discriminator, **kwargs)
        self.generator_loss_name = generator_loss

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return losses.minimax_discriminator_loss(self.discriminate(real), self.discriminate(fake))

    def generator_loss(self, fake: Tensor) -> Tensor:
        return losses.GENERATOR_LOSSES[self.generator_loss_name](self.discriminate(fake))
