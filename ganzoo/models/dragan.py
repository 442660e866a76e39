"""DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs").

The GAN game plus a gradient penalty around the real data: D minimises
``L_D + λ·E[(‖∇D(x̂)‖₂ - 1)²]``, λ = 10. By default x̂ follows the authors' code,
``x̂ = αx + (1-α)(x + 0.5·std(x)·u)``, u ~ U[0, 1]; ``noise: paper`` takes the paper's formula instead,
``x̂ = x + δ``, δ ~ N(0, c·I) with c = ``perturbation`` (the paper uses c ≈ 10).
A preset of ``GAN(regularizers=[GradientPenalty(λ, at=perturbed_reals)])``.
"""

from __future__ import annotations

from typing import Any, Literal

from torch import nn

from ganzoo.models.gan import GAN
from ganzoo.regularizers import GradientPenalty


class DRAGAN(GAN):
    """GAN with DRAGAN's penalty.

    Args:
        penalty_weight: λ.
        perturbation: c: the noise scale in units of the batch's standard deviation (``noise: code``), or the
            variance of δ (``noise: paper``).
        noise: ``code`` (default, the authors' code) or ``paper``.
    """

    fixed_options = ("regularizers",)

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        penalty_weight: float = 10.0,
        perturbation: float = 0.5,
        noise: Literal["code", "paper"] = "code",
        **kwargs: Any,
    ):
        penalty = GradientPenalty(penalty_weight, at="perturbed_reals", perturbation=perturbation, noise=noise)
        super().__init__(generator, discriminator, regularizers=[penalty], **kwargs)
        self.penalty_weight = penalty_weight
        self.perturbation = perturbation
        self.noise = noise
