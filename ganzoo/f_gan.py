"""f-GAN (Nowozin, Cseke & Tomioka 2016): GANs that minimise an f-divergence, as objectives in the registry.

For a convex f with f(1) = 0, ``D_f(P ‖ Q) = ∫ q(x) f(p(x)/q(x)) dx``, and with the convex conjugate
``f*(t) = sup_u (t·u − f(u))`` every critic T gives the lower bound (equal at T*(x) = f′(p(x)/q(x)))

    D_f(P ‖ Q) ≥ E_P[T(x)] − E_Q[f*(T(x))].

The discriminator's raw output v becomes T = g_f(v) through an activation that keeps T in the domain of f*; the
discriminator maximises the bound F and the generator (Q) minimises it (``generator_loss: saddle``), or, as the
paper trains in practice, maximises E_Q[g_f(v)] (``alternative``, the default). ``loss: kl`` in any GAN config picks
one (Table 2 of the paper):

| name | f(u) | g_f(v) | f*(t) |
|---|---|---|---|
| ``kl`` | u log u | v | exp(t − 1) |
| ``reverse_kl`` | −log u | −exp(−v) | −1 − log(−t) |
| ``total_variation`` | ½ abs(u − 1) | ½ tanh(v) | t |
| ``pearson`` | (u − 1)² | v | t²/4 + t |
| ``squared_hellinger`` | (√u − 1)² | 1 − exp(−v) | t/(1 − t) |
| ``jensen_shannon`` | u log u − (u + 1) log((u + 1)/2) | log 2 − log(1 + exp(−v)) | −log(2 − exp(t)) |
| ``gan_divergence`` | u log u − (u + 1) log(u + 1) | −log(1 + exp(−v)) | −log(1 − exp(t)) |

``gan_divergence``'s discriminator term is the GAN's cross-entropy exactly; ``jensen_shannon``'s is it minus 2 log 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.objectives import Objective, register

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class Divergence:
    """One f-divergence: f and f′ (for D_f and the optimal critic), g_f, f*, and f*(g_f(v)) in a stable form."""

    f: Callable[[Tensor], Tensor]
    f_prime: Callable[[Tensor], Tensor]
    activation: Callable[[Tensor], Tensor]
    conjugate: Callable[[Tensor], Tensor]
    conjugate_of_activation: Callable[[Tensor], Tensor]

    def divergence(self, p: Tensor, q: Tensor) -> Tensor:
        """D_f(P ‖ Q) = Σ q f(p/q) of two discrete distributions (q > 0)."""
        return (q * self.f(p / q)).sum()

    def bound(self, critic: Tensor, p: Tensor, q: Tensor) -> Tensor:
        """The variational bound E_P[T] − E_Q[f*(T)] of a critic T over the outcomes of discrete P, Q."""
        return (p * critic).sum() - (q * self.conjugate(critic)).sum()


DIVERGENCES: dict[str, Divergence] = {
    "kl": Divergence(
        f=lambda u: torch.special.xlogy(u, u), f_prime=lambda u: 1 + torch.log(u),
        activation=lambda v: v, conjugate=lambda t: torch.exp(t - 1), conjugate_of_activation=lambda v: torch.exp(v - 1),
    ),
    "reverse_kl": Divergence(
        f=lambda u: -torch.log(u), f_prime=lambda u: -1 / u,
        activation=lambda v: -torch.exp(-v), conjugate=lambda t: -1 - torch.log(-t),
        conjugate_of_activation=lambda v: v - 1,
    ),
    "total_variation": Divergence(
        f=lambda u: 0.5 * (u - 1).abs(), f_prime=lambda u: 0.5 * torch.sign(u - 1),
        activation=lambda v: 0.5 * torch.tanh(v), conjugate=lambda t: t,
        conjugate_of_activation=lambda v: 0.5 * torch.tanh(v),
    ),
    "pearson": Divergence(
        f=lambda u: (u - 1) ** 2, f_prime=lambda u: 2 * (u - 1),
        activation=lambda v: v, conjugate=lambda t: t**2 / 4 + t, conjugate_of_activation=lambda v: v**2 / 4 + v,
    ),
    "squared_hellinger": Divergence(
        f=lambda u: (torch.sqrt(u) - 1) ** 2, f_prime=lambda u: 1 - 1 / torch.sqrt(u),
        activation=lambda v: 1 - torch.exp(-v), conjugate=lambda t: t / (1 - t),
        conjugate_of_activation=lambda v: torch.expm1(v),
    ),
    "jensen_shannon": Divergence(
        f=lambda u: torch.special.xlogy(u, u) - (u + 1) * torch.log((u + 1) / 2), f_prime=lambda u: torch.log(2 * u / (u + 1)),
        activation=lambda v: LOG2 - F.softplus(-v), conjugate=lambda t: -torch.log(2 - torch.exp(t)),
        conjugate_of_activation=lambda v: F.softplus(v) - LOG2,
    ),
    "gan_divergence": Divergence(
        f=lambda u: torch.special.xlogy(u, u) - (u + 1) * torch.log(u + 1), f_prime=lambda u: torch.log(u / (u + 1)),
        activation=lambda v: -F.softplus(-v), conjugate=lambda t: -torch.log(1 - torch.exp(t)),
        conjugate_of_activation=lambda v: F.softplus(v),
    ),
}  # fmt: skip


class FDivergence(Objective):
    """The f-GAN game for ``divergence`` (one registered subclass per row of the module's table)."""

    divergence_name = ""
    generator_losses = ("alternative", "saddle")

    @property
    def divergence(self) -> Divergence:
        """This objective's row of the table."""
        return DIVERGENCES[self.divergence_name]

    def lower_bound(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """F = E_P[g_f(v)] − E_Q[f*(g_f(v))], the discriminator's estimate of D_f(P ‖ Q)."""
        d = self.divergence
        return d.activation(real_scores).mean() - d.conjugate_of_activation(fake_scores).mean()

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return -self.lower_bound(real_scores, fake_scores)

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        """``alternative``: −E_Q[g_f(v)] (the paper's practice); ``saddle``: −E_Q[f*(g_f(v))], F's Q term."""
        d = self.divergence
        if self.generator_loss_name == "saddle":
            return -d.conjugate_of_activation(fake_scores).mean()
        return -d.activation(fake_scores).mean()

    def monitored(self, real_scores: Tensor, fake_scores: Tensor) -> dict[str, Tensor]:
        return {"divergence_estimate": self.lower_bound(real_scores, fake_scores).detach()}


for _name in DIVERGENCES:  # one registered class per divergence, kept in this module so that models pickle (ddp_spawn)
    _cls = type(f"FDivergence_{_name}", (FDivergence,), {"divergence_name": _name, "__doc__": f"f-GAN, {_name}."})
    globals()[_cls.__name__] = register(_name)(_cls)
