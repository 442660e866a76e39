"""Losses against closed forms."""

import math

import pytest
import torch

from ganzoo import losses


def jsd(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    m = (p + q) / 2
    kl = lambda a, b: (a * (a / b).log()).sum()  # noqa: E731
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_minimax_value_at_optimal_discriminator_is_minus_log4_plus_2jsd(seed):
    """On discrete p and q with D* = p/(p+q): -L_D = V(D*, G) = -log 4 + 2 JSD(p‖q)."""
    g = torch.Generator().manual_seed(seed)
    counts_p = torch.randint(1, 50, (6,), generator=g)
    counts_q = torch.randint(1, 50, (6,), generator=g)
    p = counts_p.double() / counts_p.sum()
    q = counts_q.double() / counts_q.sum()
    d_star = p / (p + q)
    logit_of_outcome = torch.log(d_star) - torch.log1p(-d_star)  # σ⁻¹(D*)
    # a sample whose empirical distribution is exactly p (real) and q (fake)
    real_logits = logit_of_outcome.repeat_interleave(counts_p)
    fake_logits = logit_of_outcome.repeat_interleave(counts_q)
    value = -losses.minimax_discriminator_loss(real_logits, fake_logits)
    assert value.item() == pytest.approx(-math.log(4) + 2 * jsd(p, q).item(), abs=1e-12)


def test_equal_distributions_give_minus_log4():
    logits = torch.zeros(8, dtype=torch.float64)  # D* = 1/2 everywhere
    assert (-losses.minimax_discriminator_loss(logits, logits)).item() == pytest.approx(-math.log(4))


def test_losses_match_probability_forms():
    torch.manual_seed(0)
    real, fake = torch.randn(100, dtype=torch.float64), torch.randn(100, dtype=torch.float64)
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    assert losses.minimax_discriminator_loss(real, fake).item() == pytest.approx(
        (-(d_real.log()).mean() - (1 - d_fake).log().mean()).item(), rel=1e-10
    )
    assert losses.minimax_generator_loss(fake).item() == pytest.approx((1 - d_fake).log().mean().item(), rel=1e-10)
    assert losses.non_saturating_generator_loss(fake).item() == pytest.approx(-d_fake.log().mean().item(), rel=1e-10)


def test_losses_are_finite_for_extreme_logits():
    extreme = torch.tensor([-1e4, 1e4, 0.0])
    for value in (
        losses.minimax_discriminator_loss(extreme, extreme),
        losses.minimax_generator_loss(extreme),
        losses.non_saturating_generator_loss(extreme),
    ):
        assert torch.isfinite(value)


def test_minimax_generator_gradient_vanishes_when_discriminator_rejects_fakes():
    """dL/dl for L = log(1 - σ(l)) is -σ(l) → 0 as D(G(z)) → 0; the non-saturating -log σ(l) gives -(1-σ(l)) → -1."""
    for logit in (-5.0, -10.0, -20.0):
        x = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
        (minimax_grad,) = torch.autograd.grad(losses.minimax_generator_loss(x), x)
        x = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
        (ns_grad,) = torch.autograd.grad(losses.non_saturating_generator_loss(x), x)
        assert abs(minimax_grad.item()) == pytest.approx(torch.sigmoid(torch.tensor(logit)).item(), rel=1e-6)
        assert abs(minimax_grad.item()) < 1e-2
        assert abs(ns_grad.item()) > 0.99
