"""GAN: the original adversarial game (Goodfellow et al. 2014, "Generative Adversarial Nets").

Discriminator: minimise ``-E[log D(x)] - E[log(1 - D(G(z)))]``.
Generator: the minimax loss ``E[log(1 - D(G(z)))]`` or the non-saturating ``-E[log D(G(z))]``.
``loss: hinge`` plays the hinge game instead (Lim & Ye 2017): D minimises
``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]`` and G minimises ``-E[D(G(z))]``.
"""

from __future__ import annotations

from typing import Any, Literal

from torch import Tensor, nn

from ganzoo import losses
from ganzoo.models.base import GANModule


class GAN(GANModule):
    """The GAN family of losses on logits.

    Args:
        generator_loss: ``non_saturating`` (default) or ``minimax``, with the cross-entropy loss.
        loss: ``cross_entropy`` (the original game) or ``hinge``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        generator_loss: Literal["minimax", "non_saturating"] = "non_saturating",
        loss: Literal["cross_entropy", "hinge"] = "cross_entropy",
        **kwargs: Any,
    ):
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(losses.GENERATOR_LOSSES)}, got {generator_loss!r}")
        if loss not in ("cross_entropy", "hinge"):
            raise ValueError(f"loss must be 'cross_entropy' or 'hinge', got {loss!r}")
        super().__init__(generator, discriminator, **kwargs)
        self.generator_loss_name = generator_loss
        self.loss = loss

    def discriminator_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        if self.loss == "hinge":
            return losses.hinge_discriminator_loss(real_logits, fake_logits)
        return losses.minimax_discriminator_loss(real_logits, fake_logits)

    def generator_objective(self, fake_logits: Tensor) -> Tensor:
        if self.loss == "hinge":
            return losses.hinge_generator_loss(fake_logits)
        return losses.GENERATOR_LOSSES[self.generator_loss_name](fake_logits)

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return self.discriminator_objective(self.discriminate(real), self.discriminate(fake))

    def generator_loss(self, fake: Tensor) -> Tensor:
        return self.generator_objective(self.discriminate(fake))
