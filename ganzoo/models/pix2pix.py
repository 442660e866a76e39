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

from typing import Any

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.generative import eval_mode, fmt_shape, network_device
from ganzoo.models.hparams import save_rebuildable_hyperparameters


class Pix2Pix(AdversarialModule):
    """Paired image-to-image translation: U-Net G, PatchGAN D on (source, image) pairs, cGAN + λ·L1.

    Args:
        generator: source image → target image (e.g. ``ganzoo.nets.UNetGenerator``).
        discriminator: a PatchGAN on source and image channels concatenated (``PatchDiscriminator``).
        lambda_l1: λ_L1, the weight of the L1 term (100; 0: the "cGAN only" ablation).
        gan_weight: the weight of G's adversarial term (1; 0: the "L1 only" ablation, D left untrained).
        g_optimizer, d_optimizer, g_lr_scheduler, d_lr_scheduler: as for every GAN (schedulers step once per
            generator step; the paper: ``ganzoo.schedules.LinearDecay``).
        test_dropout: ``translate``'s default (the paper keeps dropout on at test time).
    """

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
    ):
        super().__init__(
            optimizers={"generator": g_optimizer, "discriminator": d_optimizer},
            lr_schedulers={"generator": g_lr_scheduler, "discriminator": d_lr_scheduler},
            gradient_clip_val=gradient_clip_val,
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

    def decode(self, network: nn.Module, latent: Any) -> Tensor:
        return network(latent["source"] if isinstance(latent, dict) else latent)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, labels: Any = None) -> Any:
        raise ValueError("Pix2Pix translates images rather than sampling noise: call translate(x)")

    def grid_latent(self, n: int, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], int]:
        """The first ``n`` test pairs of a paired DataModule: a triptych per row."""
        datamodule = self.trainer.datamodule
        if not hasattr(datamodule, "test_pairs"):
            raise ValueError("Pix2Pix's sample grid shows test pairs: use a paired DataModule (PairedImageDataModule)")
        sources, targets = datamodule.test_pairs()
        return {"source": sources[:n], "target": targets[:n]}, 3

    def grid_images(self, latent: Any, averaged: bool = True) -> Tensor:
        """(source, translation, target) side by side, one pair per row; a one-channel image shown as gray."""
        translated = self.translate(latent["source"], averaged=averaged).cpu()
        parts = [latent["source"].cpu(), translated, latent["target"].cpu()]
        channels = max(p.shape[1] for p in parts)
        parts = [p.expand(-1, channels, -1, -1) for p in parts]
        return torch.stack(parts, dim=1).flatten(0, 1)

    # ----------------------------------------------------------------- losses
    def pair_logits(self, source: Tensor, image: Tensor) -> Tensor:
        return self.network("discriminator")(torch.cat([source, image], dim=1))

    def discriminator_loss(self, batch: Batch, fake: Tensor) -> Tensor:
        """½ (softplus(−l(x, y)) + softplus(l(x, G(x)))), averaged over patches."""
        real_logits = self.pair_logits(batch.images, batch.targets)
        fake_logits = self.pair_logits(batch.images, fake.detach())
        return 0.5 * losses.minimax_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, batch: Batch, fake: Tensor) -> tuple[Tensor, Tensor]:
        """(total, L1): gan_weight · softplus(−l(x, G(x))) + λ_L1 · |y − G(x)|."""
        l1 = (fake - batch.targets).abs().mean()
        total = self.lambda_l1 * l1
        if self.gan_weight > 0:
            total = total + self.gan_weight * losses.non_saturating_generator_loss(self.pair_logits(batch.images, fake))
        return total, l1

    def training_step(self, batch: Any, batch_idx: int) -> None:
        batch = Batch.from_loader(batch)
        if batch.targets is None:
            raise ValueError("Pix2Pix trains on pairs: use a paired DataModule (e.g. ganzoo.data.PairedImageDataModule)")
        g_opt, d_opt = self.optimizer("generator"), self.optimizer("discriminator")
        with self.training_network("generator"):
            fake = self.network("generator")(batch.images)
        values = {}
        if self.gan_weight > 0:
            with self.training_network("discriminator"):
                d_loss = self.discriminator_loss(batch, fake)
                self.update(d_opt, d_loss, "discriminator")
            values["d_loss"] = d_loss
        with self.training_network("generator"):
            g_loss, l1 = self.generator_loss(batch, fake)
            self.update(g_opt, g_loss, "generator")
        self.step_lr_schedulers()
        self.log_step(**values, g_loss=g_loss, l1=l1)

    # ----------------------------------------------------------------- what the data pairs are
    #: the training data's direction and layout (source, target, layout, left, right, channels), kept in
    #: checkpoints so that ``ganzoo evaluate``/``translate`` read test data the way the model was trained
    pairs: dict[str, Any] | None = None

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        if datamodule is not None and hasattr(datamodule, "source"):
            keys = ("source", "target", "layout", "left", "right", "channels")
            self.pairs = {key: getattr(datamodule, key) for key in keys}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["ganzoo"]["pairs"] = self.pairs

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        self.pairs = (checkpoint.get("ganzoo") or {}).get("pairs") or self.pairs

    # ----------------------------------------------------------------- checks at setup
    def check_translator_shape(self, name: str, data_shape: tuple[int, ...]) -> Tensor:
        """The generator ``name`` must turn data-shaped images into data-shaped images; returns its probe."""
        network = getattr(self, name)
        probe = torch.zeros(2, *data_shape, device=network_device(network))
        with torch.no_grad(), eval_mode(network):
            try:
                made = tuple(network(probe).shape[1:])
            except RuntimeError as err:
                raise ValueError(
                    f"The {name} does not accept the data's shape {fmt_shape(data_shape)}: set its image_size/"
                    f"in_channels to match. ({str(err).splitlines()[0]})"
                ) from None
        if made != tuple(data_shape):
            raise ValueError(f"The data are {fmt_shape(data_shape)} but the {name} makes {fmt_shape(made)}")
        return probe

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
