"""WGAN (Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN").

Critic (linear output): minimise ``E[D(G(z))] - E[D(x)]``; after every critic update every critic
weight is clipped to ``[-c, c]`` (c = 0.01). Generator: minimise ``-E[D(G(z))]``.
RMSProp with lr 5e-5 and n_critic = 5, as in the paper's Algorithm 1. ``GAN(loss=wasserstein)`` plus clipping.
"""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch import nn

from ganzoo.models.gan import GAN
from ganzoo.models.hparams import rmsprop


class WGAN(GAN):
    """Wasserstein GAN with weight clipping.

    Args:
        clip_value: c, the bound on every critic parameter.
    """

    fixed_options = ("loss", "generator_loss")

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        clip_value: float = 0.01,
        n_critic: int = 5,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        **kwargs: Any,
    ):
        if clip_value <= 0:
            raise ValueError(f"clip_value must be positive, got {clip_value}")
        super().__init__(
            generator,
            discriminator,
            loss="wasserstein",
            g_optimizer=g_optimizer or rmsprop(5e-5),
            d_optimizer=d_optimizer or rmsprop(5e-5),
            n_critic=n_critic,
            **kwargs,
        )
        self.clip_value = clip_value

    @torch.no_grad()
    def after_discriminator_step(self) -> None:
        for parameter in self.discriminator.parameters():
            parameter.clamp_(-self.clip_value, self.clip_value)
