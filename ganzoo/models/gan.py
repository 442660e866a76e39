"""GAN: the adversarial game with an objective and regularisers chosen by the config.

``loss`` names an objective from the registry ``ganzoo.objectives.OBJECTIVES`` (its D and G terms on D's raw
outputs): ``cross_entropy`` (Goodfellow et al. 2014, G non-saturating or minimax), ``hinge`` (Lim & Ye 2017),
``least_squares`` (Mao et al. 2017), ``wasserstein`` (Arjovsky et al. 2017), and whatever is registered next.

``regularizers`` (``ganzoo.regularizers``) add penalties to D's loss: WGAN-GP is ``wasserstein`` with a
``GradientPenalty`` at interpolates, DRAGAN ``cross_entropy`` with one at perturbed reals, and any other
pairing (least squares + R1, hinge + gradient penalty) is a config, not a class.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ganzoo import f_gan  # noqa: F401  (registers the f-divergence objectives: loss: kl, …)
from ganzoo.batch import Batch
from ganzoo.models.base import GANModule
from ganzoo.objectives import Objective, make_objective
from ganzoo.regularizers import Regularizer, check_per_sample_critic


class GAN(GANModule):
    """The GAN family: an objective on D's outputs plus optional discriminator regularisers.

    Args:
        generator_loss: ``non_saturating`` (default) or ``minimax``, with the cross-entropy loss; ``alternative``
            (default) or ``saddle`` with an f-divergence (``ganzoo.f_gan``); the other losses have their own.
        loss: the name of an objective in ``ganzoo.objectives.OBJECTIVES`` (``cross_entropy``, ``hinge``,
            ``least_squares``, ``wasserstein``, the f-divergences ``kl``, ``reverse_kl``, ``jensen_shannon``, …).
        regularizers: penalties added to the discriminator's loss (e.g. ``GradientPenalty``, ``R1Penalty``).
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        generator_loss: str = "non_saturating",
        loss: str = "cross_entropy",
        regularizers: list[Regularizer] | None = None,
        **kwargs: Any,
    ):
        objective = make_objective(loss, **self.objective_options(loss, generator_loss))
        check_per_sample_critic(discriminator, list(regularizers or []), type(self).__name__)
        super().__init__(generator, discriminator, **kwargs)
        self.generator_loss_name = generator_loss
        self.loss = loss
        self.objective: Objective = objective
        self.regularizers = list(regularizers or [])

    @staticmethod
    def objective_options(loss: str, generator_loss: str) -> dict[str, Any]:
        """The objective's options from the config: ``generator_loss`` when it is not the default (every
        objective has its own default generator term)."""
        return {"generator_loss": generator_loss} if generator_loss != "non_saturating" or loss == "cross_entropy" else {}

    def twice_differentiated_networks(self) -> tuple[str, ...]:
        """A penalty on ∇ₓD differentiates D's gradient again (double backward), which compiled code cannot."""
        return ("discriminator",) if self.regularizers else ()

    # ----------------------------------------------------------------- the game on D's outputs
    def discriminator_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return self.objective.discriminator_loss(real_logits, fake_logits)

    def generator_objective(self, fake_logits: Tensor) -> Tensor:
        return self.objective.generator_loss(fake_logits)

    # ----------------------------------------------------------------- hooks on batches
    def score(self, batch: Batch) -> Tensor:
        """D's output for a batch (conditional models pass its labels too)."""
        return self.discriminate(batch.images)

    def critic(self, batch: Batch):  # noqa: ANN201
        """``score`` as a function of images alone, for penalties on points between batches (labels: ``batch``'s)."""
        return lambda images: self.score(batch.with_images(images))

    def regularization(self, real: Batch, fake: Batch, uses_fakes: bool) -> Tensor | None:
        """Σ weight · penalty over the regularisers whose ``uses_fakes`` matches; ``None`` when there are none."""
        total = None
        for regularizer in self.regularizers:
            if regularizer.uses_fakes != uses_fakes:
                continue
            penalty = regularizer.penalty(self.critic(real), real.images, fake.images)
            self.log_later(**{regularizer.name: penalty})
            total = regularizer.weight * penalty if total is None else total + regularizer.weight * penalty
        return total

    def adversarial_discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        """D's loss before penalties: the game on D's scores (ACGAN and InfoGAN add their class/code terms)."""
        real_logits, fake_logits = self.score(real), self.score(fake)
        self.log_later(**self.objective.monitored(real_logits, fake_logits))
        return self.discriminator_objective(real_logits, fake_logits)

    def discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        # Penalties on the reals alone come before D scores the batches and those on fakes after, the order
        # of the first-wave DRAGAN and WGAN-GP: autograd sums gradients in graph order, so seeded runs of
        # those presets stay bit-identical.
        early = self.regularization(real, fake, uses_fakes=False)
        loss = self.adversarial_discriminator_loss(real, fake)
        for penalty in (early, self.regularization(real, fake, uses_fakes=True)):
            if penalty is not None:
                loss = loss + penalty
        return loss

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        return self.generator_objective(self.score(fake))
