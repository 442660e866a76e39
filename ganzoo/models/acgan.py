"""ACGAN (Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs").

G(z, c) makes an image of class c; D(x) gives a real/fake logit and class logits (one body, two heads).
With ``L_S`` the adversarial loss and ``L_C = -E[log P(C = c | x)]`` the class term on real *and* fake:

    D minimises  L_S^D + λ_aux (L_C(real) + L_C(fake))
    G minimises  L_S^G + λ_aux L_C(fake)

``L_C`` is ``cross_entropy`` on the head's logits (no softmax before it). λ_aux = 1 as in the paper.
``fake_class_loss: false`` drops L_C(fake) from D's loss (D's class head then learns from real images only).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.conditional import ClassConditional, check_same_classes
from ganzoo.models.gan import GAN


class ACGAN(ClassConditional, GAN):
    """Auxiliary-classifier GAN (``AuxiliaryClassifierDiscriminator`` returns (logit, class logits)).

    Args:
        aux_weight: λ_aux, the weight of the class terms.
        fake_class_loss: whether D's class head also learns the requested class of fakes (the paper: yes).
    """

    def __init__(
        self, generator: nn.Module, discriminator: nn.Module, aux_weight: float = 1.0, fake_class_loss: bool = True, **kwargs: Any
    ):
        if aux_weight < 0:
            raise ValueError(f"aux_weight must be ≥ 0, got {aux_weight}")
        num_classes = check_same_classes(generator, discriminator)
        super().__init__(generator, discriminator, **kwargs)
        self.num_classes = num_classes
        self.aux_weight = aux_weight
        self.fake_class_loss = fake_class_loss

    def score(self, batch: Batch) -> Tensor:
        return self.discriminate(batch.images)[0]

    def adversarial_discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        real_logits, real_classes = self.discriminate(real.images)
        fake_logits, fake_classes = self.discriminate(fake.images)
        class_loss = losses.auxiliary_classifier_loss(real_classes, real.labels)
        if self.fake_class_loss:
            class_loss = class_loss + losses.auxiliary_classifier_loss(fake_classes, fake.labels)
        accuracy = (real_classes.argmax(1) == real.labels).float().mean()
        self.log_later(d_class_loss=class_loss, real_class_accuracy=accuracy)
        return self.discriminator_objective(real_logits, fake_logits) + self.aux_weight * class_loss

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        fake_logits, fake_classes = self.discriminate(fake.images)
        class_loss = losses.auxiliary_classifier_loss(fake_classes, fake.labels)
        self.log_later(g_class_loss=class_loss)
        return self.generator_objective(fake_logits) + self.aux_weight * class_loss
