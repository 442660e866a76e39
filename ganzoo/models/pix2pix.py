"""pix2pix (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional Adversarial Networks").

A generator G(x) (U-Net) translates a source image x into the target domain; a PatchGAN D(x, y) judges the
pair (source, image) concatenated on channels, patch by patch. With D's logits ``l``:

    D minimises  ½ (E[softplus(−l(x, y))] + E[softplus(l(x, G(x)))])          (the paper halves D's loss)
    G minimises  E[softplus(−l(x, G(x)))] + λ_L1 · E|y − G(x)|                    λ_L1 = 100

Adam(2e-4, β = (0.5, 0.999)) for both. ``gan_weight: 0`` is the paper's "L1 only" ablation (D is not
trained) and ``lambda_l1: 0`` its "cGAN only". The paper's noise is dropout, kept on at test time:
``translate(x, dropout=True)`` (the default) does that, ``dropout=False`` turns it off; normalisation uses
its running statistics either way.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.generative import eval_mode, fmt_shape, network_device
from ganzoo.models.hparams import save_rebuildable_hyperparameters
from ganzoo.models.translating import TranslatingModule, paired_grid_inputs, translation_grid


class Pix2Pix(AdversarialModule, TranslatingModule):
    """Paired image-to-image translation: U-Net G, PatchGAN D on (source, image) pairs, cGAN + λ·L1.

    Args:
        generator: source image → target image (e.g. ``ganzoo.nets.UNetGenerator``).
        discriminator: a PatchGAN on source and image channels concatenated (``PatchDiscriminator``).
        lambda_l1: λ_L1, the weight of the L1 term (100; 0: the "cGAN only" ablation).
        gan_weight: the weight of G's adversarial term (1; 0: the "L1 only" ablation, D left untrained).
        g_optimizer, d_optimizer, g_lr_scheduler, d_lr_scheduler: as for every GAN (schedulers step once per
            generator step; the paper: ``ganzoo.schedules.LinearDecay``).
        test_dropout: ``translate``'s default (the paper keeps dropout on at test time).
        steps_per_call: generator steps per Lightning step, bit-identical to one at a time.
    """

    shares_fakes: ClassVar[bool] = True  # D judges the G(x) that G's update then uses (one forward pass)

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        lambda_l1: float = 100.0,
        gan_weight: float = 1.0,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        g_lr_scheduler: LRSchedulerCallable | None = None,
        d_lr_scheduler: LRSchedulerCallable | None = None,
        test_dropout: bool = True,
        gradient_clip_val: float | None = None,
        steps_per_call: int = 1,
    ):
        super().__init__(
            optimizers={"generator": g_optimizer, "discriminator": d_optimizer},
            lr_schedulers={"generator": g_lr_scheduler, "discriminator": d_lr_scheduler},
            gradient_clip_val=gradient_clip_val,
            steps_per_call=steps_per_call,
        )
        if lambda_l1 < 0 or gan_weight < 0 or lambda_l1 == gan_weight == 0:
            raise ValueError(f"lambda_l1 and gan_weight must be ≥ 0 and not both 0, got {lambda_l1} and {gan_weight}")
        self.generator, self.discriminator = generator, discriminator
        self.lambda_l1, self.gan_weight, self.test_dropout = lambda_l1, gan_weight, test_dropout
        save_rebuildable_hyperparameters(self)

    # ----------------------------------------------------------------- translating
    def translate(self, x: Tensor, dropout: bool | None = None, averaged: bool = True) -> Tensor:
        """G(x) for source images in [-1, 1], without gradients; ``dropout`` on (the paper, default) or off.

        Normalisation layers use their running statistics; the averaged generator when there is one."""
        dropout = self.test_dropout if dropout is None else dropout
        generator = self.sampling_generator(averaged)
        with torch.no_grad(), eval_mode(generator):
            for module in generator.modules():
                if isinstance(module, nn.Dropout):
                    module.train(dropout)
            return generator(x.to(self.device))

    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], int]:
        """The first ``n`` test pairs of a paired DataModule: a triptych per row."""
        return paired_grid_inputs(self, n)

    def grid_images(self, inputs: Any, averaged: bool = True) -> Tensor:
        """(source, translation, target) side by side, one pair per row."""
        return translation_grid(inputs["source"], self.translate(inputs["source"], averaged=averaged), inputs["target"])

    # ----------------------------------------------------------------- the loop's hooks
    @property
    def trains_discriminator(self) -> bool:
        return self.gan_weight > 0

    def check_batch(self, batch: Batch) -> None:
        if batch.targets is None:
            raise ValueError("Pix2Pix trains on pairs: use a paired DataModule (e.g. ganzoo.data.PairedImageDataModule)")

    def make_fake(self, real: Batch) -> Batch:
        """G(x) for the batch's sources."""
        return Batch(self.network("generator")(real.images))

    def pair_logits(self, source: Tensor, image: Tensor) -> Tensor:
        return self.network("discriminator")(torch.cat([source, image], dim=1))

    def discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        """½ (softplus(−l(x, y)) + softplus(l(x, G(x)))), averaged over patches."""
        real_logits = self.pair_logits(real.images, real.targets)
        fake_logits = self.pair_logits(real.images, fake.images)
        return 0.5 * losses.minimax_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake: Batch, real: Batch) -> tuple[Tensor, dict[str, Tensor]]:
        """gan_weight · softplus(−l(x, G(x))) + λ_L1 · |y − G(x)|, and the L1 term."""
        l1 = (fake.images - real.targets).abs().mean()
        total = self.lambda_l1 * l1
        if self.gan_weight > 0:
            total = total + self.gan_weight * losses.non_saturating_generator_loss(self.pair_logits(real.images, fake.images))
        return total, {"l1": l1}

    # ----------------------------------------------------------------- checks at setup
    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """G must turn data-shaped sources into data-shaped images, and D take the pair."""
        probe = self.check_translator_shape("generator", data_shape)
        with torch.no_grad(), eval_mode(self.discriminator):
            try:
                self.discriminator(torch.cat([probe, probe], 1).to(network_device(self.discriminator)))
            except RuntimeError as err:
                raise ValueError(
                    f"The discriminator does not take a (source, image) pair of {fmt_shape(data_shape)} images: its "
                    f"in_channels must be {2 * data_shape[0]}. ({str(err).splitlines()[0]})"
                ) from None
