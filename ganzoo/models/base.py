"""The GAN family's base: a noise-sampling generator and a discriminator (Goodfellow et al. 2014, Algorithm 1,
with k = ``n_critic``), trained by ``AdversarialModule``'s loop.

Each training step takes ``n_critic`` real minibatches (the DataModule hands them over as one
batch of ``n_critic × batch_size``), makes one discriminator update on each with fresh fakes,
then one generator update. Optimization is manual; both optimizers come from the config.

Loss hooks receive named batches (``ganzoo.batch.Batch``): ``discriminator_loss(real, fake)`` and
``generator_loss(fake, real)``, where ``fake`` comes from ``make_fake`` → ``generate_fake`` (images, and for
conditional models the labels or codes they were made with).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.generative import eval_mode, fmt_shape, network_device
from ganzoo.models.sampling import SamplingModule
from ganzoo.models.hparams import class_path, save_rebuildable_hyperparameters
from ganzoo.models.hparams import adam, rmsprop, warn_if_schedule_does_not_match  # noqa: F401  (public names)


class GANModule(AdversarialModule, SamplingModule):
    """Base of the GAN family: a generator, a discriminator, and alternating updates.

    Subclasses define ``discriminator_loss(real, fake)`` and ``generator_loss(fake, real)`` on
    batches and may override ``after_discriminator_step`` (e.g. weight clipping) and
    ``after_generator_step`` (BEGAN's k_t); the loop is ``AdversarialModule.training_step``.

    Args:
        generator: maps a latent (noise ``z`` of shape (N, ``generator.latent_dim``)) to samples.
        discriminator: maps samples to one logit (or critic value) per sample.
        g_optimizer, d_optimizer: optimizer factories; default Adam(2e-4, β = (0.5, 0.999)).
        g_lr_scheduler, d_lr_scheduler: optional scheduler factories, stepped once per generator step.
        n_critic: discriminator updates per generator update, each on its own real minibatch.
        gradient_clip_val: clip each network's gradient norm (or value) before its update.
        gradient_clip_algorithm: ``norm`` or ``value``.
        steps_per_call: generator steps per Lightning step, bit-identical to one at a time (``AdversarialModule``).
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
        steps_per_call: int = 1,
    ):
        super().__init__(
            optimizers={"generator": g_optimizer, "discriminator": d_optimizer},
            lr_schedulers={"generator": g_lr_scheduler, "discriminator": d_lr_scheduler},
            gradient_clip_val=gradient_clip_val,
            gradient_clip_algorithm=gradient_clip_algorithm,
            steps_per_call=steps_per_call,
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

    def make_fake(self, real: Batch) -> Batch:
        return self.generate_fake(len(real))

    # ----------------------------------------------------------------- checks at setup
    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """Fail at setup, naming both shapes, when the data and the networks disagree."""
        self.check_generator_shape(data_shape)
        with torch.no_grad(), eval_mode(self.generator, self.discriminator):
            try:
                probe = torch.zeros(2 * getattr(self.discriminator, "pack", 1), *data_shape)
                self.probe_discriminator(probe.to(network_device(self.discriminator)))
            except RuntimeError as err:
                raise ValueError(
                    f"The discriminator does not accept the data's shape {fmt_shape(data_shape)}: set its "
                    f"image_size/channels to match. ({str(err).splitlines()[0]})"
                ) from None

    def probe_discriminator(self, x: Tensor) -> None:
        """Run the discriminator once on zeros shaped like the data (conditional models add labels)."""
        self.discriminator(x)
