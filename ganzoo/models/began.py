"""BEGAN (Berthelot, Schumm & Metz 2017, "Boundary Equilibrium Generative Adversarial Networks").

D is an autoencoder and ``L(v) = E|v - D(v)|``. Each step:

    L_D = L(x) - k_t · L(G(z_D))        (discriminator update)
    L_G = L(G(z_G))                     (generator update)
    k_{t+1} = clip(k_t + λ_k (γ L(x) - L(G(z_G))), 0, 1)
    M_global = L(x) + |γ L(x) - L(G(z_G))|    (the convergence measure; it falls as training converges)

γ = 0.5 (diversity ratio), λ_k = 0.001, k_0 = 0. k_t couples the two updates: the loop's
``after_generator_step`` hook moves it, from the step's L(x) (logged as ``real_reconstruction``) and L_G.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.base import GANModule


class BEGAN(GANModule):
    """Boundary-equilibrium GAN.

    Args:
        gamma: γ, the target ratio E[L(G(z))] / E[L(x)].
        lambda_k: λ_k, the proportional gain of the k_t controller.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        gamma: float = 0.5,
        lambda_k: float = 0.001,
        **kwargs: Any,
    ):
        if kwargs.get("n_critic", 1) != 1:
            raise ValueError("BEGAN alternates one discriminator and one generator update: n_critic must be 1")
        super().__init__(generator, discriminator, **kwargs)
        self.gamma = gamma
        self.lambda_k = lambda_k
        self.register_buffer("k", torch.zeros(()))  # k_t, saved in checkpoints

    def reconstruction_loss(self, x: Tensor) -> Tensor:
        return losses.began_reconstruction_loss(x, self.discriminate(x))

    def discriminator_loss(self, real: Batch, fake: Batch) -> tuple[Tensor, dict[str, Tensor]]:
        """L(x) - k_t · L(G(z_D)), and L(x) for the k_t update."""
        loss_real = self.reconstruction_loss(real.images)
        return loss_real - self.k * self.reconstruction_loss(fake.images), {"real_reconstruction": loss_real}

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        return self.reconstruction_loss(fake.images)

    def after_generator_step(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        """k_{t+1} = clip(k_t + λ_k (γ L(x) − L_G), 0, 1), the same on every DDP rank; M_global."""
        loss_real = values["real_reconstruction"].detach()
        balance = self.gamma * loss_real - values["g_loss"].detach()
        balance = self.trainer.strategy.reduce(balance, reduce_op="mean")  # one k_t on every DDP rank
        self.k = (self.k + self.lambda_k * balance).clamp(0.0, 1.0)
        return {"M_global": loss_real + balance.abs(), "k": self.k}
