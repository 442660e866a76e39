"""WGAN-GP (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs").

Critic: minimise ``E[D(G(z))] - E[D(x)] + λ·E[(‖∇D(x̂)‖₂ - 1)²]`` on ``x̂ = αx + (1-α)G(z)``, α ~ U[0, 1]
per sample; λ = 10. Generator: minimise ``-E[D(G(z))]``. Adam(1e-4, β = (0, 0.9)), n_critic = 5.
The critic must not mix samples (no BatchNorm, minibatch discrimination or packing: the penalty is per
sample); the penalty is computed in float32.
A preset of ``GAN(loss=wasserstein, regularizers=[GradientPenalty(λ, at=interpolates)])``.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.cli import OptimizerCallable
from torch import nn

from ganzoo.models.gan import GAN
from ganzoo.models.hparams import adam
from ganzoo.regularizers import GradientPenalty


class WGANGP(GAN):
    """Wasserstein GAN with gradient penalty.

    Args:
        gp_weight: λ, the weight of the gradient penalty.
    """

    fixed_options = ("loss", "regularizers", "generator_loss")

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        gp_weight: float = 10.0,
        n_critic: int = 5,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            generator,
            discriminator,
            loss="wasserstein",
            regularizers=[GradientPenalty(gp_weight, at="interpolates")],
            g_optimizer=g_optimizer or adam(1e-4, (0.0, 0.9)),
            d_optimizer=d_optimizer or adam(1e-4, (0.0, 0.9)),
            n_critic=n_critic,
            **kwargs,
        )
        self.gp_weight = gp_weight
