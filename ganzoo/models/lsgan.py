"""LSGAN (Mao et al. 2017, "Least Squares Generative Adversarial Networks").

D minimises ``½E[(D(x) - b)²] + ½E[(D(G(z)) - a)²]``; G minimises ``½E[(D(G(z)) - c)²]``.
With a = 0, b = 1, c = 1 (the paper's 0-1 coding) G pulls fakes toward the real label; that coding is
``GAN(loss=least_squares)`` (``ganzoo.objectives.LeastSquares``), and this preset adds the choice of a, b and c.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ganzoo.models.gan import GAN
from ganzoo.objectives import LeastSquares


class LSGAN(GAN):
    """Least-squares GAN with targets a (fake), b (real) and c (what G wants for fakes)."""

    fixed_options = ("loss", "generator_loss")

    def __init__(
        self, generator: nn.Module, discriminator: nn.Module, a: float = 0.0, b: float = 1.0, c: float = 1.0, **kwargs: Any
    ):
        super().__init__(generator, discriminator, loss="least_squares", **kwargs)
        self.a, self.b, self.c = a, b, c
        self.objective = LeastSquares(a=a, b=b, c=c)
