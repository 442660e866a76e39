"""Unrolled GAN's look-ahead against a hand-unrolled step: the second-order term, and D's regularisers inside it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models import UnrolledGAN
from ganzoo.nets import MLPGenerator
from ganzoo.regularizers import GradientPenalty

LR = 0.5  # D's learning rate in the unrolled SGD step (large, so that the look-ahead's effect is large)


class LinearCritic(nn.Module):
    """D(x) = w·x + b, one logit per sample."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x).squeeze(1)


def unrolled_gan(**kwargs) -> UnrolledGAN:
    torch.manual_seed(0)
    model = UnrolledGAN(MLPGenerator(latent_dim=2, hidden_dims=[8]), LinearCritic(), unrolling_steps=1, **kwargs)
    model.update_rule = lambda: (lambda i, weight, grad: weight - LR * grad)  # plain SGD, no optimizer needed
    return model


def generator_gradient(model: UnrolledGAN, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """∂L_G/∂(fakes) of the model's unrolled generator loss."""
    fake = fake.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.generator_loss(Batch(fake), Batch(real)), fake)
    return grad


def test_one_unrolled_sgd_step_matches_the_hand_unrolled_gradient_second_order_term_included():
    """With D(x) = w·x + b and L_D = E softplus(−D(x)) + E softplus(D(x̃)), one SGD step is, in closed form,
    w₁ = w − η (−E[σ(−D(x)) x] + E[σ(D(x̃)) x̃]), b₁ = b − η (−E σ(−D(x)) + E σ(D(x̃))):
    a function of the fakes x̃.
    G's loss E softplus(−D₁(x̃)) differentiates through w₁(x̃), b₁(x̃) (the second-order term); a first-order
    look-ahead (w₁, b₁ held fixed) gives another gradient."""
    model = unrolled_gan()
    torch.manual_seed(1)
    real, fake = torch.randn(16, 2) + 2, torch.randn(16, 2)
    w, b = model.discriminator.linear.weight.detach()[0], model.discriminator.linear.bias.detach()[0]

    def hand_unrolled_loss(x_fake: torch.Tensor, second_order: bool) -> torch.Tensor:
        d_real, d_fake = real @ w + b, x_fake @ w + b
        grad_w = -(torch.sigmoid(-d_real)[:, None] * real).mean(0) + (torch.sigmoid(d_fake)[:, None] * x_fake).mean(0)
        grad_b = -torch.sigmoid(-d_real).mean() + torch.sigmoid(d_fake).mean()
        if not second_order:
            grad_w, grad_b = grad_w.detach(), grad_b.detach()
        w1, b1 = w - LR * grad_w, b - LR * grad_b
        return F.softplus(-(x_fake @ w1 + b1)).mean()

    expected = {}
    for second_order in (True, False):
        x = fake.clone().requires_grad_(True)
        (expected[second_order],) = torch.autograd.grad(hand_unrolled_loss(x, second_order), x)
    got = generator_gradient(model, real, fake)
    assert torch.allclose(got, expected[True], atol=1e-6)
    assert not torch.allclose(got, expected[False], atol=1e-3)  # the second-order term counts here


def test_the_look_ahead_descends_the_discriminators_regularised_loss():
    """With a gradient penalty, the unrolled step is w − η ∇(L_D + λ·GP) at the same interpolates, not the bare
    objective's step (which the unrolled weights would give if the penalty were left out)."""
    model = unrolled_gan(regularizers=[GradientPenalty(weight=10.0)])
    torch.manual_seed(1)
    real, fake = torch.randn(16, 2) + 2, torch.randn(16, 2)
    torch.manual_seed(2)
    unrolled, _ = model.unrolled_discriminator(real, fake)
    critic = model.discriminator
    parameters = dict(critic.named_parameters())
    objective = losses.minimax_discriminator_loss(critic(real), critic(fake))
    torch.manual_seed(2)  # the same interpolation weights α
    penalised = objective + 10.0 * losses.gradient_penalty(critic, real, fake)
    for loss, should_match in ((penalised, True), (objective, False)):
        grads = torch.autograd.grad(loss, list(parameters.values()), retain_graph=True)
        by_hand = {name: p - LR * g for (name, p), g in zip(parameters.items(), grads)}
        matches = all(torch.allclose(unrolled[name], by_hand[name], atol=1e-6) for name in by_hand)
        assert matches == should_match
