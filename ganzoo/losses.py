"""Adversarial losses as pure functions of discriminator logits.

Every function takes raw discriminator outputs (logits, never probabilities) and returns a
scalar mean over the batch. ``softplus(x) = log(1 + e^x)`` gives the numerically stable forms:
``-log σ(x) = softplus(-x)`` and ``-log(1 - σ(x)) = softplus(x)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def minimax_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al. 2014).

    ``L_D = -E[log D(x)] - E[log(1 - D(G(z)))] = E[softplus(-l_real)] + E[softplus(l_fake)]``

    where ``D = σ(l)``. With the optimal discriminator ``D* = p/(p+q)``, ``-L_D`` equals the
    value ``V(D*, G) = -log 4 + 2·JSD(p‖q)``.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """Generator loss of the minimax game (Goodfellow et al. 2014).

    ``L_G = E[log(1 - D(G(z)))] = -E[softplus(l_fake)]``

    Its gradient vanishes as ``D(G(z)) → 0``, i.e. early in training, when the discriminator
    rejects the samples with confidence.
    """
    return -F.softplus(fake_logits).mean()


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """Non-saturating generator loss (Goodfellow et al. 2014, Section 3).

    ``L_G = -E[log D(G(z))] = E[softplus(-l_fake)]``

    Same fixed point as the minimax loss, but strong gradients when ``D(G(z)) → 0``.
    """
    return F.softplus(-fake_logits).mean()


GENERATOR_LOSSES = {
    "minimax": minimax_generator_loss,
    "non_saturating": non_saturating_generator_loss,
}


def is_finite(loss: Tensor) -> bool:
    """True when a scalar loss is neither NaN nor infinite."""
    return bool(torch.isfinite(loss).all())
