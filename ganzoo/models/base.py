"""The shared adversarial loop (Goodfellow et al. 2014, Algorithm 1, with k = ``n_critic``).

Each training step takes ``n_critic`` real minibatches (the DataModule hands them over as one
batch of ``n_critic × batch_size``), makes one discriminator update on each with fresh fakes,
then one generator update. Optimization is manual; both optimizers come from the config.

Loss hooks receive named batches (``ganzoo.batch.Batch``): ``discriminator_loss(real, fake)`` and
``generator_loss(fake, real)``, where ``fake`` comes from ``generate_fake`` (images, and for
conditional models the labels or codes they were made with).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.hparams import class_path, save_rebuildable_hyperparameters
from ganzoo.models.hparams import adam, rmsprop, warn_if_schedule_does_not_match  # noqa: F401  (public names)


class GANModule(AdversarialModule):
    """Base of the GAN family: a generator, a discriminator, and alternating updates.

    Subclasses define ``discriminator_loss(real, fake)`` and ``generator_loss(fake, real)`` on
    batches and may override ``after_discriminator_step`` (e.g. weight clipping). Variants whose
    algorithm differs own ``training_step``.

    Args:
        generator: maps a latent (noise ``z`` of shape (N, ``generator.latent_dim``)) to samples.
        discriminator: maps samples to one logit (or critic value) per sample.
        g_optimizer, d_optimizer: optimizer factories; default Adam(2e-4, β = (0.5, 0.999)).
        g_lr_scheduler, d_lr_scheduler: optional scheduler factories, stepped once per generator step.
        n_critic: discriminator updates per generator update, each on its own real minibatch.
        gradient_clip_val: clip each network's gradient norm (or value) before its update.
        gradient_clip_algorithm: ``norm`` or ``value``.
    """

    #: options a preset class sets itself; left out of its saved hyperparameters
    fixed_options: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        g_lr_scheduler: LRSchedulerCallable | None = None,
        d_lr_scheduler: LRSchedulerCallable | None = None,
        n_critic: int = 1,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: Literal["norm", "value"] = "norm",
    ):
        super().__init__(
            optimizers={"generator": g_optimizer, "discriminator": d_optimizer},
            lr_schedulers={"generator": g_lr_scheduler, "discriminator": d_lr_scheduler},
            gradient_clip_val=gradient_clip_val,
            gradient_clip_algorithm=gradient_clip_algorithm,
        )
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        if not hasattr(generator, "latent_dim"):
            raise ValueError(f"{class_path(generator)} has no 'latent_dim' attribute: ganzoo needs it to draw noise.")
        self.generator = generator
        self.discriminator = discriminator
        self.n_critic = n_critic
        save_rebuildable_hyperparameters(self, self.fixed_options)

    # ----------------------------------------------------------------- networks in training
    def generate(self, latent: Any) -> Tensor:
        """G(latent), through the generator's DDP wrapper while the generator is being trained."""
        return self.decode(self.network("generator"), latent)

    def discriminate(self, x: Tensor, *condition: Tensor) -> Any:
        """D(x, …), through the discriminator's DDP wrapper while the discriminator is being trained."""
        return self.network("discriminator")(x, *condition)

    def generate_fake(self, n: int) -> Batch:
        """``n`` fakes from fresh noise (conditional models add the labels or codes used)."""
        return Batch(self.generate(self.sample_noise(n)))

    # ----------------------------------------------------------------- losses (variants define)
    def discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        raise NotImplementedError

    def after_discriminator_step(self) -> None:
        """Hook after each discriminator update (WGAN clips weights here)."""

    # ----------------------------------------------------------------- the loop
    def real_batches(self, batch: Any) -> list[Batch]:
        """Split one loader batch into the ``n_critic`` real minibatches of a training step."""
        return Batch.from_loader(batch).critic_minibatches(self.n_critic)

    def training_step(self, batch: Any, batch_idx: int) -> None:
        g_opt, d_opt = self.optimizer("generator"), self.optimizer("discriminator")
        real_batches = self.real_batches(batch)
        for real in real_batches:
            with self.training_network("discriminator"):
                with torch.no_grad():
                    fake = self.generate_fake(len(real))
                d_loss = self.discriminator_loss(real, fake)
                self.update(d_opt, d_loss, "discriminator")
            self.after_discriminator_step()
        with self.training_network("generator"):
            g_loss = self.generator_loss(self.generate_fake(len(real_batches[0])), real_batches[-1])
            self.update(g_opt, g_loss, "generator")
        self.step_lr_schedulers()
        self.log_step(d_loss=d_loss, g_loss=g_loss)
