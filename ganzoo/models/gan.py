"""GAN: the adversarial game with a loss and regularisers chosen by the config.

``loss`` picks the game on D's raw outputs (``ganzoo.losses``):

* ``cross_entropy`` (Goodfellow et al. 2014): D minimises ``-E[log D(x)] - E[log(1 - D(G(z)))]``;
  G the minimax ``E[log(1 - D(G(z)))]`` or the non-saturating ``-E[log D(G(z))]`` (``generator_loss``).
* ``hinge`` (Lim & Ye 2017): D ``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]``, G ``-E[D(G(z))]``.
* ``least_squares`` (Mao et al. 2017): D ``½E[(D(x) - 1)²] + ½E[D(G(z))²]``, G ``½E[(D(G(z)) - 1)²]``.
* ``wasserstein`` (Arjovsky et al. 2017): D ``E[D(G(z))] - E[D(x)]``, G ``-E[D(G(z))]``.

``regularizers`` (``ganzoo.regularizers``) add penalties to D's loss: WGAN-GP is ``wasserstein`` with a
``GradientPenalty`` at interpolates, DRAGAN ``cross_entropy`` with one at perturbed reals, and any other
pairing (least squares + R1, hinge + gradient penalty) is a config, not a class.
"""

from __future__ import annotations

from typing import Any, Literal

from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.base import GANModule
from ganzoo.regularizers import Regularizer, check_per_sample_critic

LOSSES = ("cross_entropy", "hinge", "least_squares", "wasserstein")
Loss = Literal["cross_entropy", "hinge", "least_squares", "wasserstein"]


class GAN(GANModule):
    """The GAN family: a loss on logits plus optional discriminator regularisers.

    Args:
        generator_loss: ``non_saturating`` (default) or ``minimax``, with the cross-entropy loss (the other
            losses have their own generator loss; ``minimax`` with them is refused).
        loss: ``cross_entropy``, ``hinge``, ``least_squares`` or ``wasserstein``.
        regularizers: penalties added to the discriminator's loss (e.g. ``GradientPenalty``, ``R1Penalty``).
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        generator_loss: Literal["minimax", "non_saturating"] = "non_saturating",
        loss: Loss = "cross_entropy",
        regularizers: list[Regularizer] | None = None,
        **kwargs: Any,
    ):
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(losses.GENERATOR_LOSSES)}, got {generator_loss!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
        if generator_loss != "non_saturating" and loss != "cross_entropy":
            raise ValueError(
                f"generator_loss={generator_loss!r} applies to loss=cross_entropy only; loss={loss!r} has its own "
                "generator loss (see ganzoo.losses): remove generator_loss"
            )
        check_per_sample_critic(discriminator, list(regularizers or []), type(self).__name__)
        super().__init__(generator, discriminator, **kwargs)
        self.generator_loss_name = generator_loss
        self.loss = loss
        self.regularizers = list(regularizers or [])

    def twice_differentiated_networks(self) -> tuple[str, ...]:
        """A penalty on ∇ₓD differentiates D's gradient again (double backward), which compiled code cannot."""
        return ("discriminator",) if self.regularizers else ()

    # ----------------------------------------------------------------- the game on D's outputs
    def discriminator_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        if self.loss == "hinge":
            return losses.hinge_discriminator_loss(real_logits, fake_logits)
        if self.loss == "least_squares":
            return losses.least_squares_discriminator_loss(real_logits, fake_logits)
        if self.loss == "wasserstein":
            return losses.wasserstein_critic_loss(real_logits, fake_logits)
        return losses.minimax_discriminator_loss(real_logits, fake_logits)

    def generator_objective(self, fake_logits: Tensor) -> Tensor:
        if self.loss == "hinge":
            return losses.hinge_generator_loss(fake_logits)
        if self.loss == "least_squares":
            return losses.least_squares_generator_loss(fake_logits)
        if self.loss == "wasserstein":
            return losses.wasserstein_generator_loss(fake_logits)
        return losses.GENERATOR_LOSSES[self.generator_loss_name](fake_logits)

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
        if self.loss == "wasserstein":
            self.log_later(wasserstein_estimate=real_logits.mean() - fake_logits.mean())
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
