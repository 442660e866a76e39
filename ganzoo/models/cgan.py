"""CGAN (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets").

G(z, y) and D(x, y): both networks see the class. The game is any ``GAN`` loss on D(x, y):
``min_G max_D E[log D(x, y)] + E[log(1 - D(G(z, y), y))]`` for the default cross-entropy. Fakes are made
for uniformly drawn classes. D conditions by concatenation or, with
``ConditionalDCGANDiscriminator(conditioning: projection)``, by projection (Miyato & Koyama 2018).
Penalties (``regularizers``) are taken with the real batch's labels held fixed.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.conditional import ClassConditional, check_same_classes
from ganzoo.models.gan import GAN


class CGAN(ClassConditional, GAN):
    """Conditional GAN: ``generator(z, labels)`` and ``discriminator(x, labels)`` (e.g. ``ganzoo.nets.Conditional*``)."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, **kwargs: Any):
        num_classes = check_same_classes(generator, discriminator)
        super().__init__(generator, discriminator, **kwargs)
        self.num_classes = num_classes

    def score(self, batch: Batch) -> Tensor:
        return self.discriminate(batch.images, batch.labels)

    def probe_discriminator(self, x: Tensor) -> None:
        self.discriminator(x, self.sample_labels(len(x)).to(x.device))
