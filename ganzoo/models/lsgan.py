"""LSGAN (Mao et al. 2017, "Least Squares Generative Adversarial Networks").

D minimises ``½E[(D(x) - b)²] + ½E[(D(G(z)) - a)²]``; G minimises ``½E[(D(G(z)) - c)²]``.
With a = 0, b = 1, c = 1 (the paper's 0-1 coding) G pulls fakes toward the real label.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ganzoo import losses
from ganzoo.models.base import GANModule


class LSGAN(GANModule):
    """Least-squares GAN with targets a (fake), b (real) and c (what G wants for fakes)."""

    def __init__(
        self, generator: nn.Module, discriminator: nn.Module, a: float = 0.0, b: float = 1.0, c: float = 1.0, **kwargs: Any
    ):
        super().__init__(generator, discriminator, **kwargs)
        self.a, self.b, self.c = a, b, c

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return losses.least_squares_discriminator_loss(self.discriminate(real), self.discriminate(fake), self.a, self.b)

    def generator_loss(self, fake: Tensor) -> Tensor:
        return losses.least_squares_generator_loss(self.discriminate(fake), self.c)
