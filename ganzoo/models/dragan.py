"""DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs").

The GAN game plus a gradient penalty around the real data: D minimises
``L_D + λ·E[(‖∇D(x̂)‖₂ - 1)²]`` with ``x̂ = αx + (1-α)(x + 0.5·std(x)·u)``, u ~ U[0, 1], λ = 10.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ganzoo import losses
from ganzoo.models.gan import GAN
from ganzoo.models.wgan_gp import reject_batch_norm


class DRAGAN(GAN):
    """GAN with DRAGAN's penalty.

    Args:
        penalty_weight: λ.
        perturbation: the noise scale in units of the batch's standard deviation.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        penalty_weight: float = 10.0,
        perturbation: float = 0.5,
        **kwargs: Any,
    ):
        reject_batch_norm(discriminator, "DRAGAN")
        super().__init__(generator, discriminator, **kwargs)
        self.penalty_weight = penalty_weight
        self.perturbation = perturbation

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        penalty = losses.dragan_penalty(self.discriminate, real, self.perturbation)
        self.log("gradient_penalty", penalty.detach())
        return super().discriminator_loss(real, fake) + self.penalty_weight * penalty
