"""The training-dynamics lab: two-player games small enough to see, stepped as GANs are trained.

Two games, each a value V(θ, ψ) that the generator's parameter θ minimises and the discriminator's ψ maximises:

* ``bilinear()``: V = θ·ψ, the notes' min_x max_y xy, saddle at (0, 0);
* ``dirac_gan(...)``: Mescheder, Geiger & Nowozin 2018 ("Which training methods for GANs do actually converge?"):
  data at 0, the generator a point mass at θ, a linear discriminator D(x) = ψ·x, V = f(ψθ) + f(0) with the GAN's
  f(t) = −log(1 + exp(−t)) (or f(t) = t for WGAN), optionally with R1 (γ/2·ψ², the squared gradient of D on the
  data), a WGAN-GP penalty λ·(|ψ| − 1)², instance noise (x + ε, ε ~ N(0, σ²), the expectation by Gauss–Hermite
  quadrature) or WGAN's clipping of ψ to [−c, c].

``play`` steps a game by gradient descent-ascent, simultaneously (both players from the same point) or alternately
(the discriminator first, then the generator on the discriminator's new value, as ganzoo's loop does), and returns
the path; ``uniform_average`` and ``ema`` average the path's iterates. On V = θψ simultaneous steps multiply the
distance to the saddle by exactly √(1 + η²) each step; alternating steps stay on a bounded orbit; its uniform average
goes to the saddle, and an EMA shrinks the orbit (``tests/test_dynamics.py``; ``notebooks/dynamics.ipynb``).
No Lightning: plain tensors and ``torch.autograd.grad``, in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class Game:
    """V(θ, ψ): θ minimises it; ψ maximises V − ``penalty(θ, ψ)``, and ``project`` (clipping) follows ψ's step."""

    value: Callable[[Tensor, Tensor], Tensor]
    penalty: Callable[[Tensor, Tensor], Tensor] = lambda theta, psi: psi * 0
    project: Callable[[Tensor], Tensor] = lambda psi: psi
    name: str = ""


def bilinear() -> Game:
    """V = θ·ψ."""
    return Game(value=lambda theta, psi: theta * psi, name="bilinear θψ")


def dirac_gan(
    loss: Literal["cross_entropy", "wasserstein"] = "cross_entropy",
    r1: float = 0.0,
    gradient_penalty: float = 0.0,
    instance_noise: float = 0.0,
    clip: float | None = None,
) -> Game:
    """The Dirac-GAN with ganzoo's objectives and regularisers (see the module docstring)."""
    f = (lambda t: -F.softplus(-t)) if loss == "cross_entropy" else (lambda t: t)
    if instance_noise > 0:  # E_ε[f(ψ(θ + ε))] + E_ε[f(−ψε)]: D sees noisy fakes and noisy data
        nodes, weights = np.polynomial.hermite_e.hermegauss(40)  # ∫ g(ε) N(ε; 0, 1) dε ≈ Σ w g(node) / √(2π)
        eps = torch.tensor(nodes * instance_noise, dtype=torch.float64)
        w = torch.tensor(weights / weights.sum(), dtype=torch.float64)

        def value(theta: Tensor, psi: Tensor) -> Tensor:
            return (w * f(psi * (theta + eps))).sum() + (w * f(-psi * eps)).sum()
    else:

        def value(theta: Tensor, psi: Tensor) -> Tensor:
            return f(psi * theta) + f(psi * 0)

    def penalty(theta: Tensor, psi: Tensor) -> Tensor:  # ∇ₓD = ψ everywhere: R1 on the data, GP on interpolates
        return r1 / 2 * psi**2 + gradient_penalty * (psi.abs() - 1) ** 2

    project = (lambda psi: psi.clamp(-clip, clip)) if clip is not None else (lambda psi: psi)
    parts = [loss] + [f"{k} {v}" for k, v in (("R1", r1), ("GP", gradient_penalty), ("noise", instance_noise)) if v]
    return Game(value=value, penalty=penalty, project=project, name="Dirac-GAN " + ", ".join(parts + ([f"clip {clip}"] if clip else [])))


def generator_gradient(game: Game, theta: Tensor, psi: Tensor) -> Tensor:
    """∂V/∂θ at (θ, ψ)."""
    theta = theta.detach().requires_grad_(True)
    return torch.autograd.grad(game.value(theta, psi.detach()), theta)[0].detach()


def discriminator_gradient(game: Game, theta: Tensor, psi: Tensor) -> Tensor:
    """∂(V − penalty)/∂ψ at (θ, ψ)."""
    psi = psi.detach().requires_grad_(True)
    theta = theta.detach()
    return torch.autograd.grad(game.value(theta, psi) - game.penalty(theta, psi), psi)[0].detach()


def gradients(game: Game, theta: Tensor, psi: Tensor) -> tuple[Tensor, Tensor]:
    """(∂V/∂θ, ∂(V − penalty)/∂ψ) at (θ, ψ)."""
    return generator_gradient(game, theta, psi), discriminator_gradient(game, theta, psi)


def play(game: Game, start: tuple[float, float], lr: float, steps: int,
         mode: Literal["simultaneous", "alternating"] = "alternating") -> Tensor:  # fmt: skip
    """The path (steps + 1, 2) of (θ, ψ) under gradient descent (θ) and ascent (ψ) with step size ``lr``."""
    if mode not in ("simultaneous", "alternating"):
        raise ValueError(f"mode must be 'simultaneous' or 'alternating', got {mode!r}")
    theta, psi = (torch.tensor(float(v), dtype=torch.float64) for v in start)
    path = [torch.stack([theta, psi])]
    for _ in range(steps):
        new_psi = game.project(psi + lr * discriminator_gradient(game, theta, psi))
        # alternating: the generator answers the discriminator's new value; simultaneous: both from the same point
        theta = theta - lr * generator_gradient(game, theta, new_psi if mode == "alternating" else psi)
        psi = new_psi
        path.append(torch.stack([theta, psi]))
    return torch.stack(path)


def uniform_average(path: Tensor) -> Tensor:
    """The running mean of the iterates: row t is (1/(t+1)) Σ_{s≤t} path[s]."""
    return path.cumsum(0) / torch.arange(1, len(path) + 1, dtype=path.dtype)[:, None]


def ema(path: Tensor, decay: float) -> Tensor:
    """The exponential moving average of the iterates (started at the first): a ← β·a + (1 − β)·x."""
    out, average = [], path[0]
    for point in path:
        average = decay * average + (1 - decay) * point
        out.append(average)
    return torch.stack(out)


def vector_field(game: Game, extent: float = 2.0, n: int = 15) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(θ, ψ, −∂V/∂θ, ∂(V − penalty)/∂ψ) on an n × n grid over [−extent, extent]²: the direction of play."""
    axis = torch.linspace(-extent, extent, n, dtype=torch.float64)
    theta, psi = torch.meshgrid(axis, axis, indexing="xy")
    d_theta, d_psi = torch.zeros_like(theta), torch.zeros_like(psi)
    for index in np.ndindex(*theta.shape):
        g_theta, g_psi = gradients(game, theta[index], psi[index])
        d_theta[index], d_psi[index] = -g_theta, g_psi
    return theta, psi, d_theta, d_psi
