"""Adversarial losses as pure functions of discriminator logits.

Every function takes raw discriminator outputs (logits, never probabilities) and returns a
scalar mean over the batch. ``softplus(x) = log(1 + e^x)`` gives the numerically stable forms:
``-log σ(x) = softplus(-x)`` and ``-log(1 - σ(x)) = softplus(x)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

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


def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): ``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]``."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def hinge_generator_loss(fake_logits: Tensor) -> Tensor:
    """Generator side of the hinge game: ``-E[D(G(z))]``."""
    return -fake_logits.mean()


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """WGAN critic loss (Arjovsky et al. 2017): ``E[D(G(z))] - E[D(x)]``, minus the Wasserstein-1 estimate."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """WGAN generator loss: ``-E[D(G(z))]``."""
    return -fake_scores.mean()


def least_squares_discriminator_loss(real_scores: Tensor, fake_scores: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """LSGAN (Mao et al. 2017): ``½E[(D(x) - b)²] + ½E[(D(G(z)) - a)²]`` (fake label a, real label b)."""
    return 0.5 * (real_scores - b).pow(2).mean() + 0.5 * (fake_scores - a).pow(2).mean()


def least_squares_generator_loss(fake_scores: Tensor, c: float = 1.0) -> Tensor:
    """LSGAN generator loss: ``½E[(D(G(z)) - c)²]`` (c, the value G wants D to believe for fakes)."""
    return 0.5 * (fake_scores - c).pow(2).mean()


def began_reconstruction_loss(x: Tensor, reconstruction: Tensor) -> Tensor:
    """BEGAN's autoencoder loss (Berthelot et al. 2017) with η = 1: ``L(v) = E|v - D(v)|``, the mean L1 error."""
    return (x - reconstruction).abs().mean()


def _unit_gradient_norm_penalty(critic: Callable[[Tensor], Tensor], points: Tensor) -> Tensor:
    """``E[(‖∇ₓD(x̂)‖₂ - 1)²]`` over ``points``, computed in float32 outside autocast.

    Lightning's mixed-precision plugins do not scale ``torch.autograd.grad``; in float32 the input
    gradients neither underflow (16-mixed) nor lose precision (bf16-mixed).
    """
    points = points.detach().float().requires_grad_(True)
    with torch.autocast(device_type=points.device.type, enabled=False):
        scores = critic(points).float()
        (gradients,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    norms = gradients.flatten(1).norm(2, dim=1)
    return (norms - 1).pow(2).mean()


def gradient_penalty(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, alpha: Tensor | None = None
) -> Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): ``E[(‖∇D(x̂)‖₂ - 1)²]`` on ``x̂ = αx + (1-α)G(z)``.

    α ~ U[0, 1] is drawn once **per sample** (shape N × 1 × … × 1) unless given. Multiply by λ.
    """
    if alpha is None:
        alpha = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device)
    interpolates = alpha * real.detach().float() + (1 - alpha) * fake.detach().float()
    return _unit_gradient_norm_penalty(critic, interpolates)


def dragan_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    perturbation: float = 0.5,
    alpha: Tensor | None = None,
    noise: Literal["code", "paper"] = "code",
) -> Tensor:
    """DRAGAN penalty (Kodali et al. 2017): ``E[(‖∇D(x̂)‖₂ - 1)²]`` around the real data. Multiply by λ.

    ``noise="code"`` (the authors' code, the default): ``x_p = x + c·std(x)·u``, u ~ U[0, 1] elementwise,
    std over the batch, ``x̂ = αx + (1-α)x_p`` with α ~ U[0, 1] per sample; c = ``perturbation`` (0.5).
    ``noise="paper"`` (the paper's formula): ``x̂ = x + δ``, δ ~ N(0, c·I); c = ``perturbation`` (≈ 10 in the paper).
    """
    real = real.detach().float()
    if noise == "paper":
        return _unit_gradient_norm_penalty(critic, real + perturbation**0.5 * torch.randn_like(real))
    if noise != "code":
        raise ValueError(f"DRAGAN's noise must be 'code' or 'paper', got {noise!r}")
    noisy = real + perturbation * real.std() * torch.rand_like(real)
    if alpha is None:
        alpha = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device)
    return _unit_gradient_norm_penalty(critic, alpha * real + (1 - alpha) * noisy)


def r1_penalty(critic: Callable[[Tensor], Tensor], real: Tensor) -> Tensor:
    """R1 penalty (Mescheder et al. 2018): ``E[‖∇ₓD(x)‖₂²]`` at the real data, in float32. Multiply by γ/2."""
    points = real.detach().float().requires_grad_(True)
    with torch.autocast(device_type=points.device.type, enabled=False):
        (gradients,) = torch.autograd.grad(critic(points).float().sum(), points, create_graph=True)
    return gradients.flatten(1).pow(2).sum(1).mean()


def auxiliary_classifier_loss(class_logits: Tensor, labels: Tensor) -> Tensor:
    """ACGAN's class term (Odena et al. 2017): ``-E[log P(C = c | x)]`` = cross-entropy of the auxiliary
    head's **logits** (no softmax before it) with the class labels."""
    return F.cross_entropy(class_logits, labels)


def categorical_mutual_information(code_logits: Tensor, codes: Tensor) -> Tensor:
    """InfoGAN's lower bound on I(c; G(z, c)) for a uniform K-way code (Chen et al. 2016, eq. 5):

    ``L_I = H(c) + E[log Q(c | G(z, c))] = ln K − CE(Q's logits, c)``, at most ``H(c) = ln K``,
    equal to it when Q is certain and right."""
    return math.log(code_logits.shape[1]) - F.cross_entropy(code_logits, codes)


def continuous_code_loss(predicted: Tensor, codes: Tensor) -> Tensor:
    """InfoGAN's continuous-code term: the negative log-likelihood of a fixed-variance Gaussian Q(c|x), up to a
    constant, i.e. the mean squared error ``E[‖ĉ − c‖²] / 2`` per code dimension (``mean`` over dimensions)."""
    return 0.5 * (predicted - codes).pow(2).mean()


def is_finite(loss: Tensor) -> bool:
    """True when a scalar loss is neither NaN nor infinite."""
    return bool(torch.isfinite(loss).all())
