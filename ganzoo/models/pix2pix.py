"""pix2pix (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional Adversarial Networks").

A generator G(x) (U-Net) translates a source image x into the target domain; a PatchGAN D(x, y) judges the
pair (source, image) concatenated on channels, patch by patch. With D's logits ``l``:

    D minimises  ½ (E[softplus(−l(x, y))] + E[softplus(l(x, G(x)))])          (the paper halves D's loss)
    G minimises  E[softplus(−l(x, G(x)))] + λ_L1 · E|y − G(x)|                    λ_L1 = 100

Adam(2e-4, β = (0.5, 0.999)) for both. ``gan_weight: 0`` is the paper's "L1 only" ablation (D is not
trained) and ``lambda_l1: 0`` its "cGAN only". The paper's noise is dropout, kept on at test time:
``translate(x, dropout=True)`` (the default) does that, ``dropout=False`` turns it off. The paper also runs
BatchNorm at test time as in training, on the test batch's own statistics, with test batches of one image:
``test_normalization: image`` (each image normalised by its own statistics, the running ones untouched);
``running`` (the default, what the shipped ``pix2pix-facades`` uses) normalises with the running statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.generative import eval_mode, fmt_shape, network_device
from ganzoo.models.hparams import save_rebuildable_hyperparameters
from ganzoo.models.translating import TranslatingModule, paired_grid_inputs, translation_grid


NORMALIZATIONS = ("running", "image")
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@contextmanager
def own_statistics(network: nn.Module) -> Iterator[None]:
    """BatchNorm layers normalise each batch with its own statistics (as in training) and leave their running
    statistics and counters as they are."""
    saved = [(m, m.training, m.running_mean, m.running_var, m.num_batches_tracked)
             for m in network.modules() if isinstance(m, BATCH_NORMS)]  # fmt: skip
    try:
        for module, *_ in saved:
            module.train(True)
            module.running_mean = module.running_var = module.num_batches_tracked = None
        yield
    finally:
        for module, training, mean, var, count in saved:
            module.running_mean, module.running_var, module.num_batches_tracked = mean, var, count
            module.train(training)


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
        test_normalization: ``translate``'s default: ``running`` (BatchNorm's running statistics) or ``image`` (each
            image's own statistics: the paper's test-time BatchNorm on batches of one).
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
        test_normalization: Literal["running", "image"] = "running",
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
        if test_normalization not in NORMALIZATIONS:
            raise ValueError(f"test_normalization must be one of {NORMALIZATIONS}, got {test_normalization!r}")
        self.lambda_l1, self.gan_weight, self.test_dropout = lambda_l1, gan_weight, test_dropout
        self.test_normalization = test_normalization
        save_rebuildable_hyperparameters(self)

    # ----------------------------------------------------------------- translating
    def translate(self, x: Tensor, dropout: bool | None = None, averaged: bool = True,
                  normalization: str | None = None) -> Tensor:  # fmt: skip
        """G(x) for source images in [-1, 1], without gradients; ``dropout`` on (the paper, default) or off.

        ``normalization``: ``running`` or ``image`` (default: the model's ``test_normalization``); the averaged
        generator when there is one."""
        dropout = self.test_dropout if dropout is None else dropout
        normalization = self.test_normalization if normalization is None else normalization
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
        generator = self.sampling_generator(averaged)
        with torch.no_grad(), eval_mode(generator):
            for module in generator.modules():
                if isinstance(module, nn.Dropout):
                    module.train(dropout)
            x = x.to(self.device)
            if normalization == "running":
                return generator(x)
            with own_statistics(generator):  # one image at a time, as the paper's test batches of one
                return torch.cat([generator(image) for image in x.split(1)])

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


def set_test_normalization(model: Any, normalization: str) -> None:
    """The commands' ``--normalization``: a pix2pix model's test-time BatchNorm (one clear line for other models)."""
    if not isinstance(model, Pix2Pix):
        raise ValueError(f"--normalization is pix2pix's test-time BatchNorm option; {type(model).__name__} has none")
    model.test_normalization = normalization
